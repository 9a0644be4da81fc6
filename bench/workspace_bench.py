"""How long ``/queue`` and ``/find`` take with many open cases (issue #12 item 3).

    python -m bench.workspace_bench --cases 1000 10000
    python -m bench.workspace_bench --cases 1000 10000 \
        --database-url postgresql+asyncpg://127.0.0.1:5432/bench   # its public schema is reset

Fills a fresh SQLite database (or ``--database-url``) with N open cases (half requests, half
tickets, a tenth assigned, a third of the requests past their due date), then times the
handlers' work inside one unit of work, without the network: ``/queue`` (its first page, its
last page, ``mine`` and ``overdue``) and one ``/find``. Each ``/queue`` figure is taken twice in
the same run: ``sql`` is the bot's page (``bot.features.workspace.case_queue``: filtered,
ordered and cut in the database, then the page's ten rows and their assignees loaded),
``python`` the way it was built before (every open case and assignment loaded, then filtered,
sorted and cut in Python — kept below as ``python_page``, the reference). Neither includes
the page's text (the same ten lines either way). The tables are analysed after the fill, as
PostgreSQL's autovacuum does on its own: without statistics its planner takes a newly filled
table for an empty one and joins ``mine`` by a nested loop (1.6 s at 10,000 cases).
Prints the median of ``--repeat`` runs in milliseconds.
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

from sqlalchemy import select, text

from bench.common import empty_schema
from bot.domain.dates import today_riyadh
from bot.domain.lifecycle import OPEN, TICKET_OPEN
from bot.domain.tickets import Kind as TicketKind
from bot.engine.context import Ctx, Runtime
from bot.engine.events import Event, Kind
from bot.features.workspace import queue
from bot.features.workspace.cases import REQUEST, TICKET, Case, by_reference, thread_lines
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
                    due_date=today_riyadh(now) - timedelta(days=1 if i % 3 == 0 else -14),
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
            for kind in ("request", "ticket"):
                session.add(
                    CaseAssignment(
                        association_id=tenant,
                        subject_kind=kind,
                        subject_id=i + 1,
                        assignee_id=2001,
                        assignee_name="مشرف",
                    )
                )


async def python_page(ctx: Ctx, name: str, page: int) -> list[Case]:
    """The page as /queue built it before the query (the reference): every open case and
    every assignment loaded, filtered, sorted and cut in Python."""
    requests = (
        await ctx.session.scalars(
            select(ServiceRequest).where(
                ServiceRequest.association_id == ctx.tenant,
                ServiceRequest.status.in_(sorted(s.value for s in OPEN)),
            )
        )
    ).all()
    tickets = (
        await ctx.session.scalars(
            select(Ticket).where(
                Ticket.association_id == ctx.tenant,
                Ticket.status.in_(sorted(s.value for s in TICKET_OPEN)),
            )
        )
    ).all()
    cases = sorted(
        [Case(r) for r in requests] + [Case(t) for t in tickets],
        key=lambda c: (c.opened_at, c.reference),
    )
    held = {
        (a.subject_kind, a.subject_id): a
        for a in await ctx.session.scalars(
            select(CaseAssignment).where(CaseAssignment.association_id == ctx.tenant)
        )
    }
    now = utcnow()

    def keep(case: Case) -> bool:
        assigned = held.get((case.kind, case.id))
        if name == "overdue":
            return case.overdue(
                now, clock_paused=ctx.profile.deadlines.pause_while_awaiting_documents
            )
        if name == "mine":
            return assigned is not None and assigned.assignee_id == ctx.from_id
        if name == "unassigned":
            return assigned is None
        if name == "requests":
            return case.kind == REQUEST
        if name in ("inquiries", "complaints"):
            inquiry = case.kind == TICKET and case.row.kind == TicketKind.INQUIRY
            return inquiry if name == "inquiries" else case.kind == TICKET and not inquiry
        return True

    kept = [c for c in cases if c.visible_in(ctx, ctx.chat_id) and keep(c)]
    pages = max(1, -(-len(kept) // queue.PAGE))
    page = min(max(page, 1), pages)
    return kept[(page - 1) * queue.PAGE : page * queue.PAGE]


async def run(n: int, repeat: int, url: str | None) -> dict[str, float]:
    profile = load_profile(Path("profiles/khairat.yaml"))
    with tempfile.TemporaryDirectory() as tmp:
        url = url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        await empty_schema(url)
        database = Database(url)
        db = database.scoped(profile.association.id)
        await db.migrate()
        await fill(db, profile.association.id, n)
        async with db.write() as session:  # the statistics a running database has (autovacuum)
            await session.execute(text("ANALYZE"))
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
        last = -(-n // queue.PAGE)
        work = [
            (f"queue{label} {how}", how, filter_name, page)
            for label, filter_name, page in (
                ("", "all", 1),
                (" last page", "all", last),
                (" mine", "mine", 1),
                (" overdue", "overdue", 1),
            )
            for how in ("python", "sql")
        ] + [("find", "find", "", 0)]
        times: dict[str, list[float]] = {name: [] for name, *_ in work}
        for _ in range(repeat):
            for name, how, filter_name, page in work:
                async with db.read() as session:
                    ctx = Ctx(rt, Event(0, Kind.COMMAND, chat_id=STAFF_CHAT, user_id=2001), session)
                    start = time.perf_counter()
                    if how == "sql":
                        found = await queue.case_queue.page(
                            session, filter_name, queue.scope(ctx), page, queue.PAGE
                        )
                        await queue.page_cases(ctx, found.keys)
                    elif how == "python":
                        await python_page(ctx, filter_name, page)
                    else:
                        case = await by_reference(ctx, "REQ-1448-00007")
                        assert case is not None
                        await thread_lines(ctx, case, translator("ar"))
                    times[name].append((time.perf_counter() - start) * 1000)
        await check_same_pages(db, rt, last)
        await database.dispose()
    return {k: statistics.median(v) for k, v in times.items()}


async def check_same_pages(db, rt: Runtime, last: int) -> None:
    """The query's pages are the reference's pages (a benchmark of a wrong answer is no use)."""
    for name in queue.FILTERS:
        for page in (1, 2, last):
            async with db.read() as session:
                ctx = Ctx(rt, Event(0, Kind.COMMAND, chat_id=STAFF_CHAT, user_id=2001), session)
                expected = [(c.kind, c.id) for c in await python_page(ctx, name, page)]
                found = await queue.case_queue.page(
                    session, name, queue.scope(ctx), page, queue.PAGE
                )
                assert found.keys == expected, (name, page, found.keys, expected)


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
