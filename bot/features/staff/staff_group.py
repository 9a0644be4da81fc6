"""The staff group: replies to the bot's messages, staff help, and roles."""

from __future__ import annotations

from html import escape

from bot.domain.lifecycle import Actor
from bot.domain.roles import RANK, Role, role_of
from bot.domain.textutil import clean_input
from bot.engine.context import Ctx
from bot.engine.events import RELAYABLE
from bot.engine.keyboards import Button, button, cb
from bot.engine.namespaces import NS
from bot.engine.outbox import Out
from bot.engine.owed import after_delivery
from bot.engine.router import Router
from bot.i18n import N_, translator
from storage.models import (
    Appointment,
    CaseAssignment,
    StaffMember,
    StaffMessageLink,
    utcnow,
)


def relay_to_beneficiary(
    ctx: Ctx, chat_id: int, head: str, link: tuple[str, int]
) -> tuple[str | None, str | None] | None:
    """A staff member's reply to a case (a text, or a photo, file or voice note copied) sent to
    the beneficiary under ``head``; ``link`` lets the beneficiary's reply to it join the case.
    "✓ sent" is said to staff only once the beneficiary has it, else that it did not reach them.
    Returns what to keep in the case's thread, (text, file id); None when the kind of message
    cannot be relayed (staff are told so)."""
    tr = translator("ar")
    event = ctx.event
    relayed: Out
    if event.text:
        # not cut here: the sender fits a long reply to the channel's limits (bot.engine.outbox)
        relayed = ctx.send(chat_id, f"{head}\n\n{escape(event.text)}", link=link)
        kept: tuple[str | None, str | None] = (event.text, None)
    elif event.file is not None and event.file.kind in RELAYABLE and event.message_id is not None:
        caption = clean_input(event.caption, multiline=True)  # no bidi controls, as for texts
        relayed = ctx.copy(
            chat_id, ctx.chat_id, event.message_id, f"{head}\n{escape(caption)}".strip(), link=link
        )
        kept = (caption or None, event.file.file_id)
    else:
        ctx.reply_quoting(
            tr.gettext(
                "This kind of message cannot be relayed; please send text, a photo, a document or a voice note."
            )
        )
        return None
    after_delivery(
        ctx.out,
        relayed,
        sent=[ctx.reply_quoting(tr.gettext("✓ Your reply was sent to the beneficiary."))],
        failed=[
            ctx.reply_quoting(
                tr.gettext(
                    "⚠️ Your reply could not be delivered to the beneficiary (they may have blocked the bot). Please reach them through another channel."
                )
            )
        ],
    )
    return kept


def make_staff_message_handler(router: Router):
    async def on_staff_message(ctx: Ctx) -> None:
        replied = ctx.event.reply_to_message_id
        if replied is None:
            return  # staff talking among themselves: not for the bot
        link = await ctx.session.get(StaffMessageLink, (ctx.tenant, ctx.chat_id, replied))
        if link is None:
            return
        if not ctx.staff_member:  # left the chat, or Telegram could not confirm: nothing is relayed
            ctx.reply_quoting(
                translator("ar").gettext(
                    "Only members of the association's staff group can do this."
                )
            )
            return
        for handler in router.reply_handlers:
            if await handler(ctx, link):
                return

    return on_staff_message


async def staff_help(ctx: Ctx) -> None:
    tr = translator("ar")
    ctx.reply(
        tr.gettext(
            "<b>Staff guide</b>\n"
            "• New requests, inquiries and complaints arrive here as cards with buttons.\n"
            "• To answer a beneficiary or give details the bot asks for, reply to any message of their case: the card, a relayed message or a document.\n"
            "• Personal data is masked here; a researcher or supervisor can see it privately with the 👁 button, and every view is recorded.\n"
            "• Approving and rejecting are for a social researcher or a supervisor, unless the association's profile says otherwise.\n"
            "• Supervisors: /grant researcher (or supervisor, or staff) as a reply to a colleague's message."
        )
        + "\n\n"
        + tr.gettext(WORKSPACE_HELP)
    )


