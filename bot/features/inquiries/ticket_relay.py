"""The beneficiary's side of an open inquiry ticket: a reply to one of our messages joins it,
follow-ups (texts, files) reach the ticket's thread in the staff group, a file or voice note
outside a case opens one, and the person is told when a message could not be passed on."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from sqlalchemy import func, select

from bot.domain.textutil import Num, clean_input, isolate, mask_numbers
from bot.domain.tickets import Kind, add_message, open_ticket, open_ticket_of
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.events import RELAYABLE
from bot.engine.outbox import Out
from bot.engine.owed import after_delivery, collapse, joined, paced
from bot.features.home.menus import menu_keyboard_short
from bot.features.inquiries.ticket_cards import (
    BEN_LINK,
    LINK,
    card_link,
    masked_sender,
    post_ticket_card,
    route,
)
from bot.i18n import translator
from storage.models import StaffMessageLink, TicketMessage

TICKET_FLOW = "ticket"
MAX_QUESTION = 1000


async def join_reply(ctx: Ctx) -> bool:
    """A reply to one of our messages about an open ticket joins that ticket."""
    assert ctx.user is not None
    link = await ctx.session.get(
        StaffMessageLink, (ctx.tenant, ctx.chat_id, ctx.event.reply_to_message_id)
    )
    if link is None or link.subject_kind != BEN_LINK:
        return False
    ticket = await open_ticket_of(ctx.session, ctx.tenant, ctx.user.id, link.subject_id)
    if ticket is None:
        return False
    await relay_to_staff(ctx, ticket)
    return True


async def other_message(ctx: Ctx) -> None:
    """A voice note, photo or file outside a case opens a hand-over to staff (many speak rather
    than type); anything else (a sticker, a location …) gets the polite answer."""
    from bot.features.home.fallback import other_message as polite

    media = ctx.event.file
    if (
        ctx.user is None
        or media is None
        or media.kind not in RELAYABLE
        or ctx.event.message_id is None
    ):
        await polite(ctx)
        return
    what = {"voice": ctx._("🎤 A voice note"), "photo": ctx._("🖼 A photo")}.get(
        media.kind, ctx._("📎 A file")
    )
    caption = clean_input(ctx.event.caption, multiline=True)
    subject = f"{what}: {caption}" if caption else what
    hours = ctx.profile.deadlines.ticket_response_hours
    ticket = await open_ticket(
        ctx.session,
        ctx.tenant,
        beneficiary_id=ctx.user.id,
        kind=Kind.INQUIRY,
        subject=subject[:MAX_QUESTION],
        due_in=timedelta(hours=hours),
        data={"suggested": [], "who": masked_sender(ctx)},
    )
    await dialogs.begin(ctx, TICKET_FLOW, "open", {"ticket_id": ticket.id, "about_case": True})
    await post_ticket_card(ctx, ticket)
    card = ctx.out[-1]
    chat_id, _topic = route(ctx, ticket)
    ctx.copy(
        chat_id,
        ctx.chat_id,
        ctx.event.message_id,
        isolate(ticket.reference),
        link=(LINK, ticket.id),
    )
    add_message(ctx.session, ticket, "in", text=caption or None, file_id=media.file_id)
    received = ctx.send(
        ctx.chat_id,
        ctx._(
            "Thank you. I passed your message to the association's team, and their reply will reach you here. Your inquiry number is {reference}."
        ).format(reference=f"<code>{ticket.reference}</code>"),
        menu_keyboard_short(ctx),
        link=(BEN_LINK, ticket.id),
    )
    after_delivery(ctx.out, card, sent=[received], failed=[not_passed_on(ctx)])


async def _thread(ctx: Ctx, ticket) -> tuple[int, int | None, str]:
    """Where a follow-up of this case goes: the chat, the card to quote, and its head line."""
    link = await card_link(ctx, ticket)
    chat_id = link.chat_id if link else route(ctx, ticket)[0]
    head = (
        translator("ar")
        .gettext("💬 Follow-up from {who} · {reference}")
        .format(who=escape(ticket.data.get("who") or "—"), reference=isolate(ticket.reference))
    )
    if (channel := ctx.channel_note(ctx.user)) is not None:  # WhatsApp, as on the card
        head += f"\n{channel}"
    return chat_id, link.message_id if link else None, head


def _added_once_delivered(ctx: Ctx, ticket, staff) -> None:
    """«✓ added» only once the team has it; otherwise the person learns it did not reach them."""
    added = collapse(
        ctx.reply(
            ctx._("✓ Added to your case {reference}; the team will reply here.").format(
                reference=isolate(ticket.reference)
            )
        ),
        f"added:{ticket.id}",
    )
    after_delivery(ctx.out, staff, sent=[added], failed=[not_passed_on(ctx)])


async def relay_to_staff(ctx: Ctx, ticket) -> None:
    """A follow-up from the beneficiary, into the ticket's thread (albums: each photo in turn)."""
    event = ctx.event
    assert event.message_id is not None
    if event.text:
        await relay_text(ctx, ticket, event.text)
        return
    if event.file is None or event.file.kind not in RELAYABLE:
        ctx.reply(ctx._("I can pass on text, photos, files and voice notes to the team."))
        return
    if await at_file_cap(ctx, ticket):
        return
    chat_id, quote, head = await _thread(ctx, ticket)
    caption = clean_input(event.caption, multiline=True)  # no bidi controls, as for texts
    staff = paced(  # the case's follow-ups: merged, and sent after new cases
        ctx.copy(
            chat_id,
            ctx.chat_id,
            event.message_id,
            f"{head}\n{escape(mask_numbers(caption))}".strip(),
            quote=quote,
            link=(LINK, ticket.id),
        ),
        f"{LINK}:{ticket.id}",
    )
    add_message(ctx.session, ticket, "in", text=caption or None, file_id=event.file.file_id)
    _added_once_delivered(ctx, ticket, staff)


