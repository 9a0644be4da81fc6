"""The staff group's side of a request (policy 004): review, documents, interview, field visit,
decision with a reason, delivery, closing — each recorded, the card edited in place, and the
beneficiary told in their language through the outbox.

Actions that need words from staff (which documents, when, why) post a prompt; staff answer by
replying to it. The prompt → request mapping is a ``StaffMessageLink`` row, never parsed text.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from sqlalchemy import select

from bot.domain import applications, lifecycle
from bot.domain.lifecycle import REQUEST_RULES, Actor, Refused, Status, Why
from bot.domain.roles import Role, at_least, role_of
from bot.domain.textutil import clean_input, isolate
from bot.engine.context import Ctx
from bot.engine.keyboards import FORCE_REPLY, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.requests import request_moves
from bot.features.requests.request_cards import CARD, refresh_card
from bot.features.staff.staff_group import card_lives_here, refuse_role, staff_actor
from bot.i18n import N_, translator
from storage.models import Document, ServiceRequest, StaffMessageLink

PROMPT_PREFIX = "sr_"  # StaffMessageLink.subject_kind of a prompt: sr_docs, sr_reject …

PROMPTS = {
    "docs": N_(
        "Reply to this message with the documents that are missing for request {reference} (or press one below)."
    ),
    "interview": N_(
        "Reply to this message with the date, time and place of the interview for request {reference}."
    ),
    "visit": N_(
        "Reply to this message with the date and time of the field visit for request {reference}."
    ),
    "reject": N_(
        "Reply to this message with the reason for not approving request {reference}. A reason is required; the beneficiary will read it."
    ),
}


async def _request(ctx: Ctx, request_id: int | None) -> ServiceRequest | None:
    if request_id is None:
        return None
    return await ctx.session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.id == request_id,
            ServiceRequest.status != Status.DRAFT,
        )
    )


async def apply_action(
    ctx: Ctx,
    request: ServiceRequest,
    action: str,
    note: str | None = None,
    actor: Actor | None = None,
) -> Refused | None:
    """Move the request; the refusal when the move does not fit its current status (a stale
    card) or the actor's role (then audited: ``refuse_role``)."""
    actor = actor or await staff_actor(ctx)
    try:
        await request_moves.take(ctx, request, action, actor, note)
    except Refused as refusal:
        return refusal
    return None


def refusal_text(ctx: Ctx, refusal: Refused, actor: Actor, request: ServiceRequest) -> str:
    if refusal.why == Why.NOT_ALLOWED:
        return refuse_role(ctx, actor, refusal.action, "request", request.id)
    return translator("ar").gettext("This action does not fit the request's current status.")


