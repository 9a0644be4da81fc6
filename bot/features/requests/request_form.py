"""Applying for a service: form → review → declaration → submitted (policy clauses 2, 13, 15, 16).

The draft is a ``ServiceRequest`` in status ``draft``; the dialog row points at it and at the
current step. Both are written with each answer, so a restart — or a crash — resumes at the
same question with every earlier answer kept. Leaving the form (/menu, /cancel) keeps the draft;
choosing the service again offers to continue it.

Steps: ``field:<index>`` (asking), ``edit:<index>`` (changing one answer from the review),
``review``, ``declare``. The questions are in ``request_questions``, what an answer carries and
how it is kept in ``request_answers``, the review and the declaration in ``request_review``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.domain import applications
from bot.domain.dates import format_date
from bot.domain.lifecycle import Status
from bot.domain.validation import Invalid, validate
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import REMOVE_KEYBOARD, Callback, button, cb, inline
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import back_to_menu_row, menu_keyboard_short
from bot.features.requests.request_answers import (
    national_id_of,
    options_for,
    raw_answer_safe,
    refuse_duplicate,
    store,
)
from bot.features.requests.request_cards import post_request_card
from bot.features.requests.request_questions import (
    answered,
    ask,
    first_unanswered,
    own_draft,
    service_of,
    step_index,
)
from bot.features.requests.request_review import show_declaration, show_fields, show_review
from storage.models import ServiceRequest

FLOW = "request"
REPLY_KEYBOARD_TYPES = {"mobile", "location"}


async def go_next(ctx: Ctx, dialog: Any, request: ServiceRequest) -> None:
    service = service_of(ctx, request)
    assert service is not None
    index = None if dialog.step.startswith("edit:") else first_unanswered(service, request.answers)
    if index is None:
        dialogs.save(dialog, "review")
        show_review(ctx, request, new_message=True)
    else:
        dialogs.save(dialog, f"field:{index}")
        ask(ctx, request, index)


# -- starting ----------------------------------------------------------------------------------
async def start(ctx: Ctx, service_id: str, *, restart: bool = False) -> None:
    assert ctx.user is not None
    service = ctx.profile.service(service_id)
    if service is None or not service.active or not service.form_fields:
        ctx.answer(ctx._("This service is no longer available."))
        return
    existing = await ctx.session.scalar(
        select(ServiceRequest).where(
            ServiceRequest.beneficiary_id == ctx.user.id,
            ServiceRequest.service_id == service_id,
            ServiceRequest.status == Status.DRAFT,
        )
    )
    if existing is not None and not restart and existing.answers:
        ctx.show(
            ctx._(
                "You have an unfinished application for this service. Would you like to continue where you stopped?"
            ),
            inline(
                [
                    [button(ctx._("▶️ Continue"), cb(NS.REQUEST_FORM, "resume", existing.id))],
                    [button(ctx._("🔄 Start over"), cb(NS.REQUEST_FORM, "restart", existing.id))],
                    back_to_menu_row(ctx),
                ]
            ),
        )
        return
    if existing is not None:
        existing.answers = {}
        request = existing
    else:
        request = ServiceRequest(
            association_id=ctx.tenant,
            beneficiary_id=ctx.user.id,
            service_id=service_id,
            status=Status.DRAFT,
            answers={},
        )
        ctx.session.add(request)
        await ctx.session.flush()
    dialog = await dialogs.begin(ctx, FLOW, "field:0", {"request_id": request.id})
    ctx.answer()
    ctx.reply(
        ctx._(
            "Let us start. I will ask you {count} short questions; your answers are saved as you go, so you can stop and continue later."
        ).format(count=len(service.form_fields))
    )
    await go_next(ctx, dialog, request)


async def resume_draft(ctx: Ctx, request: ServiceRequest) -> None:
    dialog = await dialogs.begin(ctx, FLOW, "field:0", {"request_id": request.id})
    await go_next(ctx, dialog, request)


async def accept(ctx: Ctx, dialog: Any, request: ServiceRequest, index: int, raw: Any) -> None:
    service = service_of(ctx, request)
    assert service is not None
    field = service.form_fields[index]
    ftype = str(field.type)
    try:
        if isinstance(raw, Invalid):
            raise raw
        if isinstance(raw, bool) and ftype == "yes_no":  # a Yes/No button: the answer itself
            value = raw
        else:
            value = validate(
                ftype, raw, required=field.required, **options_for(service, field, ctx)
            )
    except Invalid as exc:
        ctx.reply(exc.render(ctx.tr))
        ask(ctx, request, index)
        return
    refusal = await store(ctx, request, field, value)
    if refusal:
        ctx.reply(refusal, REMOVE_KEYBOARD if ftype in REPLY_KEYBOARD_TYPES else None)
        ask(ctx, request, index)
        return
    if ftype in REPLY_KEYBOARD_TYPES:
        ctx.reply(ctx._("Received ✓"), REMOVE_KEYBOARD)
    answered(ctx, request, index)
    await go_next(ctx, dialog, request)


class RequestFlow:
    name = FLOW

    async def on_message(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        assert dialog is not None
        request = await own_draft(ctx, dialog.data.get("request_id"))
        service = service_of(ctx, request) if request else None
        if request is None or service is None:
            await dialogs.end(ctx)
            ctx.reply(
                ctx._("This application is no longer open. Please start again from the menu."),
                menu_keyboard_short(ctx),
            )
            return
        index = step_index(dialog.step)
        if index is None or index >= len(service.form_fields):
            ctx.reply(ctx._("Please use the buttons under the message to continue."))
            await self.resume(ctx)
            return
        await accept(
            ctx, dialog, request, index, raw_answer_safe(ctx, str(service.form_fields[index].type))
        )

    async def resume(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        request = await own_draft(ctx, dialog.data.get("request_id")) if dialog else None
        if dialog is None or request is None:
            return
        if dialog.step == "review":
            show_review(ctx, request, new_message=True)
        elif dialog.step == "declare":
            show_declaration(ctx, request, new_message=True)
        else:
            index = step_index(dialog.step)
            ask(ctx, request, index or 0)


async def sign(ctx: Ctx, request: ServiceRequest) -> None:
    assert ctx.user is not None
    service = service_of(ctx, request)
    assert service is not None
    missing = first_unanswered(service, request.answers)
    if missing is not None:
        dialog = await dialogs.begin(ctx, FLOW, f"field:{missing}", {"request_id": request.id})
        await go_next(ctx, dialog, request)
        return
    if request.national_id_hash:
        duplicate = await applications.open_duplicate(
            ctx.session,
            ctx.tenant,
            request.service_id,
            request.national_id_hash,
            exclude_id=request.id,
        )
        if duplicate is not None:
            ctx.show(
                refuse_duplicate(ctx, request, duplicate, national_id_of(ctx, request)),
                menu_keyboard_short(ctx),
            )
            await dialogs.end(ctx)
            return
    days = service.decision_days or ctx.profile.deadlines.decision_days
    await applications.submit(
        ctx.session,
        request,
        decision_days=days,
        declaration_version=ctx.profile.declaration.version,
        actor_id=ctx.from_id,
    )
    await dialogs.end(ctx)
    assert request.due_date is not None  # set by submit()
    ctx.answer(ctx._("Sent ✓"))
    ctx.show(
        ctx._(
            "Your request has been received with the number {reference}. It will be raised to the research committee to study it, and we will reply to you about its acceptance by {date}."
        ).format(
            reference=f"<code>{request.reference}</code>",
            date=format_date(request.due_date, ctx.locale),
        )
        + "\n"
        + ctx._("You can follow it at any time from “My requests” or with /status."),
        menu_keyboard_short(ctx),
    )
    await post_request_card(ctx, request)


# -- buttons ---------------------------------------------------------------------------------------
async def on_start(ctx: Ctx, data: Callback) -> None:
    await start(ctx, data.arg(0))


async def on_callback(ctx: Ctx, data: Callback) -> None:
    """The buttons of a draft: its id first, then the step's arguments."""
    request = await own_draft(ctx, data.int_arg(0))
    if request is None or service_of(ctx, request) is None:
        ctx.answer(ctx._("This application is no longer open."))
        ctx.reply(
            ctx._("This application is no longer open. Please start again from the menu."),
            menu_keyboard_short(ctx),
        )
        return
    service = service_of(ctx, request)
    if data.action == "restart":
        await start(ctx, request.service_id, restart=True)
    elif data.action == "resume":
        ctx.answer()
        await resume_draft(ctx, request)
    elif data.action == "pause":
        await dialogs.end(ctx)
        ctx.answer()
        ctx.reply(
            ctx._(
                "Your answers are saved. To continue later, choose the same service again from the menu."
            ),
            menu_keyboard_short(ctx),
        )
    elif data.action in ("ch", "yn", "skip"):
        index = data.int_arg(1)
        dialog = await dialogs.current(ctx)
        if (
            dialog is None
            or dialog.flow != FLOW
            or index is None
            or step_index(dialog.step) != index
            or dialog.data.get("request_id") != request.id
        ):
            ctx.answer(ctx._("This button is no longer active."))
            await RequestFlow().resume(ctx)
            return
        if data.action == "yn" and (
            index >= len(service.form_fields) or str(service.form_fields[index].type) != "yes_no"
        ):
            ctx.answer(ctx._("This button is no longer active."))
            return
        ctx.answer()
        raw: Any = data.arg(2)
        if data.action == "yn":
            raw = data.arg(2) == "1"  # routed as the answer, not as words to read back
        elif data.action == "skip":
            raw = None
        await accept(ctx, dialog, request, index, raw)
    elif data.action == "edit":
        index = data.int_arg(1)
        if index is None or index >= len(service.form_fields):
            ctx.answer(ctx._("This button is no longer active."))
            return
        dialog = await dialogs.begin(ctx, FLOW, f"edit:{index}", {"request_id": request.id})
        ctx.answer()
        ask(ctx, request, index)
    elif data.action == "review":
        await dialogs.begin(ctx, FLOW, "review", {"request_id": request.id})
        show_review(ctx, request)
    elif data.action == "fields":
        ctx.answer()
        show_fields(ctx, request)
    elif data.action == "declare":
        await dialogs.begin(ctx, FLOW, "declare", {"request_id": request.id})
        show_declaration(ctx, request)
    elif data.action == "sign":
        await sign(ctx, request)
    else:
        ctx.answer(ctx._("This button is no longer active."))


def register(router: Router) -> None:
    router.flow(RequestFlow())
    router.callback(NS.REQUEST_FORM, "start")(on_start)
    router.callback(NS.REQUEST_FORM)(on_callback)
