"""Applying for a service: form → review → declaration → submitted (policy clauses 2, 13, 15, 16).

The draft is a ``ServiceRequest`` in status ``draft``; the dialog row points at it and at the
current step. Both are written with each answer, so a restart — or a crash — resumes at the
same question with every earlier answer kept. Leaving the form (/menu, /cancel) keeps the draft;
choosing the service again offers to continue it.

Steps: ``field:<index>`` (asking), ``edit:<index>`` (changing one answer from the review),
``review``, ``declare``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy import bindparam, select

from bot.domain import applications
from bot.domain.dates import format_date
from bot.domain.lifecycle import Status
from bot.domain.textutil import Num, format_number, isolate, mask_national_id
from bot.domain.validation import DocumentFile, Invalid, validate
from bot.engine import dialogs
from bot.engine.context import Ctx
from bot.engine.keyboards import (
    REMOVE_KEYBOARD,
    Button,
    Callback,
    Markup,
    ask_for,
    button,
    cb,
    inline,
)
from bot.engine.namespaces import NS
from bot.engine.router import Router
from bot.features.home.menus import back_to_menu_row, menu_keyboard_short
from bot.features.requests.request_cards import post_request_card
from bot.features.requests.request_documents import documents_of
from bot.i18n import N_, Text, translator
from storage.models import Document, ServiceRequest

FLOW = "request"
OTHER_CONTACT = Text(N_("This contact belongs to someone else. Please share your own number with the button, or type it, e.g. 0551234567."))
REPLY_KEYBOARD_TYPES = {"mobile", "location"}


# -- loading ------------------------------------------------------------------------------------
_OWN_DRAFT = select(ServiceRequest).where(  # read on every answer: built once
    ServiceRequest.id == bindparam("id"), ServiceRequest.association_id == bindparam("tenant"),
    ServiceRequest.beneficiary_id == bindparam("owner"), ServiceRequest.status == Status.DRAFT)


async def _draft(ctx: Ctx, request_id: int | None) -> ServiceRequest | None:
    """The caller's own draft — ids from buttons are never trusted."""
    if request_id is None or ctx.user is None:
        return None
    return await ctx.session.scalar(_OWN_DRAFT, {"id": request_id, "tenant": ctx.tenant, "owner": ctx.user.id})


def _service(ctx: Ctx, request: ServiceRequest):
    return ctx.profile.service(request.service_id)


# -- asking ---------------------------------------------------------------------------------------
def question_text(ctx: Ctx, service: Any, index: int) -> str:
    field = service.form_fields[index]
    loc = ctx.locale
    label = (field.question or field.label).get(loc)
    lines = [ctx._("Question {n} of {total}").format(n=format_number(index + 1, loc),
                                                      total=format_number(len(service.form_fields), loc)),
             f"<b>{escape(label)}</b>"]
    if field.hint:
        lines.append(escape(field.hint.get(loc)))
    if field.example:
        lines.append(ctx._("Example: {example}").format(example=isolate(escape(field.example.get(loc)))))
    if str(field.type) == "document":
        lines.append(ctx._("Send it as a photo or a PDF file with the attachment button (📎)."))
    if str(field.type) == "location" and field.allow_address:
        lines.append(ctx._("You can also type your address or district, if your device cannot share a location."))
    if not field.required:
        lines.append(ctx._("This question is optional."))
    return "\n".join(lines)


def question_keyboard(ctx: Ctx, request: ServiceRequest, service: Any, index: int) -> Markup:
    field = service.form_fields[index]
    ftype = str(field.type)
    if ftype == "mobile":
        return ask_for("contact", ctx._("📱 Share my number"),
                       placeholder=ctx._("Or type the number, e.g. 0551234567"))
    if ftype == "location":
        return ask_for("location", ctx._("📍 Share my location"))
    rows: list[list[Button]] = []
    if ftype == "choice" and field.choices:
        rows += [[button(c.label.get(ctx.locale), cb(NS.REQUEST_FORM, "ch", request.id, index, c.id))] for c in field.choices]
    elif ftype == "yes_no":
        rows.append([button(ctx._("Yes"), cb(NS.REQUEST_FORM, "yn", request.id, index, 1)),
                     button(ctx._("No"), cb(NS.REQUEST_FORM, "yn", request.id, index, 0))])
    extra = []
    if not field.required:
        extra.append(button(ctx._("⏭ Skip"), cb(NS.REQUEST_FORM, "skip", request.id, index)))
    extra.append(button(ctx._("⏸ Continue later"), cb(NS.REQUEST_FORM, "pause", request.id)))
    rows.append(extra)
    return inline(rows)


def ask(ctx: Ctx, request: ServiceRequest, index: int) -> None:
    service = _service(ctx, request)
    assert service is not None
    ctx.reply(question_text(ctx, service, index), question_keyboard(ctx, request, service, index))