WORKSPACE_HELP = N_(
    "<b>Working on cases</b>\n"
    "• /queue — the open cases, oldest first (or: /queue overdue, mine, unassigned, requests, inquiries, complaints).\n"
    "• /find followed by a reference — a case's card again, with its whole thread.\n"
    "• /history as a reply to a case's message — the person's other cases.\n"
    "• ✋ on a card takes the case; supervisors give it with /assign and the reference, as a reply to a colleague's message.\n"
    "• A reply starting with # to a case's message is an internal note: it is never sent to the beneficiary.\n"
    "• 💬 on a card offers the ready replies; /appoint interview or /appoint visit as a reply to a request's card offers times."
)


async def grant(ctx: Ctx) -> None:
    """``/grant <role>`` replying to a colleague's message (supervisors only)."""
    tr = translator("ar")
    event = ctx.event
    me = await role_of(ctx.session, ctx.tenant, ctx.from_id, ctx.rt.settings.supervisor_ids)
    if me != Role.SUPERVISOR or not ctx.staff_member:
        ctx.reply(tr.gettext("Only a supervisor can grant roles."))
        return
    role = parse_role(event.command_args or "")
    target = event.reply_to_user_id
    if role is None or target is None or event.reply_to_is_bot:
        ctx.reply(
            tr.gettext(
                "Reply to a colleague's message with /grant and the role: researcher, supervisor or staff."
            )
        )
        return
    row = await ctx.session.get(StaffMember, (ctx.tenant, target))
    if row is None:
        ctx.session.add(
            StaffMember(
                association_id=ctx.tenant,
                telegram_user_id=target,
                role=role,
                granted_by=ctx.from_id,
                granted_at=utcnow(),
            )
        )
    else:
        row.role, row.granted_by, row.granted_at = role, ctx.from_id, utcnow()
    ctx.audit(
        action="grant_role",
        subject_kind="staff",
        subject_id=None,
        detail={"user": target, "role": role},
    )
    ctx.reply_quoting(
        tr.gettext("Role “{role}” granted to {who}.").format(
            role=tr.gettext(ROLE_NAMES[role]), who=escape(event.reply_to_first_name or str(target))
        )
    )


def register(router: Router) -> None:
    router.on_staff_message = make_staff_message_handler(router)
    router.staff_command("help", "start")(staff_help)
    router.staff_command("grant")(grant)


ROLE_NAMES = {
    Role.STAFF: N_("staff member"),
    Role.RESEARCHER: N_("social researcher"),
    Role.SUPERVISOR: N_("supervisor"),
}
# what /grant accepts: the English names and the Arabic ones (with or without the article)
_ROLE_WORDS = {
    "staff": Role.STAFF,
    "researcher": Role.RESEARCHER,
    "supervisor": Role.SUPERVISOR,
    "موظف": Role.STAFF,
    "باحث": Role.RESEARCHER,
    "باحث اجتماعي": Role.RESEARCHER,
    "أخصائي اجتماعي": Role.RESEARCHER,  # the title many associations use for the same job
    "اخصائي اجتماعي": Role.RESEARCHER,
    "مشرف": Role.SUPERVISOR,
}


def parse_role(words: str) -> Role | None:
    """A role named in English or Arabic («موظف», «باحث اجتماعي», «المشرف» …)."""
    words_ = [w[2:] if w.startswith("ال") and len(w) > 4 else w for w in words.lower().split()]
    words_ = [w[:-1] if w.endswith(("ة", "ه")) and len(w) > 3 else w for w in words_]
    return _ROLE_WORDS.get(" ".join(words_))


NOT_YOUR_ROLE = N_("Your role in the association does not allow this action.")


