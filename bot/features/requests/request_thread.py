"""A service request's thread, like a ticket's (policy clause 14): a staff reply to the request's
card or to a message relayed from the beneficiary reaches the beneficiary as «رد من الجمعية»
with the request's reference; a beneficiary's reply to any of our messages about the request
(or a message after «↩️ Reply» in “My requests”) reaches the card's chat, quoting the card.

Which message belongs to which request is a ``StaffMessageLink`` row (in the staff chat and in
the beneficiary's chat alike); the thread itself is the request's events (``RequestEvent``:
``reply`` for staff, ``message_in`` for the beneficiary), shown nowhere else in the group.
"""

from __future__ import annotations

from html import escape

from sqlalchemy import select

from bot.domain import applications, lifecycle
from bot.domain.lifecycle import OPEN, Refused, Why
from bot.domain.textutil import clean_input, isolate, mask_numbers
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.events import RELAYABLE
from bot.engine.keyboards import Callback
from bot.engine.namespaces import NS
from bot.engine.owed import after_delivery, collapse
from bot.engine.router import Router
from bot.features.home.menus import menu_keyboard_short
from bot.features.inquiries.inquiries import not_passed_on
from bot.features.inquiries.ticket_staff import header
from bot.features.requests.request_cards import BEN_LINK, CARD
from bot.features.requests.request_documents import THREAD_LINK
from bot.features.staff.staff_group import refuse_role, relay_to_beneficiary, staff_actor
from bot.i18n import translator
from storage.models import Beneficiary, ServiceRequest, StaffMessageLink

# a beneficiary's message relayed to the staff chat ("sr_": a request's staff-chat message, which
# erasure finds with the card and the prompts: bot.domain.privacy.CASE_LINK_PREFIX)
STAFF_LINK = THREAD_LINK
FLOW = "case_reply"  # after «↩️ Reply»: the next message goes to the request


async def _request(ctx: Ctx, request_id: int) -> ServiceRequest | None:
    return await ctx.session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.id == request_id,
            ServiceRequest.status != "draft",
        )
    )


async def staff_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    """A staff reply to a request's card or relayed message goes to the beneficiary."""
    if link.subject_kind not in (CARD, STAFF_LINK):
        return False
    tr = translator("ar")
    event = ctx.event
    request = await _request(ctx, link.subject_id)
    if request is None or event.message_id is None:
        return True
    actor = await staff_actor(ctx)
    try:
        lifecycle.rule_for(request, "reply", actor)
    except Refused as refusal:
        ctx.reply_quoting(
            refuse_role(ctx, actor, "reply", "request", request.id)
            if refusal.why == Why.NOT_ALLOWED
            else tr.gettext("This request is closed; the reply was not sent.")
        )
        return True
    person = (
        await ctx.session.get(Beneficiary, request.beneficiary_id)
        if request.beneficiary_id
        else None
    )
    if person is None:
        ctx.reply_quoting(tr.gettext("This request has no beneficiary to reply to any more."))
        return True
    kept = relay_to_beneficiary(
        ctx, person.telegram_user_id, header(ctx, request, person.locale), (BEN_LINK, request.id)
    )
    if kept is None:
        return True
    text, _file_id = kept
    note = text or f"[{event.file.kind if event.file else 'file'}]"
    applications.move(ctx.session, request, "reply", actor, note[:4000])
    return True


async def own_open_request(ctx: Ctx, request_id: int) -> ServiceRequest | None:
    assert ctx.user is not None
    return await ctx.session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.id == request_id,
            ServiceRequest.beneficiary_id == ctx.user.id,
            ServiceRequest.status.in_(sorted(OPEN)),
        )
    )


async def relay_to_staff(ctx: Ctx, request: ServiceRequest) -> None:
    """The beneficiary's message into the request's thread, quoting its card."""
    event = ctx.event
    assert event.message_id is not None and ctx.user is not None
    tr = translator("ar")
    card = await ctx.session.scalar(
        select(StaffMessageLink)
        .where(
            StaffMessageLink.subject_kind == CARD,
            StaffMessageLink.subject_id == request.id,
        )
        .order_by(StaffMessageLink.created_at)
        .limit(1)
    )
    chat_id = card.chat_id if card else ctx.rt.staff_chat_id
    quote = card.message_id if card else None
    head = tr.gettext("💬 Message from the beneficiary · request {reference}").format(
        reference=isolate(request.reference or "")
    )
    if (channel := ctx.channel_note(ctx.user)) is not None:  # WhatsApp, as on the card
        head += f"\n{channel}"
    if event.text:
        text = clean_input(event.text, multiline=True)
        staff = ctx.send(
            chat_id,
            f"{head}\n«{escape(mask_numbers(text))}»",
            link=(STAFF_LINK, request.id),
            quote=quote,
        )
        note = text
    elif event.file is not None and event.file.kind in RELAYABLE:
        caption = clean_input(event.caption, multiline=True)
        staff = ctx.copy(
            chat_id,
            ctx.chat_id,
            event.message_id,
            f"{head}\n{escape(mask_numbers(caption))}".strip(),
            quote=quote,
            link=(STAFF_LINK, request.id),
        )
        note = caption or f"[{event.file.kind}]"
    else:
        ctx.reply(ctx._("I can pass on text, photos, files and voice notes to the team."))
        return
    applications.record(
        ctx.session,
        request,
        "message_in",
        actor_kind="beneficiary",
        actor_id=ctx.from_id,
        note=note[:4000],
    )
    added = collapse(
        ctx.send(
            ctx.chat_id,
            ctx._("✓ Added to your request {reference}; the team will reply here.").format(
                reference=isolate(request.reference or "")
            ),
            menu_keyboard_short(ctx),
            link=(BEN_LINK, request.id),
        ),
        f"added-r:{request.id}",
    )
    after_delivery(ctx.out, staff, sent=[added], failed=[not_passed_on(ctx)])


async def join_reply(ctx: Ctx) -> bool:
    """A reply to one of our messages about an open request joins it."""
    link = await ctx.session.get(
        StaffMessageLink, (ctx.tenant, ctx.chat_id, ctx.event.reply_to_message_id)
    )
    if link is None or link.subject_kind != BEN_LINK:
        return False
    request = await own_open_request(ctx, link.subject_id)
    if request is None:
        return False
    await relay_to_staff(ctx, request)
    return True


async def on_reply_button(ctx: Ctx, data: Callback) -> None:
    """«↩️ Reply» under a request in “My requests”: the next message goes to it."""
    request = await own_open_request(ctx, data.int_arg(0) or 0)
    if request is None:
        ctx.answer(ctx._("This request is closed."))
        return
    await dialogs.begin(ctx, FLOW, "write", {"request_id": request.id})
    ctx.answer()
    ctx.reply(
        ctx._(
            "Write your message about your request {reference} (or send a photo, a file or a voice note), and I will pass it to the team."
        ).format(reference=isolate(request.reference or ""))
    )


class CaseReplyFlow:
    name = FLOW

    async def on_message(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        request = (
            await own_open_request(ctx, int(dialog.data.get("request_id", 0))) if dialog else None
        )
        await dialogs.end(ctx)
        if request is None:
            ctx.reply(ctx._("This request is closed."), menu_keyboard_short(ctx))
            return
        await relay_to_staff(ctx, request)

    async def resume(self, ctx: Ctx) -> None:
        return None


def register(router: Router) -> None:
    router.reply_handlers.append(staff_reply)
    router.case_replies.append(join_reply)
    router.callback(NS.MY_REQUESTS, "reply")(on_reply_button)
    router.flow(CaseReplyFlow())
