"""Working a case from its card: «✋» takes it, a supervisor's ``/assign REF`` (as a reply to a
colleague's message) gives it; internal notes (a reply starting with ``#`` to any of the case's
messages, or 📝) stay with staff, shown in /find, audited, never sent to the beneficiary; ready
replies (the profile's ``canned_replies``) sent as they are, or edited by replying to them.
A daily reminder tells each assignee the cases waiting on the association."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from sqlalchemy import select

from bot.domain import applications
from bot.domain.lifecycle import Refused
from bot.domain.roles import Role, role_of
from bot.domain.textutil import clean_input, isolate
from bot.domain.tickets import add_message, move
from bot.engine.context import Ctx, UnitOfWork
from bot.engine.keyboards import FORCE_REPLY, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.owed import after_delivery
from bot.features.inquiries import ticket_cards
from bot.features.inquiries.ticket_staff import header
from bot.features.requests import request_cards
from bot.features.staff.staff_group import staff_actor
from bot.features.workspace.cases import (
    SHORT,
    Case,
    assignment,
    aware,
    load,
    load_many,
    of_link,
    replied_case,
)
from bot.i18n import N_, translator
from storage.models import (
    Beneficiary,
    CaseAssignment,
    CaseNote,
    ServiceRequest,
    StaffMessageLink,
    utcnow,
)

NOTE_PROMPT, CANNED_PROMPT = "wk_note_", "wk_canned_"  # + "r" | "t": StaffMessageLink kinds
NOT_STAFF = "Only members of the association's staff group can do this."
REMIND_EVERY = timedelta(hours=24)
CLAIMED = N_(
    "✋ The case is yours. Its reminders reach you in your private chat with the assistant "
    "(start that chat first if you have not)."
)


async def refresh(ctx: Ctx, case: Case) -> None:
    row = case.row
    if isinstance(row, ServiceRequest):
        await request_cards.refresh_card(ctx, row)
    else:
        await ticket_cards.refresh_card(ctx, row)


async def give(ctx: Ctx, case: Case, user_id: int, name: str, action: str) -> None:
    held = await assignment(ctx, case)
    name = (clean_input(name) or str(user_id))[:120]
    if held is None:
        ctx.session.add(
            CaseAssignment(
                association_id=ctx.tenant,
                subject_kind=case.kind,
                subject_id=case.id,
                assignee_id=user_id,
                assignee_name=name,
                assigned_by=ctx.from_id,
                assigned_at=utcnow(),
            )
        )
    else:
        held.assignee_id, held.assignee_name, held.assigned_by = user_id, name, ctx.from_id
        held.assigned_at, held.reminded_at = utcnow(), None
    ctx.audit(
        action=action,
        subject_kind=case.kind,
        subject_id=case.id,
        detail={"assignee": user_id},
    )
    await ctx.session.flush()
    await refresh(ctx, case)


async def on_work(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.answer(tr.gettext(NOT_STAFF), alert=True)
        return
    case = await load(ctx, SHORT.get(data.arg(0), ""), data.int_arg(1))
    if case is None or not case.visible_in(ctx, ctx.chat_id):
        ctx.answer(tr.gettext("This button is no longer active."), alert=True)
        return
    if not case.is_open:
        ctx.answer(tr.gettext("This case is closed."), alert=True)
        return
    reference = isolate(case.reference)
    if data.action == "claim":
        held = await assignment(ctx, case)
        if held is not None and held.assignee_id == ctx.from_id:
            ctx.answer(tr.gettext("You already handle this case."))
            return
        if held is not None:
            ctx.answer(
                tr.gettext(
                    "{who} already handles this case; a supervisor can reassign it with /assign."
                ).format(who=held.assignee_name),
                alert=True,
            )
            return
        await give(ctx, case, ctx.from_id, ctx.event.first_name, "case_claimed")
        ctx.answer(tr.gettext(CLAIMED))
    elif data.action == "note":
        ctx.send(
            ctx.chat_id,
            tr.gettext(
                "📝 Reply to this message with an internal note on {reference}. Only staff see it; "
                "the beneficiary never does."
            ).format(reference=reference),
            FORCE_REPLY,
            link=(NOTE_PROMPT + case.short, case.id),
            quote=ctx.event.message_id,
        )
        ctx.answer()
    elif data.action == "canned":
        replies = ctx.profile.canned_for(case.family)
        if not replies:
            ctx.answer(
                tr.gettext("The profile has no ready replies for this kind of case."), alert=True
            )
            return
        rows = [
            [button(r.title.get("ar")[:60], cb(NS.CASE_WORK, "pick", case.short, case.id, r.id))]
            for r in replies
        ]
        ctx.send(
            ctx.chat_id,
            tr.gettext(
                "💬 Ready replies for {reference}: choose one to see it before it is sent."
            ).format(reference=reference),
            inline(rows),
            quote=ctx.event.message_id,
        )
        ctx.answer()
    elif data.action in ("pick", "send"):
        reply = next((r for r in ctx.profile.canned_for(case.family) if r.id == data.arg(2)), None)
        if reply is None:
            ctx.answer(tr.gettext("This button is no longer active."))
            return
        text = reply.text.get("ar")
        if data.action == "pick":
            ctx.send(
                ctx.chat_id,
                tr.gettext(
                    "💬 <b>{title}</b> for {reference}:\n\n{text}\n\n"
                    "Press «📤 Send as is», or reply to this message with your edited text to send "
                    "that instead."
                ).format(title=escape(reply.title.get("ar")), reference=reference, text=text),
                inline(
                    [
                        [
                            button(
                                tr.gettext("📤 Send as is"),
                                cb(NS.CASE_WORK, "send", case.short, case.id, reply.id),
                            )
                        ]
                    ]
                ),
                link=(CANNED_PROMPT + case.short, case.id),
            )
            ctx.answer()
            return
        if await deliver(ctx, case, text, canned=reply.id):
            if ctx.event.message_id is not None:
                ctx.clear_buttons(ctx.chat_id, ctx.event.message_id)
            ctx.answer(tr.gettext("Done ✓"))
    else:
        ctx.answer(tr.gettext("This button is no longer active."))


async def deliver(ctx: Ctx, case: Case, text: str, *, canned: str | None = None) -> bool:
    """A reply from the association to the case's beneficiary (``text``: HTML, ours or escaped)."""
    tr = translator("ar")
    row = case.row
    person = await ctx.session.get(Beneficiary, row.beneficiary_id) if row.beneficiary_id else None
    if person is None:
        ctx.reply_quoting(tr.gettext("The beneficiary of this case can no longer be reached here."))
        return False
    if isinstance(row, ServiceRequest):
        applications.record(
            ctx.session,
            row,
            "staff_reply",
            actor_kind="staff",
            actor_id=ctx.from_id,
            note=text[:2000],
        )
    else:
        try:
            move(ctx.session, row, "reply", await staff_actor(ctx))
        except Refused:
            ctx.reply_quoting(tr.gettext("This case is closed; the reply was not sent."))
            return False
        add_message(ctx.session, row, "out", text=text, staff_user_id=ctx.from_id)
    sent = ctx.send(person.telegram_user_id, f"{header(ctx, row, person.locale)}\n\n{text}")
    if canned:
        ctx.audit(
            action="canned_reply_sent",
            subject_kind=case.kind,
            subject_id=case.id,
            detail={"canned": canned},
        )
    after_delivery(
        ctx.out,
        sent,
        sent=[ctx.reply_quoting(tr.gettext("✓ Your reply was sent to the beneficiary."))],
        failed=[
            ctx.reply_quoting(
                tr.gettext(
                    "⚠️ Your reply could not be delivered to the beneficiary (they may have "
                    "blocked the bot). Please reach them through another channel."
                )
            )
        ],
    )
    return True


