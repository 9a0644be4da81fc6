"""One hot statement's CPU: through SQLAlchemy's ``execute`` against ``storage.prepared``.

    python -m bench.statement_bench [--database-url postgresql+asyncpg://…] [--n 3000]

Runs the dispatcher's claim (an UPDATE of one row by its key) ``--n`` times inside one write
transaction, three ways, alternated over three rounds, and prints the least CPU per statement
(``time.process_time``) of each: SQLAlchemy Core ``AsyncConnection.execute`` of the prebuilt
statement, ``Prepared.run`` given the session, and ``Prepared.run`` given the connection (what
the unit of work does: ``UnitOfWork.connection`` asks the session once). Default: a fresh SQLite
file; with ``--database-url`` the schema there is reset first. docs/benchmarks.md, "Session 7".
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable

from bench.common import empty_schema


async def main(url: str, n: int) -> dict[str, float]:
    from bot.engine.dispatch import _CLAIM
    from storage.db import Database
    from storage.models import Association, utcnow

    if not url.startswith("sqlite"):
        await empty_schema(url)
    db = Database(url)
    await db.migrate()
    async with db.write(unscoped=True) as session:
        session.add(Association(id="t", name="t"))
    params = {"tenant": "t", "uid": 1, "at": utcnow()}
    best: dict[str, float] = {}
    async with db.write(unscoped=True) as session:
        conn = await session.connection()
        ways: dict[str, Callable[[], Awaitable[object]]] = {
            "sqlalchemy execute": lambda: conn.execute(_CLAIM.statement, params),
            "prepared, via the session": lambda: _CLAIM.run(session, params),
            "prepared, via the connection": lambda: _CLAIM.run(conn, params),
        }
        for _ in range(3):
            for name, way in ways.items():
                began = time.process_time()
                for _ in range(n):
                    await way()
                spent = (time.process_time() - began) / n * 1e6
                best[name] = min(best.get(name, spent), spent)
    await db.dispose()
    return best


def run() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.statement_bench")
    parser.add_argument("--database-url")
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    url = args.database_url or f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/statements.db"
    for name, micros in asyncio.run(main(url, args.n)).items():
        print(f"{name:32s} {micros:7.1f} µs of CPU per statement")


if __name__ == "__main__":
    run()