def first_unanswered(service: Any, answers: dict[str, Any]) -> int | None:
    for i, field in enumerate(service.form_fields):
        if field.id not in answers:
            return i
    return None


async def go_next(ctx: Ctx, dialog: Any, request: ServiceRequest) -> None:
    service = _service(ctx, request)
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
    existing = await ctx.session.scalar(select(ServiceRequest).where(
        ServiceRequest.association_id == ctx.tenant, ServiceRequest.beneficiary_id == ctx.user.id,
        ServiceRequest.service_id == service_id, ServiceRequest.status == Status.DRAFT))
    if existing is not None and not restart and existing.answers:
        ctx.show(ctx._("You have an unfinished application for this service. Would you like to continue where you stopped?"),
                 inline([[button(ctx._("▶️ Continue"), cb(NS.REQUEST_FORM, "resume", existing.id))],
                         [button(ctx._("🔄 Start over"), cb(NS.REQUEST_FORM, "restart", existing.id))],
                         back_to_menu_row(ctx)]))
        return
    if existing is not None:
        existing.answers = {}
        request = existing
    else:
        request = ServiceRequest(association_id=ctx.tenant, beneficiary_id=ctx.user.id,
                                 service_id=service_id, status=Status.DRAFT, answers={})
        ctx.session.add(request)
        await ctx.session.flush()
    dialog = await dialogs.begin(ctx, FLOW, "field:0", {"request_id": request.id})
    ctx.answer()
    ctx.reply(ctx._("Let us start. I will ask you {count} short questions; your answers are saved as you go, so you can stop and continue later.").format(count=len(service.form_fields)))
    await go_next(ctx, dialog, request)


async def resume_draft(ctx: Ctx, request: ServiceRequest) -> None:
    dialog = await dialogs.begin(ctx, FLOW, "field:0", {"request_id": request.id})
    await go_next(ctx, dialog, request)


# -- answers -------------------------------------------------------------------------------------
def raw_answer(ctx: Ctx, ftype: str) -> Any:
    """What the message carries for this field type (text, a contact, a location, a file)."""
    event = ctx.event
    if ftype == "mobile" and event.contact is not None:
        if event.contact.user_id not in (None, ctx.from_id):
            raise Invalid(OTHER_CONTACT)
        return event.contact.phone_number
    if ftype == "location":
        return event.location if event.location is not None else event.text
    if ftype == "document":
        return ctx.attached_file() or event.text
    return event.text


def options_for(service: Any, field: Any, ctx: Ctx) -> dict[str, Any]:
    ftype = str(field.type)
    if ftype == "integer":
        return {k: v for k, v in (("min", field.min_value), ("max", field.max_value)) if v is not None}
    if ftype == "date":
        return {"calendar": str(field.calendar), "past_only": field.past_only, "future_only": field.future_only}
    if ftype == "choice":
        return {"choices": [(c.id, c.label.get(ctx.locale)) for c in field.choices or ()]}
    if ftype == "text" and field.max_length:
        return {"max_length": field.max_length}
    if ftype == "location" and field.allow_address:
        return {"allow_address": True}
    if ftype == "document" and field.document:
        service_doc = next((d for d in service.documents if d.id == field.document), None)
        return {"accept": tuple(str(a) for a in (service_doc.accept if service_doc else ("photo", "pdf")))}
    return {}


def refuse_duplicate(ctx: Ctx, request: ServiceRequest, duplicate: ServiceRequest,
                     national_id: str | None) -> str:
    """Why a national ID with an open request for this service cannot apply again. Only the
    account that owns that request learns its reference; anyone else is only asked to contact
    the association — typing a stranger's ID must not tell who applied for what — and the staff
    group is told of the attempt (the ID masked, the service, no name)."""
    if ctx.user is not None and duplicate.beneficiary_id == ctx.user.id:
        return ctx._("You already have an open request for this service with this national ID: your request number {reference}. You can follow it from “My requests”; there is no need to apply again.").format(
            reference=isolate(duplicate.reference or ""))
    service = _service(ctx, request)
    tr = translator("ar")  # the staff group reads Arabic
    ctx.send(ctx.rt.staff_chat_id, tr.gettext(N_("⚠️ Someone tried to apply for “{service}” with the national ID {national_id}, which already has an open request for this service (request {reference}). They were asked to contact the association.")).format(
        service=escape(service.title.get("ar") if service else request.service_id),
        national_id=isolate(mask_national_id(national_id or "")),
        reference=isolate(duplicate.reference or "")))
    return ctx._("An application with this national ID already exists. Please contact the association so that we can look into it with you; its contact channels are under /contact.")