def add_note(ctx: Ctx, case: Case, text: str) -> None:
    ctx.session.add(
        CaseNote(
            association_id=ctx.tenant,
            subject_kind=case.kind,
            subject_id=case.id,
            staff_user_id=ctx.from_id,
            staff_name=ctx.event.first_name[:120],
            text=text[:2000],
            created_at=utcnow(),
        )
    )
    ctx.audit(
        action="internal_note",
        subject_kind=case.kind,
        subject_id=case.id,
    )


async def on_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    """Tried before the other reply handlers: an internal note (``#…`` on any message of a case,
    or a reply to 📝), or an edited ready reply. True when it was one of ours."""
    text = clean_input(ctx.event.text, multiline=True)
    kind = link.subject_kind
    is_note = kind.startswith(NOTE_PROMPT) or text.startswith("#")
    if not (is_note or kind.startswith(CANNED_PROMPT)):
        return False
    case = await of_link(ctx, link)
    if case is None:
        return False
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.reply_quoting(tr.gettext(NOT_STAFF))
        return True
    if not case.visible_in(ctx, ctx.chat_id):
        return True
    if is_note:
        note = text[1:].strip() if text.startswith("#") else text
        if not note:
            ctx.reply_quoting(
                tr.gettext("Write the note after #, for example: # called, no answer.")
            )
            return True
        add_note(ctx, case, note)
        ctx.reply_quoting(tr.gettext("📝 Internal note saved on the case (staff only)."))
        return True
    if not text:
        ctx.reply_quoting(tr.gettext("Please reply with text."))
        return True
    await deliver(ctx, case, escape(text), canned="edited")
    return True


