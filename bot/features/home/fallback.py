"""Whatever nobody else handles gets a polite answer and the way forward — or is ignored on
purpose (other groups, channels). Registered last."""

from __future__ import annotations

import logging

from sqlalchemy import update

from bot.engine.context import Ctx
from bot.engine.events import Kind
from bot.engine.router import Router
from bot.features.home.menus import menu_keyboard
from storage.models import Beneficiary, utcnow

log = logging.getLogger(__name__)


async def other_message(ctx: Ctx) -> None:
    """A sticker, voice note, photo, location … outside a form."""
    kind = ctx.event.kind
    if kind is Kind.VOICE:
        text = ctx._(
            "Thank you. I cannot listen to voice messages yet; please write your question in a few words, or choose from the menu."
        )
    elif ctx.event.attached_file() is not None:
        text = ctx._(
            "I received your file, but I only keep files that belong to a request or a complaint. To attach it, start or open the request from the menu."
        )
    else:
        text = ctx._(
            "Thank you for your message. I can read text and button presses; please write your question in a few words, or choose from the menu."
        )
    ctx.reply(text, menu_keyboard(ctx))


async def free_text(ctx: Ctx) -> None:
    ctx.reply(
        ctx._("I could not understand your message. Please choose from the menu below."),
        menu_keyboard(ctx),
    )


async def unknown_command(ctx: Ctx) -> None:
    ctx.reply(ctx._("I do not know this command. Here is what I can do:"), menu_keyboard(ctx))


async def stale_callback(ctx: Ctx) -> None:
    ctx.answer(ctx._("This button is no longer active."))
    ctx.reply(
        ctx._("That button belongs to an older message. Here is the current menu:"),
        menu_keyboard(ctx),
    )


async def chat_member(ctx: Ctx) -> None:
    """The bot was blocked/unblocked in a private chat, or added to/removed from a group."""
    event = ctx.event
    chat_id, status = event.chat_id, event.member_status
    if event.kind is not Kind.MEMBER or chat_id is None:
        return
    if event.is_private:
        blocked = status in ("kicked", "left")
        await ctx.session.execute(
            update(Beneficiary)
            .where(Beneficiary.telegram_user_id == chat_id)
            .values(unreachable_at=utcnow() if blocked else None)
        )
        return
    if chat_id in ctx.rt.staff_chat_ids or status not in ("member", "administrator"):
        return
    # Added to a group that is not the staff group: explain politely and leave.
    log.info("added to a foreign chat %s; leaving", chat_id)
    ctx.send(
        chat_id,
        ctx._(
            "Thank you for adding me. I serve beneficiaries one to one in a private chat, so I will leave this group."
        ),
    )
    ctx.leave(chat_id)


def register(router: Router) -> None:
    router.on_other_message = router.on_other_message or other_message
    router.on_free_text = router.on_free_text or free_text
    router.on_unknown_command = unknown_command
    router.on_stale_callback = stale_callback
    router.on_chat_member = chat_member
