"""Complaints, suggestions and compensation claims (policy clauses 9, 19, 20): type → subject →
description → optional attachment → optional related request → send. Each answer is saved in
the dialog as it is given; the case gets a reference and a response due date."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from sqlalchemy import select

from bot.domain.dates import format_date, today_riyadh
from bot.domain.textutil import isolate
from bot.domain.tickets import KIND_LABELS, Kind, open_ticket
from bot.domain.validation import Invalid, validate, validate_text
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import Button, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.owed import after_delivery
from bot.engine.router import Router
from bot.features.home.menus import back_to_menu_row, menu_keyboard_short
from bot.features.inquiries.inquiries import not_passed_on
from bot.features.inquiries.ticket_cards import LINK, masked_sender, post_ticket_card, route
from bot.i18n import N_
from storage.models import Document, ServiceRequest

FLOW = "complaint"
PROMPTS = {
    "title": N_(
        "In a few words, what is it about? (for example: a late delivery, a suggestion for the service hours)"
    ),
    "details": N_(
        "Please describe it in detail: what happened, when and where. The more we know, the faster we can help."
    ),
    "attachment": N_("Would you like to attach a photo or a file? Send it now, or press Skip."),
}
KIND_INTRO = {
    Kind.COMPLAINT: N_(
        "We are sorry for any inconvenience. Your complaint will be handled confidentially and quickly."
    ),
    Kind.SUGGESTION: N_("Thank you for helping us improve. We read every suggestion."),
    Kind.COMPENSATION: N_(
        "Under the association's compensation policy, you may claim compensation for harm caused by a breach of our obligations. Please describe what happened and what you are asking for."
    ),
}


def skip_row(ctx: Ctx) -> list[Button]:
    return [
        button(ctx._("⏭ Skip"), cb(NS.COMPLAINT, "skip")),
        button(ctx._("✖️ Cancel"), cb(NS.COMPLAINT, "cancel")),
    ]


async def start(ctx: Ctx) -> None:
    kinds = [
        k
        for k in (Kind.COMPLAINT, Kind.SUGGESTION, Kind.COMPENSATION)
        if ctx.profile.complaints.enabled(k.value)
    ]
    if not kinds:
        ctx.show(
            ctx._(
                "Complaints and suggestions are received through the association's other channels."
            ),
            inline([back_to_menu_row(ctx)]),
        )
        return
    rows = [[button(ctx._(KIND_LABELS[k]), cb(NS.COMPLAINT, "kind", k.value))] for k in kinds]
    rows.append(back_to_menu_row(ctx))
    ctx.show(ctx._("What would you like to send us?"), inline(rows))


def ask(ctx: Ctx, step: str) -> None:
    keyboard = (
        inline([skip_row(ctx)])
        if step == "attachment"
        else inline([[button(ctx._("✖️ Cancel"), cb(NS.COMPLAINT, "cancel"))]])
    )
    ctx.reply(ctx._(PROMPTS[step]), keyboard)


async def ask_related(ctx: Ctx, dialog) -> None:
    assert ctx.user is not None
    requests = (
        await ctx.session.scalars(
            select(ServiceRequest)
            .where(
                ServiceRequest.beneficiary_id == ctx.user.id,
                ServiceRequest.status != "draft",
            )
            .order_by(ServiceRequest.id.desc())
            .limit(5)
        )
    ).all()
    if not requests:
        dialogs.save(dialog, "confirm")
        show_summary(ctx, dialog)
        return
    dialogs.save(dialog, "related")
    rows = [[button(r.reference or "", cb(NS.COMPLAINT, "rel", r.id))] for r in requests]
    rows.append(skip_row(ctx))
    ctx.reply(ctx._("Is it about one of your requests? Choose it, or press Skip."), inline(rows))


def show_summary(ctx: Ctx, dialog) -> None:
    data = dialog.data
    lines = [
        ctx._("<b>Please check before sending</b>"),
        ctx._("Type: {kind}").format(kind=ctx._(KIND_LABELS[Kind(data["kind"])])),
        ctx._("Subject: {subject}").format(subject=escape(data.get("title", ""))),
        f"«{escape(data.get('details', ''))}»",
    ]
    if data.get("file"):
        lines.append(ctx._("Attachment: yes"))
    if data.get("related_ref"):
        lines.append(
            ctx._("Related request: {reference}").format(reference=isolate(data["related_ref"]))
        )
    ctx.reply(
        "\n".join(lines),
        inline(
            [
                [button(ctx._("📨 Send"), cb(NS.COMPLAINT, "send"))],
                [button(ctx._("✖️ Cancel"), cb(NS.COMPLAINT, "cancel"))],
            ]
        ),
    )


class ComplaintFlow:
    name = FLOW

    async def on_message(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        assert dialog is not None
        step = dialog.step
        try:
            if step in ("title", "details"):
                limit = 200 if step == "title" else 3000
                value = validate_text(ctx.event.text, max_length=limit)
                dialogs.save(
                    dialog, "details" if step == "title" else "attachment", **{step: value}
                )
                ask(ctx, dialog.step)
            elif step == "attachment":
                raw = ctx.attached_file()
                doc = validate("document", raw)
                dialogs.save(
                    dialog,
                    file={
                        "file_id": doc.file_id,
                        "name": doc.file_name,
                        "mime": doc.mime_type,
                        "size": doc.file_size,
                    },
                )
                await ask_related(ctx, dialog)
            else:
                ctx.reply(ctx._("Please use the buttons under the message to continue."))
        except Invalid as exc:
            ctx.reply(exc.render(ctx.tr))
            ask(ctx, step) if step in PROMPTS else None

    async def resume(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        if dialog is not None and dialog.step in PROMPTS:
            ask(ctx, dialog.step)


async def send(ctx: Ctx, dialog) -> None:
    assert ctx.user is not None
    data = dialog.data
    kind = Kind(data["kind"])
    days = ctx.profile.deadlines.complaint_response_days
    ticket = await open_ticket(
        ctx.session,
        ctx.tenant,
        beneficiary_id=ctx.user.id,
        kind=kind,
        subject=data.get("details", ""),
        due_in=timedelta(days=days),
        data={"title": data.get("title", ""), "who": masked_sender(ctx)},
        related_request_id=data.get("related"),
    )
    if data.get("file"):
        f = data["file"]
        ctx.session.add(
            Document(
                association_id=ctx.tenant,
                beneficiary_id=ctx.user.id,
                ticket_id=ticket.id,
                kind="attachment",
                telegram_file_id=f["file_id"] or "",
                file_name=f.get("name"),
                mime_type=f.get("mime"),
                size=f.get("size"),
            )
        )
    await dialogs.begin(ctx, "ticket", "open", {"ticket_id": ticket.id})
    await post_ticket_card(ctx, ticket)
    card = ctx.out[-1]
    if f := data.get("file"):  # the attachment, into the case's thread
        photo = (f.get("mime") or "").startswith("image/") and not f.get("name")
        ctx.send_stored(
            route(ctx, ticket)[0],
            "photo" if photo else "document",
            f["file_id"],
            isolate(ticket.reference),
            link=(LINK, ticket.id),
        )
    due = format_date(today_riyadh() + timedelta(days=days), ctx.locale)
    received = ctx.show(
        ctx._(
            "Thank you. We received your {kind} with the number {reference}, and we will reply to you by {date}."
        ).format(
            kind=ctx._(KIND_LABELS[kind]), reference=f"<code>{ticket.reference}</code>", date=due
        )
        + "\n"
        + ctx._("You can add details or files now; they will be added to the same case."),
        menu_keyboard_short(ctx),
    )
    # "received" only once the card is in the staff group (bot.engine.outbox: $then)
    after_delivery(ctx.out, card, sent=[received], failed=[not_passed_on(ctx)])


async def on_kind(ctx: Ctx, data: Callback) -> None:
    try:
        kind = Kind(data.arg(0))
    except ValueError:
        kind = None
    if kind is None or kind == Kind.INQUIRY or not ctx.profile.complaints.enabled(kind.value):
        await start(ctx)
        return
    await dialogs.begin(ctx, FLOW, "title", {"kind": kind.value})
    ctx.answer()
    ctx.show(ctx._(KIND_INTRO[kind]))
    ask(ctx, "title")


async def on_cancel(ctx: Ctx, _data: Callback) -> None:
    dialog = await dialogs.current(ctx)
    if dialog is not None and dialog.flow == FLOW:
        await dialogs.end(ctx)
    ctx.answer()
    ctx.show(ctx._("Cancelled. Nothing was sent."), menu_keyboard_short(ctx))


async def on_callback(ctx: Ctx, data: Callback) -> None:
    """The steps' buttons (skip, related case, send), valid only at their step."""
    dialog = await dialogs.current(ctx)
    action = data.action
    if dialog is None or dialog.flow != FLOW:
        ctx.answer(ctx._("This button is no longer active."))
        await start(ctx)
        return
    ctx.answer()
    if action == "skip" and dialog.step == "attachment":
        await ask_related(ctx, dialog)
    elif action in ("skip", "rel") and dialog.step == "related":
        if action == "rel":
            assert ctx.user is not None
            request = await ctx.session.scalar(
                select(ServiceRequest).where(
                    ServiceRequest.id == (data.int_arg(0) or 0),
                    ServiceRequest.beneficiary_id == ctx.user.id,
                )
            )
            if request is not None:
                dialogs.save(dialog, related=request.id, related_ref=request.reference)
        dialogs.save(dialog, "confirm")
        show_summary(ctx, dialog)
    elif action == "send" and dialog.step == "confirm":
        await send(ctx, dialog)
    else:
        await ComplaintFlow().resume(ctx)


def register(router: Router) -> None:
    router.flow(ComplaintFlow())
    router.callback(NS.COMPLAINT, "kind")(on_kind)
    router.callback(NS.COMPLAINT, "cancel")(on_cancel)
    router.callback(NS.COMPLAINT)(on_callback)
    router.menu("complain")(start)
    router.command("complaint", "suggest")(start)
