"""The beneficiary's rights over their data (Saudi PDPL), Telegram-free: a readable copy of
everything held about them, erasure (anonymising what the association's records must keep),
and the retention rule that anonymises closed cases after the profile's period.

What "anonymised" means here: the case keeps its reference, service, status and dates (the
association's record that a service was requested and decided), and loses every answer,
document, message text and the link to the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import applications
from bot.domain.dates import format_date, format_datetime
from bot.domain.lifecycle import OPEN, Status, label
from bot.domain.tickets import KIND_LABELS, STATUS_LABELS, Kind, TicketStatus
from bot.i18n import Translator
from bot.profile import Profile
from storage.crypto import Vault, address_context
from storage.models import (
    AuditLog,
    Beneficiary,
    CaseNote,
    ConsentEvent,
    Document,
    InboundUpdate,
    OutboxMessage,
    RequestEvent,
    ServiceRequest,
    StaffMessageLink,
    SurveyInvitation,
    Ticket,
    TicketMessage,
    utcnow,
)

FINISHED_REQUESTS = (Status.CLOSED, Status.REJECTED, Status.WITHDRAWN, Status.DELIVERED)
HELD_KEPT = timedelta(days=30)  # a message a template stood in for waits this long (engine.held)
# StaffMessageLink.subject_kind (and OutboxMessage.link_kind) of a case's messages in a staff
# chat: "request" (card), "sr_…" (prompts, relayed messages); "ticket" (card, follow-ups, files), "st_…" (prompts)
CASE_LINK_PREFIX = {"request": "sr_", "ticket": "st_"}


def _case_link(column, kind: str):
    return or_(column == kind, column.startswith(CASE_LINK_PREFIX[kind], autoescape=True))


def _whatsapp_line(vault: Vault, person: Beneficiary, tr: Translator) -> str:
    number = vault.decrypt(
        person.address_enc or "", address_context(person.association_id, person.telegram_user_id)
    )
    return tr.gettext("WhatsApp number: {number}").format(number=f"\u2066+{number}\u2069")


async def export_text(
    session: AsyncSession, profile: Profile, vault: Vault, person: Beneficiary, tr: Translator
) -> str:
    """Everything held about ``person``, in their language, as a plain text file."""
    _ = tr.gettext
    loc = tr.locale
    out = [
        _("Your data held by {association}").format(association=profile.association.name.get(loc)),
        _("Prepared on {date}").format(date=format_datetime(utcnow(), loc)),
        "",
    ]
    out += [
        "== " + _("Your account") + " ==",
        _whatsapp_line(vault, person, tr)
        if person.address_enc
        else _("Telegram user number: {id}").format(id=person.telegram_user_id),
        _("Language: {language}").format(language=person.locale),
        _("First contact: {date}").format(date=format_date(person.created_at.date(), loc)),
    ]
    for event in (
        await session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.beneficiary_id == person.id)
            .order_by(ConsentEvent.id)
        )
    ).all():
        out.append(
            _("Consent {action} on {date} (notice version {version})").format(
                action=_("given") if event.action == "given" else _("withdrawn"),
                date=format_datetime(event.at, loc),
                version=event.notice_version,
            )
        )
    requests = (
        await session.scalars(
            select(ServiceRequest)
            .where(ServiceRequest.beneficiary_id == person.id)
            .order_by(ServiceRequest.id)
        )
    ).all()
    out += ["", "== " + _("Your requests") + " =="]
    if not requests:
        out.append(_("None."))
    for req in requests:
        service = profile.service(req.service_id)
        title = service.title.get(loc) if service else req.service_id
        out.append(f"{req.reference or _(label(Status.DRAFT))} — {title} — {_(label(req.status))}")
        for form_field in service.form_fields if service else ():
            if form_field.id in req.answers:
                value = applications.render_answer(
                    tr,
                    vault,
                    person.association_id,
                    form_field,
                    req.answers[form_field.id],
                    masked=False,
                )
                out.append(f"  {form_field.label.get(loc)}: {value}")
        if req.declared_at:
            out.append(
                "  "
                + _("Declaration signed on {date}").format(
                    date=format_datetime(req.declared_at, loc)
                )
            )
        documents = (
            await session.scalars(select(Document.id).where(Document.request_id == req.id))
        ).all()
        if documents:
            out.append("  " + _("Documents: {count}").format(count=len(documents)))
    tickets = (
        await session.scalars(
            select(Ticket).where(Ticket.beneficiary_id == person.id).order_by(Ticket.id)
        )
    ).all()
    out += ["", "== " + _("Your inquiries, complaints and suggestions") + " =="]
    if not tickets:
        out.append(_("None."))
    for ticket in tickets:
        out.append(
            f"{ticket.reference} — {_(KIND_LABELS[Kind(ticket.kind)])} — {_(STATUS_LABELS[TicketStatus(ticket.status)])}"
        )
        out.append(f"  «{ticket.subject or ''}»")
        for message in (
            await session.scalars(
                select(TicketMessage)
                .where(TicketMessage.ticket_id == ticket.id)
                .order_by(TicketMessage.id)
            )
        ).all():
            who = _("You") if message.direction == "in" else _("The association")
            body = message.text or _("(a file)")
            out.append(f"  {who}: {body}")
        if ticket.outcome:
            out.append("  " + _("Outcome: {outcome}").format(outcome=ticket.outcome))
    out += [
        "",
        _(
            "Satisfaction survey answers are anonymous: they are not linked to you, so they cannot be listed here."
        ),
    ]
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class StaffMessage:
    """A message of the bot's in a staff chat that shows an erased person's case: the card is
    edited to say the data was erased (its reference kept); the rest (follow-ups, attachments,
    prompts) are deleted."""

    chat_id: int
    message_id: int
    card: bool
    reference: str
    status: str  # the case's status label (an English msgid)


@dataclass
class Erasure:
    requests_kept: int
    tickets_kept: int
    withdrawn: int
    staff_messages: list[StaffMessage] = field(default_factory=list)


async def _anonymise_requests(session: AsyncSession, where) -> int:
    ids = (await session.scalars(select(ServiceRequest.id).where(where))).all()
    if ids:
        await session.execute(delete(Document).where(Document.request_id.in_(ids)))
        await session.execute(
            update(ServiceRequest)
            .where(ServiceRequest.id.in_(ids))
            .values(
                answers={},
                national_id_hash=None,
                beneficiary_id=None,
                decision_reason=None,
                anonymised_at=utcnow(),
            )
        )
        # the person's own moves carried their Telegram id; staff ids stay (who decided)
        await session.execute(
            update(RequestEvent).where(RequestEvent.request_id.in_(ids)).values(note=None)
        )
        # staff's internal notes may speak of the person (bot.features.workspace)
        await session.execute(
            delete(CaseNote).where(CaseNote.subject_kind == "request", CaseNote.subject_id.in_(ids))
        )
        await session.execute(
            update(RequestEvent)
            .where(RequestEvent.request_id.in_(ids), RequestEvent.actor_kind != "staff")
            .values(actor_id=None)
        )
    return len(ids)


async def _anonymise_tickets(session: AsyncSession, where) -> int:
    ids = (await session.scalars(select(Ticket.id).where(where))).all()
    if ids:
        await session.execute(delete(Document).where(Document.ticket_id.in_(ids)))
        await session.execute(
            update(TicketMessage)
            .where(TicketMessage.ticket_id.in_(ids))
            .values(text=None, file_id=None)
        )
        await session.execute(
            delete(CaseNote).where(CaseNote.subject_kind == "ticket", CaseNote.subject_id.in_(ids))
        )
        await session.execute(
            update(Ticket)
            .where(Ticket.id.in_(ids))
            .values(
                subject=None, data={}, outcome=None, beneficiary_id=None, anonymised_at=utcnow()
            )
        )
    return len(ids)


async def _staff_messages(
    session: AsyncSession, requests: list[ServiceRequest], tickets: list[Ticket]
) -> list[StaffMessage]:
    """The staff-chat messages of these cases (``staff_message_links``): every request card is
    a card; a ticket's first message is its card, the later ones its follow-ups and files."""
    out: list[StaffMessage] = []
    cases = [("request", r.id, r.reference or "", label(Status(r.status))) for r in requests] + [
        ("ticket", t.id, t.reference, STATUS_LABELS[TicketStatus(t.status)]) for t in tickets
    ]
    for kind, case_id, reference, status in cases:
        links = (
            await session.scalars(
                select(StaffMessageLink)
                .where(
                    StaffMessageLink.subject_id == case_id,
                    _case_link(StaffMessageLink.subject_kind, kind),
                )
                .order_by(StaffMessageLink.created_at, StaffMessageLink.message_id)
            )
        ).all()
        seen_card = False
        for link in links:
            card = link.subject_kind == kind and (kind == "request" or not seen_card)
            seen_card = seen_card or card
            out.append(StaffMessage(link.chat_id, link.message_id, card, reference, status))
    return out


