"""The beneficiary's side of announcements: the one-time question, and the switch.

Consent to announcements is separate from the consent to process a request (``Beneficiary.notices``:
None never asked, True yes, False no). It is asked once, kindly, after the person's first
completed request or inquiry (decided, delivered or closed) — never at /start, never while a
satisfaction survey is fresh (one request for their attention at a time) — by the job
``ask_once`` (each person asked at most once: ``notices_asked_at``; on WhatsApp only while
the person's 24-hour window is open, so that the question keeps its buttons). Every announcement carries «🔕 إيقاف الإعلانات»; ``/privacy``
shows the same switch (``bot.features.home.start``, the ``ntc`` buttons handled here).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select

from bot.domain.lifecycle import OPEN, TICKET_OPEN, Status
from bot.engine.context import Ctx, UnitOfWork
from bot.engine.keyboards import Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.i18n import N_, translator
from storage.models import Beneficiary, ServiceRequest, SurveyInvitation, Ticket, utcnow

ASK_BATCH = 200  # people asked per pass of the jobs
WINDOW = timedelta(hours=24)  # WhatsApp: the question goes only while the person's window is open
SURVEY_QUIET = timedelta(days=7)  # not asked within a week of a satisfaction survey
NOT_COMPLETED = [s.value for s in (*OPEN, Status.DRAFT, Status.WITHDRAWN)]
QUESTION = N_(
    "One more thing, if you allow: may the association send you its announcements now and then — a new service, a distribution date, a change in opening hours? They come rarely, and you can stop them at any time with one button or from /privacy."
)


async def on_notices(ctx: Ctx, data: Callback) -> None:
    user = ctx.user
    if user is None:
        ctx.answer()
        return
    action = data.action
    if action in ("off", "no"):
        changed = user.notices is not False
        user.notices = False
        user.notices_asked_at = user.notices_asked_at or utcnow()
        ctx.answer(ctx._("Announcements stopped"))
        if data.arg(0) == "a" and ctx.event.message_id is not None:  # under an announcement
            ctx.clear_buttons(ctx.chat_id, ctx.event.message_id)
        if action == "no":
            ctx.show(
                ctx._(
                    "As you wish — we will not send you announcements. If you change your mind, you can turn them on from /privacy."
                )
            )
        else:
            ctx.reply(
                ctx._(
                    "Done: you will not receive the association's announcements any more. You can turn them on again from /privacy at any time. Your requests and conversations are not affected."
                )
            )
    elif action in ("on", "yes"):
        changed = user.notices is not True
        user.notices = True
        user.notices_asked_at = user.notices_asked_at or utcnow()
        ctx.answer(ctx._("Announcements on"))
        text = ctx._(
            "Thank you! You will receive the association's announcements here. Each one has a button to stop them."
        )
        (ctx.show if action == "yes" else ctx.reply)(text)
    else:
        ctx.answer()
        return
    if changed:
        ctx.audit(
            action="notices_on" if user.notices else "notices_off",
            subject_kind="beneficiary",
            subject_id=user.id,
        )


async def ask_once(work: UnitOfWork, now: datetime) -> int:
    """A job: ask those who have a completed request or inquiry and were never asked."""
    had_case = or_(
        exists(
            select(ServiceRequest.id).where(
                ServiceRequest.beneficiary_id == Beneficiary.id,
                ServiceRequest.status.not_in(NOT_COMPLETED),
            )
        ),
        exists(
            select(Ticket.id).where(
                Ticket.beneficiary_id == Beneficiary.id,
                Ticket.status.not_in([s.value for s in TICKET_OPEN]),
            )
        ),
    )
    survey_fresh = exists(
        select(SurveyInvitation.id).where(
            SurveyInvitation.beneficiary_id == Beneficiary.id,
            SurveyInvitation.sent_at > now - SURVEY_QUIET,
        )
    )
    people = (
        await work.session.scalars(
            select(Beneficiary)
            .where(
                Beneficiary.notices.is_(None),
                Beneficiary.notices_asked_at.is_(None),
                Beneficiary.consent_at.is_not(None),
                Beneficiary.consent_withdrawn_at.is_(None),
                Beneficiary.unreachable_at.is_(None),
                or_(  # on WhatsApp only within 24 hours of their last message: the question's
                    # buttons would not go as a template (they are asked when they next write)
                    Beneficiary.channel != "whatsapp",
                    Beneficiary.last_inbound_at > now - WINDOW,
                ),
                had_case,
                ~survey_fresh,
            )
            .order_by(Beneficiary.id)
            .limit(ASK_BATCH)
        )
    ).all()
    for person in people:
        person.notices_asked_at = now
        tr = translator(person.locale)
        work.send(
            person.telegram_user_id,
            tr.gettext(QUESTION),
            inline(
                [
                    [button(tr.gettext("🔔 Yes, send them to me"), cb(NS.NOTICES, "yes"))],
                    [button(tr.gettext("No, thank you"), cb(NS.NOTICES, "no"))],
                ]
            ),
        )
    return len(people)


def register(router: Router) -> None:
    router.callback(NS.NOTICES)(on_notices)
    router.consent_free_callbacks.add(NS.NOTICES)  # stopping them is always possible
    router.job(ask_once)
