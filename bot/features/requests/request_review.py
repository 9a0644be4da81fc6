"""The review of a finished form (the summary, "change an answer", the list of fields) and the
declaration before sending (policy clause 15)."""

from __future__ import annotations

from html import escape

from bot.domain import applications
from bot.engine.context import Ctx
from bot.engine.keyboards import button, cb, inline
from bot.engine.namespaces import NS
from bot.features.requests.request_questions import service_of
from storage.models import ServiceRequest


# -- review and declaration ------------------------------------------------------------------------
def review_text(ctx: Ctx, request: ServiceRequest) -> str:
    service = service_of(ctx, request)
    assert service is not None
    lines = [ctx._("<b>Please review your answers</b>"), escape(service.title.get(ctx.locale)), ""]
    for field in service.form_fields:
        value = applications.render_answer(
            ctx.tr, ctx.rt.vault, ctx.tenant, field, request.answers.get(field.id), masked=False
        )
        lines.append(f"• {escape(field.label.get(ctx.locale))}: {value}")
    lines += [
        "",
        ctx._("To change an answer, press “✏️ Change an answer”. If all is correct, continue."),
    ]
    return "\n".join(lines)


def show_review(ctx: Ctx, request: ServiceRequest, *, new_message: bool = False) -> None:
    service = service_of(ctx, request)
    assert service is not None
    rows = [
        [button(ctx._("✏️ Change an answer"), cb(NS.REQUEST_FORM, "fields", request.id))],
        [button(ctx._("✅ All correct, continue"), cb(NS.REQUEST_FORM, "declare", request.id))],
        [button(ctx._("⏸ Continue later"), cb(NS.REQUEST_FORM, "pause", request.id))],
    ]
    (ctx.reply if new_message else ctx.show)(review_text(ctx, request), inline(rows))


def show_fields(ctx: Ctx, request: ServiceRequest) -> None:
    """The list of questions, to choose the answer to change (two to a row on a phone)."""
    service = service_of(ctx, request)
    assert service is not None
    names = [
        button(f.label.get(ctx.locale)[:30], cb(NS.REQUEST_FORM, "edit", request.id, i))
        for i, f in enumerate(service.form_fields)
    ]
    rows = [names[i : i + 2] for i in range(0, len(names), 2)]
    rows.append([button(ctx._("↩️ Back to my answers"), cb(NS.REQUEST_FORM, "review", request.id))])
    ctx.show(ctx._("Which answer would you like to change?"), inline(rows))


def show_declaration(ctx: Ctx, request: ServiceRequest, *, new_message: bool = False) -> None:
    text = (
        ctx._("<b>Declaration</b>")
        + "\n"
        + escape(ctx.profile.declaration.text.get(ctx.locale))
        + "\n\n"
        + ctx._("Press “I declare and send” to sign this declaration and send your request.")
    )
    keyboard = inline(
        [
            [button(ctx._("✍️ I declare and send"), cb(NS.REQUEST_FORM, "sign", request.id))],
            [button(ctx._("↩️ Back to my answers"), cb(NS.REQUEST_FORM, "review", request.id))],
        ]
    )
    (ctx.reply if new_message else ctx.show)(text, keyboard)