async def strip_processed_updates(session: AsyncSession) -> None:
    """Processed raw updates keep only what idempotency needs (update id and status): the
    payload, which holds what people and staff typed and the cards they replied to, goes."""
    await session.execute(
        update(InboundUpdate)
        .where(
            InboundUpdate.status != "pending",
            InboundUpdate.raw.is_not(None),
        )
        .values(raw=null())
    )  # SQL NULL, not the JSON null


async def erase(session: AsyncSession, person: Beneficiary) -> Erasure:
    """Erase the person; withdraw their open requests; keep cases anonymised; nothing left
    names them (see docs/privacy.md, "Erasure, table by table")."""
    tenant, telegram_id = person.association_id, person.telegram_user_id
    open_requests = (
        await session.scalars(
            select(ServiceRequest).where(
                ServiceRequest.beneficiary_id == person.id,
                ServiceRequest.status.in_([s.value for s in OPEN]),
            )
        )
    ).all()
    for req in open_requests:
        applications.record(
            session,
            req,
            "withdrawn_on_erasure",
            actor_kind="beneficiary",
            actor_id=None,
            to_status=Status.WITHDRAWN,
        )
    await session.execute(
        delete(ServiceRequest).where(
            ServiceRequest.beneficiary_id == person.id,
            ServiceRequest.status == Status.DRAFT,
        )
    )
    await session.flush()
    await session.execute(
        update(Ticket)
        .where(
            Ticket.beneficiary_id == person.id,
            Ticket.status.in_(["open", "acknowledged", "answered", "escalated"]),
        )
        .values(status="closed", closed_at=utcnow())
    )
    requests = (
        await session.scalars(
            select(ServiceRequest).where(ServiceRequest.beneficiary_id == person.id)
        )
    ).all()
    tickets = (
        await session.scalars(
            select(Ticket)
            .where(Ticket.beneficiary_id == person.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    staff_messages = await _staff_messages(session, list(requests), list(tickets))
    request_ids, ticket_ids = [r.id for r in requests], [t.id for t in tickets]
    kept_requests = await _anonymise_requests(
        session,
        ServiceRequest.beneficiary_id == person.id,
    )
    kept_tickets = await _anonymise_tickets(session, Ticket.beneficiary_id == person.id)
    await session.execute(delete(Document).where(Document.beneficiary_id == person.id))
    await session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.beneficiary_id == person.id)
        .values(beneficiary_id=None)
    )
    # raw updates: theirs go; the rest keep only the update id and status
    await session.execute(
        delete(InboundUpdate).where(
            InboundUpdate.chat_id == telegram_id,
            InboundUpdate.status != "pending",
        )
    )
    await strip_processed_updates(session)
    # messages owed or kept: to them (any status), and undelivered ones about their cases
    await session.execute(delete(OutboxMessage).where(OutboxMessage.chat_id == telegram_id))
    # which of our messages in their private chat belonged to which case (a reply joins it)
    await session.execute(delete(StaffMessageLink).where(StaffMessageLink.chat_id == telegram_id))
    for kind, ids in (("request", request_ids), ("ticket", ticket_ids)):
        if ids:
            await session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.status != "sent",
                    _case_link(OutboxMessage.link_kind, kind),
                    OutboxMessage.link_id.in_(ids),
                )
            )
    # the audit log keeps what was done, not who the person was
    await session.execute(
        update(AuditLog).where(AuditLog.actor_id == telegram_id).values(actor_id=None)
    )
    await session.execute(
        update(AuditLog)
        .where(
            AuditLog.subject_kind == "beneficiary",
            AuditLog.subject_id == person.id,
        )
        .values(subject_id=None)
    )
    session.add(
        AuditLog(
            association_id=tenant,
            actor_id=None,
            action="beneficiary_erased",
            subject_kind="beneficiary",
            subject_id=None,
            detail={
                "requests_kept": kept_requests,
                "tickets_kept": kept_tickets,
                "staff_messages": len(staff_messages),
            },
        )
    )
    await session.delete(person)
    return Erasure(kept_requests, kept_tickets, len(open_requests), staff_messages)


async def apply_retention(
    session: AsyncSession, retention_days: int, now: datetime | None = None
) -> int:
    """Anonymise finished cases older than the profile's period; strip processed raw updates;
    purge delivered rows to nobody we know (see docs/privacy.md, Retention). The old rows of
    both journals go once a day, in batches (``bot.engine.jobs.prune_journals``)."""
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    done = await _anonymise_requests(
        session,
        ServiceRequest.anonymised_at.is_(None)
        & ServiceRequest.status.in_([s.value for s in FINISHED_REQUESTS])
        & (ServiceRequest.updated_at < cutoff),
    )
    done += await _anonymise_tickets(
        session,
        Ticket.anonymised_at.is_(None)
        & Ticket.status.in_(["resolved", "closed"])
        & (Ticket.closed_at < cutoff),
    )
    await strip_processed_updates(session)  # the rows themselves: bot.engine.jobs.prune_journals
    # delivered messages to a private chat of nobody we know (an erased person: the last one,
    # "your data has been erased", was written after the erasure): their chat id goes too
    known = select(Beneficiary.telegram_user_id)
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status == "sent",
            OutboxMessage.chat_id > 0,
            OutboxMessage.chat_id.not_in(known),
        )
    )
    return done
