"""The answers of the service form: what a message carries for a field, the options it is
validated with, and keeping it on the draft (a duplicate national ID refused, documents counted)."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlalchemy import bindparam, inspect, update
from sqlalchemy.orm.attributes import set_committed_value

from bot.domain import applications
from bot.domain.textutil import Num, isolate, mask_national_id
from bot.domain.validation import DocumentFile, Invalid
from bot.engine.context import Ctx
from bot.features.requests.request_documents import documents_of
from bot.features.requests.request_questions import REQUESTS, service_of
from bot.i18n import N_, Text, translator
from storage.models import Document, ServiceRequest, utcnow
from storage.prepared import Prepared

OTHER_CONTACT = Text(
    N_(
        "This contact belongs to someone else. Please share your own number with the button, or type it, e.g. 0551234567."
    )
)


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
        return {
            k: v for k, v in (("min", field.min_value), ("max", field.max_value)) if v is not None
        }
    if ftype == "date":
        return {
            "calendar": str(field.calendar),
            "past_only": field.past_only,
            "future_only": field.future_only,
        }
    if ftype == "choice":
        return {"choices": [(c.id, c.label.get(ctx.locale)) for c in field.choices or ()]}
    if ftype == "text" and field.max_length:
        return {"max_length": field.max_length}
    if ftype == "location" and field.allow_address:
        return {"allow_address": True}
    if ftype == "document" and field.document:
        service_doc = next((d for d in service.documents if d.id == field.document), None)
        return {
            "accept": tuple(
                str(a) for a in (service_doc.accept if service_doc else ("photo", "pdf"))
            )
        }
    return {}


def refuse_duplicate(
    ctx: Ctx, request: ServiceRequest, duplicate: ServiceRequest, national_id: str | None
) -> str:
    """Why a national ID with an open request for this service cannot apply again. Only the
    account that owns that request learns its reference; anyone else is only asked to contact
    the association — typing a stranger's ID must not tell who applied for what — and the staff
    group is told of the attempt (the ID masked, the service, no name)."""
    if ctx.user is not None and duplicate.beneficiary_id == ctx.user.id:
        return ctx._(
            "You already have an open request for this service with this national ID: your request number {reference}. You can follow it from “My requests”; there is no need to apply again."
        ).format(reference=isolate(duplicate.reference or ""))
    service = service_of(ctx, request)
    tr = translator("ar")  # the staff group reads Arabic
    ctx.send(
        ctx.rt.staff_chat_id,
        tr.gettext(
            N_(
                "⚠️ Someone tried to apply for “{service}” with the national ID {national_id}, which already has an open request for this service (request {reference}). They were asked to contact the association."
            )
        ).format(
            service=escape(service.title.get("ar") if service else request.service_id),
            national_id=isolate(mask_national_id(national_id or "")),
            reference=isolate(duplicate.reference or ""),
        ),
    )
    return ctx._(
        "An application with this national ID already exists. Please contact the association so that we can look into it with you; its contact channels are under /contact."
    )


def national_id_of(ctx: Ctx, request: ServiceRequest) -> str | None:
    service = service_of(ctx, request)
    for field in service.form_fields if service else ():
        stored = request.answers.get(field.id)
        if str(field.type) == "national_id" and stored:
            return applications.reveal(ctx.rt.vault, ctx.tenant, field, stored)
    return None


async def store(ctx: Ctx, request: ServiceRequest, field: Any, value: Any) -> str | None:
    """Keep a validated answer; returns an Arabic refusal for a duplicate national ID."""
    ftype = str(field.type)
    if value is None:
        await keep_answers(ctx, request, {**request.answers, field.id: None})
        return None
    if ftype == "national_id":
        nid_hash = applications.national_id_hash(ctx.rt.vault, ctx.tenant, value.number)
        duplicate = await applications.open_duplicate(
            ctx.session, ctx.tenant, request.service_id, nid_hash
        )
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
                cap,
            ).format(n=Num(cap).render(ctx.tr))
        ctx.session.add(
            Document(
                association_id=ctx.tenant,
                beneficiary_id=request.beneficiary_id,
                request_id=request.id,
                kind=field.document or field.id,
                telegram_file_id=value.file_id or "",
                file_unique_id=value.file_unique_id,
                file_name=value.file_name,
                mime_type=value.mime_type,
                size=value.file_size,
            )
        )
    encoded = applications.encode_answer(ctx.rt.vault, ctx.tenant, field, value)
    await keep_answers(ctx, request, {**request.answers, field.id: encoded})
    return None


_SET_ANSWERS = Prepared(
    update(REQUESTS)
    .where(REQUESTS.c.id == bindparam("id"), REQUESTS.c.association_id == bindparam("tenant"))
    .values(
        answers=bindparam("answers", type_=REQUESTS.c.answers.type),
        updated_at=bindparam("at", type_=REQUESTS.c.updated_at.type),
    )
)


async def keep_answers(ctx: Ctx, request: ServiceRequest, answers: dict[str, Any]) -> None:
    """The draft's answers, written at once by one prepared UPDATE (every answer of a form
    writes them: through the ORM, the flush's unit of work cost several times the statement).
    The object then holds them as loaded, so no flush writes them again."""
    if inspect(request).persistent:
        at = utcnow()
        params = {"id": request.id, "tenant": ctx.tenant, "answers": answers, "at": at}
        await _SET_ANSWERS.run(await ctx.connection(), params)
        set_committed_value(request, "answers", answers)
        set_committed_value(request, "updated_at", at)
    else:  # a draft made in this update: its INSERT carries them
        request.answers = answers


def raw_answer_safe(ctx: Ctx, ftype: str) -> Any:
    try:
        return raw_answer(ctx, ftype)
    except Invalid as exc:
        return exc