async def on_card(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.answer(
            tr.gettext("Only members of the association's staff group can do this."), alert=True
        )
        return
    request = await _request(ctx, data.int_arg(0))
    if request is None:
        ctx.answer(tr.gettext("This request no longer exists."), alert=True)
        return
    if not await card_lives_here(ctx, (CARD, PROMPT_PREFIX + "docs"), request.id):
        ctx.answer(
            tr.gettext("This card's buttons work only in the chat where the card was posted."),
            alert=True,
        )
        return
    action = data.action
    if action == "reveal":
        await reveal(ctx, request)
        return
    actor = await staff_actor(ctx)
    if action == "doc":  # a quick "ask for this document" button under the prompt
        service = ctx.profile.service(request.service_id)
        doc = next((d for d in (service.documents if service else ()) if d.id == data.arg(1)), None)
        if doc is None:
            ctx.answer(tr.gettext("This button is no longer active."))
            return
        refusal = await apply_action(ctx, request, "docs", doc.title.get("ar"), actor)
        if refusal is None:
            ctx.answer(tr.gettext("Done ✓"))
        else:
            ctx.answer(refusal_text(ctx, refusal, actor, request), alert=True)
        return
    if action not in REQUEST_RULES.action_names(on_card=True):
        ctx.answer(tr.gettext("This button is no longer active."))
        return
    try:
        rule = lifecycle.rule_for(request, action, actor)
    except Refused as refusal:
        ctx.answer(refusal_text(ctx, refusal, actor, request), alert=True)
        if refusal.why != Why.NOT_ALLOWED:
            await refresh_card(ctx, request)
        return
    if rule.needs_note:  # needs words from staff: ask for them
        rows = []
        if action == "docs":
            service = ctx.profile.service(request.service_id)
            rows = [
                [button(d.title.get("ar")[:60], cb(NS.REQUEST_CARD, "doc", request.id, d.id))]
                for d in (service.documents if service else ())
            ]
        payload_kb = inline(rows) if rows else FORCE_REPLY
        ctx.send(
            ctx.chat_id,
            tr.gettext(PROMPTS[action]).format(reference=isolate(request.reference or "")),
            payload_kb,
            link=(PROMPT_PREFIX + action, request.id),
            quote=ctx.event.message_id,
        )
        ctx.answer(tr.gettext("Reply to the bot's message with the details."))
        return
    refused = await apply_action(ctx, request, action, actor=actor)
    if refused is None:
        ctx.answer(tr.gettext("Done ✓"))
    else:
        ctx.answer(refusal_text(ctx, refused, actor, request), alert=True)
        await refresh_card(ctx, request)


async def on_prompt_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    """A staff reply to one of our prompts; True when it was one."""
    action = link.subject_kind[len(PROMPT_PREFIX) :]
    if not link.subject_kind.startswith(PROMPT_PREFIX) or action not in PROMPTS:
        return False  # not a prompt (a relayed message: bot.features.requests.request_thread)
    tr = translator("ar")
    note = clean_input(ctx.event.text or ctx.event.caption, multiline=True)
    request = await _request(ctx, link.subject_id)
    if not ctx.staff_member or request is None or action not in PROMPTS:
        return True
    if not note:
        ctx.reply_quoting(tr.gettext("Please reply with text."))
        return True
    actor = await staff_actor(ctx)
    refusal = await apply_action(ctx, request, action, note[:1000], actor)
    if refusal is not None:
        ctx.reply_quoting(refusal_text(ctx, refusal, actor, request))
        return True
    ctx.reply_quoting(tr.gettext("Done ✓ The beneficiary has been told."))
    return True


async def reveal(ctx: Ctx, request: ServiceRequest) -> None:
    """Full data and documents, sent privately to a researcher or supervisor, and audited."""
    tr = translator("ar")
    role = await role_of(ctx.session, ctx.tenant, ctx.from_id, ctx.rt.settings.supervisor_ids)
    if not at_least(role, Role.RESEARCHER):
        ctx.answer(
            tr.gettext("Only a social researcher or a supervisor can see the full data."),
            alert=True,
        )
        return
    service = ctx.profile.service(request.service_id)
    lines = [
        tr.gettext("🔒 Full data of request {reference} — confidential").format(
            reference=isolate(request.reference or "")
        )
    ]
    for field in service.form_fields if service else ():
        value = applications.render_answer(
            tr, ctx.rt.vault, ctx.tenant, field, request.answers.get(field.id), masked=False
        )
        lines.append(f"• {escape(field.label.get('ar'))}: {value}")
    documents = (
        await ctx.session.scalars(
            select(Document).where(Document.request_id == request.id).order_by(Document.id)
        )
    ).all()
    if documents:
        lines += ["", tr.gettext("Documents:")] + [
            f"{i}. {escape(doc.file_name or doc.kind)}" for i, doc in enumerate(documents, 1)
        ]
    ctx.send(ctx.from_id, "\n".join(lines))
    send_documents(ctx, ctx.from_id, documents)
    ctx.audit(
        action="view_personal_data",
        subject_kind="request",
        subject_id=request.id,
        detail={"documents": len(documents)},
    )
    ctx.answer(
        tr.gettext("Sent to you in a private chat with the bot (start it first if you have not)."),
        alert=True,
    )


ALBUM_SIZE = 10  # Telegram's most media in one sendMediaGroup


def send_documents(ctx: Ctx, chat_id: int, documents: Sequence[Document]) -> None:
    """The documents as albums of up to ten (photos together, files together), one message
    when alone: a reviewer gets two or three messages, not one per document."""
    photos = [d for d in documents if (d.mime_type or "").startswith("image/") and not d.file_name]
    files = [d for d in documents if d not in photos]
    for kind, group in (("photo", photos), ("document", files)):
        for start in range(0, len(group), ALBUM_SIZE):
            chunk = group[start : start + ALBUM_SIZE]
            captions = [escape(d.file_name or d.kind)[:200] for d in chunk]
            if len(chunk) == 1:
                ctx.send_stored(chat_id, kind, chunk[0].telegram_file_id, captions[0])
            else:
                ctx.send_album(
                    chat_id,
                    kind,
                    [
                        (d.telegram_file_id, caption)
                        for d, caption in zip(chunk, captions, strict=True)
                    ],
                )


def register(router: Router) -> None:
    router.staff_callback(NS.REQUEST_CARD)(on_card)
    router.reply_handlers.append(on_prompt_reply)