def _national_id_of(ctx: Ctx, request: ServiceRequest) -> str | None:
    service = _service(ctx, request)
    for field in service.form_fields if service else ():
        stored = request.answers.get(field.id)
        if str(field.type) == "national_id" and stored:
            return applications.reveal(ctx.rt.vault, ctx.tenant, field, stored)
    return None


async def store(ctx: Ctx, request: ServiceRequest, field: Any, value: Any) -> str | None:
    """Keep a validated answer; returns an Arabic refusal for a duplicate national ID."""
    ftype = str(field.type)
    if value is None:
        request.answers = {**request.answers, field.id: None}
        return None
    if ftype == "national_id":
        nid_hash = applications.national_id_hash(ctx.rt.vault, ctx.tenant, value.number)
        duplicate = await applications.open_duplicate(ctx.session, ctx.tenant, request.service_id, nid_hash)
        if duplicate is not None:
            return refuse_duplicate(ctx, request, duplicate, value.number)
        request.national_id_hash = nid_hash
    if ftype == "document":
        assert isinstance(value, DocumentFile)
        cap = ctx.profile.deadlines.documents_per_request
        if await documents_of(ctx, request.id) >= cap:
            return ctx.ngettext(
                "This request has received the most documents it can take ({n} document). The association's team will ask you if anything else is needed.",
                "This request has received the most documents it can take ({n} documents). The association's team will ask you if anything else is needed.",
                cap).format(n=Num(cap).render(ctx.tr))
        ctx.session.add(Document(association_id=ctx.tenant, beneficiary_id=request.beneficiary_id,
                                 request_id=request.id, kind=field.document or field.id,
                                 telegram_file_id=value.file_id or "", file_unique_id=value.file_unique_id,
                                 file_name=value.file_name, mime_type=value.mime_type, size=value.file_size))
    request.answers = {**request.answers, field.id: applications.encode_answer(ctx.rt.vault, ctx.tenant, field, value)}
    return None


async def accept(ctx: Ctx, dialog: Any, request: ServiceRequest, index: int, raw: Any) -> None:
    service = _service(ctx, request)
    assert service is not None
    field = service.form_fields[index]
    ftype = str(field.type)
    try:
        if isinstance(raw, Invalid):
            raise raw
        if isinstance(raw, bool) and ftype == "yes_no":  # a Yes/No button: the answer itself
            value = raw
        else:
            value = validate(ftype, raw, required=field.required, **options_for(service, field, ctx))
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
    await go_next(ctx, dialog, request)


def step_index(step: str) -> int | None:
    head, _, tail = step.partition(":")
    return int(tail) if head in ("field", "edit") and tail.isdigit() else None


