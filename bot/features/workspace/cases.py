"""A case, whatever its kind: a service request or a ticket (inquiry, complaint, suggestion,
compensation claim), as the workspace lists, finds and shows it. Each staff chat sees its own
cases: the main staff group sees every case, an area's contact-officer chat only the tickets
routed to it (policy clause 23)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dates import today_riyadh
from bot.domain.lifecycle import OPEN, TICKET_OPEN, Status, label
from bot.domain.textutil import isolate, mask_numbers, to_ascii_digits
from bot.domain.tickets import KIND_LABELS, STATUS_LABELS, Kind, TicketStatus
from bot.engine.context import Ctx
from bot.engine.keyboards import Buttons
from bot.features.inquiries import ticket_cards
from bot.features.requests import request_cards
from bot.i18n import N_, Translator
from storage.models import (
    CaseAssignment,
    CaseNote,
    RequestEvent,
    ServiceRequest,
    StaffMessageLink,
    Ticket,
    TicketMessage,
)

REQUEST, TICKET = request_cards.CARD, ticket_cards.LINK  # "request", "ticket": link kinds
SHORT = {"r": REQUEST, "t": TICKET}  # in button data
REQUEST_LABEL = N_("Service request")
# a request's events that change no status, as staff read them in a thread
EVENT_LABELS = {
    "staff_reply": N_("Reply from the association"),
    "docs_reminder": N_("Documents reminder sent to the beneficiary"),
    "clock_resumed": N_("Decision clock resumed (days waited on the beneficiary)"),
    "deadline_reminder": N_("Decision deadline reminder"),
    "overdue_alert": N_("Overdue alert"),
}


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Case:
    """A request or a ticket; each question is answered by narrowing ``row`` to its model."""

    row: ServiceRequest | Ticket

    @property
    def kind(self) -> str:
        return REQUEST if isinstance(self.row, ServiceRequest) else TICKET

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def short(self) -> str:
        return "r" if isinstance(self.row, ServiceRequest) else "t"

    @property
    def reference(self) -> str:
        return self.row.reference or ""

    @property
    def family(self) -> str:
        row = self.row
        if isinstance(row, ServiceRequest):
            return "request"
        return "inquiry" if row.kind == Kind.INQUIRY else "complaint"

    @property
    def opened_at(self) -> datetime:
        row = self.row
        if isinstance(row, ServiceRequest):
            return aware(row.submitted_at or row.updated_at)
        return aware(row.created_at)

    @property
    def is_open(self) -> bool:
        return self.row.status in (OPEN if isinstance(self.row, ServiceRequest) else TICKET_OPEN)

    def overdue(self, now: datetime, *, clock_paused: bool = False) -> bool:
        """Past its due date (a request; Riyadh's date) or its due time (a ticket), still open;
        ``case_queue`` says the same in SQL. ``clock_paused`` (the profile's
        ``pause_while_awaiting_documents``): a request waiting on its beneficiary's documents
        is not late, its clock is stopped — as the deadline job sees it."""
        row = self.row
        if not self.is_open:
            return False
        if isinstance(row, ServiceRequest):
            due = row.due_date
            if clock_paused and row.status == Status.AWAITING_DOCUMENTS:
                return False
            return due is not None and row.status != Status.APPROVED and due < today_riyadh(now)
        return row.due_at is not None and aware(row.due_at) < now

    def waiting_on_beneficiary(self) -> bool:
        row = self.row
        return isinstance(row, ServiceRequest) and row.status == Status.AWAITING_DOCUMENTS

    def kind_label(self, tr: Translator) -> str:
        row = self.row
        if isinstance(row, ServiceRequest):
            return tr.gettext(REQUEST_LABEL)
        return tr.gettext(KIND_LABELS[Kind(row.kind)])

    def status_label(self, tr: Translator) -> str:
        row = self.row
        if isinstance(row, ServiceRequest):
            return tr.gettext(label(row.status))
        return tr.gettext(STATUS_LABELS[TicketStatus(row.status)])

    def home_chat(self, ctx: Ctx) -> int:
        row = self.row
        if isinstance(row, ServiceRequest):
            return ctx.rt.staff_chat_id
        return ticket_cards.route(ctx, row)[0]

    def visible_in(self, ctx: Ctx, chat_id: int) -> bool:
        """The main staff group sees every case; an area's chat only its own."""
        return chat_id == ctx.rt.staff_chat_id or self.home_chat(ctx) == chat_id

    async def card_text(self, ctx: Ctx) -> str:
        row = self.row
        if isinstance(row, ServiceRequest):
            return await request_cards.card_text(ctx, row)
        return await ticket_cards.card_text(ctx, row)

    def card_keyboard(self, ctx: Ctx) -> Buttons:
        row = self.row
        if isinstance(row, ServiceRequest):
            return request_cards.card_keyboard(ctx, row)
        return ticket_cards.card_keyboard(row)


async def load(ctx: Ctx, kind: str, case_id: int | None) -> Case | None:
    if case_id is None:
        return None
    row: ServiceRequest | Ticket | None
    if kind == REQUEST:
        row = await ctx.session.scalar(
            select(ServiceRequest).where(
                ServiceRequest.id == case_id, ServiceRequest.status != Status.DRAFT
            )
        )
    elif kind == TICKET:
        row = await ctx.session.scalar(select(Ticket).where(Ticket.id == case_id))
    else:
        return None
    return Case(row) if row is not None else None


async def of_link(ctx: Ctx, link: StaffMessageLink | None) -> Case | None:
    """The case a staff message belongs to (a card, a relayed message, a prompt about it)."""
    if link is None:
        return None
    kind = link.subject_kind
    if kind.startswith("sr_"):
        kind = REQUEST
    elif kind.startswith("st_"):
        kind = TICKET
    elif kind.startswith("wk_"):  # our own prompts: wk_note_r, wk_canned_t …
        kind = SHORT.get(kind[-1], "")
    return await load(ctx, kind, link.subject_id)


async def replied_case(ctx: Ctx) -> Case | None:
    replied = ctx.event.reply_to_message_id
    if replied is None:
        return None
    link = await ctx.session.get(StaffMessageLink, (ctx.tenant, ctx.chat_id, replied))
    return await of_link(ctx, link)


_REFERENCE_RE = re.compile(r"^[A-Za-z]{2,5}-\d{4}-\d{1,6}$")


async def by_reference(ctx: Ctx, text: str) -> Case | None:
    reference = to_ascii_digits((text or "").strip()).upper()
    if not _REFERENCE_RE.match(reference):
        return None
    request = await ctx.session.scalar(
        select(ServiceRequest).where(ServiceRequest.reference == reference)
    )
    if request is not None:
        return Case(request)
    ticket = await ctx.session.scalar(select(Ticket).where(Ticket.reference == reference))
    return Case(ticket) if ticket is not None else None


async def load_many(
    session: AsyncSession, tenant: str, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], Case]:
    """Cases by (kind, id), in two reads by id (drafts left out)."""
    ids: dict[str, set[int]] = {REQUEST: set(), TICKET: set()}
    for kind, case_id in keys:
        ids.setdefault(kind, set()).add(case_id)
    found: dict[tuple[str, int], Case] = {}
    if ids[REQUEST]:
        for request in await session.scalars(
            select(ServiceRequest).where(
                ServiceRequest.association_id == tenant,
                ServiceRequest.id.in_(sorted(ids[REQUEST])),
                ServiceRequest.status != Status.DRAFT,
            )
        ):
            found[REQUEST, request.id] = Case(request)
    if ids[TICKET]:
        for ticket in await session.scalars(
            select(Ticket).where(
                Ticket.association_id == tenant, Ticket.id.in_(sorted(ids[TICKET]))
            )
        ):
            found[TICKET, ticket.id] = Case(ticket)
    return found


