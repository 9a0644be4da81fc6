"""Waiting on the beneficiary (issue #12 item 6): a request whose documents staff asked for
reminds its beneficiary of exactly what is missing on the profile's days (3 and 7 by default),
and — where the profile says so — its decision clock stops meanwhile: once the documents come
(or staff move on), the due date moves on by the days waited. Recorded as request events, so a
restart neither repeats nor forgets. Registered before the deadline jobs (bot.app)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot.domain import applications
from bot.domain.dates import format_date, to_riyadh, today_riyadh
from bot.domain.lifecycle import Status
from bot.domain.textutil import isolate
from bot.engine.context import UnitOfWork
from bot.engine.keyboards import button, cb, inline
from bot.engine.messages import Notice
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.workspace.cases import aware
from bot.i18n import N_, translator
from storage.models import Beneficiary, RequestEvent, ServiceRequest

REMINDER = N_(
    "A gentle reminder: your request {reference} is waiting for the following from you:\n{missing}\n\nThe research committee will study it once they arrive. Press the button below, then send them as photos or PDF files."
)
AWAITING = Status.AWAITING_DOCUMENTS.value


async def _events(work: UnitOfWork, request: ServiceRequest) -> list[RequestEvent]:
    return list(
        (
            await work.session.scalars(
                select(RequestEvent)
                .where(
                    RequestEvent.request_id == request.id,
                )
                .order_by(RequestEvent.id)
            )
        ).all()
    )


def last_ask(events: list[RequestEvent]) -> RequestEvent | None:
    """The latest move into «awaiting documents» (staff's ask, with what is missing)."""
    asks = [e for e in events if e.to_status == AWAITING and e.from_status != AWAITING]
    return asks[-1] if asks else None


async def document_reminders(work: UnitOfWork, now: datetime) -> int:
    days = sorted(set(work.profile.deadlines.document_reminder_days))
    if not days:
        return 0
    rows = (
        await work.session.scalars(select(ServiceRequest).where(ServiceRequest.status == AWAITING))
    ).all()
    done = 0
    for request in rows:
        events = await _events(work, request)
        ask = last_ask(events)
        if ask is None:
            continue
        sent = sum(1 for e in events if e.id > ask.id and e.action == "docs_reminder")
        due = sum(1 for d in days if now - aware(ask.at) >= timedelta(days=d))
        if due <= sent:
            continue
        for level in range(sent, due):  # a job that was down sends one reminder, not several
            applications.record(
                work.session,
                request,
                "docs_reminder",
                actor_kind="system",
                actor_id=None,
                note=str(days[level]),
            )
        person = (
            await work.session.get(Beneficiary, request.beneficiary_id)
            if request.beneficiary_id
            else None
        )
        if person is None or person.unreachable_at is not None:
            continue
        tr = translator(person.locale)
        from html import escape

        work.send(
            person.telegram_user_id,
            tr.gettext(REMINDER).format(
                reference=isolate(request.reference or ""), missing=escape(ask.note or "—")
            ),
            inline(
                [[button(tr.gettext("📎 Add documents"), cb(NS.REQUEST_DOCS, "start", request.id))]]
            ),
            notice=Notice(
                "reminder",
                reference=request.reference or "",
                case=tr.gettext(N_("your request {reference}")).format(
                    reference=isolate(request.reference or "")
                ),
                date=format_date(to_riyadh(ask.at).date(), person.locale),
            ),
        )
        done += 1
    return done


async def resume_clocks(work: UnitOfWork, now: datetime) -> int:
    """A request that waited on its beneficiary and no longer does: its due date moves on by
    the days waited (once per wait)."""
    if not work.profile.deadlines.pause_while_awaiting_documents:
        return 0
    rows = (
        await work.session.scalars(
            select(ServiceRequest).where(
                ServiceRequest.status != AWAITING,
                ServiceRequest.due_date.is_not(None),
                ServiceRequest.id.in_(
                    select(RequestEvent.request_id).where(
                        RequestEvent.to_status == AWAITING,
                    )
                ),
            )
        )
    ).all()
    done = 0
    for request in rows:
        events = await _events(work, request)
        ask = last_ask(events)
        left = next(
            (
                e
                for e in events
                if ask and e.id > ask.id and e.from_status == AWAITING and e.to_status != AWAITING
            ),
            None,
        )
        if (
            ask is None
            or left is None
            or any(e.id > ask.id and e.action == "clock_resumed" for e in events)
        ):
            continue
        waited = (today_riyadh(aware(left.at)) - today_riyadh(aware(ask.at))).days
        due = request.due_date  # not None: selected so
        if (
            due is not None
            and request.status
            in (Status.SUBMITTED, Status.UNDER_REVIEW, Status.INTERVIEW, Status.FIELD_VISIT)
            and waited > 0
        ):
            request.due_date = due + timedelta(days=waited)
        applications.record(
            work.session,
            request,
            "clock_resumed",
            actor_kind="system",
            actor_id=None,
            note=str(max(waited, 0)),
        )
        done += 1
    return done


def register(router: Router) -> None:
    router.job(resume_clocks)
    router.job(document_reminders)
