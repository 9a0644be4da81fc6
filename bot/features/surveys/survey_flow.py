"""Satisfaction surveys (استبانة قياس الرضا, policy clauses 6, 7 and 18).

When staff close a request, or close or resolve an inquiry or complaint, the beneficiary is
invited (:func:`invite`) — at most once per case, never more often than the profile's
``survey.min_days_between``, and only if they consented and can be reached. The invitation is one
message: the policy's sentence, then the profile's questions one at a time as 1–5 buttons (each
press edits the message to the next question), then an optional comment; «skip» is one tap at
every step. One reminder follows after ``survey.reminder_hours`` (:func:`send_reminders`, run by
``bot.engine.jobs``).

What is kept, and what is not:

* ``SurveyInvitation`` knows who was asked about which case and whether they finished — for the
  rate limit, the reminder and the answer rate. Its ``finished_at`` is kept to the day.
* ``SurveyAnswer`` holds a score (or a comment) with the service, the channel (request, inquiry,
  complaint) and the staff member who handled the case — never the beneficiary. Its
  ``created_at`` is the start of the (Riyadh) day, so answers cannot be matched to an invitation
  by the time they were given. Scores travel in the buttons' callback data until the last one,
  and are written together, so nothing links a half-finished survey to a person either.
* A low overall score (1 or 2 of 5) offers a follow-up: only if the beneficiary agrees are the
  supervisors (and the staff group) told the case's reference, and the consent is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from html import escape

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dates import RIYADH, to_riyadh
from bot.domain.lifecycle import Status
from bot.domain.reports import COMMENT, primary_question
from bot.domain.textutil import format_number, isolate
from bot.domain.tickets import TicketStatus
from bot.engine.context import Ctx, UnitOfWork
from bot.engine.keyboards import Buttons, button, cb, inline
from bot.engine.messages import Notice
from bot.engine.namespaces import NS as Namespace
from bot.i18n import N_, Translator, translator
from bot.profile import Profile, SurveyQuestion
from storage.models import (
    AuditLog,
    Beneficiary,
    RequestEvent,
    ServiceRequest,
    SurveyAnswer,
    SurveyInvitation,
    Ticket,
    TicketMessage,
    utcnow,
)

NS = Namespace.SURVEY  # sv:<action>:<invitation id>[:…]
FLOW = "survey"  # the dialog while a comment is awaited
MAX_COMMENT = 1000
REMINDER_WINDOW = timedelta(days=7)  # an invitation older than reminder_hours + this is left alone
REMINDER_BATCH = 200
FOLLOW_UP = "survey_followup"  # AuditLog.action when a beneficiary agreed to be contacted
DIGITS = "123456789abcdefghijk"  # one character per score in callback data (scales up to 10)

POLICY = N_(
    "Rating is your right; it helps us improve our services and is never used to hold anyone to account."
)
TICKET_CHANNELS = {
    "inquiry": "inquiry",
    "complaint": "complaint",
    "suggestion": "complaint",
    "compensation": "complaint",
}


# --------------------------------------------------------------------------------------------
# Cases: a closed request or ticket, as the survey sees it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    kind: str  # request | ticket (SurveyInvitation.subject_kind)
    id: int
    beneficiary_id: int | None
    reference: str
    channel: str  # request | inquiry | complaint (SurveyAnswer.channel)
    service_id: str | None
    closed: bool


async def describe(session: AsyncSession, case: ServiceRequest | Ticket) -> Case:
    if isinstance(case, ServiceRequest):
        return Case(
            "request",
            case.id,
            case.beneficiary_id,
            case.reference or "",
            "request",
            case.service_id,
            case.status == Status.CLOSED,
        )
    service_id = None
    if case.related_request_id is not None:
        service_id = await session.scalar(
            select(ServiceRequest.service_id).where(ServiceRequest.id == case.related_request_id)
        )
    return Case(
        "ticket",
        case.id,
        case.beneficiary_id,
        case.reference,
        TICKET_CHANNELS.get(case.kind, "complaint"),
        service_id,
        case.status in (TicketStatus.CLOSED, TicketStatus.RESOLVED),
    )


async def load_case(session: AsyncSession, kind: str, case_id: int) -> Case | None:
    model: type[ServiceRequest] | type[Ticket] | None = (
        ServiceRequest if kind == "request" else Ticket if kind == "ticket" else None
    )
    if model is None:
        return None
    row: ServiceRequest | Ticket | None = await session.scalar(
        select(model).where(model.id == case_id)
    )
    return await describe(session, row) if row is not None else None


async def handling_staff(session: AsyncSession, case: Case) -> int | None:
    """Who handled the case: for a request the staff member who decided it (else the last to act
    on it); for a ticket the last to reply to the beneficiary (else whoever resolved it)."""
    if case.kind == "request":
        events = select(RequestEvent.actor_id).where(
            RequestEvent.request_id == case.id,
            RequestEvent.actor_kind == "staff",
            RequestEvent.actor_id.is_not(None),
        )
        decided = await session.scalar(
            events.where(RequestEvent.action.in_(("approve", "reject")))
            .order_by(RequestEvent.id.desc())
            .limit(1)
        )
        return decided or await session.scalar(events.order_by(RequestEvent.id.desc()).limit(1))
    replied = await session.scalar(
        select(TicketMessage.staff_user_id)
        .where(
            TicketMessage.ticket_id == case.id,
            TicketMessage.direction == "out",
            TicketMessage.staff_user_id.is_not(None),
        )
        .order_by(TicketMessage.id.desc())
        .limit(1)
    )
    return replied or await session.scalar(
        select(AuditLog.actor_id)
        .where(
            AuditLog.subject_kind == "ticket",
            AuditLog.subject_id == case.id,
            AuditLog.action == "ticket_resolved",
        )
        .order_by(AuditLog.id.desc())
        .limit(1)
    )


# --------------------------------------------------------------------------------------------
# Invitations and answers (plain domain, unit-tested)
# --------------------------------------------------------------------------------------------


def day_of(moment: datetime) -> datetime:
    """The start of ``moment``'s Riyadh day, in UTC: how precisely survey times are kept."""
    local = to_riyadh(moment).date()
    return datetime.combine(local, time(0), RIYADH).astimezone(UTC)