async def relay_text(ctx: Ctx, ticket, text: str) -> None:
    """A text from the beneficiary into the ticket's thread, and «✓ added» once staff have it."""
    chat_id, quote, head = await _thread(ctx, ticket)
    text = clean_input(text, multiline=True)  # kept as shown: no bidi controls
    body = f"«{escape(mask_numbers(text))}»"
    staff = joined(
        ctx.send(chat_id, f"{head}\n{body}", link=(LINK, ticket.id), quote=quote),
        f"{LINK}:{ticket.id}",
        head,
        body,
    )
    add_message(ctx.session, ticket, "in", text=text)
    _added_once_delivered(ctx, ticket, staff)


async def at_file_cap(ctx: Ctx, ticket) -> bool:
    """True (and the person told so) when the case already has the most files it may receive
    (profile: ``deadlines.documents_per_request``, the same cap as a request's)."""
    cap = ctx.profile.deadlines.documents_per_request
    files = await ctx.session.scalar(
        select(func.count(TicketMessage.id)).where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.direction == "in",
            TicketMessage.file_id.is_not(None),
        )
    )
    if (files or 0) < cap:
        return False
    ctx.reply(
        ctx.ngettext(
            "Your case {reference} has received the most files it can take ({n} file). You can still write to the team here in text.",
            "Your case {reference} has received the most files it can take ({n} files). You can still write to the team here in text.",
            cap,
        ).format(reference=isolate(ticket.reference), n=Num(cap).render(ctx.tr))
    )
    return True


def not_passed_on(ctx: Ctx) -> Out:
    """What a person is told when their message could not reach the team."""
    from bot.features.home.about import channels_text

    return ctx.reply(
        ctx._(
            "Sorry, your last message could not be passed on to the association's team because of a technical problem, and the supervisors have been told. Please send it again later, or reach the association directly:"
        )
        + "\n"
        + channels_text(ctx)
    )
