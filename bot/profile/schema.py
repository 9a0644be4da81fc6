"""The profile's schema: one frozen pydantic model per YAML section (see :mod:`bot.profile`)."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.i18n import N_
from bot.profile.casework import Appointments, CannedReplies, CannedReply
from bot.profile.deployment import Deployment
from bot.profile.permissions import Permissions, StaffRole  # noqa: F401 - part of the schema
from bot.profile.service_forms import (  # noqa: F401 - part of the schema
    _FIELD_OPTIONS,
    Calendar,
    Choice,
    FieldType,
    FileKind,
    FormField,
    RequiredDocument,
    Service,
    ServiceKind,
    _Model,
)
from bot.profile.values import (
    DEFAULT_DECLARATION,
    DEFAULT_PRIVACY_NOTICE,
    DEFAULT_SURVEY_QUESTIONS,
    PROFILES_DIR,
    ChatId,
    Count,
    Email,
    HtmlText,
    LocalizedText,
    Phone,
    Slug,
    Title,
    Url,
    Version,
    _enum,
    _show,
)
from bot.profile.whatsapp_section import WhatsApp


class ComplaintType(StrEnum):
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    COMPENSATION = "compensation"

    @property
    def label(self) -> str:
        """An English msgid: translate with ``_()`` before showing it."""
        return _COMPLAINT_LABELS[self]


_COMPLAINT_LABELS = {
    ComplaintType.COMPLAINT: N_("Complaint"),
    ComplaintType.SUGGESTION: N_("Suggestion"),
    ComplaintType.COMPENSATION: N_("Compensation claim"),
}


# --------------------------------------------------------------------------------------------
# association, channels, documents


class Association(_Model):
    id: Slug
    """The tenant key in the database: never change it once the bot is in use."""
    name: LocalizedText
    short_name: Title | None = None
    city: LocalizedText | None = None
    description: LocalizedText | None = None
    license_number: Version | None = None

    @property
    def display_short_name(self) -> LocalizedText:
        return self.short_name or self.name


class SocialLink(_Model):
    name: Title
    url: Url


class Branch(_Model):
    name: Title
    address: LocalizedText | None = None
    hours: LocalizedText | None = None
    phone: Phone | None = None
    map_url: Url | None = None
    representative: LocalizedText | None = None
    """Who receives beneficiaries there (a role, e.g. «مندوب المكتب الفرعي»), not a name."""


CONTACT_CHANNELS = ("phone", "whatsapp", "sms", "email", "website", "fax", "e_store", "social",
                    "branches")  # fmt: skip


class Channels(_Model):
    """The association's other channels, shown to beneficiaries (policy clause 4 and 10)."""

    phone: Phone | None = None
    whatsapp: Phone | None = None
    sms: Phone | None = None
    website: Url | None = None
    email: Email | None = None
    fax: Phone | None = None
    e_store: Url | None = None
    social: tuple[SocialLink, ...] = ()
    branches: tuple[Branch, ...] = ()
    working_hours: LocalizedText | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Channels:
        if not any(getattr(self, name) for name in CONTACT_CHANNELS):
            raise ValueError(
                "at least one contact channel is required (" + ", ".join(CONTACT_CHANNELS) + ")"
            )
        return self

    @property
    def whatsapp_url(self) -> str | None:
        """``https://wa.me/9665…`` for the WhatsApp number (a Saudi 05… made international)."""
        if not self.whatsapp:
            return None
        digits = re.sub(r"\D", "", self.whatsapp)
        if digits.startswith("00"):
            digits = digits[2:]
        elif digits.startswith("0"):
            digits = "966" + digits[1:]
        return f"https://wa.me/{digits}"


class Document(_Model):
    """A downloadable association document (bylaws, service guide, support policy …)."""

    id: Slug
    title: Title
    description: LocalizedText | None = None
    file: str | None = None
    """A path relative to the profile file, e.g. ``khairat/bylaws.md`` (.pdf, .md or .txt)."""
    url: Url | None = None

    @property
    def suffix(self) -> str | None:
        return Path(self.file).suffix.lower() if self.file else None


# --------------------------------------------------------------------------------------------
# FAQ


class FaqCategory(_Model):
    id: Slug
    title: Title
    icon: str | None = Field(default=None, max_length=8)
    staff_chat_id: ChatId | None = None
    """The chat of this area's contact officer (ضابط الاتصال); the main staff chat when absent."""
    staff_topic_id: Annotated[int, Field(strict=True, ge=1)] | None = None
    """A forum topic in ``staff_chat_id`` (or in the main staff chat)."""