async def may_invite(session: AsyncSession, profile: Profile, case: Case, now: datetime) -> bool:
    """Not twice for one case, and not within ``min_days_between`` of the last invitation."""
    if case.beneficiary_id is None or not case.closed:
        return False
    same_case = await session.scalar(
        select(SurveyInvitation.id)
        .where(
            SurveyInvitation.subject_kind == case.kind,
            SurveyInvitation.subject_id == case.id,
        )
        .limit(1)
    )
    if same_case is not None:
        return False
    since = now - timedelta(days=profile.survey.min_days_between)
    recent = await session.scalar(
        select(SurveyInvitation.id)
        .where(
            SurveyInvitation.beneficiary_id == case.beneficiary_id,
            SurveyInvitation.sent_at > since,
        )
        .limit(1)
    )
    return recent is None


def encode(scores: list[int]) -> str:
    return "".join(DIGITS[s - 1] for s in scores)


def decode(text: str, questions: tuple[SurveyQuestion, ...]) -> list[int] | None:
    """The scores so far from callback data; None when they do not fit the questions."""
    if len(text) > len(questions) or any(ch not in DIGITS for ch in text):
        return None
    scores = [DIGITS.index(ch) + 1 for ch in text]
    if any(score > q.scale for score, q in zip(scores, questions, strict=False)):
        return None
    return scores


def is_low(profile: Profile, scores: list[int]) -> bool:
    """The overall question scored 1 or 2 of 5 (or as low on another scale)."""
    primary = primary_question(profile)
    for question, score in zip(profile.survey.questions, scores, strict=False):
        if question.id == primary:
            return score * 5 <= 2 * question.scale
    return False


async def own_invitation(
    session: AsyncSession, beneficiary_id: int, invitation_id: int | None
) -> SurveyInvitation | None:
    """The presser's own invitation (ids in buttons are never trusted)."""
    if invitation_id is None:
        return None
    return await session.scalar(
        select(SurveyInvitation).where(
            SurveyInvitation.id == invitation_id,
            SurveyInvitation.beneficiary_id == beneficiary_id,
        )
    )


async def record_scores(
    session: AsyncSession,
    tenant: str,
    profile: Profile,
    invitation: SurveyInvitation,
    scores: list[int],
    now: datetime,
) -> bool:
    """Store a finished survey's scores (no beneficiary), mark the invitation finished; False
    when it was finished already (a double tap)."""
    if invitation.finished_at is not None:
        return False
    case = await load_case(session, invitation.subject_kind, invitation.subject_id)
    staff = await handling_staff(session, case) if case else None
    day = day_of(now)
    session.add_all(
        SurveyAnswer(
            association_id=tenant,
            service_id=case.service_id if case else None,
            channel=case.channel if case else "request",
            staff_user_id=staff,
            question_id=q.id,
            score=score,
            created_at=day,
        )
        for q, score in zip(profile.survey.questions, scores, strict=False)
    )
    invitation.finished_at, invitation.skipped = day, False
    return True