class RequestFlow:
    name = FLOW

    async def on_message(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        assert dialog is not None
        request = await _draft(ctx, dialog.data.get("request_id"))
        service = _service(ctx, request) if request else None
        if request is None or service is None:
            await dialogs.end(ctx)
            ctx.reply(ctx._("This application is no longer open. Please start again from the menu."), menu_keyboard_short(ctx))
            return
        index = step_index(dialog.step)
        if index is None or index >= len(service.form_fields):
            ctx.reply(ctx._("Please use the buttons under the message to continue."))
            await self.resume(ctx)
            return
        await accept(ctx, dialog, request, index, raw_answer_safe(ctx, str(service.form_fields[index].type)))

    async def resume(self, ctx: Ctx) -> None:
        dialog = await dialogs.current(ctx)
        request = await _draft(ctx, dialog.data.get("request_id")) if dialog else None
        if dialog is None or request is None:
            return
        if dialog.step == "review":
            show_review(ctx, request, new_message=True)
        elif dialog.step == "declare":
            show_declaration(ctx, request, new_message=True)
        else:
            index = step_index(dialog.step)
            ask(ctx, request, index or 0)


def raw_answer_safe(ctx: Ctx, ftype: str) -> Any:
    try:
        return raw_answer(ctx, ftype)
    except Invalid as exc:
        return exc


# -- review and declaration ------------------------------------------------------------------------
def review_text(ctx: Ctx, request: ServiceRequest) -> str:
    service = _service(ctx, request)
    assert service is not None
    lines = [ctx._("<b>Please review your answers</b>"), escape(service.title.get(ctx.locale)), ""]
    for field in service.form_fields:
        value = applications.render_answer(ctx.tr, ctx.rt.vault, ctx.tenant, field,
                                           request.answers.get(field.id), masked=False)
        lines.append(f"• {escape(field.label.get(ctx.locale))}: {value}")
    lines += ["", ctx._("To change an answer, press “✏️ Change an answer”. If all is correct, continue.")]
    return "\n".join(lines)


def show_review(ctx: Ctx, request: ServiceRequest, *, new_message: bool = False) -> None:
    service = _service(ctx, request)
    assert service is not None
    rows = [[button(ctx._("✏️ Change an answer"), cb(NS.REQUEST_FORM, "fields", request.id))],
            [button(ctx._("✅ All correct, continue"), cb(NS.REQUEST_FORM, "declare", request.id))],
            [button(ctx._("⏸ Continue later"), cb(NS.REQUEST_FORM, "pause", request.id))]]
    (ctx.reply if new_message else ctx.show)(review_text(ctx, request), inline(rows))


def show_fields(ctx: Ctx, request: ServiceRequest) -> None:
    """The list of questions, to choose the answer to change (two to a row on a phone)."""
    service = _service(ctx, request)
    assert service is not None
    names = [button(f.label.get(ctx.locale)[:30], cb(NS.REQUEST_FORM, "edit", request.id, i))
             for i, f in enumerate(service.form_fields)]
    rows = [names[i:i + 2] for i in range(0, len(names), 2)]
    rows.append([button(ctx._("↩️ Back to my answers"), cb(NS.REQUEST_FORM, "review", request.id))])
    ctx.show(ctx._("Which answer would you like to change?"), inline(rows))


def show_declaration(ctx: Ctx, request: ServiceRequest, *, new_message: bool = False) -> None:
    text = (ctx._("<b>Declaration</b>") + "\n" + escape(ctx.profile.declaration.text.get(ctx.locale))
            + "\n\n" + ctx._("Press “I declare and send” to sign this declaration and send your request."))
    keyboard = inline([[button(ctx._("✍️ I declare and send"), cb(NS.REQUEST_FORM, "sign", request.id))],
                       [button(ctx._("↩️ Back to my answers"), cb(NS.REQUEST_FORM, "review", request.id))]])
    (ctx.reply if new_message else ctx.show)(text, keyboard)


async def sign(ctx: Ctx, request: ServiceRequest) -> None:
    assert ctx.user is not None
    service = _service(ctx, request)
    assert service is not None
    missing = first_unanswered(service, request.answers)
    if missing is not None:
        dialog = await dialogs.begin(ctx, FLOW, f"field:{missing}", {"request_id": request.id})
        await go_next(ctx, dialog, request)
        return
    if request.national_id_hash:
        duplicate = await applications.open_duplicate(ctx.session, ctx.tenant, request.service_id,
                                                      request.national_id_hash, exclude_id=request.id)
        if duplicate is not None:
            ctx.show(refuse_duplicate(ctx, request, duplicate, _national_id_of(ctx, request)),
                     menu_keyboard_short(ctx))
            await dialogs.end(ctx)
            return
    days = service.decision_days or ctx.profile.deadlines.decision_days
    await applications.submit(ctx.session, request, decision_days=days,
                              declaration_version=ctx.profile.declaration.version, actor_id=ctx.from_id)
    await dialogs.end(ctx)
    ctx.answer(ctx._("Sent ✓"))
    ctx.show(ctx._("Your request has been received with the number {reference}. It will be raised to the research committee to study it, and we will reply to you about its acceptance by {date}.").format(
        reference=f"<code>{request.reference}</code>", date=format_date(request.due_date, ctx.locale))  # type: ignore[arg-type]  # set by submit()
        + "\n" + ctx._("You can follow it at any time from “My requests” or with /status."),
        menu_keyboard_short(ctx))
    await post_request_card(ctx, request)


# -- buttons ---------------------------------------------------------------------------------------
async def on_start(ctx: Ctx, data: Callback) -> None:
    await start(ctx, data.arg(0))


async def on_callback(ctx: Ctx, data: Callback) -> None:
    """The buttons of a draft: its id first, then the step's arguments."""
    request = await _draft(ctx, data.int_arg(0))
    if request is None or _service(ctx, request) is None:
        ctx.answer(ctx._("This application is no longer open."))
        ctx.reply(ctx._("This application is no longer open. Please start again from the menu."), menu_keyboard_short(ctx))
        return
    service = _service(ctx, request)
    if data.action == "restart":
        await start(ctx, request.service_id, restart=True)
    elif data.action == "resume":
        ctx.answer()
        await resume_draft(ctx, request)
    elif data.action == "pause":
        await dialogs.end(ctx)
        ctx.answer()
        ctx.reply(ctx._("Your answers are saved. To continue later, choose the same service again from the menu."), menu_keyboard_short(ctx))
    elif data.action in ("ch", "yn", "skip"):
        index = data.int_arg(1)
        dialog = await dialogs.current(ctx)
        if (dialog is None or dialog.flow != FLOW or index is None or step_index(dialog.step) != index
                or dialog.data.get("request_id") != request.id):
            ctx.answer(ctx._("This button is no longer active."))
            await RequestFlow().resume(ctx)
            return
        if data.action == "yn" and (index >= len(service.form_fields)
                                    or str(service.form_fields[index].type) != "yes_no"):
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
