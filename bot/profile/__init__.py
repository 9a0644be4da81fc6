"""The association profile: who the association is, how to reach it, what it offers, its FAQ.

One YAML file per association (``profiles/<association-id>.yaml``, documents beside it in
``profiles/<association-id>/``) configures the whole bot for that association, so the same code
serves every association that adopted the common beneficiary-relationship policy
(see ``/work/shared/policy/README.md``).

    profile = load_profile(default_profile_path())      # raises ProfileError
    problems = check_profile(path)                        # [] when valid (check-profile)

    profile.association.name.get(locale)                  # every human text is a LocalizedText
    profile.service("food-support").fields               # ordered form fields
    profile.faq_entry("working-hours").answer.get("ar")   # simple Telegram HTML
    profile.decision_days_for("food-support")             # per-service override or the default

Every human-facing text is a :class:`LocalizedText`: in YAML either a plain (Arabic) string or a
mapping ``{ar: ..., en: ...}``. Plain texts are plain: escape them before putting them into an
HTML message. Only FAQ answers are Telegram HTML, and they are checked here, tag by tag.

All models are frozen. Lists become tuples.

Problems are reported one per line as ``path.to[index].field: reason``, for the administrator
who edits the YAML; they stay in English.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import NoneType, SimpleNamespace, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, core_schema

from bot import ROOT
from bot.i18n import N_, normalize_locale, translator

__all__ = [
    "Association",
    "Branch",
    "Calendar",
    "Channels",
    "Choice",
    "ComplaintType",
    "Complaints",
    "Deadlines",
    "Declaration",
    "Document",
    "Faq",
    "FaqCategory",
    "FaqEntry",
    "FieldType",
    "FileKind",
    "FormField",
    "LocalizedText",
    "Privacy",
    "Profile",
    "ProfileError",
    "RequiredDocument",
    "Service",
    "ServiceKind",
    "SocialLink",
    "Survey",
    "SurveyQuestion",
    "check_profile",
    "default_profile_path",
    "load_profile",
    "normalize_arabic",
]

PROFILES_DIR = ROOT / "profiles"
DEFAULT_PROFILE = "khairat.yaml"

SLUG_MAX = 32
"""Ids travel inside callback_data (64 bytes), so they stay short and ASCII."""
TITLE_MAX = 64
"""Titles and labels are shown on buttons and in summaries."""
ANSWER_MAX = 3500
"""A Telegram message holds 4096 characters; leave room for a header and a footer."""
DOCUMENT_SUFFIXES = (".pdf", ".md", ".txt")


def default_profile_path() -> Path:
    """The bundled example profile (جمعية خيرات لحفظ النعمة)."""
    return PROFILES_DIR / DEFAULT_PROFILE


# --------------------------------------------------------------------------------------------
# Texts the bot shows when the profile does not set its own (Arabic in the catalogs).

DEFAULT_DECLARATION = N_(
    "I declare that all the data and documents I have provided are correct, and I bear direct "
    "responsibility for their accuracy."
)
DEFAULT_PRIVACY_NOTICE = N_(
    "The association keeps your personal data confidential. It is used only to study and "
    "serve your requests, only the team members who need it can see it, and it is not shared "
    "with anyone else except with your consent or where the law requires it."
)
DEFAULT_SURVEY_QUESTIONS = {
    "overall": N_("Overall, how satisfied are you with the service?"),
    "speed": N_("How satisfied are you with how quickly your request was handled?"),
    "clarity": N_("How clear were the procedures and the information given to you?"),
    "courtesy": N_(
        "How satisfied are you with the courtesy and respect of the association's team?"
    ),
}


# --------------------------------------------------------------------------------------------
# Localized text


def _show(value: Any) -> str:
    """A short, readable rendering of a bad input value for a problem message."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 48 else text[:45] + "…'"