async def assign_command(ctx: Ctx) -> None:
    """``/assign REFERENCE`` as a reply to a colleague's message (supervisors)."""
    tr = translator("ar")
    event = ctx.event
    role = await role_of(ctx.session, ctx.tenant, ctx.from_id, ctx.rt.settings.supervisor_ids)
    if not ctx.staff_member or role != Role.SUPERVISOR:
        ctx.reply_quoting(tr.gettext("Only a supervisor can assign cases."))
        return
    from bot.features.workspace.cases import by_reference

    words = (event.command_args or "").split()
    case = await by_reference(ctx, words[0]) if words else await replied_case(ctx)
    target = event.reply_to_user_id
    if (
        case is None
        or target is None
        or event.reply_to_is_bot
        or not case.visible_in(ctx, ctx.chat_id)
    ):
        ctx.reply_quoting(tr.gettext("Reply to a colleague's message with: /assign REQ-1448-0001"))
        return
    if not case.is_open:
        ctx.reply_quoting(tr.gettext("This case is closed."))
        return
    name = event.reply_to_first_name or str(target)
    await give(ctx, case, target, name, "case_assigned")
    ctx.reply_quoting(
        tr.gettext(
            "✋ {reference} is now handled by {who}. Its reminders reach them in their private "
            "chat with the assistant (they start that chat first if they have not)."
        ).format(reference=isolate(case.reference), who=escape(name))
    )


async def remind_assignees(work: UnitOfWork, now: datetime) -> int:
    """Once a day, each assignee hears of their open cases that wait on the association."""
    tr = translator("ar")
    held = [
        row
        for row in await work.session.scalars(select(CaseAssignment))
        if now - aware(row.reminded_at or row.assigned_at) >= REMIND_EVERY
    ]
    if not held:
        return 0
    cases = await load_many(
        work.session, work.tenant, [(r.subject_kind, r.subject_id) for r in held]
    )
    due: dict[int, list[tuple[CaseAssignment, Case]]] = {}
    for row in held:
        case = cases.get((row.subject_kind, row.subject_id))
        if case is None or not case.is_open or case.waiting_on_beneficiary():
            continue
        due.setdefault(row.assignee_id, []).append((row, case))
    for assignee, items in due.items():
        items.sort(key=lambda item: (item[1].opened_at, item[1].reference))
        lines = [tr.gettext("⏰ Cases you handle that are waiting on the association:")]
        for row, case in items:
            mark = " · 🔴 " + tr.gettext("overdue") if case.overdue(now) else ""
            lines.append(
                f"• {isolate(case.reference)} · {escape(case.kind_label(tr))} · "
                f"{escape(case.status_label(tr))}{mark}"
            )
            row.reminded_at = now
        lines.append(tr.gettext("/queue mine in the staff group lists them."))
        work.send(assignee, "\n".join(lines))
    return len(due)


def register(router) -> None:
    router.staff_callback(NS.CASE_WORK)(on_work)
    router.reply_handlers.insert(0, on_reply)  # before a reply is relayed to the beneficiary
    router.staff_command("assign")(assign_command)
    router.job(remind_assignees)
