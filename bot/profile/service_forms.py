"""The profile's services and their forms: ``services:`` with their questions (``fields``) and
the documents they ask for (re-exported by :mod:`bot.profile.schema`)."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Annotated

from pydantic import Field

from bot.i18n import N_
from bot.profile.values import Count, LocalizedText, ProfileModel, Slug, Title, _enum


class FieldType(StrEnum):
    """Form field types; the validation module checks an answer according to its type."""

    TEXT = "text"
    FULL_NAME = "full_name"
    NATIONAL_ID = "national_id"
    MOBILE = "mobile"
    INTEGER = "integer"
    DATE = "date"
    CHOICE = "choice"
    LOCATION = "location"
    DOCUMENT = "document"
    EMAIL = "email"
    YES_NO = "yes_no"


class ServiceKind(StrEnum):
    SERVICE = "service"
    SUPPORT = "support"
    VOLUNTEER = "volunteer"
    MEMBERSHIP = "membership"

    @property
    def label(self) -> str:
        """An English msgid: translate with ``_()`` before showing it."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    ServiceKind.SERVICE: N_("Service request"),
    ServiceKind.SUPPORT: N_("Support request"),
    ServiceKind.VOLUNTEER: N_("Volunteering"),
    ServiceKind.MEMBERSHIP: N_("Membership"),
}


class FileKind(StrEnum):
    PHOTO = "photo"
    PDF = "pdf"


class Calendar(StrEnum):
    HIJRI = "hijri"
    GREGORIAN = "gregorian"
    ANY = "any"


_Model = ProfileModel  # the name bot.profile.schema's models use


# --------------------------------------------------------------------------------------------
# services and their forms


class Choice(_Model):
    id: Slug
    label: Title


class RequiredDocument(_Model):
    """A document the applicant uploads (as a photo or a PDF) with a service request."""

    id: Slug
    title: Title
    required: bool = True
    accept: tuple[Annotated[FileKind, _enum(FileKind, "file kind")], ...] = (
        FileKind.PHOTO,
        FileKind.PDF,
    )
    hint: LocalizedText | None = None


_FIELD_OPTIONS: dict[str, frozenset[FieldType]] = {
    "choices": frozenset({FieldType.CHOICE}),
    "min_value": frozenset({FieldType.INTEGER}),
    "max_value": frozenset({FieldType.INTEGER}),
    "calendar": frozenset({FieldType.DATE}),
    "past_only": frozenset({FieldType.DATE}),
    "future_only": frozenset({FieldType.DATE}),
    "max_length": frozenset({FieldType.TEXT, FieldType.FULL_NAME}),
    "document": frozenset({FieldType.DOCUMENT}),
    "allow_address": frozenset({FieldType.LOCATION}),
}


class FormField(_Model):
    """One question of a service form, asked in order.

    ``type`` decides how the answer is checked; the type-specific options are ``choices``
    (choice), ``min``/``max`` (integer, in Python ``min_value``/``max_value``), ``calendar``,
    ``past_only``/``future_only`` (date), ``max_length`` (text, full_name) and ``document``
    (document: the id of one of the service's ``documents``; such a field is required when its
    document is).
    """

    id: Slug
    type: Annotated[FieldType, _enum(FieldType, "field type")]
    label: Title
    """Short name of the answer, used in summaries («رقم الجوال»)."""
    question: LocalizedText | None = None
    """The question asked («ما رقم جوالك للتواصل؟»); the label when absent (see ``prompt``)."""
    hint: LocalizedText | None = None
    example: LocalizedText | None = None
    required: bool = True
    choices: tuple[Choice, ...] | None = None
    min_value: Annotated[int, Field(strict=True)] | None = Field(default=None, alias="min")
    max_value: Annotated[int, Field(strict=True)] | None = Field(default=None, alias="max")
    calendar: Annotated[Calendar, _enum(Calendar, "calendar")] = Calendar.ANY
    past_only: bool = False
    """The date may not be after today."""
    future_only: bool = False
    """The date may not be before today."""
    max_length: Count | None = None
    document: Slug | None = None
    allow_address: bool = False
    """A location field only: a typed address or district is accepted too (Telegram Desktop and
    Web cannot share a location)."""

    @property
    def prompt(self) -> LocalizedText:
        return self.question or self.label

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices or () if c.id == choice_id), None)


class Service(_Model):
    """A service the beneficiary can apply for in the chat (policy clauses 8, 11, 16, 17)."""

    id: Slug
    kind: Annotated[ServiceKind, _enum(ServiceKind, "service kind")] = ServiceKind.SERVICE
    title: Title
    icon: str | None = Field(default=None, max_length=8)
    description: LocalizedText | None = None
    eligibility: tuple[LocalizedText, ...] = ()
    documents: tuple[RequiredDocument, ...] = ()
    fields: tuple[FormField, ...] = ()
    decision_days: Count | None = None
    """Overrides ``deadlines.decision_days``; see :meth:`Profile.decision_days_for`."""
    active: bool = True

    def field(self, field_id: str) -> FormField | None:
        return next((f for f in self.fields if f.id == field_id), None)

    def document(self, document_id: str) -> RequiredDocument | None:
        return next((d for d in self.documents if d.id == document_id), None)

    @property
    def required_documents(self) -> tuple[RequiredDocument, ...]:
        return tuple(d for d in self.documents if d.required)

    @property
    def trailing_documents(self) -> tuple[RequiredDocument, ...]:
        """Documents no ``document`` field asks for: the form asks for them after the fields."""
        asked = {f.document for f in self.fields if f.type is FieldType.DOCUMENT}
        return tuple(d for d in self.documents if d.id not in asked)

    @cached_property
    def form_fields(self) -> tuple[FormField, ...]:
        """The questions the form asks: the fields, then a document question for each document
        no field asks for (so every document the service needs can be sent from the phone)."""
        extra = tuple(
            FormField.model_validate(
                {
                    "id": f"doc-{doc.id}",
                    "type": "document",
                    "label": doc.title,
                    "required": doc.required,
                    "document": doc.id,
                    "hint": doc.hint,
                }
            )
            for doc in self.trailing_documents
        )
        return self.fields + extra

    def field_required(self, field: FormField) -> bool:
        """Whether ``field`` must be answered (a document field follows its document)."""
        if field.type is FieldType.DOCUMENT and field.document:
            doc = self.document(field.document)
            return doc.required if doc else field.required
        return field.required
