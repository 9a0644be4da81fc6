"""The questions of the service form: the caller's own draft, one question with its buttons, and
the first one still unanswered (``request_form`` runs the steps)."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy import bindparam, select

from bot.domain import applications
from bot.domain.lifecycle import Status
from bot.domain.textutil import format_number, isolate
from bot.engine.context import Ctx
from bot.engine.keyboards import Button, Markup, ask_for, button, cb, inline
from bot.engine.namespaces import NS
from storage.models import ServiceRequest, table_of
from storage.prepared import Prepared, adopt

# -- loading ------------------------------------------------------------------------------------
REQUESTS = table_of(ServiceRequest)
_REQUEST_KEYS = tuple(REQUESTS.c.keys())
_OWN_DRAFT = Prepared(  # read on every answer: on the driver's connection (storage.prepared)
    select(*REQUESTS.c).where(
        REQUESTS.c.id == bindparam("id"),
        REQUESTS.c.association_id == bindparam("tenant"),
        REQUESTS.c.beneficiary_id == bindparam("owner"),
        REQUESTS.c.status == Status.DRAFT,
    )
)


async def own_draft(ctx: Ctx, request_id: int | None) -> ServiceRequest | None:
    """The caller's own draft — ids from buttons are never trusted."""
    if request_id is None or ctx.user is None:
        return None
    params = {"id": request_id, "tenant": ctx.tenant, "owner": ctx.user.id}
    row = (await _OWN_DRAFT.run(await ctx.connection(flushed=True), params)).first()
    if row is None:
        return None
    return adopt(ctx.session, ServiceRequest, dict(zip(_REQUEST_KEYS, row, strict=True)))


def service_of(ctx: Ctx, request: ServiceRequest):
    return ctx.profile.service(request.service_id)


# -- asking ---------------------------------------------------------------------------------------
def question_text(ctx: Ctx, service: Any, index: int) -> str:
    field = service.form_fields[index]
    loc = ctx.locale
    label = (field.question or field.label).get(loc)
    lines = [
        ctx._("Question {n} of {total}").format(
            n=format_number(index + 1, loc), total=format_number(len(service.form_fields), loc)
        ),
        f"<b>{escape(label)}</b>",
    ]
    if field.hint:
        lines.append(escape(field.hint.get(loc)))
    if field.example:
        lines.append(
            ctx._("Example: {example}").format(example=isolate(escape(field.example.get(loc))))
        )
    if str(field.type) == "document":
        lines.append(ctx._("Send it as a photo or a PDF file with the attachment button (📎)."))
    if str(field.type) == "location" and field.allow_address:
        lines.append(
            ctx._(
                "You can also type your address or district, if your device cannot share a location."
            )
        )
    if not field.required:
        lines.append(ctx._("This question is optional."))
    return "\n".join(lines)


def answered(ctx: Ctx, request: ServiceRequest, index: int) -> None:
    """A question answered with one of its buttons: its message keeps the question and shows
    the answer, without the buttons (on a small phone an answered question still offering its
    choices reads as unanswered). Only where the press came with a message to edit."""
    event = ctx.event
    if event.callback_id is None or event.message_id is None or not event.message_has_text:
        return
    service = service_of(ctx, request)
    assert service is not None
    field = service.form_fields[index]
    stored = request.answers.get(field.id)
    if stored is None:
        line = ctx._("⏭ This question was skipped.")
    else:
        shown = applications.render_answer(
            ctx.tr, ctx.rt.vault, ctx.tenant, field, stored, masked=True
        )
        line = ctx._("✅ Your answer: {answer}").format(answer=shown)
    ctx.edit(ctx.chat_id, event.message_id, f"{question_text(ctx, service, index)}\n\n{line}")


def question_keyboard(ctx: Ctx, request: ServiceRequest, service: Any, index: int) -> Markup:
    field = service.form_fields[index]
    ftype = str(field.type)
    if ftype == "mobile":
        return ask_for(
            "contact",
            ctx._("📱 Share my number"),
            placeholder=ctx._("Or type the number, e.g. 0551234567"),
        )
    if ftype == "location":
        return ask_for("location", ctx._("📍 Share my location"))
    rows: list[list[Button]] = []
    if ftype == "choice" and field.choices:
        rows += [
            [button(c.label.get(ctx.locale), cb(NS.REQUEST_FORM, "ch", request.id, index, c.id))]
            for c in field.choices
        ]
    elif ftype == "yes_no":
        rows.append(
            [
                button(ctx._("Yes"), cb(NS.REQUEST_FORM, "yn", request.id, index, 1)),
                button(ctx._("No"), cb(NS.REQUEST_FORM, "yn", request.id, index, 0)),
            ]
        )
    extra = []
    if not field.required:
        extra.append(button(ctx._("⏭ Skip"), cb(NS.REQUEST_FORM, "skip", request.id, index)))
    extra.append(button(ctx._("⏸ Continue later"), cb(NS.REQUEST_FORM, "pause", request.id)))
    rows.append(extra)
    return inline(rows)


def ask(ctx: Ctx, request: ServiceRequest, index: int) -> None:
    service = service_of(ctx, request)
    assert service is not None
    ctx.reply(question_text(ctx, service, index), question_keyboard(ctx, request, service, index))


def first_unanswered(service: Any, answers: dict[str, Any]) -> int | None:
    for i, field in enumerate(service.form_fields):
        if field.id not in answers:
            return i
    return None


def step_index(step: str) -> int | None:
    head, _, tail = step.partition(":")
    return int(tail) if head in ("field", "edit") and tail.isdigit() else None