class LocalizedText:
    """A human-facing text: Arabic always, English optionally.

    In YAML: ``title: طلب دعم`` or ``title: {ar: طلب دعم, en: Support request}``.
    ``get(locale)`` returns the text in that locale and falls back to Arabic.

    Built-in defaults are catalog texts (:meth:`from_msgid`): translated through ``bot.i18n``
    when read, so their Arabic lives in ``locales/`` like every other bot text.
    """

    __slots__ = ("_ar", "_en", "_msgid")
    _ar: str
    _en: str | None
    _msgid: str | None

    def __init__(self, ar: str, en: str | None = None) -> None:
        if not isinstance(ar, str) or not ar.strip():
            raise ValueError("LocalizedText needs a non-empty Arabic text")
        object.__setattr__(self, "_ar", ar.strip())
        object.__setattr__(self, "_en", en.strip() if en and en.strip() else None)
        object.__setattr__(self, "_msgid", None)

    @classmethod
    def from_msgid(cls, msgid: str) -> LocalizedText:
        """A text whose translations come from the gettext catalogs (``msgid`` is English)."""
        text = object.__new__(cls)
        object.__setattr__(text, "_ar", "")  # unused: the catalog has the Arabic
        object.__setattr__(text, "_en", None)
        object.__setattr__(text, "_msgid", msgid)
        return text

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("LocalizedText is immutable")

    @property
    def msgid(self) -> str | None:
        """The catalog message id for built-in defaults, ``None`` for texts from the YAML."""
        return self._msgid

    @property
    def ar(self) -> str:
        return self.get("ar")

    @property
    def en(self) -> str | None:
        """The English text, ``None`` when the profile gives none (``get("en")`` falls back)."""
        if self._msgid is not None:
            return self.get("en")
        return self._en

    def get(self, locale: str | None = "ar") -> str:
        """The text in ``locale`` (``ar``, ``en``, ``en-GB`` …), falling back to Arabic."""
        code = normalize_locale(locale)
        if self._msgid is not None:
            return translator(code).gettext(self._msgid)
        if code == "en" and self._en:
            return self._en
        return self._ar

    def texts(self) -> tuple[str, ...]:
        """Every translation given in the YAML (Arabic first)."""
        if self._msgid is not None:
            return (self.get("ar"), self.get("en"))
        return (self._ar, self._en) if self._en else (self._ar,)

    def to_data(self) -> str | dict[str, str]:
        """The YAML form: a plain string when only Arabic is given."""
        if self._msgid is None and not self._en:
            return self._ar
        data = {"ar": self.get("ar")}
        if self.en:
            data["en"] = self.en
        return data

    def __str__(self) -> str:
        return self.get("ar")

    def __repr__(self) -> str:
        if self._msgid is not None:
            return f"LocalizedText.from_msgid({self._msgid!r})"
        return f"LocalizedText({self._ar!r}, en={self._en!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LocalizedText):
            return NotImplemented
        return (self._ar, self._en, self._msgid) == (other._ar, other._en, other._msgid)

    def __hash__(self) -> int:
        return hash((self._ar, self._en, self._msgid))

    # pydantic integration ---------------------------------------------------------------

    @classmethod
    def _coerce(cls, value: Any) -> LocalizedText:
        if isinstance(value, LocalizedText):
            return value
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("must not be empty")
            return cls(value)
        if isinstance(value, dict):
            unknown = [k for k in value if k not in ("ar", "en")]
            if unknown:
                raise ValueError(
                    f"unknown language {_show(unknown[0])} (expected 'ar' and optionally 'en')"
                )
            if "ar" not in value:
                raise ValueError("the Arabic text 'ar' is required")
            for key in ("ar", "en"):
                if key in value and not (isinstance(value[key], str) and value[key].strip()):
                    raise ValueError(f"'{key}' must be a non-empty text, got {_show(value[key])}")
            return cls(value["ar"], value.get("en"))
        if value is None:
            raise ValueError("must not be empty")
        raise ValueError(f"expected a text, or a mapping {{ar: ..., en: ...}}, got {_show(value)}")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: v.to_data(), when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict[str, Any]:
        text = {"type": "string", "minLength": 1}
        return {
            "anyOf": [
                text,
                {
                    "type": "object",
                    "properties": {"ar": text, "en": text},
                    "required": ["ar"],
                    "additionalProperties": False,
                },
            ]
        }


def _max_chars(limit: int, why: str = "") -> AfterValidator:
    def check(text: LocalizedText) -> LocalizedText:
        if text.msgid is None:
            for value in text.texts():
                if len(value) > limit:
                    raise ValueError(
                        f"too long: {len(value)} characters, at most {limit}{why} ({_show(value)})"
                    )
        return text

    return AfterValidator(check)


