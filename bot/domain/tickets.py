"""Tickets, Telegram-free bookkeeping: an inquiry handed to staff, a complaint, a suggestion or a
compensation claim. Each has a reference, a due time, a status and a message thread."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import lifecycle
from bot.domain.applications import next_reference
from bot.domain.lifecycle import Actor, Audited, Event, Kind, TicketStatus
from bot.i18n import N_
from storage.models import AuditLog, Ticket, TicketMessage, utcnow

__all__ = [
    "KIND_LABELS",
    "OPEN_STATUSES",
    "STATUS_LABELS",
    "Kind",
    "TicketStatus",
    "add_message",
    "move",
    "open_ticket",
    "open_ticket_of",
]

KIND_LABELS = {
    Kind.INQUIRY: N_("Inquiry"),
    Kind.COMPLAINT: N_("Complaint"),
    Kind.SUGGESTION: N_("Suggestion"),
    Kind.COMPENSATION: N_("Compensation claim"),
}
STATUS_LABELS = {
    TicketStatus.OPEN: N_("Received"),
    TicketStatus.ACKNOWLEDGED: N_("Being handled"),
    TicketStatus.ANSWERED: N_("Answered"),
    TicketStatus.ESCALATED: N_("Raised to a supervisor"),
    TicketStatus.RESOLVED: N_("Resolved"),
    TicketStatus.CLOSED: N_("Closed"),
}
OPEN_STATUSES = (
    TicketStatus.OPEN,
    TicketStatus.ACKNOWLEDGED,
    TicketStatus.ANSWERED,
    TicketStatus.ESCALATED,
)


async def open_ticket(
    session: AsyncSession,
    tenant: str,
    *,
    beneficiary_id: int | None,
    kind: Kind,
    subject: str,
    due_in: timedelta,
    category: str | None = None,
    data: dict | None = None,
    related_request_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    now = now or utcnow()
    prefix = "inquiry" if kind == Kind.INQUIRY else "complaint"
    ticket = Ticket(
        association_id=tenant,
        reference=await next_reference(session, tenant, prefix),
        beneficiary_id=beneficiary_id,
        kind=kind,
        category=category,
        subject=subject,
        status=TicketStatus.OPEN,
        data=data or {},
        created_at=now,
        due_at=now + due_in,
        related_request_id=related_request_id,
    )
    session.add(ticket)
    await session.flush()
    return ticket


def add_message(
    session: AsyncSession,
    ticket: Ticket,
    direction: str,
    *,
    text: str | None,
    file_id: str | None = None,
    staff_user_id: int | None = None,
) -> TicketMessage:
    row = TicketMessage(
        association_id=ticket.association_id,
        ticket_id=ticket.id,
        direction=direction,
        text=text,
        file_id=file_id,
        staff_user_id=staff_user_id,
    )
    session.add(row)
    if direction == "out" and ticket.first_response_at is None:
        ticket.first_response_at = utcnow()
    return row


def move(
    session: AsyncSession,
    ticket: Ticket,
    action: str,
    actor: Actor,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> list[Event]:
    """Take a move of the ticket's table (``lifecycle.transition``) and write its audit entry;
    telling the beneficiary, the card and the survey are the caller's. ``lifecycle.Refused``
    when the move is not allowed."""
    events = lifecycle.transition(ticket, action, actor, note, now=now)
    for event in events:
        if isinstance(event, Audited):
            session.add(
                AuditLog(
                    association_id=ticket.association_id,
                    actor_id=event.actor.id,
                    action=event.action,
                    subject_kind="ticket",
                    subject_id=ticket.id,
                    **({"detail": dict(event.detail)} if event.detail else {}),
                )
            )
    return events


async def open_ticket_of(
    session: AsyncSession, tenant: str, beneficiary_id: int, ticket_id: int
) -> Ticket | None:
    """The beneficiary's own ticket, if still open (ids from buttons are never trusted)."""
    return await session.scalar(
        select(Ticket).where(
            Ticket.id == ticket_id,
            Ticket.association_id == tenant,
            Ticket.beneficiary_id == beneficiary_id,
            Ticket.status.in_([s.value for s in OPEN_STATUSES]),
        )
    )