async def staff_actor(ctx: Ctx) -> Actor:
    """The member of the staff group who acts, with their role and the association's
    ``permissions`` (the lifecycle tables' roles column, from the profile)."""
    return Actor.staff(
        ctx.from_id,
        await role_of(ctx.session, ctx.tenant, ctx.from_id, ctx.rt.settings.supervisor_ids),
        ctx.profile.permissions.as_map(),
    )


def refuse_role(ctx: Ctx, actor: Actor, action: str, subject_kind: str, subject_id: int) -> str:
    """A move the presser's role may not take: audited; the explanation (for the presser only:
    a toast or a quoted reply) names who may take it."""
    allowed = sorted(ctx.profile.permissions.as_map().get(action, ()), key=lambda r: RANK[Role(r)])
    ctx.audit(
        action="refused_role",
        subject_kind=subject_kind,
        subject_id=subject_id,
        detail={"move": action, "role": str(actor.role or Role.STAFF)},
    )
    tr = translator("ar")
    if not allowed:
        return tr.gettext(NOT_YOUR_ROLE)
    return (
        tr.gettext(NOT_YOUR_ROLE)
        + " "
        + tr.gettext("It is taken by: {roles}.").format(
            roles="، ".join(tr.gettext(ROLE_NAMES[Role(r)]) for r in allowed)
        )
    )


async def card_lives_here(ctx: Ctx, subject_kinds: tuple[str, ...], subject_id: int) -> bool:
    """Whether the pressed message is one of the case's own messages in this very chat (a card,
    a prompt under it): a button works only in the chat its card lives in."""
    message_id = ctx.event.message_id
    if message_id is None:
        return False
    link = await ctx.session.get(StaffMessageLink, (ctx.tenant, ctx.chat_id, message_id))
    return link is not None and link.subject_kind in subject_kinds and link.subject_id == subject_id


def work_row(kind: str, case_id: int) -> list[Button]:
    """The workspace's buttons under an open case's card (bot.features.workspace): take it,
    an internal note, ready replies. ``kind``: "r" a request, "t" a ticket."""
    tr = translator("ar")
    return [
        button(tr.gettext("✋ I'll take it"), cb(NS.CASE_WORK, "claim", kind, case_id)),
        button(tr.gettext("📝 Note"), cb(NS.CASE_WORK, "note", kind, case_id)),
        button(tr.gettext("💬 Ready replies"), cb(NS.CASE_WORK, "canned", kind, case_id)),
    ]


async def assignee_line(ctx: Ctx, kind: str, case_id: int) -> str | None:
    """«Handled by …» on a card, when a member took the case or was given it."""
    from html import escape

    held = await ctx.session.get(CaseAssignment, (ctx.tenant, kind, case_id))
    if held is None:
        return None
    return translator("ar").gettext("✋ Handled by: {who}").format(who=escape(held.assignee_name))


async def appointment_line(ctx: Ctx, request_id: int) -> str | None:
    """The request's latest interview or field visit on its card: when, and its outcome."""
    from sqlalchemy import select

    from bot.domain.dates import format_datetime

    row = await ctx.session.scalar(
        select(Appointment)
        .where(
            Appointment.request_id == request_id,
            Appointment.chosen_at.is_not(None),
        )
        .order_by(Appointment.id.desc())
        .limit(1)
    )
    if row is None or row.chosen_at is None:
        return None
    tr = translator("ar")
    kind = tr.gettext("Interview") if row.kind == "interview" else tr.gettext("Field visit")
    line = f"🗓 {kind}: {format_datetime(row.chosen_at, 'ar', weekday=True)}"
    if row.outcome_at is not None:
        criteria = ctx.profile.appointments.criteria
        met = sum(1 for c in criteria if row.outcome.get(c.id))
        line += " · " + tr.gettext("Outcome: {met} of {total} criteria met").format(
            met=met, total=len(criteria)
        )
    return line