# Telegram HTML (https://core.telegram.org/bots/api#html-style) ------------------------------

_TG_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span", "tg-emoji",
}  # fmt: skip
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(/?)>")
_ENTITY_RE = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


def telegram_html_problem(text: str) -> str | None:
    """Why Telegram would refuse ``text`` in ``parse_mode=HTML``, or ``None`` when it is fine."""
    stack: list[str] = []
    pos = 0
    for match in _TAG_RE.finditer(text):
        between = text[pos : match.start()]
        if problem := _html_text_problem(between):
            return problem
        pos = match.end()
        closing, name, attrs, self_closing = match.groups()
        name = name.lower()
        if name not in _TG_TAGS:
            return f"tag <{name}> is not supported by Telegram (use b, i, u, s, a, code, pre)"
        if self_closing:
            return f"<{name}/> cannot be self-closing"
        if name == "a" and not closing and "href" not in attrs:
            return '<a> needs an href, e.g. <a href="https://…">…</a>'
        if closing:
            if not stack or stack[-1] != name:
                return f"</{name}> closes a tag that is not open"
            stack.pop()
        else:
            stack.append(name)
    if problem := _html_text_problem(text[pos:]):
        return problem
    if stack:
        return f"<{stack[-1]}> is never closed"
    return None


def _html_text_problem(chunk: str) -> str | None:
    if "<" in chunk or ">" in chunk:
        return "a bare '<' or '>' must be written &lt; or &gt;"
    for index, char in enumerate(chunk):
        if char == "&" and not _ENTITY_RE.match(chunk, index):
            return "a bare '&' must be written &amp;"
    return None


def _check_html(text: LocalizedText) -> LocalizedText:
    for code, value in zip(("ar", "en"), text.texts(), strict=False):
        if problem := telegram_html_problem(value):
            raise ValueError(f"invalid Telegram HTML in the {code!r} text: {problem}")
    return text


Title = Annotated[LocalizedText, _max_chars(TITLE_MAX, ": it is shown on a button")]
HtmlText = Annotated[
    LocalizedText,
    _max_chars(ANSWER_MAX, " to fit one Telegram message"),
    AfterValidator(_check_html),
]


# --------------------------------------------------------------------------------------------
# Scalar types


_SLUG_RE = re.compile(rf"^[a-z][a-z0-9_-]{{0,{SLUG_MAX - 1}}}$")


