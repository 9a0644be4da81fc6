"""The staff group's side of a request (policy 004): review, documents, interview, field visit,
decision with a reason, delivery, closing — each recorded, the card edited in place, and the
beneficiary told in their language through the outbox.

Actions that need words from staff (which documents, when, why) post a prompt; staff answer by
replying to it. The prompt → request mapping is a ``StaffMessageLink`` row, never parsed text.
"""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy import select

from bot.domain import applications

from bot.features.surveys import survey_flow as survey
from bot.engine.context import Ctx
from bot.i18n import N_, Text, translator
from bot.engine.keyboards import FORCE_REPLY, Callback, button, cb, inline
from bot.domain.lifecycle import Status
from bot.engine.router import Router
from bot.engine.namespaces import NS
from bot.domain.roles import Role, at_least, role_of
from bot.features.requests.request_cards import refresh_card
from bot.domain.textutil import isolate
from storage.models import AuditLog, Beneficiary, Document, ServiceRequest, StaffMessageLink

PROMPT_PREFIX = "sr_"  # StaffMessageLink.subject_kind of a prompt: sr_docs, sr_reject …

# action → (new status, beneficiary message, needs staff text?)
TRANSITIONS: dict[str, tuple[Status, str, bool]] = {
    "review": (Status.UNDER_REVIEW, N_("Your request {reference} is now being studied by the social researcher. We will tell you of every step here."), False),
    "docs": (Status.AWAITING_DOCUMENTS, N_("To complete your request {reference}, please add the following:\n{note}\n\nPress the button below, then send the documents as photos or PDF files."), True),
    "interview": (Status.INTERVIEW, N_("A personal interview is scheduled for your request {reference}:\n{note}\nIf the time does not suit you, please tell us here."), True),
    "visit": (Status.FIELD_VISIT, N_("A field visit is scheduled for your request {reference}:\n{note}\nA member of the association's team will visit you; if the time does not suit you, please tell us here."), True),
    "approve": (Status.APPROVED, N_("Good news: your request {reference} has been approved. The association's team will contact you to deliver the service."), False),
    "reject": (Status.REJECTED, N_("We are sorry to tell you that your request {reference} was not approved.\nReason: {note}\nYou may apply again if your circumstances change, or send us a complaint if you disagree with the decision."), True),
    "deliver": (Status.DELIVERED, N_("The service for your request {reference} has been delivered. Thank you for your trust in the association."), False),
    "close": (Status.CLOSED, N_("Your request {reference} is now closed. Thank you."), False),
}
PROMPTS = {
    "docs": N_("Reply to this message with the documents that are missing for request {reference} (or press one below)."),
    "interview": N_("Reply to this message with the date, time and place of the interview for request {reference}."),
    "visit": N_("Reply to this message with the date and time of the field visit for request {reference}."),
    "reject": N_("Reply to this message with the reason for not approving request {reference}. A reason is required; the beneficiary will read it."),
}


async def _request(ctx: Ctx, request_id: int | None) -> ServiceRequest | None:
    if request_id is None:
        return None
    return await ctx.session.scalar(select(ServiceRequest).where(
        ServiceRequest.id == request_id, ServiceRequest.association_id == ctx.tenant,
        ServiceRequest.status != Status.DRAFT))


async def notify_beneficiary(ctx: Ctx, request: ServiceRequest, text: Text,
                             keyboard_for: Any = None) -> None:
    """Tell the applicant, in their own language, through the outbox."""
    if request.beneficiary_id is None:
        return
    person = await ctx.session.get(Beneficiary, request.beneficiary_id)
    if person is None:
        return
    tr = translator(person.locale)
    keyboard = keyboard_for(tr) if keyboard_for else None
    ctx.send(person.telegram_user_id, text.render(tr), keyboard)


async def apply_action(ctx: Ctx, request: ServiceRequest, action: str, note: str | None = None) -> bool:
    """Move the request; False when the action does not fit its current status (a stale card)."""
    from bot.features.requests.request_cards import ACTIONS

    if action not in ACTIONS.get(request.status, ()):
        return False
    status, msgid, _ = TRANSITIONS[action]
    applications.record(ctx.session, request, action, actor_kind="staff", actor_id=ctx.from_id,
                        to_status=status, note=note)
    if action in ("approve", "reject"):
        request.decided_at = applications.utcnow()
        request.decision_reason = note if action == "reject" else None
        ctx.session.add(AuditLog(association_id=ctx.tenant, actor_id=ctx.from_id, action=f"decision:{action}",
                                 subject_kind="request", subject_id=request.id))
    if action == "close":
        request.closed_at = applications.utcnow()
    keyboard_for = None
    if action == "docs":
        def keyboard_for(tr):  # noqa: ANN001, ANN202
            return inline([[button(tr.gettext("📎 Add documents"), cb(NS.REQUEST_DOCS, "start", request.id))]])
    await notify_beneficiary(ctx, request, Text(msgid, reference=f"<code>{request.reference}</code>",
                                                note=escape(note or "")), keyboard_for)
    await refresh_card(ctx, request)
    if action == "close":
        await survey.invite(ctx, request)
    return True


