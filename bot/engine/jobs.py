"""Scheduled work (policy clauses 16, 20, 21): deadline reminders to staff, overdue alerts to
supervisors, a kind word to a beneficiary whose request is late, and overdue tickets raised.

Every job is idempotent and restart-safe: what was already done is recorded in the database (a
request event or a ticket flag), never in memory, so a restart neither repeats nor forgets.
Jobs run in one transaction and hand their messages to the outbox like any handler.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select

from bot.domain import applications

from bot.features.surveys import survey_flow as survey
from bot.engine.context import Ctx, Runtime, reply_to
from bot.engine.outbox import delivery_digest
from bot.domain.dates import format_date, today_riyadh
from bot.i18n import Text, translator
from bot.domain.lifecycle import SYSTEM_ACTOR, UNDECIDED, Tell
from bot.domain.privacy import apply_retention
from bot.features.inquiries.ticket_cards import card_link
from bot.domain.textutil import isolate
from bot.domain.tickets import OPEN_STATUSES
from storage.models import Beneficiary, RequestEvent, ServiceRequest, Ticket, utcnow

log = logging.getLogger(__name__)
PENDING_DECISION = sorted(s.value for s in UNDECIDED)


async def _not_done(ctx: Ctx, request: ServiceRequest, action: str) -> bool:
    return not await ctx.session.scalar(select(exists().where(
        RequestEvent.request_id == request.id, RequestEvent.action == action)))


async def request_deadlines(ctx: Ctx, today: date) -> int:
    tr = translator("ar")
    remind = ctx.profile.deadlines.remind_before_days
    rows = (await ctx.session.scalars(select(ServiceRequest).where(
        ServiceRequest.association_id == ctx.tenant, ServiceRequest.status.in_(PENDING_DECISION),
        ServiceRequest.due_date <= today + timedelta(days=remind)))).all()
    done = 0
    for request in rows:
        ref = isolate(request.reference or "")
        if request.due_date >= today and await _not_done(ctx, request, "deadline_reminder"):
            ctx.send(ctx.rt.staff_chat_id, tr.gettext("⏰ Request {reference} needs a decision by {date}.").format(
                reference=ref, date=format_date(request.due_date, "ar")))
            applications.move(ctx.session, request, "deadline_reminder", SYSTEM_ACTOR)
            done += 1
        elif request.due_date < today and await _not_done(ctx, request, "overdue_alert"):
            for supervisor in ctx.rt.settings.supervisor_ids:
                ctx.send(supervisor, tr.gettext("🔴 Request {reference} is overdue: its decision was due by {date}.").format(
                    reference=ref, date=format_date(request.due_date, "ar")))
            ctx.send(ctx.rt.staff_chat_id, tr.gettext("🔴 Request {reference} is overdue: its decision was due by {date}.").format(
                reference=ref, date=format_date(request.due_date, "ar")))
            events = applications.move(ctx.session, request, "overdue_alert", SYSTEM_ACTOR)
            person = await ctx.session.get(Beneficiary, request.beneficiary_id) if request.beneficiary_id else None
            for tell in (e for e in events if isinstance(e, Tell) and person is not None):
                ptr = translator(person.locale)
                ctx.send(person.telegram_user_id, Text(tell.msgid, reference=ref).render(ptr))
            done += 1
    return done


async def overdue_tickets(ctx: Ctx, now: datetime) -> int:
    tr = translator("ar")
    rows = (await ctx.session.scalars(select(Ticket).where(
        Ticket.association_id == ctx.tenant, Ticket.status.in_([s.value for s in OPEN_STATUSES]),
        Ticket.due_at < now))).all()
    done = 0
    for ticket in rows:
        if ticket.data.get("overdue_alerted") or (ticket.kind == "inquiry" and ticket.first_response_at):
            continue
        ticket.data = {**ticket.data, "overdue_alerted": utcnow().isoformat()}
        text = tr.gettext("🔴 {reference} has not been answered in time (due {when}).").format(
            reference=isolate(ticket.reference), when=format_date(ticket.due_at.date(), "ar"))
        for supervisor in ctx.rt.settings.supervisor_ids:
            ctx.send(supervisor, text)
        link = await card_link(ctx, ticket)
        ctx.send(link.chat_id if link else ctx.rt.staff_chat_id, text,
                 reply_parameters=reply_to(link.message_id if link else None))
        done += 1
    return done


async def run_jobs(rt: Runtime, *, now: datetime | None = None) -> int:
    """One pass of every job; returns how many things were done."""
    now = now or utcnow()
    today = today_riyadh(now)
    async with rt.db.write(offload=True) as session:  # scans: off the event loop's thread
        ctx = Ctx(rt, None, session)  # type: ignore[arg-type] - jobs have no update
        done = await request_deadlines(ctx, today) + await overdue_tickets(ctx, now)
        done += await survey.send_reminders(ctx, now)
        done += await delivery_digest(ctx, now)
        await apply_retention(session, rt.tenant, rt.profile.deadlines.retention_days, now)
        from bot.engine.dispatch import finish

        await finish(ctx)
    rt.sender.enqueue(ctx.out)
    return done


async def run_forever(rt: Runtime, interval: float = 300.0) -> None:
    while True:
        try:
            await run_jobs(rt)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduled jobs failed; trying again next round")
        await asyncio.sleep(interval)
