"""The database schema. Every row carries ``association_id`` (the tenant key), so one database
can serve several associations; a session bound to one association sees only its rows
(``storage.scope``).

Types are chosen to work the same on SQLite and PostgreSQL: ``BigInteger`` for Telegram ids,
``JSON`` for free-form data, timezone-aware ``DateTime`` stored in UTC.
Personal data (national ID, mobile) is never stored in clear: see ``storage.crypto``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# the shared pieces, named here too: the rest of the code imports them from this module
from storage.base import NAMING, Base, Tenanted, table_of, tenant, utcnow  # noqa: F401

# the staff workspace's tables live in their own module; named here like the rest
from storage.workspace_tables import Appointment, CaseAssignment, CaseNote  # noqa: F401


class Association(Base):
    __tablename__ = "associations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Beneficiary(Tenanted, Base):
    """A person who talks to the bot in a private chat. Identity data lives on requests."""

    __tablename__ = "beneficiaries"
    __table_args__ = (UniqueConstraint("association_id", "telegram_user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    """The person's chat id in their channel: Telegram's user id, or for another channel a
    number the channel derives from the person's address by keyed hash (a WhatsApp phone
    number is never stored in clear: ``bot.channels.whatsapp.wa_identity``)."""
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    address_enc: Mapped[str | None] = mapped_column(Text)
    """The person's address in a channel that needs one to reach them (a WhatsApp number),
    encrypted by the vault; NULL on Telegram."""
    locale: Mapped[str] = mapped_column(String(8), default="ar")
    consent_version: Mapped[str | None] = mapped_column(String(32))
    consent_at: Mapped[datetime | None]
    consent_withdrawn_at: Mapped[datetime | None]
    unreachable_at: Mapped[datetime | None]  # set when Telegram says the bot was blocked (403)
    # announcements (bot.features.announcements): None = never asked, True/False = the answer;
    # separate from the consent to process a request, asked once after a first case
    notices: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    notices_asked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_at: Mapped[datetime | None]
    """When the person last wrote, as their channel stamped it, where the channel limits what may
    be sent afterwards (WhatsApp: free messages only within 24 hours); NULL on Telegram."""

    @property
    def has_consented(self) -> bool:
        return self.consent_at is not None and self.consent_withdrawn_at is None


class ConsentEvent(Tenanted, Base):
    """Every consent given or withdrawn, with the notice version shown (PDPL record)."""

    __tablename__ = "consent_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))  # given | withdrawn
    notice_version: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Dialog(Tenanted, Base):
    """The conversation a beneficiary is in: flow, step and the answers so far.

    Written in the same transaction as the update that changed it, so a restart or a crash
    loses no answer already given (python-telegram-bot's persistence flushes on a timer).
    """

    __tablename__ = "dialogs"
    beneficiary_id: Mapped[int] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), primary_key=True
    )
    association_id: Mapped[str] = tenant()
    flow: Mapped[str] = mapped_column(String(40))
    step: Mapped[str] = mapped_column(String(80))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ServiceRequest(Tenanted, Base):
    __tablename__ = "service_requests"
    __table_args__ = (
        UniqueConstraint("association_id", "reference"),
        Index("ix_service_requests_dup", "association_id", "service_id", "national_id_hash"),
        # reports: open work now (a range of the open statuses), a short period's exact median
        Index("ix_service_requests_open", "association_id", "status", "due_date"),
        Index("ix_service_requests_decided", "association_id", "decided_at"),
        # /queue (bot.features.workspace.case_queue): the open requests' page, from the index alone
        Index(
            "ix_service_requests_queue",
            *("association_id", "status", "submitted_at", "updated_at", "reference", "due_date"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    reference: Mapped[str | None] = mapped_column(String(32))  # given at submission
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="SET NULL"), index=True
    )
    service_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # sensitive values encrypted
    national_id_hash: Mapped[str | None] = mapped_column(String(64))
    declaration_version: Mapped[str | None] = mapped_column(String(32))
    declared_at: Mapped[datetime | None]
    # counted by storage.totals: the old value is loaded before a change (active_history)
    submitted_at: Mapped[datetime | None] = mapped_column(active_history=True)
    due_date: Mapped[date | None] = mapped_column(active_history=True)
    decided_at: Mapped[datetime | None] = mapped_column(active_history=True)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )


class RequestEvent(Tenanted, Base):
    __tablename__ = "request_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(16))  # beneficiary | staff | system
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    request: Mapped[ServiceRequest] = relationship(back_populates="events")


class Document(Tenanted, Base):
    """A file a beneficiary sent (kept on Telegram's servers; we keep its file_id)."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="SET NULL"), index=True
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))  # the profile's document id, or "attachment"
    telegram_file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(Tenanted, Base):
    """An inquiry handed to staff, a complaint, a suggestion or a compensation claim."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("association_id", "reference"),
        # reports: open work now (from the index alone), a short period's exact median
        Index("ix_tickets_open", "association_id", "status", "due_at", "kind", "first_response_at"),
        Index("ix_tickets_created", "association_id", "created_at"),
        # /queue (bot.features.workspace.case_queue): the open tickets' page, from the index alone
        Index(
            "ix_tickets_queue",
            *("association_id", "status", "created_at", "reference", "due_at", "kind", "category"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    reference: Mapped[str] = mapped_column(String(32))
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # inquiry | complaint | suggestion | compensation
    category: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32), index=True)
    related_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_requests.id", ondelete="SET NULL")
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, active_history=True)  # counted
    due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None] = mapped_column(active_history=True)  # counted
    escalated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    anonymised_at: Mapped[datetime | None]


class TicketMessage(Tenanted, Base):
    __tablename__ = "ticket_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(
        String(4)
    )  # in (beneficiary→staff) | out (staff→beneficiary)
    staff_user_id: Mapped[int | None] = mapped_column(BigInteger)
    text: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StaffMessageLink(Tenanted, Base):
    """Which case a message in a staff chat belongs to, so a reply to it finds its case."""

    __tablename__ = "staff_message_links"
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))  # request | ticket
    subject_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyInvitation(Tenanted, Base):
    """Who was asked to rate what, so nobody is asked too often. Answers are kept apart."""

    __tablename__ = "survey_invitations"
    __table_args__ = (
        # reports (sent / finished in a period) and the reminder job, from the index alone
        Index("ix_survey_invitations_sent", "association_id", "sent_at", "finished_at", "skipped"),
        # one invitation per closed case
        Index("ix_survey_invitations_subject", "association_id", "subject_kind", "subject_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="SET NULL"), index=True
    )
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    # counted by storage.totals: the old value is loaded before a change (active_history)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, active_history=True)
    reminded_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None] = mapped_column(active_history=True)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False, active_history=True)


class SurveyAnswer(Tenanted, Base):
    """One score. Deliberately no beneficiary column: staff reports are aggregates only."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        # reports read these covering indexes only (bot/domain/reports/), each GROUP BY in index order
        # so SQLite streams the groups without sorting: by day, and by service
        Index("ix_survey_answers_report", "association_id", "created_at", "question_id", "score"),
        Index(
            "ix_survey_answers_services",
            "association_id",
            "service_id",
            "question_id",
            "score",
            "created_at",
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = mapped_column(String(64), ForeignKey("associations.id"))
    service_id: Mapped[str | None] = mapped_column(String(64), active_history=True)
    channel: Mapped[str] = mapped_column(String(16))  # request | inquiry | complaint
    staff_user_id: Mapped[int | None] = mapped_column(BigInteger)
    question_id: Mapped[str] = mapped_column(String(40), active_history=True)
    score: Mapped[int | None] = mapped_column(Integer, active_history=True)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, active_history=True)


