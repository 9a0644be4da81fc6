"""Service applications, Telegram-free: answers, encryption of personal data, references,
duplicates, submission and the request lifecycle's bookkeeping.

Answers are kept on the request row as JSON, one key per form field. National ID and mobile are
stored encrypted (``{"enc": …}``) and the national ID also as a keyed hash, so duplicates are
found without ever storing the number in clear.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import lifecycle
from bot.domain.attachments import DocumentFile
from bot.domain.dates import format_date, to_hijri, today_riyadh
from bot.domain.identity import NationalId
from bot.domain.lifecycle import OPEN, Actor, Audited, Event, StatusChanged
from bot.domain.textutil import (
    escape_html,
    format_mobile_local,
    isolate,
    mask_mobile,
    mask_national_id,
    mask_numbers,
)
from bot.i18n import Translator
from storage.crypto import Vault
from storage.models import AuditLog, Counter, RequestEvent, ServiceRequest, utcnow

SENSITIVE_TYPES = frozenset({"national_id", "mobile"})
REFERENCE_PREFIX = {"request": "REQ", "inquiry": "INQ", "complaint": "CMP"}


def secret_context(tenant: str, field_id: str) -> str:
    return f"{tenant}/{field_id}"


def encode_answer(vault: Vault, tenant: str, field: Any, value: Any) -> Any:
    """A validated value → what is stored in ``ServiceRequest.answers``."""
    ftype = str(field.type)
    if ftype == "national_id":
        number = value.number if isinstance(value, NationalId) else str(value)
        return {"enc": vault.encrypt(number, secret_context(tenant, field.id))}
    if ftype == "mobile":
        return {"enc": vault.encrypt(str(value), secret_context(tenant, field.id))}
    if ftype == "date":
        return {"date": value.gregorian.isoformat(), "cal": str(value.calendar_used)}
    if ftype == "location":
        if isinstance(value, str):  # a typed address (attachments.Address)
            return {"address": str(value)}
        lat, lon = value
        return {"lat": round(float(lat), 6), "lon": round(float(lon), 6)}
    if ftype == "document":
        assert isinstance(value, DocumentFile)
        return {"file_name": value.file_name, "kind": value.kind}
    return value


def reveal(vault: Vault, tenant: str, field: Any, stored: Any) -> str:
    """The clear value of an encrypted answer (callers audit this for staff)."""
    return vault.decrypt(stored["enc"], secret_context(tenant, field.id))


def render_answer(
    tr: Translator,
    vault: Vault,
    tenant: str,
    field: Any,
    stored: Any,
    *,
    masked: bool,
    choices_locale: str | None = None,
) -> str:
    """An answer as a person reads it (HTML-escaped)."""
    if stored is None:
        return "—"
    ftype = str(field.type)
    locale = choices_locale or tr.locale
    if ftype in SENSITIVE_TYPES:  # Latin digits, isolated so right-to-left text keeps their order
        clear = reveal(vault, tenant, field, stored)
        if ftype == "national_id":
            return isolate(mask_national_id(clear) if masked else clear)
        return isolate(mask_mobile(clear) if masked else format_mobile_local(clear))
    if ftype == "date":
        return format_date(date.fromisoformat(stored["date"]), locale)
    if ftype == "location":
        if "address" in stored:
            return escape_html(stored["address"])
        return isolate(f"{stored['lat']:.5f}, {stored['lon']:.5f}")
    if ftype == "document":
        return "📎 " + escape_html(stored.get("file_name") or tr.gettext("photo"))
    if ftype == "yes_no":
        return tr.gettext("Yes") if stored else tr.gettext("No")
    if ftype == "choice" and field.choices:
        for choice in field.choices:
            if choice.id == stored:
                return escape_html(choice.label.get(locale))
    return escape_html(mask_numbers(str(stored)) if masked else str(stored))


def national_id_hash(vault: Vault, tenant: str, number: str) -> str:
    return vault.blind_index(number, scope=f"{tenant}/national_id")


async def next_reference(
    session: AsyncSession, tenant: str, kind: str, today: date | None = None
) -> str:
    """``REQ-1448-0042``: a per-association, per-Hijri-year sequence (atomic on both databases)."""
    today = today or today_riyadh()
    hijri = to_hijri(today)
    year = hijri[0] if hijri else today.year
    prefix = REFERENCE_PREFIX[kind]
    name = f"{prefix}-{year}"
    insert = sqlite_insert if session.bind.dialect.name == "sqlite" else pg_insert  # type: ignore[union-attr]  # sessions are bound (storage.db)
    stmt = (
        insert(Counter)
        .values(association_id=tenant, name=name, value=1)
        .on_conflict_do_update(
            index_elements=[Counter.association_id, Counter.name], set_={"value": Counter.value + 1}
        )
        .returning(Counter.value)
    )
    value = (await session.execute(stmt)).scalar_one()
    return f"{name}-{value:04d}"


# built once (every national ID answered is checked)
_DUPLICATE = (
    select(ServiceRequest)
    .where(
        ServiceRequest.association_id == bindparam("tenant"),
        ServiceRequest.service_id == bindparam("service"),
        ServiceRequest.national_id_hash == bindparam("nid"),
        ServiceRequest.status.in_([s.value for s in OPEN]),
    )
    .limit(1)
)
_OTHER_DUPLICATE = _DUPLICATE.where(ServiceRequest.id != bindparam("other"))


async def open_duplicate(
    session: AsyncSession,
    tenant: str,
    service_id: str,
    nid_hash: str,
    exclude_id: int | None = None,
) -> ServiceRequest | None:
    params = {"tenant": tenant, "service": service_id, "nid": nid_hash, "other": exclude_id}
    return await session.scalar(_DUPLICATE if exclude_id is None else _OTHER_DUPLICATE, params)


def due_date_for(submitted: date, days: int) -> date:
    return submitted + timedelta(days=days)


def record(
    session: AsyncSession,
    request: ServiceRequest,
    action: str,
    *,
    actor_kind: str,
    actor_id: int | None,
    to_status: str | None = None,
    note: str | None = None,
    from_status: str | None = None,
) -> RequestEvent:
    """Change the status (if given) and write the event. Moves of the lifecycle come through
    ``move``; ``from_status`` is then the status before ``lifecycle.transition`` applied it."""
    event = RequestEvent(
        association_id=request.association_id,
        request_id=request.id,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        from_status=from_status or request.status,
        to_status=to_status or request.status,
        note=note,
        at=utcnow(),
    )
    if to_status:
        request.status = to_status
    session.add(event)
    return event


def move(
    session: AsyncSession,
    request: ServiceRequest,
    action: str,
    actor: Actor,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> list[Event]:
    """Take a move of the request's table (``lifecycle.transition``) and write what the database
    keeps of it: the request's event and the audit entry. The rest (telling the beneficiary,
    the card, the survey) is the caller's; ``lifecycle.Refused`` when the move is not allowed."""
    events = lifecycle.transition(request, action, actor, note, now=now)
    for event in events:
        if isinstance(event, StatusChanged):
            record(
                session,
                request,
                event.action,
                actor_kind=event.actor.kind,
                actor_id=event.actor.id,
                from_status=event.from_status,
                to_status=event.to_status,
                note=event.note,
            )
        elif isinstance(event, Audited):
            session.add(
                AuditLog(
                    association_id=request.association_id,
                    actor_id=event.actor.id,
                    action=event.action,
                    subject_kind="request",
                    subject_id=request.id,
                    **({"detail": dict(event.detail)} if event.detail else {}),
                )
            )
    return events


async def submit(
    session: AsyncSession,
    request: ServiceRequest,
    *,
    decision_days: int,
    declaration_version: str,
    actor_id: int,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    today = today_riyadh()
    request.reference = await next_reference(session, request.association_id, "request", today)
    request.declaration_version = declaration_version
    request.declared_at = now
    request.due_date = due_date_for(today, decision_days)
    move(session, request, "submitted", Actor.beneficiary(actor_id), now=now)
