"""The page of ``/queue`` as one query: the open cases a staff chat sees — requests and tickets
side by side (a UNION ALL of their kind, id, opening time and reference) — filtered, ordered
oldest first and cut to a page in the database, with a count for the number of pages. Only the
page's own rows are then loaded, so a page costs the same at 100 open cases as at 10,000.

The filters say in SQL what :class:`~bot.features.workspace.cases.Case` says in Python
(``overdue``, ``family``, ``visible_in``); ``tests/unit/test_case_queue.py`` holds the two to
the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import OPEN, TICKET_OPEN, Status
from bot.domain.tickets import Kind
from storage.models import CaseAssignment, ServiceRequest, Ticket

REQUEST, TICKET = "request", "ticket"  # as CaseAssignment.subject_kind and the staff links
FAMILY_FILTERS = {"requests": "request", "inquiries": "inquiry", "complaints": "complaint"}
FILTERS = ("all", "overdue", "mine", "unassigned", *FAMILY_FILTERS)
_REQUEST_OPEN = sorted(s.value for s in OPEN)
_TICKET_OPEN = sorted(s.value for s in TICKET_OPEN)


@dataclass(frozen=True)
class Scope:
    """Who asks, from where, and when: ``categories`` is ``None`` in the main staff group (every
    case); in an area's chat, the FAQ categories routed to it (only those tickets)."""

    tenant: str
    user_id: int
    now: datetime  # aware, UTC: a ticket is overdue once its ``due_at`` has passed
    today: date  # Riyadh's date: a request is overdue the day after its due date
    categories: frozenset[str] | None = None
    clock_paused: bool = False  # the profile's pause_while_awaiting_documents


@dataclass(frozen=True)
class Page:
    total: int  # cases matching the filter, on every page
    number: int  # the page shown, 1 … pages (a page past the end shows the last one)
    pages: int
    keys: list[tuple[str, int]]  # (REQUEST | TICKET, id) of the page's cases, oldest first


def _held(kind: str, tenant: str, user_id: int | None = None) -> Select[int]:
    """The ids of the cases of this kind someone holds (``user_id``, when given): read once
    from ``case_assignments`` (a few rows), not looked up once per open case."""
    held = select(CaseAssignment.subject_id).where(
        CaseAssignment.association_id == tenant, CaseAssignment.subject_kind == kind
    )
    return held.where(CaseAssignment.assignee_id == user_id) if user_id is not None else held


def _requests(name: str, scope: Scope) -> Select | None:
    if scope.categories is not None or name in ("inquiries", "complaints"):
        return None  # an area's chat sees tickets only
    sr = ServiceRequest
    where: list[ColumnElement[bool]] = [
        sr.association_id == scope.tenant,
        sr.status.in_(_REQUEST_OPEN),
    ]
    if name == "overdue":
        where += [
            sr.due_date.is_not(None),
            sr.status != Status.APPROVED.value,
            sr.due_date < scope.today,
        ]
        if scope.clock_paused:  # waiting on the beneficiary: the clock is stopped, not late
            where.append(sr.status != Status.AWAITING_DOCUMENTS.value)
    elif name == "mine":
        where.append(sr.id.in_(_held(REQUEST, scope.tenant, scope.user_id)))
    elif name == "unassigned":
        where.append(sr.id.not_in(_held(REQUEST, scope.tenant)))
    opened = func.coalesce(sr.submitted_at, sr.updated_at)
    return select(
        literal(REQUEST).label("kind"),
        sr.id.label("id"),
        opened.label("opened_at"),
        sr.reference.label("reference"),
    ).where(*where)


def _tickets(name: str, scope: Scope) -> Select | None:
    if name == "requests" or scope.categories == frozenset():
        return None
    t = Ticket
    where: list[ColumnElement[bool]] = [
        t.association_id == scope.tenant,
        t.status.in_(_TICKET_OPEN),
    ]
    if scope.categories is not None:
        where.append(t.category.in_(sorted(scope.categories)))
    if name == "overdue":
        where += [t.due_at.is_not(None), t.due_at < scope.now]
    elif name == "mine":
        where.append(t.id.in_(_held(TICKET, scope.tenant, scope.user_id)))
    elif name == "unassigned":
        where.append(t.id.not_in(_held(TICKET, scope.tenant)))
    elif name == "inquiries":
        where.append(t.kind == Kind.INQUIRY.value)
    elif name == "complaints":
        where.append(t.kind != Kind.INQUIRY.value)
    return select(
        literal(TICKET).label("kind"),
        t.id.label("id"),
        t.created_at.label("opened_at"),
        t.reference.label("reference"),
    ).where(*where)


async def page(session: AsyncSession, name: str, scope: Scope, number: int, size: int) -> Page:
    """Page ``number`` (from 1) of the open cases under filter ``name`` (one of FILTERS)."""
    if name not in FILTERS:
        raise ValueError(name)
    branches = [b for b in (_requests(name, scope), _tickets(name, scope)) if b is not None]
    if not branches:
        return Page(0, 1, 1, [])
    # one count per table, each from its own indexes, added up in the same statement
    counts = [select(func.count()).select_from(b.subquery()).scalar_subquery() for b in branches]
    total = int(
        await session.scalar(select(counts[0] + counts[1] if counts[1:] else counts[0])) or 0
    )
    pages = max(1, -(-total // size))
    number = min(max(number, 1), pages)
    if total == 0:
        return Page(0, 1, 1, [])
    cases = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    rows = await session.execute(
        select(cases.c.kind, cases.c.id)
        .order_by(cases.c.opened_at, cases.c.reference)
        .limit(size)
        .offset((number - 1) * size)
    )
    return Page(total, number, pages, [(kind, int(case_id)) for kind, case_id in rows])


def categories_of(
    chat_id: int, main_chat: int, routes: Collection[tuple[str, int | None]]
) -> frozenset[str] | None:
    """``Scope.categories`` for a chat: ``None`` for the main staff group, else the categories
    whose escalations go to that chat (``routes``: (category id, its staff chat or None))."""
    if chat_id == main_chat:
        return None
    return frozenset(category for category, chat in routes if chat == chat_id)