def _slug(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError(
            f"expected an id, got {_show(value)}: YAML reads yes, no, on and off as true or "
            "false, so write such an id in quotes (e.g. 'no')"
        )
    if not isinstance(value, str):
        hint = f" (write it in quotes: '{value}')" if isinstance(value, int) else ""
        raise ValueError(f"expected an id, got {_show(value)}{hint}")
    if not _SLUG_RE.match(value):
        raise ValueError(
            f"invalid id {value!r}: use lowercase latin letters, digits, '-' or '_', starting "
            f"with a letter, at most {SLUG_MAX} characters (e.g. 'food-support')"
        )
    return value


_PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{3,18}[0-9]$")


def _phone(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            'write phone numbers in quotes, e.g. "0110000000": unquoted, YAML reads them as '
            "numbers and drops the leading zero"
        )
    if not isinstance(value, str) or not _PHONE_RE.match(value.strip()):
        raise ValueError(f'expected a phone number such as "0110000000", got {_show(value)}')
    return value.strip()


def _url(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/$.?#][^\s]*$", value.strip()):
        raise ValueError(f"expected a web address starting with https://, got {_show(value)}")
    return value.strip()


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def _email(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL_RE.match(value.strip()):
        raise ValueError(
            f"expected an email address such as info@example.org.sa, got {_show(value)}"
        )
    return value.strip()


def _version(value: Any) -> str:
    """Versions and licence numbers: YAML turns 2026-11-01 into a date and 12 into an int."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError(f'expected a version text such as "2026-11-01", got {_show(value)}')


def _chat_id(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a Telegram chat id (a whole number), got {_show(value)}")
    if value == 0:
        raise ValueError("0 is not a Telegram chat id")
    return value


def _enum(enum: type[StrEnum], noun: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        allowed = [member.value for member in enum]
        if value not in allowed:
            raise ValueError(
                f"unknown {noun} {_show(value)} (expected one of: {', '.join(allowed)})"
            )
        return value

    return BeforeValidator(check)


Slug = Annotated[str, BeforeValidator(_slug)]
Phone = Annotated[str, BeforeValidator(_phone)]
Url = Annotated[str, BeforeValidator(_url)]
Email = Annotated[str, BeforeValidator(_email)]
Version = Annotated[str, BeforeValidator(_version)]
ChatId = Annotated[int, BeforeValidator(_chat_id)]
Count = Annotated[int, Field(strict=True, ge=1)]


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


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        str_strip_whitespace=True,
        arbitrary_types_allowed=False,
    )


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
        extra = tuple(FormField.model_validate({
            "id": f"doc-{doc.id}", "type": "document", "label": doc.title, "required": doc.required,
            "document": doc.id, "hint": doc.hint}) for doc in self.trailing_documents)
        return self.fields + extra

    def field_required(self, field: FormField) -> bool:
        """Whether ``field`` must be answered (a document field follows its document)."""
        if field.type is FieldType.DOCUMENT and field.document:
            doc = self.document(field.document)
            return doc.required if doc else field.required
        return field.required


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


class Deployment(_Model):
    """How this association's bot is reached when one process serves several associations
    (``mustafeed run --profile a.yaml --profile b.yaml``): each has its own token and staff group.
    Absent values fall back to the process's settings (TELEGRAM_BOT_TOKEN, STAFF_CHAT_ID, …)."""

    token_env: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")] | None = None
    """The name of the environment variable that holds this association's bot token."""
    staff_chat_id: ChatId | None = None
    supervisor_ids: tuple[Annotated[int, Field(strict=True, ge=1)], ...] = ()
    share_staff_chat: bool = False
    """True to let this association use the same staff group as another one in the process
    (otherwise start-up refuses: one association's staff would see the other's cases)."""


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

    _source: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Profile:
        context = info.context or {}
        if context.get("defer_checks"):
            return self
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


# --------------------------------------------------------------------------------------------
# Checks that span several fields (run after the structure is valid)

Loc = tuple[str | int, ...]


def _duplicates(items: Iterable[Any], key: str, where: Loc) -> Iterator[tuple[Loc, str]]:
    seen: dict[Any, int] = {}
    for index, item in enumerate(items):
        if item is None:  # an item with structural problems, reported already
            continue
        value = getattr(item, key)
        if value is None:
            continue
        if value in seen:
            yield (
                (*where, index, key),
                f"duplicate {key} {str(value)!r} (also {_path((*where, seen[value]))})",
            )
        else:
            seen[value] = index


# The checks below take sequences in which an item that failed validation is None, so that one
# run of check-profile reports every problem, not only the first layer.


def _check_documents(
    documents: Sequence[Document | None], base_dir: Path | None
) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates(documents, "id", ("documents",))
    for index, doc in enumerate(documents):
        if doc is None:
            continue
        loc: Loc = ("documents", index)
        if doc.file and doc.url:
            yield loc, "give either 'file' or 'url', not both"
        elif not doc.file and not doc.url:
            yield loc, "give 'file' (a path beside the profile) or 'url'"
        if not doc.file:
            continue
        loc = (*loc, "file")
        relative = Path(doc.file)
        if relative.is_absolute() or ".." in relative.parts:
            yield loc, f"must be a path inside the profile's folder, got {doc.file!r}"
            continue
        if relative.suffix.lower() not in DOCUMENT_SUFFIXES:
            yield loc, f"must be a {', '.join(DOCUMENT_SUFFIXES)} file, got {doc.file!r}"
        if base_dir is not None and not (base_dir / relative).is_file():
            yield loc, f"file not found: {doc.file} (looked in {base_dir})"


def _check_field(
    field: FormField, documents: dict[str, RequiredDocument] | None, loc: Loc
) -> Iterator[tuple[Loc, str]]:
    """``documents``: the service's documents by id, None when they could not be read."""
    given = field.model_fields_set
    for option, types in _FIELD_OPTIONS.items():
        if option in given and field.type not in types:
            key = FormField.model_fields[option].alias or option
            kinds = " or ".join(sorted(t.value for t in types))
            yield (
                (*loc, key),
                f"'{key}' only applies to fields of type {kinds}, not {field.type.value}",
            )
    if field.type is FieldType.CHOICE:
        count = len(field.choices or ())
        if count < 2:
            yield (*loc, "choices"), f"a choice field needs at least 2 choices (found {count})"
        yield from _duplicates(field.choices or (), "id", (*loc, "choices"))
    low, high = field.min_value, field.max_value
    if field.type is FieldType.INTEGER and low is not None and high is not None and low > high:
        yield (*loc, "max"), f"max ({field.max_value}) is below min ({field.min_value})"
    if field.type is FieldType.DATE and field.past_only and field.future_only:
        yield (*loc, "future_only"), "a date cannot be both past_only and future_only"
    if field.type is FieldType.DOCUMENT:
        if field.document is None:
            yield (*loc, "document"), "a document field names one of the service's documents"
        elif documents is not None and field.document not in documents:
            declared = ", ".join(documents) or "none declared"
            yield (
                (*loc, "document"),
                f"unknown document {field.document!r} (the service's documents: {declared})",
            )
        if "required" in given:
            yield (
                (*loc, "required"),
                "set 'required' on the service's document, not on the document field",
            )


def _check_services(
    services: Sequence[Service | SimpleNamespace | None],
) -> Iterator[tuple[Loc, str]]:
    """``services`` may hold partial services (SimpleNamespace with None for broken parts)."""
    yield from _duplicates(services, "id", ("services",))
    for s_index, service in enumerate(services):
        if service is None:
            continue
        where: Loc = ("services", s_index)
        documents: dict[str, RequiredDocument] | None = None
        if service.documents is not None:
            yield from _duplicates(service.documents, "id", (*where, "documents"))
            if None not in service.documents:
                documents = {d.id: d for d in service.documents}
        yield from _duplicates(service.fields, "id", (*where, "fields"))
        asked_by: dict[str, int] = {}
        for f_index, field in enumerate(service.fields):
            if field is None:
                continue
            loc = (*where, "fields", f_index)
            yield from _check_field(field, documents, loc)
            if field.type is FieldType.DOCUMENT and field.document:
                if field.document in asked_by:
                    other = _path((*where, "fields", asked_by[field.document]))
                    yield (
                        (*loc, "document"),
                        f"document {field.document!r} is already asked by {other}",
                    )
                else:
                    asked_by[field.document] = f_index


def normalize_arabic(text: str) -> str:
    """A loose form of an Arabic question for comparing: no diacritics, tatweel, hamza forms
    or punctuation, ى→ي and ة→ه, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]", "", text)
    text = re.sub("[إأآٱ]", "ا", text).replace("ى", "ي").replace("ة", "ه")
    text = text.replace("ؤ", "و").replace("ئ", "ي")
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(text.split())


def _check_faq(
    categories: Sequence[FaqCategory | None], entries: Sequence[FaqEntry | None]
) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates(categories, "id", ("faq", "categories"))
    yield from _duplicates(entries, "id", ("faq", "entries"))
    declared = [c.id for c in categories if c is not None]
    complete = None not in categories
    used: set[str] = set()
    seen: dict[str, Loc] = {}
    for e_index, entry in enumerate(entries):
        if entry is None:
            continue
        where: Loc = ("faq", "entries", e_index)
        used.add(entry.category)
        if entry.category not in declared and complete:
            close = difflib.get_close_matches(entry.category, declared, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            yield (
                (*where, "category"),
                f"unknown category {entry.category!r} "
                f"({hint}declared: {', '.join(declared) or 'none'})",
            )
        texts: list[tuple[Loc, str]] = [((*where, "question"), t) for t in entry.question.texts()]
        texts += [((*where, "phrasings", i), p) for i, p in enumerate(entry.phrasings)]
        for loc, text in texts:
            key = normalize_arabic(text)
            if key in seen:
                other = seen[key]
                if other[:3] == where:
                    yield loc, f"repeats {_path(other)} ({text!r})"
                else:
                    yield (
                        loc,
                        f"the same question as {_path(other)}: a question must lead to one answer",
                    )
            else:
                seen[key] = loc
    if None in entries or not used <= set(declared):
        return  # a broken or misnamed entry may be the one meant for an empty category
    for c_index, category in enumerate(categories):
        if category is not None and category.id not in used:
            yield ("faq", "categories", c_index), f"category {category.id!r} has no entries"


def _check_deadlines(deadlines: Deadlines) -> Iterator[tuple[Loc, str]]:
    if deadlines.remind_before_days >= deadlines.decision_days:
        yield (
            ("deadlines", "remind_before_days"),
            f"must be less than decision_days ({deadlines.decision_days})",
        )


def _section_problems(name: str, section: Any, base_dir: Path | None) -> Iterator[tuple[Loc, str]]:
    if name == "documents":
        yield from _check_documents(section, base_dir)
    elif name == "services":
        yield from _check_services(section)
    elif name == "faq":
        yield from _check_faq(section.categories, section.entries)
    elif name == "deadlines":
        yield from _check_deadlines(section)
    elif name == "survey":
        yield from _duplicates(section.questions, "id", ("survey", "questions"))
    elif name == "complaints":
        seen: set[str] = set()
        for index, kind in enumerate(section.types):
            if kind in seen:
                yield ("complaints", "types", index), f"{kind.value!r} is listed twice"
            seen.add(kind)


def _semantic_problems(profile: Profile, base_dir: Path | None) -> Iterator[tuple[Loc, str]]:
    for name in Profile.model_fields:
        yield from _section_problems(name, getattr(profile, name), base_dir)


# --------------------------------------------------------------------------------------------
# Reading and reporting


class ProfileError(ValueError):
    """A profile that cannot be used; ``problems`` holds one ``path: reason`` line each."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        count = len(self.problems)
        header = f"{self.path}: {count} problem{'s' if count != 1 else ''} in the profile"
        super().__init__("\n".join([header, *(f"  {p}" for p in self.problems)]))


def _path(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(profile)"


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, UnionType):
            options = [a for a in get_args(tp) if a is not NoneType]
            if len(options) != 1:
                return tp
            tp = options[0]
        else:
            return tp


def _keys_at(loc: Loc) -> list[str] | None:
    """The keys allowed in the mapping at ``loc`` (for 'did you mean')."""
    tp: Any = Profile
    for part in loc:
        tp = _unwrap(tp)
        if isinstance(part, int):
            if get_origin(tp) not in (tuple, list):
                return None
            tp = get_args(tp)[0]
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            field = next(
                (f for n, f in tp.model_fields.items() if (f.alias or n) == part),
                None,
            )
            if field is None:
                return None
            tp = field.annotation
        else:
            return None
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f.alias or n for n, f in tp.model_fields.items()]
    return None


def _pydantic_problem(error: ErrorDetails) -> tuple[Loc, str]:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = _show(error.get("input"))
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return loc, str(ctx["error"])
    if kind == "missing":
        return loc, "required"
    if kind == "extra_forbidden":
        allowed = _keys_at(loc[:-1]) or []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
        return loc, f"unknown key ({hint})"
    if kind.startswith("int_") or kind == "int_type":
        return loc, f"expected a whole number, got {got}"
    if kind.startswith("bool_"):
        return loc, f"expected true or false, got {got}"
    if kind == "string_type":
        return loc, f"expected a text, got {got}"
    if kind in ("list_type", "tuple_type"):
        return loc, f"expected a list ('- item' lines), got {got}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return loc, f"expected a mapping of 'key: value' lines, got {got}"
    if kind == "greater_than_equal":
        return loc, f"must be at least {ctx.get('ge')}, got {got}"
    if kind == "less_than_equal":
        return loc, f"must be at most {ctx.get('le')}, got {got}"
    if kind == "too_short":
        return loc, f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "string_too_long":
        return loc, f"too long: at most {ctx.get('max_length')} characters"
    return loc, f"{error['msg']} (got {got})"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (YAML keeps the last)."""


def _construct_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_yaml(path: Path) -> tuple[Any, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [f"(file): not found: {path}"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"(file): cannot read {path}: {exc}"]
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        reason = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        return None, [f"{where}: {reason}" + (f" ({context})" if context else "")]
    if not isinstance(data, dict):
        return None, [
            f"(profile): expected a mapping with association, channels, … got {_show(data)}"
        ]
    return data, []


def _validate(data: dict[str, Any], base_dir: Path | None) -> tuple[Profile | None, list[str]]:
    context = {"defer_checks": True, "base_dir": base_dir}
    problems: list[tuple[Loc, str]] = []
    profile: Profile | None = None
    try:
        profile = Profile.model_validate(data, context=context)
    except ValidationError as exc:
        problems += [_pydantic_problem(e) for e in exc.errors(include_url=False)]
    if profile is not None:
        problems += list(_semantic_problems(profile, base_dir))
    else:
        # Check what is valid on its own too, so that one run shows every problem.
        for name in Profile.model_fields:
            if name in data:
                section = _partial_section(name, data[name], context)
                if section is not None:
                    problems += list(_section_problems(name, section, base_dir))
    order = {name: i for i, name in enumerate(Profile.model_fields)}
    problems.sort(key=lambda p: order.get(str(p[0][0]), -1) if p[0] else -1)
    return (profile if not problems else None), [f"{_path(loc)}: {msg}" for loc, msg in problems]


def _valid_or_none(adapter: TypeAdapter[Any], value: Any, context: dict[str, Any]) -> Any:
    try:
        return adapter.validate_python(value, context=context)
    except ValidationError:
        return None


def _partial_service(raw: Any, context: dict[str, Any]) -> Any:
    """A valid Service, or its parts that are valid (to check its fields), or None."""
    service = _valid_or_none(TypeAdapter(Service), raw, context)
    if service is not None or not isinstance(raw, dict):
        return service

    def items(key: str, model: type[BaseModel]) -> list[Any] | None:
        value = raw.get(key, [])
        if not isinstance(value, list):
            return None
        return [_valid_or_none(TypeAdapter(model), v, context) for v in value]

    fields = items("fields", FormField)
    return SimpleNamespace(
        id=_valid_or_none(TypeAdapter(Slug), raw.get("id"), context),
        documents=items("documents", RequiredDocument),
        fields=fields if fields is not None else [],
    )


def _partial_section(name: str, raw: Any, context: dict[str, Any]) -> Any:
    """A section with its invalid list items replaced by None (None if nothing can be saved)."""
    annotation = Profile.model_fields[name].rebuild_annotation()
    whole = _valid_or_none(TypeAdapter(annotation), raw, context)
    if whole is not None:
        return whole
    if name == "documents" and isinstance(raw, list):
        return [_valid_or_none(TypeAdapter(Document), value, context) for value in raw]
    if name == "services" and isinstance(raw, list):
        return [_partial_service(value, context) for value in raw]
    if name == "faq" and isinstance(raw, dict):
        parts = {}
        for key, model in (("categories", FaqCategory), ("entries", FaqEntry)):
            value = raw.get(key, [])
            if not isinstance(value, list):
                return None
            parts[key] = [_valid_or_none(TypeAdapter(model), v, context) for v in value]
        return SimpleNamespace(**parts)
    return None


def check_profile(path: Path | str) -> list[str]:
    """Every problem of the profile at ``path`` as ``field.path: reason`` lines; ``[]`` if valid."""
    path = Path(path)
    data, problems = _read_yaml(path)
    if problems:
        return problems
    return _validate(data, path.resolve().parent)[1]


def load_profile(path: Path | str | None = None) -> Profile:
    """Read and validate a profile (the bundled example when ``path`` is ``None``)."""
    path = Path(path) if path is not None else default_profile_path()
    data, problems = _read_yaml(path)
    if not problems:
        profile, problems = _validate(data, path.resolve().parent)
    if problems:
        raise ProfileError(path, problems)
    assert profile is not None
    profile._source = path.resolve()
    return profile


def main(argv: list[str] | None = None) -> int:
    """``mustafeed check-profile PATH`` (also ``python -m bot.profile PATH``)."""
    args = sys.argv[1:] if argv is None else argv
    paths = [Path(a) for a in args] or [default_profile_path()]
    status = 0
    for path in paths:
        problems = check_profile(path)
        if problems:
            status = 1
            print(f"{path}: {len(problems)} problem(s)")
            for line in problems:
                print(f"  {line}")
        else:
            profile = load_profile(path)
            print(
                f"{path}: OK — {profile.association.name.get('ar')} ({profile.id}): "
                f"{len(profile.services)} services, {len(profile.faq.entries)} FAQ entries "
                f"in {len(profile.faq.categories)} categories, {len(profile.documents)} documents"
            )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