async def record_comment(
    session: AsyncSession, tenant: str, invitation: SurveyInvitation, text: str, now: datetime
) -> None:
    case = await load_case(session, invitation.subject_kind, invitation.subject_id)
    session.add(
        SurveyAnswer(
            association_id=tenant,
            service_id=case.service_id if case else None,
            channel=case.channel if case else "request",
            staff_user_id=await handling_staff(session, case) if case else None,
            question_id=COMMENT,
            score=None,
            comment=text[:MAX_COMMENT],
            created_at=day_of(now),
        )
    )


# --------------------------------------------------------------------------------------------
# What the beneficiary sees
# --------------------------------------------------------------------------------------------


def _digit(n: int, tr: Translator) -> str:
    return format_number(n, tr.locale)


def question_view(
    tr: Translator,
    profile: Profile,
    invitation_id: int,
    scores: list[int],
    *,
    opening: str | None = None,
) -> tuple[str, Buttons]:
    """The next unanswered question with its score buttons (lowest first in reading order: on
    the right for Arabic), and «skip»."""
    questions = profile.survey.questions
    question = questions[len(scores)]
    head = tr.gettext("⭐ <b>Satisfaction survey</b>")
    lines = [head]
    if opening:
        lines += [opening, "", tr.gettext(POLICY)]
    lines += [
        "",
        tr.gettext("Question {n} of {total}").format(
            n=_digit(len(scores) + 1, tr), total=_digit(len(questions), tr)
        ),
        f"<b>{escape(question.text.get(tr.locale))}</b>",
        tr.gettext("{min} = not satisfying at all · {max} = very satisfying").format(
            min=_digit(1, tr), max=_digit(question.scale, tr)
        ),
    ]
    prefix = encode(scores)
    scale = [
        button(_digit(n, tr), cb(NS, "a", invitation_id, prefix + DIGITS[n - 1]))
        for n in range(1, question.scale + 1)
    ]
    rows = [scale[i : i + 5] for i in range(0, len(scale), 5)]
    if (
        tr.locale == "ar"
    ):  # Telegram lays buttons out left to right; an Arabic reader starts on the right
        rows = [row[::-1] for row in rows]
    rows.append([button(tr.gettext("⏭ Skip the survey"), cb(NS, "s", invitation_id))])
    return "\n".join(lines), inline(rows)


def opening_text(tr: Translator, case: Case, *, reminder: bool = False) -> str:
    reference = isolate(case.reference)
    if reminder:
        return tr.gettext(
            "A gentle reminder: your opinion of our service for {reference} matters to us, and the survey takes less than a minute."
        ).format(reference=reference)
    return tr.gettext(
        "Your case {reference} is complete. We would be grateful if you could rate our service; it takes less than a minute."
    ).format(reference=reference)


def comment_view(tr: Translator, invitation_id: int) -> tuple[str, Buttons]:
    return (
        tr.gettext(
            "Thank you 🌿 Would you like to add a comment or a suggestion? Write it here in a message, or press Skip."
        ),
        inline([[button(tr.gettext("⏭ Skip"), cb(NS, "k", invitation_id))]]),
    )


def follow_up_view(tr: Translator, invitation_id: int) -> tuple[str, Buttons]:
    return (
        tr.gettext(
            "We are sorry that our service did not meet your expectations. Would you like a supervisor at the association to contact you to hear more? It is entirely up to you."
        ),
        inline(
            [
                [button(tr.gettext("✅ Yes, please contact me"), cb(NS, "c", invitation_id, "y"))],
                [button(tr.gettext("No, thank you"), cb(NS, "c", invitation_id, "n"))],
            ]
        ),
    )


def thanks_text(tr: Translator) -> str:
    return tr.gettext("Thank you for your rating 🌿 It helps us improve our services.")


# --------------------------------------------------------------------------------------------
# Entry points: the hooks' call and the job
# --------------------------------------------------------------------------------------------


async def _reachable(session: AsyncSession, beneficiary_id: int | None) -> Beneficiary | None:
    person = await session.get(Beneficiary, beneficiary_id) if beneficiary_id else None
    if person is None or not person.has_consented or person.unreachable_at is not None:
        return None
    return person


