"""Statements a second that one cluster process sends to PostgreSQL while idle, for N
associations (issue #16: one lease statement and one sweep per process, not per association).

The real engine objects with their real periods (``bot.engine.lease``, ``bot.engine.cluster``):
for each association a ``Cluster`` (the sweep) and two ``Lease``s (``poll`` and ``jobs``, whose
work waits forever), as ``mustafeed run`` starts them; no traffic. Every statement the link
sends is counted by its method for ``--duration`` seconds. Runs against an older checkout too
(``PYTHONPATH=/path/to/old/tree``) for a before/after.

    python -m bench.cluster_rounds --database-url postgresql+asyncpg://127.0.0.1:5432/x --n 1 10 100
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from typing import Any

from bench.common import empty_schema
from storage.claims import ClusterLink
from storage.db import Database
from storage.models import Association


class _Idle:
    """Intake and sender stand-ins: nothing in flight."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def busy_with(self, chat: int) -> bool:
        return False

    def enqueue(self, items: list[Any]) -> None:
        pass

    def take_stored(self, update_id: int, stored: Any) -> int:
        return 0


_METHODS = ("fetch", "lease", "leases", "drop_lease")


def _count(calls: Counter[str]) -> None:
    for name in _METHODS:
        original = getattr(ClusterLink, name, None)
        if original is None or getattr(original, "counted", False):
            continue

        async def counting(self: Any, *args: Any, _o: Any = original, _n: str = name) -> Any:
            calls[_n] += 1
            return await _o(self, *args)

        counting.counted = True  # type: ignore[attr-defined]
        setattr(ClusterLink, name, counting)


async def one(url: str, n: int, duration: float, calls: Counter[str]) -> dict[str, float]:
    from bot.engine.cluster import Cluster
    from bot.engine.lease import Lease

    await empty_schema(url)
    database = Database(url)
    await database.migrate()
    tenants = [f"bench{i:04d}" for i in range(n)]
    async with database.write(unscoped=True) as session:
        session.add_all([Association(id=t, name=t) for t in tenants])
    link = database.cluster_link()
    forever = asyncio.Event()
    clusters = []
    for tenant in tenants:
        idle = _Idle(database.scoped(tenant))
        cluster = Cluster(link, tenant, idle, idle)
        await cluster.start()
        clusters.append(cluster)
    tasks = [
        asyncio.create_task(Lease(link, t, name, forever.wait).run())
        for t in tenants
        for name in ("poll", "jobs")
    ]
    await asyncio.sleep(3.0)  # started: every lease taken
    calls.clear()
    began = time.monotonic()
    await asyncio.sleep(duration)
    seconds = time.monotonic() - began
    counted = dict(calls)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for cluster in clusters:
        await cluster.stop()
    await database.dispose()
    total = sum(counted.values())
    return {"associations": n, "statements_per_s": total / seconds, **counted, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--n", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    calls: Counter[str] = Counter()
    _count(calls)
    for n in args.n:
        figures = asyncio.run(one(args.database_url, n, args.duration, calls))
        print(
            f"{n:>5} associations: {figures['statements_per_s']:7.1f} statements/s  "
            + " ".join(f"{k}={v}" for k, v in figures.items() if k in _METHODS)
        )


if __name__ == "__main__":
    main()
