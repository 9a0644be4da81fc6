"""bot.features.workspace.case_queue: the /queue page as one query, on SQLite and PostgreSQL
(``MUSTAFEED_TEST_DATABASE_URL``) — what it filters, its order, its pages at the edges, the
overdue boundary, and the same overdue answer as ``Case.overdue``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.dates import today_riyadh
from bot.features.workspace.case_queue import FILTERS, Scope, categories_of, page
from bot.features.workspace.cases import REQUEST, TICKET, load_many
from storage.db import Database
from storage.models import Association, CaseAssignment, ServiceRequest, Ticket

T = "t"
ME, OTHER = 501, 502
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh
TODAY = today_riyadh(NOW)


def scope(**changes) -> Scope:
    return Scope(**{"tenant": T, "user_id": ME, "now": NOW, "today": TODAY, **changes})


def request(reference: str | None, hours_ago: float, **fields) -> ServiceRequest:
    values = {
        "reference": reference,
        "status": "under_review",
        "due_date": TODAY + timedelta(days=10),
        "submitted_at": NOW - timedelta(hours=hours_ago),
        **fields,
    }
    return ServiceRequest(association_id=T, service_id="food", answers={}, **values)


def ticket(reference: str, hours_ago: float, **fields) -> Ticket:
    values = {
        "kind": "inquiry",
        "status": "open",
        "due_at": NOW + timedelta(hours=5),
        "created_at": NOW - timedelta(hours=hours_ago),
    }
    values.update(fields)
    return Ticket(association_id=T, reference=reference, data={}, **values)


@pytest.fixture
async def db(database_url: str):
    scoped = Database(database_url).scoped(T)
    await scoped.migrate()
    async with scoped.write() as session:
        session.add(Association(id=T, name="t"))
    yield scoped
    await scoped.dispose()


async def add(db, *rows, held: dict[str, int] | None = None) -> dict[str, tuple[str, int]]:
    """Adds the cases; ``held``: reference → assignee. Returns reference → (kind, id)."""
    async with db.write() as session:
        session.add_all(rows)
        await session.flush()
        keys = {
            r.reference: (REQUEST if isinstance(r, ServiceRequest) else TICKET, r.id) for r in rows
        }
        for reference, assignee in (held or {}).items():
            kind, case_id = keys[reference]
            session.add(
                CaseAssignment(
                    association_id=T,
                    subject_kind=kind,
                    subject_id=case_id,
                    assignee_id=assignee,
                    assignee_name="x",
                )
            )
    return keys


async def refs(db, name: str, number: int = 1, size: int = 10, **changes) -> list[str]:
    async with db.read() as session:
        found = await page(session, name, scope(**changes), number, size)
        cases = await load_many(session, T, found.keys)
    return [cases[key].reference for key in found.keys]


async def test_nothing_open_is_one_empty_page(db) -> None:
    await add(
        db,
        request(None, 5, status="draft", submitted_at=None),
        request("REQ-1448-0002", 4, status="rejected"),
        ticket("INQ-1448-0001", 3, status="closed"),
    )
    async with db.read() as session:
        for name in FILTERS:
            found = await page(session, name, scope(), 3, 10)
            assert (found.total, found.number, found.pages, found.keys) == (0, 1, 1, [])


async def test_oldest_first_across_requests_and_tickets(db) -> None:
    await add(
        db,
        request("REQ-1448-0001", 10),
        ticket("INQ-1448-0001", 30),
        request("REQ-1448-0002", 20),
        ticket("CMP-1448-0001", 20, kind="complaint"),  # same moment: by reference
        request("REQ-1448-0003", 40, status="approved"),
        request("REQ-1448-0004", 1, status="closed"),
    )
    assert await refs(db, "all") == [
        "REQ-1448-0003",
        "INQ-1448-0001",
        "CMP-1448-0001",
        "REQ-1448-0002",
        "REQ-1448-0001",
    ]


async def test_exactly_one_page_and_the_last_page(db) -> None:
    await add(db, *(request(f"REQ-1448-{i:04d}", 100 - i) for i in range(1, 8)))
    async with db.read() as session:
        full = await page(session, "all", scope(), 1, 7)
        assert (full.total, full.pages, len(full.keys)) == (7, 1, 7)
        assert (await page(session, "all", scope(), 2, 7)).number == 1  # no page past the end
        last = await page(session, "all", scope(), 3, 3)
        assert (last.total, last.number, last.pages, len(last.keys)) == (7, 3, 3, 1)
        assert (await page(session, "all", scope(), 99, 3)).keys == last.keys
        assert (await page(session, "all", scope(), 0, 3)).number == 1
    pages = [await refs(db, "all", n, 3) for n in (1, 2, 3)]
    assert [r for p in pages for r in p] == [
        f"REQ-1448-{i:04d}" for i in range(1, 8)
    ]  # none twice, none lost


async def test_overdue_boundary(db) -> None:
    keys = await add(
        db,
        request("REQ-1448-0001", 9, due_date=TODAY),  # due today: not yet
        request("REQ-1448-0002", 8, due_date=TODAY - timedelta(days=1)),  # since midnight
        request("REQ-1448-0003", 7, due_date=TODAY - timedelta(days=5), status="approved"),
        request("REQ-1448-0004", 6, due_date=None),
        request(
            "REQ-1448-0005", 5, due_date=TODAY - timedelta(days=2), status="awaiting_documents"
        ),
        ticket("INQ-1448-0001", 4, due_at=NOW),  # due this very moment: not yet
        ticket("INQ-1448-0002", 3, due_at=NOW - timedelta(seconds=1)),
        ticket("INQ-1448-0003", 2, due_at=None),
        ticket("INQ-1448-0004", 1, due_at=NOW + timedelta(seconds=1)),
    )
    overdue = await refs(db, "overdue")
    assert overdue == ["REQ-1448-0002", "REQ-1448-0005", "INQ-1448-0002"]
    async with db.read() as session:  # the same answer as the cards' and the alerts' rule
        cases = await load_many(session, T, keys.values())
    assert sorted(c.reference for c in cases.values() if c.overdue(NOW)) == sorted(overdue)
    # where the profile stops the clock while documents are awaited, that request is not late
    paused = await refs(db, "overdue", clock_paused=True)
    assert paused == ["REQ-1448-0002", "INQ-1448-0002"]
    assert sorted(
        c.reference for c in cases.values() if c.overdue(NOW, clock_paused=True)
    ) == sorted(paused)
    # Riyadh's date, not UTC's: at 22:00 UTC it is already tomorrow in Riyadh
    late = NOW.replace(hour=22)
    assert today_riyadh(late) == TODAY + timedelta(days=1)
    assert "REQ-1448-0001" in await refs(db, "overdue", now=late, today=today_riyadh(late))


async def test_mine_unassigned_and_the_kinds(db) -> None:
    await add(
        db,
        request("REQ-1448-0001", 9),
        request("REQ-1448-0002", 8),
        ticket("INQ-1448-0001", 7),
        ticket("CMP-1448-0001", 6, kind="complaint"),
        ticket("SUG-1448-0001", 5, kind="suggestion"),
        ticket("CMP-1448-0002", 4, kind="compensation"),
        held={"REQ-1448-0002": ME, "INQ-1448-0001": OTHER, "SUG-1448-0001": ME},
    )
    assert await refs(db, "mine") == ["REQ-1448-0002", "SUG-1448-0001"]
    assert await refs(db, "unassigned") == ["REQ-1448-0001", "CMP-1448-0001", "CMP-1448-0002"]
    assert await refs(db, "requests") == ["REQ-1448-0001", "REQ-1448-0002"]
    assert await refs(db, "inquiries") == ["INQ-1448-0001"]
    assert await refs(db, "complaints") == ["CMP-1448-0001", "SUG-1448-0001", "CMP-1448-0002"]
    assert await refs(db, "mine", user_id=OTHER) == ["INQ-1448-0001"]


async def test_an_area_chat_sees_its_own_tickets_only(db) -> None:
    await add(
        db,
        request("REQ-1448-0001", 9),
        ticket("INQ-1448-0001", 8, category="north"),
        ticket("INQ-1448-0002", 7, category="south"),
        ticket("INQ-1448-0003", 6),
    )
    routes = [("north", -7), ("south", None), ("east", -7)]
    assert categories_of(-1, -1, routes) is None  # the main staff group: every case
    area = categories_of(-7, -1, routes)
    assert area == frozenset({"north", "east"})
    assert await refs(db, "all", categories=area) == ["INQ-1448-0001"]
    assert await refs(db, "requests", categories=area) == []
    assert await refs(db, "all", categories=categories_of(-9, -1, routes)) == []  # no area
    assert len(await refs(db, "all")) == 4


async def test_another_association_is_not_counted(db, database_url: str) -> None:
    await add(db, request("REQ-1448-0001", 9))
    other = Database(database_url).scoped("u")
    try:
        async with other.write() as session:
            session.add(Association(id="u", name="u"))
            await session.flush()
            session.add(
                ServiceRequest(
                    association_id="u",
                    reference="REQ-1448-0002",
                    service_id="food",
                    answers={},
                    status="submitted",
                    submitted_at=NOW,
                )
            )
    finally:
        await other.dispose()
    async with db.read() as session:
        found = await page(session, "all", scope(), 1, 10)
    assert found.total == 1
