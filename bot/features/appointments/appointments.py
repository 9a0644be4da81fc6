"""Appointments for a request's interview or field visit.

Staff: ``/appoint interview`` (or ``visit``) as a reply to a request's card opens one message,
edited in place: pick a day (the next working days), then a time (the profile's
``appointments.times``, Riyadh time), up to three slots, then «📤 Send the offer». The
beneficiary picks one (or asks for another time); the request moves to «interview scheduled»
/ «field visit scheduled» through its lifecycle table, which tells the beneficiary, and the
staff chat hears the choice with «📋 Record the outcome»: a checklist of the profile's
``appointments.criteria``, saved on the appointment, shown on the card and in /find.
A periodic job reminds the beneficiary the day before and two hours before.
Every id from a button is checked against the case and the presser."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from html import escape

from sqlalchemy import select

from bot.domain.dates import RIYADH, WEEKEND, format_date, format_datetime, to_riyadh, today_riyadh
from bot.domain.lifecycle import Actor, Refused, Status
from bot.domain.roles import role_of
from bot.domain.textutil import isolate
from bot.engine.context import Ctx, UnitOfWork
from bot.engine.keyboards import Callback, button, cb, inline
from bot.engine.messages import Notice
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.requests import request_moves
from bot.features.requests.request_cards import CARD, refresh_card
from bot.i18n import N_, translator
from storage.models import (
    Appointment,
    Beneficiary,
    ServiceRequest,
    StaffMessageLink,
    utcnow,
)

MAX_SLOTS = 3
DAYS_SHOWN = 6
KINDS = {"interview": N_("interview"), "visit": N_("field visit")}
NOT_STAFF = "Only members of the association's staff group can do this."


def _when(moment: datetime, locale: str) -> str:
    return format_datetime(moment, locale, weekday=True)


def _slots(appointment: Appointment) -> list[datetime]:
    return [datetime.fromisoformat(s) for s in appointment.slots]


def _days(now: datetime) -> list[date]:
    days: list[date] = []
    d = today_riyadh(now)
    while len(days) < DAYS_SHOWN:
        d += timedelta(days=1)
        if d.weekday() not in WEEKEND:
            days.append(d)
    return days


async def _request(ctx: UnitOfWork, request_id: int) -> ServiceRequest | None:
    return await ctx.session.scalar(select(ServiceRequest).where(ServiceRequest.id == request_id))


async def _appointment(ctx: UnitOfWork, appointment_id: int | None) -> Appointment | None:
    if appointment_id is None:
        return None
    return await ctx.session.scalar(select(Appointment).where(Appointment.id == appointment_id))


# -- staff: building the offer ---------------------------------------------------------------


def _builder(ctx: Ctx, appointment: Appointment, request: ServiceRequest, day: date | None = None):
    tr = translator("ar")
    kind = tr.gettext(KINDS[appointment.kind])
    lines = [
        tr.gettext(
            "🗓 Times to offer for the {kind} of request {reference} (up to three, Riyadh time):"
        ).format(kind=kind, reference=isolate(request.reference or ""))
    ]
    lines += [f"• {_when(s, 'ar')}" for s in _slots(appointment)] or [
        tr.gettext("None chosen yet.")
    ]
    rows: list[list] = []
    if day is not None:
        lines += [
            "",
            tr.gettext("Choose a time on {day}:").format(day=format_date(day, "ar", weekday=True)),
        ]
        times = ctx.profile.appointments.times
        buttons = [
            button(
                t,
                cb(
                    NS.APPOINTMENT,
                    "time",
                    appointment.id,
                    day.strftime("%Y%m%d"),
                    t.replace(":", ""),
                ),
            )
            for t in times
        ]
        rows += [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        rows.append([button(tr.gettext("◀️ Days"), cb(NS.APPOINTMENT, "days", appointment.id))])
    else:
        if len(appointment.slots) < MAX_SLOTS:
            lines += ["", tr.gettext("Choose a day:")]
            days = [
                button(
                    format_date(d, "ar", style="gregorian", weekday=True)[:40],
                    cb(NS.APPOINTMENT, "day", appointment.id, d.strftime("%Y%m%d")),
                )
                for d in _days(utcnow())
            ]
            rows += [days[i : i + 2] for i in range(0, len(days), 2)]
        if appointment.slots:
            rows.append(
                [
                    button(
                        tr.gettext("📤 Send the offer"), cb(NS.APPOINTMENT, "send", appointment.id)
                    )
                ]
            )
    return "\n".join(lines), inline(rows)


async def appoint_command(ctx: Ctx) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.reply_quoting(tr.gettext(NOT_STAFF))
        return
    kind = (ctx.event.command_args or "").strip().lower() or "interview"
    kind = {"مقابلة": "interview", "زيارة": "visit"}.get(kind, kind)
    replied = ctx.event.reply_to_message_id
    link = (
        await ctx.session.get(StaffMessageLink, (ctx.tenant, ctx.chat_id, replied))
        if replied
        else None
    )
    request = await _request(ctx, link.subject_id) if link and link.subject_kind == CARD else None
    if kind not in KINDS or request is None:
        ctx.reply_quoting(
            tr.gettext("Reply to a request's card with /appoint interview or /appoint visit.")
        )
        return
    if request.status not in (
        Status.UNDER_REVIEW,
        Status.AWAITING_DOCUMENTS,
        Status.INTERVIEW,
        Status.FIELD_VISIT,
    ):
        ctx.reply_quoting(tr.gettext("This action does not fit the request's current status."))
        return
    appointment = Appointment(
        association_id=ctx.tenant,
        request_id=request.id,
        kind=kind,
        status="draft",
        slots=[],
        offered_by=ctx.from_id,
        reminded=[],
        outcome={},
        created_at=utcnow(),
    )
    ctx.session.add(appointment)
    await ctx.session.flush()
    text, keyboard = _builder(ctx, appointment, request)
    ctx.reply_quoting(text, keyboard)


async def on_staff(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.answer(tr.gettext(NOT_STAFF), alert=True)
        return
    appointment = await _appointment(ctx, data.int_arg(0))
    request = await _request(ctx, appointment.request_id) if appointment else None
    if appointment is None or request is None:
        ctx.answer(tr.gettext("This button is no longer active."), alert=True)
        return
    action = data.action
    if action in ("day", "days", "time", "send"):
        if appointment.status != "draft":
            ctx.answer(tr.gettext("This offer was already sent."))
            return
        day = None
        if action in ("day", "time"):
            try:
                day = datetime.strptime(data.arg(1), "%Y%m%d").date()
            except ValueError:
                ctx.answer(tr.gettext("This button is no longer active."))
                return
        if action == "time":
            clock = data.arg(2)
            offered = {t.replace(":", "") for t in ctx.profile.appointments.times}
            if clock not in offered or day not in _days(utcnow()):
                ctx.answer(tr.gettext("This button is no longer active."))
                return
            local = datetime.combine(day, time(int(clock[:2]), int(clock[2:])), tzinfo=RIYADH)
            slot = local.astimezone(UTC).isoformat()
            if slot not in appointment.slots and len(appointment.slots) < MAX_SLOTS:
                appointment.slots = [*appointment.slots, slot]
            day = None
        if action == "send":
            await send_offer(ctx, appointment, request)
            return
        text, keyboard = _builder(ctx, appointment, request, day)
        ctx.show(text, keyboard)
        ctx.answer()
        return
    if action in ("out", "chk", "save"):
        await outcome(ctx, appointment, request, data)
        return
    ctx.answer(tr.gettext("This button is no longer active."))


async def send_offer(ctx: Ctx, appointment: Appointment, request: ServiceRequest) -> None:
    tr = translator("ar")
    person = (
        await ctx.session.get(Beneficiary, request.beneficiary_id)
        if request.beneficiary_id
        else None
    )
    if person is None:
        ctx.answer(
            tr.gettext("The beneficiary of this case can no longer be reached here."), alert=True
        )
        return
    appointment.status = "offered"
    ptr = translator(person.locale)
    rows = [
        [button(_when(s, person.locale)[:60], cb(NS.APPOINTMENT, "pick", appointment.id, i))]
        for i, s in enumerate(_slots(appointment))
    ]
    rows.append(
        [
            button(
                ptr.gettext("🕓 None of these suits me"),
                cb(NS.APPOINTMENT, "other", appointment.id),
            )
        ]
    )
    ctx.send(
        person.telegram_user_id,
        ptr.gettext(
            "🗓 We would like to arrange a {kind} for your request {reference}. Please choose the time "
            "that suits you (Riyadh time):"
        ).format(
            kind=ptr.gettext(KINDS[appointment.kind]), reference=isolate(request.reference or "")
        ),
        inline(rows),
    )
    ctx.show(
        tr.gettext("📤 Offer sent to the beneficiary for request {reference}:").format(
            reference=isolate(request.reference or "")
        )
        + "\n"
        + "\n".join(f"• {_when(s, 'ar')}" for s in _slots(appointment))
    )
    ctx.audit(
        action="appointment_offered",
        subject_kind="request",
        subject_id=request.id,
        detail={"slots": len(appointment.slots)},
    )
    ctx.answer(tr.gettext("Done ✓"))


# -- the beneficiary chooses -------------------------------------------------------------------


async def on_beneficiary(ctx: Ctx, data: Callback) -> None:
    appointment = await _appointment(ctx, data.int_arg(0))
    request = await _request(ctx, appointment.request_id) if appointment else None
    if (
        appointment is None
        or request is None
        or ctx.user is None
        or request.beneficiary_id != ctx.user.id
        or appointment.status != "offered"
    ):
        ctx.answer(ctx._("This choice is no longer available."), alert=True)
        return
    tr = translator("ar")
    card = await ctx.session.scalar(
        select(StaffMessageLink)
        .where(
            StaffMessageLink.subject_kind == CARD,
            StaffMessageLink.subject_id == request.id,
        )
        .limit(1)
    )
    chat, quote = (card.chat_id, card.message_id) if card else (ctx.rt.staff_chat_id, None)
    reference = isolate(request.reference or "")
    if data.action == "other":
        appointment.status = "other_time"
        ctx.show(ctx._("Thank you. The association's team will offer you other times here soon."))
        ctx.send(
            chat,
            tr.gettext(
                "🕓 The beneficiary of request {reference} asks for another time; "
                "offer new times with /appoint as a reply to the card."
            ).format(reference=reference),
            quote=quote,
        )
        ctx.answer()
        return
    index = data.int_arg(1)
    slots = _slots(appointment)
    if index is None or index >= len(slots):
        ctx.answer(ctx._("This choice is no longer available."), alert=True)
        return
    chosen = slots[index]
    role = await role_of(
        ctx.session, ctx.tenant, appointment.offered_by or 0, ctx.rt.settings.supervisor_ids
    )
    try:
        await request_moves.take(
            ctx,
            request,
            appointment.kind,
            Actor.staff(appointment.offered_by, role),
            _when(chosen, ctx.locale),
        )
    except Refused:
        ctx.answer(ctx._("This choice is no longer available."), alert=True)
        return
    appointment.status, appointment.chosen_at = "confirmed", chosen
    if ctx.event.message_id is not None:
        ctx.clear_buttons(ctx.chat_id, ctx.event.message_id)
    ctx.send(
        chat,
        tr.gettext("✅ The beneficiary chose {when} for the {kind} of request {reference}.").format(
            when=_when(chosen, "ar"), kind=tr.gettext(KINDS[appointment.kind]), reference=reference
        ),
        inline(
            [
                [
                    button(
                        tr.gettext("📋 Record the outcome"),
                        cb(NS.APPOINTMENT, "out", appointment.id),
                    )
                ]
            ]
        ),
        quote=quote,
    )
    ctx.answer(ctx._("Done ✓"))


# -- reminders -------------------------------------------------------------------------------------


async def remind(work: UnitOfWork, now: datetime) -> int:
    rows = (
        await work.session.scalars(select(Appointment).where(Appointment.status == "confirmed"))
    ).all()
    done = 0
    for appointment in rows:
        if appointment.chosen_at is None:
            continue
        at = to_riyadh(appointment.chosen_at)  # stored in UTC (naive from SQLite)
        if now >= at:
            continue
        due = [
            name
            for name, before in (("day", timedelta(days=1)), ("2h", timedelta(hours=2)))
            if now >= at - before and name not in appointment.reminded
        ]
        if not due:
            continue
        appointment.reminded = [*appointment.reminded, *due]
        request = await _request(work, appointment.request_id)
        person = (
            await work.session.get(Beneficiary, request.beneficiary_id)
            if request and request.beneficiary_id
            else None
        )
        if request is None or person is None:
            continue
        tr = translator(person.locale)
        soon = "2h" in due
        msgid = (
            N_("⏰ A reminder: your {kind} for request {reference} is in about two hours, {when}.")
            if soon
            else N_("⏰ A reminder: your {kind} for request {reference} is tomorrow, {when}.")
        )
        work.send(
            person.telegram_user_id,
            tr.gettext(msgid).format(
                kind=tr.gettext(KINDS[appointment.kind]),
                reference=isolate(request.reference or ""),
                when=_when(at, person.locale),
            ),
            notice=Notice(
                "reminder",
                reference=request.reference or "",
                case=tr.gettext(N_("your request {reference}")).format(
                    reference=isolate(request.reference or "")
                ),
                date=_when(at, person.locale),
            ),
        )
        done += 1
    return done


# -- the outcome -----------------------------------------------------------------------------------


def _checklist(ctx: Ctx, appointment: Appointment, request: ServiceRequest):
    tr = translator("ar")
    lines = [
        tr.gettext(
            "📋 Outcome of the {kind} of request {reference}: tick what was found, then save."
        ).format(
            kind=tr.gettext(KINDS[appointment.kind]), reference=isolate(request.reference or "")
        )
    ]
    rows = []
    for i, criterion in enumerate(ctx.profile.appointments.criteria):
        mark = "✅" if appointment.outcome.get(criterion.id) else "⬜"
        rows.append(
            [
                button(
                    f"{mark} {criterion.title.get('ar')}"[:60],
                    cb(NS.APPOINTMENT, "chk", appointment.id, i),
                )
            ]
        )
    rows.append(
        [button(tr.gettext("💾 Save the outcome"), cb(NS.APPOINTMENT, "save", appointment.id))]
    )
    return "\n".join(lines), inline(rows)


def outcome_summary(profile, appointment: Appointment) -> str:
    tr = translator("ar")
    criteria = profile.appointments.criteria
    met = [c.title.get("ar") for c in criteria if appointment.outcome.get(c.id)]
    missed = [c.title.get("ar") for c in criteria if not appointment.outcome.get(c.id)]
    parts = [f"✅ {escape(t)}" for t in met] + [f"❌ {escape(t)}" for t in missed]
    return tr.gettext("Outcome: {met} of {total} criteria met").format(
        met=len(met), total=len(criteria)
    ) + ("\n" + "\n".join(parts) if parts else "")


async def outcome(
    ctx: Ctx, appointment: Appointment, request: ServiceRequest, data: Callback
) -> None:
    tr = translator("ar")
    if appointment.status not in ("confirmed", "done"):
        ctx.answer(tr.gettext("The beneficiary has not chosen a time yet."), alert=True)
        return
    if data.action == "chk":
        criteria = ctx.profile.appointments.criteria
        index = data.int_arg(1)
        if index is None or index >= len(criteria):
            ctx.answer(tr.gettext("This button is no longer active."))
            return
        key = criteria[index].id
        appointment.outcome = {**appointment.outcome, key: not appointment.outcome.get(key)}
    if data.action == "save":
        appointment.status, appointment.outcome_at = "done", utcnow()
        appointment.outcome = {
            c.id: bool(appointment.outcome.get(c.id)) for c in ctx.profile.appointments.criteria
        }
        ctx.audit(
            action="appointment_outcome",
            subject_kind="request",
            subject_id=request.id,
            detail=dict(appointment.outcome),
        )
        await ctx.session.flush()
        ctx.show(
            tr.gettext("📋 Outcome of the {kind} of request {reference} saved.").format(
                kind=tr.gettext(KINDS[appointment.kind]), reference=isolate(request.reference or "")
            )
            + "\n"
            + outcome_summary(ctx.profile, appointment)
        )
        await refresh_card(ctx, request)
        ctx.answer(tr.gettext("Done ✓"))
        return
    text, keyboard = _checklist(ctx, appointment, request)
    if data.action == "out":
        ctx.send(ctx.chat_id, text, keyboard, quote=ctx.event.message_id)
    else:
        ctx.show(text, keyboard)
    ctx.answer()


def register(router: Router) -> None:
    router.staff_command("appoint")(appoint_command)
    router.staff_callback(NS.APPOINTMENT)(on_staff)
    router.callback(NS.APPOINTMENT, "pick", "other")(on_beneficiary)
    router.job(remind)
