"""Staff handling of tickets: reply to relay (text, photo, document, voice), acknowledge, raise
to a supervisor, record a compensation breach, resolve with an outcome, close (policy clauses
14, 19, 20). The beneficiary is told at each step, as «رد من الجمعية»."""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from bot.domain import lifecycle
from bot.domain.lifecycle import Actor, Event, Refused, StatusChanged, SurveyDue, Tell, Why
from bot.domain.textutil import isolate
from bot.domain.tickets import OPEN_STATUSES, STATUS_LABELS, Kind, TicketStatus, add_message, move
from bot.engine.context import Ctx
from bot.engine.keyboards import FORCE_REPLY, Callback
from bot.engine.messages import Notice
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.inquiries.ticket_cards import BEN_LINK, LINK, card_link, refresh_card
from bot.features.staff.staff_group import (
    card_lives_here,
    refuse_role,
    relay_to_beneficiary,
    staff_actor,
)
from bot.features.surveys import survey_flow as survey
from bot.i18n import N_, Text, translator
from storage.models import Beneficiary, ServiceRequest, StaffMessageLink, Ticket

RESOLVE_PROMPT = "st_resolve"


async def _ticket(ctx: Ctx, ticket_id: int | None) -> Ticket | None:
    if ticket_id is None:
        return None
    return await ctx.session.scalar(
        select(Ticket).where(Ticket.id == ticket_id, Ticket.association_id == ctx.tenant)
    )


async def tell(ctx: Ctx, ticket: Ticket, text: Text, keyboard=None) -> Beneficiary | None:
    person = (
        await ctx.session.get(Beneficiary, ticket.beneficiary_id) if ticket.beneficiary_id else None
    )
    if person is not None:
        tr = translator(person.locale)
        status = STATUS_LABELS.get(TicketStatus(ticket.status)) if ticket.status else None
        ctx.send(
            person.telegram_user_id,
            text.render(tr),
            keyboard,
            link=(BEN_LINK, ticket.id),
            notice=Notice(
                "status",
                reference=ticket.reference or "",
                case=tr.gettext(N_("your message ({kind}) {reference}")).format(
                    kind=tr.gettext(kind_word(ticket)), reference=isolate(ticket.reference or "")
                ),
                status=tr.gettext(status) if status else "",
            ),
        )
    return person


def header(ctx: Ctx, ticket: Ticket | ServiceRequest, locale: str) -> str:
    tr = translator(locale)
    who = ""
    if ctx.profile.privacy.show_staff_names and ctx.event.user_id is not None:
        who = " — " + escape(ctx.event.first_name)
    return tr.gettext("💬 <b>Reply from the association</b>{who} · {reference}").format(
        who=who, reference=isolate(ticket.reference)
    )


async def relay_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    """A staff reply to a ticket's message goes to the beneficiary."""
    if link.subject_kind != LINK:
        return False
    tr = translator("ar")
    event = ctx.event
    if not ctx.staff_member:  # only current members of the staff chat speak for the association
        ctx.reply_quoting(tr.gettext("Only members of the association's staff group can do this."))
        return True
    ticket = await _ticket(ctx, link.subject_id)
    if event.message_id is None or ticket is None:
        return True
    actor = await staff_actor(ctx)
    try:
        lifecycle.rule_for(ticket, "reply", actor)
    except Refused as refusal:
        ctx.reply_quoting(
            refuse_role(ctx, actor, "reply", "ticket", ticket.id)
            if refusal.why == Why.NOT_ALLOWED
            else tr.gettext("This case is closed; the reply was not sent.")
        )
        return True
    person = (
        await ctx.session.get(Beneficiary, ticket.beneficiary_id) if ticket.beneficiary_id else None
    )
    if person is None:
        return True
    kept = relay_to_beneficiary(
        ctx, person.telegram_user_id, header(ctx, ticket, person.locale), (BEN_LINK, ticket.id)
    )
    if kept is None:
        return True
    text, file_id = kept
    add_message(ctx.session, ticket, "out", text=text, file_id=file_id, staff_user_id=ctx.from_id)
    moved = move(ctx.session, ticket, "reply", actor)[0]
    if (
        isinstance(moved, StatusChanged) and moved.to_status != moved.from_status
    ):  # inquiry answered
        await refresh_card(ctx, ticket)
    return True


async def carry_out(ctx: Ctx, ticket: Ticket, events: list[Event]) -> None:
    """What a move returned: the beneficiary told, the card edited, the survey when it ended."""
    for event in events:
        if isinstance(event, Tell):
            note = event.params.get("note") or ""
            await tell(
                ctx,
                ticket,
                Text(
                    event.msgid,
                    kind=Text(kind_word(ticket)),
                    reference=isolate(ticket.reference),
                    outcome=escape(note),
                ),
            )
    await refresh_card(ctx, ticket)
    if any(isinstance(event, SurveyDue) for event in events):
        await survey.invite(ctx, ticket)


async def close(ctx: Ctx, ticket: Ticket, actor: Actor | None = None) -> Refused | None:
    actor = actor or await staff_actor(ctx)
    try:
        events = move(ctx.session, ticket, "close", actor)
    except Refused as refusal:
        return refusal
    await carry_out(ctx, ticket, events)
    return None


