"""Scheduled work on requests (policy clauses 16, 20, 21): a deadline reminder to staff, an
overdue alert to supervisors, and a kind word to a beneficiary whose request is late.

Idempotent and restart-safe: what was done is recorded as a request event, never in memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select

from bot.domain import applications
from bot.domain.dates import format_date, today_riyadh
from bot.domain.lifecycle import OPEN, Status
from bot.domain.textutil import isolate
from bot.engine.context import UnitOfWork
from bot.engine.router import Router
from bot.i18n import N_, Text, translator
from storage.models import Beneficiary, RequestEvent, ServiceRequest

PENDING_DECISION = [s.value for s in OPEN if s != Status.APPROVED]


async def _not_done(work: UnitOfWork, request: ServiceRequest, action: str) -> bool:
    return not await work.session.scalar(select(exists().where(
        RequestEvent.request_id == request.id, RequestEvent.action == action)))


async def request_deadlines(work: UnitOfWork, now: datetime) -> int:
    today = today_riyadh(now)
    tr = translator("ar")
    remind = work.profile.deadlines.remind_before_days
    rows = (await work.session.scalars(select(ServiceRequest).where(
        ServiceRequest.association_id == work.tenant, ServiceRequest.status.in_(PENDING_DECISION),
        ServiceRequest.due_date <= today + timedelta(days=remind)))).all()
    done = 0
    for request in rows:
        ref = isolate(request.reference or "")
        if request.due_date >= today and await _not_done(work, request, "deadline_reminder"):
            work.send(work.rt.staff_chat_id, tr.gettext("⏰ Request {reference} needs a decision by {date}.").format(
                reference=ref, date=format_date(request.due_date, "ar")))
            applications.record(work.session, request, "deadline_reminder", actor_kind="system", actor_id=None)
            done += 1
        elif request.due_date < today and await _not_done(work, request, "overdue_alert"):
            for supervisor in work.rt.settings.supervisor_ids:
                work.send(supervisor, tr.gettext("🔴 Request {reference} is overdue: its decision was due by {date}.").format(
                    reference=ref, date=format_date(request.due_date, "ar")))
            work.send(work.rt.staff_chat_id, tr.gettext("🔴 Request {reference} is overdue: its decision was due by {date}.").format(
                reference=ref, date=format_date(request.due_date, "ar")))
            person = await work.session.get(Beneficiary, request.beneficiary_id) if request.beneficiary_id else None
            if person is not None:
                ptr = translator(person.locale)
                work.send(person.telegram_user_id, Text(N_(
                    "We apologise: the study of your request {reference} is taking longer than planned, because the committee is still checking its information. It has not been forgotten; it is being handled, and we will tell you of the decision here. You can also ask about it from “My requests”."),
                    reference=ref).render(ptr))
            applications.record(work.session, request, "overdue_alert", actor_kind="system", actor_id=None)
            done += 1
    return done


def register(router: Router) -> None:
    router.job(request_deadlines)