async def assignment(ctx: Ctx, case: Case) -> CaseAssignment | None:
    return await ctx.session.get(CaseAssignment, (ctx.tenant, case.kind, case.id))


async def thread_lines(ctx: Ctx, case: Case, tr: Translator) -> list[str]:
    """What happened on the case, oldest first: moves, messages both ways, internal notes."""
    from bot.domain.dates import format_datetime

    items: list[tuple[datetime, str]] = []
    if case.kind == REQUEST:
        events = (
            await ctx.session.scalars(
                select(RequestEvent)
                .where(RequestEvent.request_id == case.id)
                .order_by(RequestEvent.id)
            )
        ).all()
        for event in events:
            text = (
                tr.gettext(label(event.to_status))
                if event.to_status is not None and event.to_status != event.from_status
                else tr.gettext(EVENT_LABELS[event.action])
                if event.action in EVENT_LABELS
                else escape(event.action)
            )
            if event.note:
                text += f" — {escape(mask_numbers(event.note))}"
            items.append((aware(event.at), f"🔹 {text}"))
    else:
        messages = (
            await ctx.session.scalars(
                select(TicketMessage)
                .where(TicketMessage.ticket_id == case.id)
                .order_by(TicketMessage.id)
            )
        ).all()
        for message in messages:
            arrow = "⬅️" if message.direction == "in" else "➡️"
            body = escape(mask_numbers(message.text)) if message.text else tr.gettext("(a file)")
            items.append((aware(message.created_at), f"{arrow} {body}"))
    notes = (
        await ctx.session.scalars(
            select(CaseNote)
            .where(
                CaseNote.subject_kind == case.kind,
                CaseNote.subject_id == case.id,
            )
            .order_by(CaseNote.id)
        )
    ).all()
    for note in notes:
        items.append(
            (
                aware(note.created_at),
                "📝 "
                + tr.gettext("Internal note by {who}: {text}").format(
                    who=escape(note.staff_name or "—"), text=escape(note.text)
                ),
            )
        )
    items.sort(key=lambda item: item[0])
    return [f"{format_datetime(at, 'ar', style='gregorian')} · {line}" for at, line in items]


async def count_notes(ctx: Ctx, case: Case) -> int:
    return (
        await ctx.session.scalar(
            select(func.count())
            .select_from(CaseNote)
            .where(
                CaseNote.subject_kind == case.kind,
                CaseNote.subject_id == case.id,
            )
        )
        or 0
    )


def reference_html(case: Case) -> str:
    return isolate(case.reference)