async def on_staff_button(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.answer(
            tr.gettext("Only members of the association's staff group can do this."), alert=True
        )
        return
    ticket = await _ticket(ctx, data.int_arg(0))
    if ticket is not None and not await card_lives_here(ctx, (LINK,), ticket.id):
        ctx.answer(
            tr.gettext("This card's buttons work only in the chat where the card was posted."),
            alert=True,
        )
        return
    if ticket is None or ticket.status not in OPEN_STATUSES:
        ctx.answer(tr.gettext("This case is closed."))
        if ticket is not None:
            await refresh_card(ctx, ticket)
        return
    action = data.action
    if action == "breach":  # breach:<id>:1 or :0
        action = "breach" if data.arg(1) == "1" else "no_breach"
    reference = isolate(ticket.reference)
    actor = await staff_actor(ctx)
    try:
        rule = lifecycle.rule_for(ticket, action, actor)
    except Refused as refusal:
        if refusal.why == Why.NOT_ALLOWED:
            ctx.answer(refuse_role(ctx, actor, action, "ticket", ticket.id), alert=True)
        else:
            ctx.answer(tr.gettext("This button is no longer active."))
        return
    if rule.needs_note:  # resolve: the outcome, as a reply to a prompt
        ctx.send(
            ctx.chat_id,
            tr.gettext(
                "Reply to this message with the outcome for {reference}; the beneficiary will read it."
            ).format(reference=reference),
            FORCE_REPLY,
            link=(RESOLVE_PROMPT, ticket.id),
            quote=ctx.event.message_id,
        )
        ctx.answer(tr.gettext("Reply to the bot's message with the details."))
        return
    events = move(ctx.session, ticket, action, actor)
    if action == "escalate":
        link = await card_link(ctx, ticket)
        ctx.send(
            ctx.chat_id,
            tr.gettext("⬆️ {reference} was raised to the supervisors.").format(reference=reference),
            quote=link.message_id if link else None,
        )
        for supervisor in ctx.rt.settings.supervisor_ids:
            ctx.send(
                supervisor,
                tr.gettext(
                    "⬆️ A case was raised to you: {reference}. Please look at it in the staff group."
                ).format(reference=reference),
            )
    await carry_out(ctx, ticket, events)
    ctx.answer(tr.gettext("Done ✓"))


def kind_word(ticket: Ticket) -> str:
    return {
        Kind.INQUIRY: N_("inquiry"),
        Kind.COMPLAINT: N_("complaint"),
        Kind.SUGGESTION: N_("suggestion"),
        Kind.COMPENSATION: N_("compensation claim"),
    }[Kind(ticket.kind)]


async def resolve_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    if link.subject_kind != RESOLVE_PROMPT:
        return False
    tr = translator("ar")
    ticket = await _ticket(ctx, link.subject_id)
    outcome = (ctx.event.text or "").strip()
    if ticket is None or ticket.status not in OPEN_STATUSES or not ctx.staff_member:
        return True
    if not outcome:
        ctx.reply_quoting(tr.gettext("Please reply with text."))
        return True
    actor = await staff_actor(ctx)
    try:
        events = move(ctx.session, ticket, "resolve", actor, outcome[:2000])
    except Refused as refusal:
        if refusal.why == Why.NOT_ALLOWED:
            ctx.reply_quoting(refuse_role(ctx, actor, "resolve", "ticket", ticket.id))
        return True
    await carry_out(ctx, ticket, events)
    ctx.reply(tr.gettext("Done ✓ The beneficiary has been told."))
    return True


async def close_command(ctx: Ctx) -> None:
    """``/close`` as a reply to a ticket's message."""
    tr = translator("ar")
    replied = ctx.event.reply_to_message_id
    if not ctx.staff_member or replied is None:
        ctx.reply_quoting(tr.gettext("Reply to a case's message with /close to close it."))
        return
    link = await ctx.session.get(StaffMessageLink, (ctx.tenant, ctx.chat_id, replied))
    ticket = await _ticket(ctx, link.subject_id) if link and link.subject_kind == LINK else None
    if ticket is None:
        ctx.reply(tr.gettext("Reply to a case's message with /close to close it."))
        return
    actor = await staff_actor(ctx)
    refusal = await close(ctx, ticket, actor)
    if refusal is not None and refusal.why == Why.NOT_ALLOWED:
        ctx.reply_quoting(refuse_role(ctx, actor, "close", "ticket", ticket.id))
    elif refusal is not None:
        ctx.reply_quoting(tr.gettext("This case is closed."))
    else:
        ctx.reply(tr.gettext("Done ✓ The beneficiary has been told."))


def register(router: Router) -> None:
    from bot.features.inquiries import faq_drafting, faq_learning, faq_search

    router.staff_callback(NS.TICKET_CARD)(on_staff_button)
    router.staff_callback(NS.FAQ_LEARN)(faq_learning.on_button)
    router.reply_handlers.append(relay_reply)
    router.reply_handlers.append(resolve_reply)
    router.reply_handlers.append(faq_drafting.edit_reply)
    router.reply_handlers.append(faq_search.on_reply)
    router.staff_command("close")(close_command)