class FaqEntry(_Model):
    id: Slug
    category: Slug
    question: Title
    """The canonical question, shown in lists (on a button) and as the answer's heading."""
    phrasings: tuple[str, ...] = ()
    """Other ways people ask it (MSA and dialects), for matching free text."""
    answer: HtmlText

    @field_validator("phrasings", mode="before")
    @classmethod
    def _phrasings_are_texts(cls, value: Any) -> Any:
        if isinstance(value, list):
            for index, item in enumerate(value):
                if not isinstance(item, str) or not item.strip():
                    raise ValueError(
                        f"item {index + 1} must be a non-empty text, got {_show(item)}"
                    )
        return value

    def variants(self) -> tuple[str, ...]:
        """The canonical question (every translation) followed by its phrasings."""
        return (*self.question.texts(), *self.phrasings)


class Faq(_Model):
    categories: tuple[FaqCategory, ...] = ()
    entries: tuple[FaqEntry, ...] = ()
    learning: Literal["immediate", "supervisor"] = "immediate"
    """Who confirms a phrasing staff add from a handed-over question: the staff member's
    choice is taught at once (``immediate``), or waits for a supervisor (``supervisor``)."""

    def category(self, category_id: str) -> FaqCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def entry(self, entry_id: str) -> FaqEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    def entries_in(self, category_id: str) -> tuple[FaqEntry, ...]:
        return tuple(e for e in self.entries if e.category == category_id)


# --------------------------------------------------------------------------------------------
# deadlines, survey, privacy, declaration, complaints


class Deadlines(_Model):
    decision_days: Count = 14
    """Days from submission to the research committee's decision (policy: two weeks)."""
    complaint_response_days: Count = 5
    ticket_response_hours: Count = 24
    remind_before_days: Annotated[int, Field(strict=True, ge=0)] = 2
    """Staff are reminded this many days before a decision is due."""
    retention_days: Count = 1825
    """Personal data of closed cases is kept this long (five years by default)."""
    documents_per_request: Annotated[int, Field(strict=True, ge=1, le=100)] = 15
    """The most documents one request may receive (form answers and later additions)."""
    document_reminder_days: tuple[Annotated[int, Field(strict=True, ge=1, le=90)], ...] = (3, 7)
    """Days after staff ask for documents on which the beneficiary is reminded of them."""
    pause_while_awaiting_documents: bool = True
    """The decision clock stops while a request waits on the beneficiary's documents: the due
    date moves on by the days waited, and no overdue alert is sent meanwhile."""


def _default_survey_questions() -> tuple[SurveyQuestion, ...]:
    return tuple(
        SurveyQuestion(id=qid, text=LocalizedText.from_msgid(msgid))
        for qid, msgid in DEFAULT_SURVEY_QUESTIONS.items()
    )


class SurveyQuestion(_Model):
    id: Slug
    text: LocalizedText
    scale: Annotated[int, Field(strict=True, ge=2, le=10)] = 5
    """Answers go from 1 to ``scale``."""


class Survey(_Model):
    questions: tuple[SurveyQuestion, ...] = Field(
        default_factory=_default_survey_questions, min_length=1
    )
    allow_comment: bool = True
    min_days_between: Annotated[int, Field(strict=True, ge=0)] = 30
    """A beneficiary is not asked again within this many days."""
    reminder_hours: Annotated[int, Field(strict=True, ge=0)] = 24
    """One reminder after this many hours without an answer (0: no reminder)."""

    def question(self, question_id: str) -> SurveyQuestion | None:
        return next((q for q in self.questions if q.id == question_id), None)


class Privacy(_Model):
    notice: LocalizedText = Field(
        default_factory=lambda: LocalizedText.from_msgid(DEFAULT_PRIVACY_NOTICE)
    )
    """The short notice shown before consent; record ``notice_version`` with the consent."""
    notice_version: Version = "1"
    show_staff_names: bool = False
    """Beneficiaries see «فريق الجمعية», not the name of the employee."""


class Declaration(_Model):
    text: LocalizedText = Field(
        default_factory=lambda: LocalizedText.from_msgid(DEFAULT_DECLARATION)
    )
    """Accepted before submitting (clause 15); record ``version`` with the acceptance."""
    version: Version = "1"