class StaffMember(Tenanted, Base):
    __tablename__ = "staff_members"
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # staff | researcher | supervisor
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class DashboardGrant(Tenanted, Base):
    """A supervisor's dashboard links: only those of the current ``generation`` open the page;
    ``/dashboard revoke`` moves it on, so every link given before stops working."""

    __tablename__ = "dashboard_grants"
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column()


class AuditLog(Tenanted, Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(40))
    subject_kind: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class InboundUpdate(Tenanted, Base):
    """Every update, written before Telegram is told it was received. ``raw`` is the update
    encrypted (``storage.crypto.Vault``, a JSON string ``<key id>:<base64>``) while it waits;
    once processed it is stripped (NULL): the update id and status are what idempotency needs."""

    __tablename__ = "inbound_updates"
    __table_args__ = (Index("ix_inbound_updates_pending", "association_id", "status", "update_id"),)
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    raw: Mapped[str | dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)  # to erase a person's raw messages
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | failed
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


_GROUP_ROWS: Any = {"postgresql_where": text("chat_id < 0"), "sqlite_where": text("chat_id < 0")}


class OutboxMessage(Tenanted, Base):
    """A Bot API call the bot owes someone, written in the transaction that made it owed."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "association_id", "status", "id"),
        Index("ix_outbox_groups", "association_id", "chat_id", "sent_at", **_GROUP_ROWS),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = mapped_column(String(64), ForeignKey("associations.id"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    result_message_id: Mapped[int | None] = mapped_column(BigInteger)
    link_kind: Mapped[str | None] = mapped_column(String(16))  # on success: StaffMessageLink
    link_id: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16), default="telegram", server_default="telegram")
    """The channel that rendered the call and sends it (``bot.engine.sender.Sender``)."""
    receipt: Mapped[str | None] = mapped_column(String(10))
    """What the channel reported after the send, when it does: delivered, read (WhatsApp)."""


class Counter(Tenanted, Base):
    """Per-association sequences for short reference numbers."""

    __tablename__ = "counters"
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class LearnedPhrasing(Tenanted, Base):
    """A handed-over question, scrubbed, as a phrasing of an FAQ entry (bot.domain.faq.learned)."""

    __tablename__ = "learned_phrasings"
    __table_args__ = (UniqueConstraint("association_id", "entry_id", "text"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    entry_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="approved")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(BigInteger)
    approved_at: Mapped[datetime | None]


class FaqDraft(Tenanted, Base):
    """A new FAQ entry drafted from a staff answer (bot.domain.faq.drafts), served once approved."""

    __tablename__ = "faq_drafts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[int | None] = mapped_column(BigInteger)


class Announcement(Tenanted, Base):
    """A supervisor's announcement to many beneficiaries (``bot.features.announcements``): drafted
    in the staff group, then sent through the outbox a window at a time."""

    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    created_by: Mapped[int] = mapped_column(BigInteger)
    # draft | sending | paused | cancelled | done
    status: Mapped[str] = mapped_column(String(12), default="draft")
    text: Mapped[str | None] = mapped_column(Text)  # the supervisor's words (escaped HTML)
    file_kind: Mapped[str | None] = mapped_column(String(16))  # photo | document
    file_id: Mapped[str | None] = mapped_column(String(255))
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"by": …, "value": …}
    total: Mapped[int] = mapped_column(Integer, default=0)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)  # the supervisor's status message
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class AnnouncementRecipient(Tenanted, Base):
    """One beneficiary owed one announcement: the unique key makes it once; ``state`` goes
    owed → queued in the transaction that writes its outbox row (``link_kind`` "announce")."""

    __tablename__ = "announcement_recipients"
    __table_args__ = (
        UniqueConstraint("announcement_id", "beneficiary_id"),
        Index("ix_announcement_recipients_next", "announcement_id", "state", "id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"))
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(8), default="owed")  # owed | queued | dropped


# --------------------------------------------------------------------------------------------
# Running totals of the reports (storage.totals keeps them; bot/domain/reports reads them)
# --------------------------------------------------------------------------------------------


class TotalScore(Tenanted, Base):
    """Scored survey answers per (Riyadh) day and per month (``grain`` "d" / "m"; a month's
    row is keyed by its first day), service ("" for none), question and score."""

    __tablename__ = "totals_scores"
    __table_args__ = ({"sqlite_with_rowid": False},)  # the rows are the primary key's B-tree
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class TotalInvitation(Tenanted, Base):
    """Survey invitations per (Riyadh) day sent: sent, finished, skipped."""

    __tablename__ = "totals_invitations"
    __table_args__ = ({"sqlite_with_rowid": False},)
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    finished: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)


class TotalDuration(Tenanted, Base):
    """Durations per kind ("reply": a ticket's first reply, by the day it was opened;
    "decision": a request's submission to decision, by the day it was decided), per (Riyadh)
    day and per month (``grain``), and bucket of the duration (storage.totals.bucket): how
    many, their seconds, and for decisions how many had a deadline and were decided by it."""

    __tablename__ = "totals_durations"
    __table_args__ = ({"sqlite_with_rowid": False},)
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    with_due: Mapped[int] = mapped_column(Integer, default=0)
    in_time: Mapped[int] = mapped_column(Integer, default=0)


class Lease(Tenanted, Base):
    """Shared by a cluster's processes (``storage.claims``): ``poll``, held by the one that
    polls the bot; ``send``, the bot's sending budget (``tokens`` as of ``expires_at``)."""

    __tablename__ = "leases"
    __table_args__ = (PrimaryKeyConstraint("association_id", "name"),)
    name: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    tokens: Mapped[float | None] = mapped_column(Float)