async def on_card(ctx: Ctx, data: Callback) -> None:
    tr = translator("ar")
    if not ctx.staff_member:
        ctx.answer(tr.gettext("Only members of the association's staff group can do this."), alert=True)
        return
    request = await _request(ctx, data.int_arg(0))
    if request is None:
        ctx.answer(tr.gettext("This request no longer exists."), alert=True)
        return
    action = data.action
    if action == "reveal":
        await reveal(ctx, request)
        return
    if action == "doc":  # a quick "ask for this document" button under the prompt
        service = ctx.profile.service(request.service_id)
        doc = next((d for d in (service.documents if service else ()) if d.id == data.arg(1)), None)
        if doc is None:
            ctx.answer(tr.gettext("This button is no longer active."))
            return
        if await apply_action(ctx, request, "docs", doc.title.get("ar")):
            ctx.answer(tr.gettext("Done ✓"))
        else:
            ctx.answer(tr.gettext("This action does not fit the request's current status."), alert=True)
        return
    if action not in TRANSITIONS:
        ctx.answer(tr.gettext("This button is no longer active."))
        return
    if TRANSITIONS[action][2]:  # needs words from staff: ask for them
        from bot.features.requests.request_cards import ACTIONS

        if action not in ACTIONS.get(request.status, ()):
            ctx.answer(tr.gettext("This action does not fit the request's current status."), alert=True)
            await refresh_card(ctx, request)
            return
        rows = []
        if action == "docs":
            service = ctx.profile.service(request.service_id)
            rows = [[button(d.title.get("ar")[:60], cb(NS.REQUEST_CARD, "doc", request.id, d.id))]
                    for d in (service.documents if service else ())]
        payload_kb = inline(rows) if rows else FORCE_REPLY
        ctx.send(ctx.chat_id, tr.gettext(PROMPTS[action]).format(reference=isolate(request.reference or "")),
                 payload_kb, link=(PROMPT_PREFIX + action, request.id), quote=ctx.event.message_id)
        ctx.answer(tr.gettext("Reply to the bot's message with the details."))
        return
    if await apply_action(ctx, request, action):
        ctx.answer(tr.gettext("Done ✓"))
    else:
        ctx.answer(tr.gettext("This action does not fit the request's current status."), alert=True)
        await refresh_card(ctx, request)


async def on_prompt_reply(ctx: Ctx, link: StaffMessageLink) -> bool:
    """A staff reply to one of our prompts; True when it was one."""
    if not link.subject_kind.startswith(PROMPT_PREFIX):
        return False
    tr = translator("ar")
    action = link.subject_kind[len(PROMPT_PREFIX):]
    note = (ctx.event.text or ctx.event.caption or "").strip()
    request = await _request(ctx, link.subject_id)
    if not ctx.staff_member or request is None or action not in TRANSITIONS:
        return True
    if not note:
        ctx.reply_quoting(tr.gettext("Please reply with text."))
        return True
    if not await apply_action(ctx, request, action, note[:1000]):
        ctx.reply_quoting(tr.gettext("This action does not fit the request's current status."))
        return True
    ctx.reply_quoting(tr.gettext("Done ✓ The beneficiary has been told."))
    return True


async def reveal(ctx: Ctx, request: ServiceRequest) -> None:
    """Full data and documents, sent privately to a researcher or supervisor, and audited."""
    tr = translator("ar")
    role = await role_of(ctx.session, ctx.tenant, ctx.from_id, ctx.rt.settings.supervisor_ids)
    if not at_least(role, Role.RESEARCHER):
        ctx.answer(tr.gettext("Only a social researcher or a supervisor can see the full data."), alert=True)
        return
    service = ctx.profile.service(request.service_id)
    lines = [tr.gettext("🔒 Full data of request {reference} — confidential").format(reference=isolate(request.reference or ""))]
    for field in service.form_fields if service else ():
        value = applications.render_answer(tr, ctx.rt.vault, ctx.tenant, field, request.answers.get(field.id),
                                           masked=False)
        lines.append(f"• {escape(field.label.get('ar'))}: {value}")
    ctx.send(ctx.from_id, "\n".join(lines))
    documents = (await ctx.session.scalars(select(Document).where(
        Document.association_id == ctx.tenant, Document.request_id == request.id).order_by(Document.id))).all()
    for doc in documents:
        kind = "photo" if (doc.mime_type or "").startswith("image/") and not doc.file_name else "document"
        ctx.send_stored(ctx.from_id, kind, doc.telegram_file_id, escape(doc.file_name or doc.kind)[:200])
    ctx.session.add(AuditLog(association_id=ctx.tenant, actor_id=ctx.from_id, action="view_personal_data",
                             subject_kind="request", subject_id=request.id,
                             detail={"documents": len(documents)}))
    ctx.answer(tr.gettext("Sent to you in a private chat with the bot (start it first if you have not)."), alert=True)


def register(router: Router) -> None:
    router.staff_callback(NS.REQUEST_CARD)(on_card)
    router.reply_handlers.append(on_prompt_reply)
