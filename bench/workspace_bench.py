"""How long ``/queue`` and ``/find`` take with many open cases (issue #12 item 3).

    python -m bench.workspace_bench --cases 200 2000 10000

Fills a fresh SQLite database (or ``--database-url``) with N open cases (half requests, half
tickets, a tenth assigned), then times the handlers' work inside one unit of work — the
rendering of the first page of ``/queue`` (all, and ``mine``) and one ``/find`` — without
the network. Prints the median of ``--repeat`` runs in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from bot.engine.context import Ctx, Runtime
from bot.engine.events import Event, Kind
from bot.features.workspace import queue
from bot.features.workspace.cases import by_reference, thread_lines
from bot.i18n import translator
from bot.profile import load_profile
from bot.settings import Settings
from storage.crypto import Vault
from storage.db import Database
from storage.models import Association, CaseAssignment, ServiceRequest, Ticket, utcnow

STAFF_CHAT = -100123


async def fill(db, tenant: str, n: int) -> None:
    now = utcnow()
    async with db.write() as session:
        session.add(Association(id=tenant, name="bench"))
        await session.flush()
        for i in range(n // 2):
            session.add(
                ServiceRequest(
                    association_id=tenant,
                    reference=f"REQ-1448-{i:05d}",
                    service_id="food-basket",
                    status="under_review",
                    answers={},
                    submitted_at=now - timedelta(hours=i),
                    due_date=now.date(),
                )
            )
            session.add(
                Ticket(
                    association_id=tenant,
                    reference=f"INQ-1448-{i:05d}",
                    kind="inquiry",
                    subject="سؤال",
                    status="open",
                    data={},
                    created_at=now - timedelta(hours=i),
                    due_at=now + timedelta(hours=24),
                )
            )
        await session.flush()
        for i in range(0, n // 2, 10):
            session.add(
                CaseAssignment(
                    association_id=tenant,
                    subject_kind="request",
                    subject_id=i + 1,
                    assignee_id=2001,
                    assignee_name="مشرف",
                )
            )


async def run(n: int, repeat: int, url: str | None) -> dict[str, float]:
    profile = load_profile(Path("profiles/khairat.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(url or f"sqlite+aiosqlite:///{tmp}/bench.db")
        db = database.scoped(profile.association.id)
        await db.migrate()
        await fill(db, profile.association.id, n)
        settings = Settings(
            token="1:A",
            staff_chat_id=STAFF_CHAT,
            database_url=db.url,
            secret_key="x" * 32,
            supervisor_ids=frozenset({2001}),
        )
        rt = Runtime(
            settings=settings,
            profile=profile,
            db=db,
            bot=None,
            vault=Vault(settings.secret_key),
            sender=SimpleNamespace(),
            staff_chat_id=STAFF_CHAT,
        )
        times: dict[str, list[float]] = {"queue": [], "queue mine": [], "find": []}
        for _ in range(repeat):
            for name, what in (("queue", "all"), ("queue mine", "mine"), ("find", None)):
                async with db.read() as session:
                    ctx = Ctx(rt, Event(0, Kind.COMMAND, chat_id=STAFF_CHAT, user_id=2001), session)
                    start = time.perf_counter()
                    if what:
                        await queue.render(ctx, what, 1)
                    else:
                        case = await by_reference(ctx, "REQ-1448-00007")
                        await thread_lines(ctx, case, translator("ar"))
                    times[name].append((time.perf_counter() - start) * 1000)
        await database.dispose()
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, nargs="+", default=[200, 2000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    for n in args.cases:
        figures = asyncio.run(run(n, args.repeat, args.database_url))
        print(f"{n:>6} open cases: " + ", ".join(f"{k} {v:.1f} ms" for k, v in figures.items()))


if __name__ == "__main__":
    main()
