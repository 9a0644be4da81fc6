"""The request card in the staff group: masked by default (personal data stays out of the group),
with the buttons of policy 004's eligibility mechanism for the request's current status.
Edited in place after every action; the card's message is found through ``StaffMessageLink``.
"""

from __future__ import annotations

from html import escape

from sqlalchemy import func, select

from bot.domain import applications
from bot.domain.dates import format_date
from bot.domain.lifecycle import OPEN, card_actions, label
from bot.domain.textutil import isolate
from bot.engine.context import UNREACHABLE, Ctx
from bot.engine.keyboards import Buttons, button, cb, inline
from bot.engine.namespaces import NS
from bot.features.staff.staff_group import appointment_line, assignee_line, work_row
from bot.i18n import N_, Translator, translator
from storage.models import Beneficiary, Document, ServiceRequest, StaffMessageLink

CARD = "request"  # StaffMessageLink.subject_kind of a request's card
BEN_LINK = "req_b"  # our message about a request in the beneficiary's chat: a reply joins it

# the buttons for each status come from the request's table (bot.domain.lifecycle): policy 004's
# review, documents, interview, field visit, decision with a reason, delivery, close
ACTION_LABELS = {
    "review": N_("🔎 Start review"),
    "docs": N_("📄 Ask for documents"),
    "interview": N_("🗣 Schedule interview"),
    "visit": N_("🏠 Schedule field visit"),
    "approve": N_("✅ Approve"),
    "reject": N_("❌ Reject"),
    "deliver": N_("📦 Service delivered"),
    "close": N_("🔒 Close"),
    "reveal": N_("👁 Full data and documents"),
}


def staff_tr(ctx: Ctx) -> Translator:
    return translator("ar")


async def card_text(ctx: Ctx, request: ServiceRequest) -> str:
    tr = staff_tr(ctx)
    service = ctx.profile.service(request.service_id)
    title = service.title.get("ar") if service else request.service_id
    lines = [
        tr.gettext("📝 <b>Service request</b> {reference}").format(
            reference=isolate(request.reference or "")
        ),
        tr.gettext("Service: {service}").format(service=escape(title)),
        tr.gettext("Status: {status}").format(status=tr.gettext(label(request.status))),
    ]
    if request.due_date:
        lines.append(
            tr.gettext("Decision due by: {date}").format(date=format_date(request.due_date, "ar"))
        )
    if service:
        lines.append("")
        for field in service.form_fields:
            if str(field.type) == "document":
                continue
            value = applications.render_answer(
                tr, ctx.rt.vault, ctx.tenant, field, request.answers.get(field.id), masked=True
            )
            lines.append(f"• {escape(field.label.get('ar'))}: {value}")
    count = await ctx.session.scalar(
        select(func.count()).select_from(Document).where(Document.request_id == request.id)
    )
    lines.append(
        tr.ngettext("📎 {n} document attached", "📎 {n} documents attached", count or 0).format(
            n=count or 0
        )
    )
    if request.decision_reason:
        lines.append(tr.gettext("Reason: {reason}").format(reason=escape(request.decision_reason)))
    if held := await assignee_line(ctx, CARD, request.id):
        lines.append(held)
    if appointment := await appointment_line(ctx, request.id):
        lines.append(appointment)
    if request.beneficiary_id:
        beneficiary = await ctx.session.get(Beneficiary, request.beneficiary_id)
        if (note := ctx.channel_note(beneficiary)) is not None:
            lines.insert(3, note)
        if beneficiary is not None and beneficiary.unreachable_at is not None:
            lines.append(tr.gettext(UNREACHABLE.get(beneficiary.channel, UNREACHABLE["telegram"])))
    return "\n".join(lines)


def card_keyboard(ctx: Ctx, request: ServiceRequest) -> Buttons:
    tr = staff_tr(ctx)
    actions = card_actions(request)
    rows = [
        [
            button(tr.gettext(ACTION_LABELS[a]), cb(NS.REQUEST_CARD, a, request.id))
            for a in actions[i : i + 2]
        ]
        for i in range(0, len(actions), 2)
    ]
    reveal = ACTION_LABELS["reveal"]
    rows.append([button(tr.gettext(reveal), cb(NS.REQUEST_CARD, "reveal", request.id))])
    if request.status in OPEN:
        rows.append(work_row("r", request.id))
    return inline(rows)


async def post_request_card(ctx: Ctx, request: ServiceRequest) -> None:
    """Queue the card; its message id is linked to the request when it is sent."""
    ctx.send(
        ctx.rt.staff_chat_id,
        await card_text(ctx, request),
        card_keyboard(ctx, request),
        link=(CARD, request.id),
    )


async def refresh_card(ctx: Ctx, request: ServiceRequest) -> None:
    """Edit the request's card(s) in the staff group in place."""
    links = (
        await ctx.session.scalars(
            select(StaffMessageLink).where(
                StaffMessageLink.subject_kind == CARD,
                StaffMessageLink.subject_id == request.id,
            )
        )
    ).all()
    text, keyboard = await card_text(ctx, request), card_keyboard(ctx, request)
    for link in links:
        ctx.edit(link.chat_id, link.message_id, text, keyboard)
