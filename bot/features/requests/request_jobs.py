"""Scheduled work on requests (policy clauses 16, 20, 21): a deadline reminder to staff, an
overdue alert to supervisors, and a kind word to a beneficiary whose request is late.

Idempotent and restart-safe: what was done is recorded as a request event, never in memory.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from sqlalchemy import exists, select

from bot.domain import applications
from bot.domain.dates import format_date, today_riyadh
from bot.domain.lifecycle import SYSTEM_ACTOR, UNDECIDED, Status, Tell, label
from bot.domain.textutil import isolate
from bot.engine.context import UnitOfWork
from bot.engine.messages import Notice
from bot.engine.router import Router
from bot.i18n import N_, Text, translator
from storage.models import Beneficiary, CaseAssignment, RequestEvent, ServiceRequest

PENDING_DECISION = sorted(s.value for s in UNDECIDED)
# a late request waiting on its beneficiary's documents says so, not "the committee is studying it"
LATE_AWAITING_YOU = N_(
    "Your request {reference} has passed its planned decision date because it is still waiting for the documents we asked you for. Please add them from “My requests” so that the research committee can study it."
)


async def waiting_on(work: UnitOfWork, request: ServiceRequest) -> str:
    """Who a late request waits on, for the staff's alert: the beneficiary, or its assignee."""
    tr = translator("ar")
    if request.status == Status.AWAITING_DOCUMENTS:
        return tr.gettext("Waiting on the beneficiary (documents).")
    held = await work.session.get(CaseAssignment, (work.tenant, "request", request.id))
    if held is not None:
        return tr.gettext("Waiting on the association: handled by {who}.").format(
            who=escape(held.assignee_name)
        )
    return tr.gettext("Waiting on the association: nobody has taken it yet.")


async def _not_done(work: UnitOfWork, request: ServiceRequest, action: str) -> bool:
    return not await work.session.scalar(
        select(exists().where(RequestEvent.request_id == request.id, RequestEvent.action == action))
    )


async def request_deadlines(work: UnitOfWork, now: datetime) -> int:
    today = today_riyadh(now)
    tr = translator("ar")
    remind = work.profile.deadlines.remind_before_days
    rows = (
        await work.session.scalars(
            select(ServiceRequest).where(
                ServiceRequest.status.in_(PENDING_DECISION),
                ServiceRequest.due_date <= today + timedelta(days=remind),
            )
        )
    ).all()
    done = 0
    paused = work.profile.deadlines.pause_while_awaiting_documents
    for request in rows:
        if request.due_date is None:  # not selected: the WHERE compares due_date
            continue
        if paused and request.status == Status.AWAITING_DOCUMENTS:
            continue  # the clock stops while we wait on the beneficiary (bot.features.workspace)
        ref = isolate(request.reference or "")
        if request.due_date >= today and await _not_done(work, request, "deadline_reminder"):
            work.send(
                work.rt.staff_chat_id,
                tr.gettext("⏰ Request {reference} needs a decision by {date}.").format(
                    reference=ref, date=format_date(request.due_date, "ar")
                ),
            )
            applications.move(work.session, request, "deadline_reminder", SYSTEM_ACTOR)
            done += 1
        elif request.due_date < today and await _not_done(work, request, "overdue_alert"):
            overdue = tr.gettext(
                "🔴 Request {reference} is overdue: its decision was due by {date}."
            ).format(reference=ref, date=format_date(request.due_date, "ar"))
            overdue += "\n" + await waiting_on(work, request)
            for supervisor in work.rt.settings.supervisor_ids:
                work.send(supervisor, overdue)
            work.send(work.rt.staff_chat_id, overdue)
            events = applications.move(work.session, request, "overdue_alert", SYSTEM_ACTOR)
            person = (
                await work.session.get(Beneficiary, request.beneficiary_id)
                if request.beneficiary_id
                else None
            )
            for tell in (e for e in events if isinstance(e, Tell) and person is not None):
                assert person is not None
                msgid = (
                    LATE_AWAITING_YOU if request.status == Status.AWAITING_DOCUMENTS else tell.msgid
                )
                tr = translator(person.locale)
                work.send(
                    person.telegram_user_id,
                    Text(msgid, reference=ref).render(tr),
                    notice=Notice(
                        "status",
                        reference=request.reference or "",
                        case=tr.gettext(N_("your request {reference}")).format(reference=ref),
                        status=tr.gettext(label(request.status)),
                    ),
                )
            done += 1
    return done


def register(router: Router) -> None:
    router.job(request_deadlines)