class Complaints(_Model):
    types: tuple[Annotated[ComplaintType, _enum(ComplaintType, "complaint type")], ...] = (
        ComplaintType.COMPLAINT,
        ComplaintType.SUGGESTION,
        ComplaintType.COMPENSATION,
    )
    """The kinds a beneficiary may file; empty disables complaints."""

    def enabled(self, kind: ComplaintType | str) -> bool:
        return kind in self.types


# --------------------------------------------------------------------------------------------
# the profile


class Profile(_Model):
    association: Association
    channels: Channels
    documents: tuple[Document, ...] = ()
    services: tuple[Service, ...] = ()
    faq: Faq = Field(default_factory=Faq)
    deadlines: Deadlines = Field(default_factory=Deadlines)
    survey: Survey = Field(default_factory=Survey)
    privacy: Privacy = Field(default_factory=Privacy)
    declaration: Declaration = Field(default_factory=Declaration)
    complaints: Complaints = Field(default_factory=Complaints)
    deployment: Deployment = Field(default_factory=Deployment)
    whatsapp: WhatsApp = Field(default_factory=WhatsApp)
    permissions: Permissions = Field(default_factory=Permissions)
    canned_replies: CannedReplies = ()
    appointments: Appointments = Field(default_factory=Appointments)

    _source: Path | None = PrivateAttr(default=None)

    def canned_for(self, family: str) -> tuple[CannedReply, ...]:
        """The canned replies offered on a case of this family (request, inquiry, complaint)."""
        return tuple(r for r in self.canned_replies if not r.kinds or family in r.kinds)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Profile:
        context = info.context or {}
        if context.get("defer_checks"):
            return self
        from bot.profile.checks import _path, _semantic_problems  # checks import this module

        found = _semantic_problems(self, context.get("base_dir"))
        problems = [f"{_path(loc)}: {msg}" for loc, msg in found]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- identity and files ------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The association id, the tenant key in the database."""
        return self.association.id

    @property
    def source(self) -> Path | None:
        """The YAML file this profile was loaded from."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """Where document paths are relative to."""
        return self._source.parent if self._source else PROFILES_DIR

    def document(self, document_id: str) -> Document | None:
        return self._documents.get(document_id)

    def document_path(self, document_id: str) -> Path | None:
        """The absolute path of a document's file, ``None`` for a URL-only or unknown document."""
        doc = self.document(document_id)
        if doc is None or not doc.file:
            return None
        return (self.base_dir / doc.file).resolve()

    # -- services ------------------------------------------------------------------------------

    def service(self, service_id: str) -> Service | None:
        """The service with this id (active or not), ``None`` if there is none (a stale button)."""
        return self._services.get(service_id)

    @property
    def active_services(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.active)

    def services_of_kind(self, kind: ServiceKind | str) -> tuple[Service, ...]:
        return tuple(s for s in self.active_services if s.kind == kind)

    def decision_days_for(self, service: Service | str) -> int:
        """The days within which a request for ``service`` is decided."""
        svc = self.service(service) if isinstance(service, str) else service
        if svc is not None and svc.decision_days is not None:
            return svc.decision_days
        return self.deadlines.decision_days

    # -- FAQ -------------------------------------------------------------------------------------

    def category(self, category_id: str) -> FaqCategory | None:
        return self._categories.get(category_id)

    def faq_entry(self, entry_id: str) -> FaqEntry | None:
        return self._entries.get(entry_id)

    def faq_entries(self, category_id: str | None = None) -> tuple[FaqEntry, ...]:
        """All entries, or those of one category, in file order."""
        if category_id is None:
            return self.faq.entries
        return self.faq.entries_in(category_id)

    def staff_route(self, category_id: str | None) -> tuple[int | None, int | None]:
        """``(chat_id, topic_id)`` for escalations in this category; ``None`` means the default."""
        cat = self.category(category_id) if category_id else None
        if cat is None:
            return (None, None)
        return (cat.staff_chat_id, cat.staff_topic_id)

    # -- indexes (computed once; the model is frozen) ----------------------------------------

    @cached_property
    def _services(self) -> dict[str, Service]:
        return {s.id: s for s in self.services}

    @cached_property
    def _documents(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}

    @cached_property
    def _categories(self) -> dict[str, FaqCategory]:
        return {c.id: c for c in self.faq.categories}

    @cached_property
    def _entries(self) -> dict[str, FaqEntry]:
        return {e.id: e for e in self.faq.entries}
