"""Scheduled work on tickets: a case not answered in time is raised to supervisors and flagged
in its thread, once (the flag is kept on the ticket, never in memory)."""

from __future__ import annotations

from datetime import datetime
from html import escape

from sqlalchemy import select

from bot.domain.dates import format_date
from bot.domain.textutil import isolate
from bot.domain.tickets import OPEN_STATUSES
from bot.engine.context import UnitOfWork
from bot.engine.router import Router
from bot.features.inquiries.ticket_cards import card_link
from bot.i18n import translator
from storage.models import CaseAssignment, Ticket, utcnow


async def overdue_tickets(work: UnitOfWork, now: datetime) -> int:
    tr = translator("ar")
    rows = (
        await work.session.scalars(
            select(Ticket).where(
                Ticket.association_id == work.tenant,
                Ticket.status.in_([s.value for s in OPEN_STATUSES]),
                Ticket.due_at < now,
            )
        )
    ).all()
    done = 0
    for ticket in rows:
        if (
            ticket.data.get("overdue_alerted")
            or (ticket.kind == "inquiry" and ticket.first_response_at)
            or ticket.due_at is None
        ):  # not selected: the WHERE compares due_at
            continue
        ticket.data = {**ticket.data, "overdue_alerted": utcnow().isoformat()}
        text = tr.gettext("🔴 {reference} has not been answered in time (due {when}).").format(
            reference=isolate(ticket.reference), when=format_date(ticket.due_at.date(), "ar")
        )
        held = await work.session.get(CaseAssignment, (work.tenant, "ticket", ticket.id))
        text += "\n" + (
            tr.gettext("Waiting on the association: handled by {who}.").format(
                who=escape(held.assignee_name)
            )
            if held
            else tr.gettext("Waiting on the association: nobody has taken it yet.")
        )
        for supervisor in work.rt.settings.supervisor_ids:
            work.send(supervisor, text)
        link = await card_link(work, ticket)
        work.send(
            link.chat_id if link else work.rt.staff_chat_id,
            text,
            quote=link.message_id if link else None,
        )
        done += 1
    return done


def register(router: Router) -> None:
    router.job(overdue_tickets)