def survey_notice(tr: Translator, case: Case) -> Notice:
    """What an invitation tells, for a WhatsApp template outside the 24-hour window."""
    msgid = (
        N_("your request {reference}") if case.kind == "request" else N_("your message {reference}")
    )
    return Notice(
        "survey",
        reference=case.reference,
        case=tr.gettext(msgid).format(reference=isolate(case.reference)),
    )


async def invite(
    ctx: Ctx, case_row: ServiceRequest | Ticket, *, now: datetime | None = None
) -> SurveyInvitation | None:
    """Invite the beneficiary of a case that has just been closed or resolved (called by the
    staff handlers after they told the beneficiary); nothing when it is not closed, when they were
    asked about it or recently, or when they cannot be reached."""
    now = now or utcnow()
    case = await describe(ctx.session, case_row)
    if not await may_invite(ctx.session, ctx.profile, case, now):
        return None
    person = await _reachable(ctx.session, case.beneficiary_id)
    if person is None:
        return None
    invitation = SurveyInvitation(
        association_id=ctx.tenant,
        beneficiary_id=person.id,
        subject_kind=case.kind,
        subject_id=case.id,
        sent_at=now,
    )
    ctx.session.add(invitation)
    await ctx.session.flush()
    tr = translator(person.locale)
    text, keyboard = question_view(
        tr, ctx.profile, invitation.id, [], opening=opening_text(tr, case)
    )
    ctx.send(person.telegram_user_id, text, keyboard, notice=survey_notice(tr, case))
    return invitation


async def send_reminders(ctx: UnitOfWork, now: datetime) -> int:
    """One reminder for each invitation unanswered after ``reminder_hours`` (0: never)."""
    hours = ctx.profile.survey.reminder_hours
    if not hours:
        return 0
    due = now - timedelta(hours=hours)
    rows = (
        await ctx.session.scalars(
            select(SurveyInvitation)
            .where(
                SurveyInvitation.sent_at <= due,
                SurveyInvitation.sent_at > due - REMINDER_WINDOW,
                SurveyInvitation.finished_at.is_(None),
                SurveyInvitation.skipped.is_(False),
                SurveyInvitation.reminded_at.is_(None),
            )
            .order_by(SurveyInvitation.id)
            .limit(REMINDER_BATCH)
        )
    ).all()
    done = 0
    for invitation in rows:
        invitation.reminded_at = now  # at most one, even when it cannot be sent
        person = await _reachable(ctx.session, invitation.beneficiary_id)
        case = await load_case(ctx.session, invitation.subject_kind, invitation.subject_id)
        if person is None or case is None:
            continue
        tr = translator(person.locale)
        text, keyboard = question_view(
            tr, ctx.profile, invitation.id, [], opening=opening_text(tr, case, reminder=True)
        )
        ctx.send(
            person.telegram_user_id,
            text,
            keyboard,
            notice=survey_notice(tr, case),
        )
        done += 1
    return done


async def notify_follow_up(ctx: Ctx, invitation: SurveyInvitation) -> bool:
    """The beneficiary agreed to be contacted after a low score: tell the supervisors (privately,
    with a link to open a chat with them) and the staff group (the case reference only). Once."""
    case = await load_case(ctx.session, invitation.subject_kind, invitation.subject_id)
    if case is None:
        return False
    already = await ctx.session.scalar(
        select(AuditLog.id)
        .where(
            AuditLog.action == FOLLOW_UP,
            AuditLog.subject_kind == case.kind,
            AuditLog.subject_id == case.id,
        )
        .limit(1)
    )
    if already is not None:
        return False
    tr = translator("ar")
    reference = isolate(case.reference)
    service = ctx.profile.service(case.service_id) if case.service_id else None
    about = f" — {escape(service.title.get('ar'))}" if service else ""
    text = tr.gettext(
        "📞 A beneficiary who was not satisfied with the service agreed to be contacted by a supervisor about case {reference}{about}. Please contact them and listen to them."
    ).format(reference=reference, about=about)
    for supervisor in sorted(ctx.rt.settings.supervisor_ids):
        chat = tr.gettext(
            '<a href="tg://user?id={user_id}">Open a chat with the beneficiary</a>'
        ).format(user_id=ctx.from_id)
        ctx.send(supervisor, f"{text}\n{chat}")
    ctx.send(ctx.rt.staff_chat_id, text)
    ctx.audit(
        action=FOLLOW_UP,
        subject_kind=case.kind,
        subject_id=case.id,
        detail={"consent": True},
    )
    return True
