"""The profile's value types: localized texts, Telegram HTML, ids, phones, addresses.

Plain building blocks of :mod:`bot.profile.schema`; each raises ``ValueError`` with the reason
an administrator is shown.
"""

from __future__ import annotations

import datetime as _dt
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import core_schema

from bot import ROOT
from bot.i18n import N_, normalize_locale, translator

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


GROUP_ID_HINT = (
    "a Telegram group's chat id is negative (e.g. -1001234567890; a positive id is a person): "
    "copy it with its minus sign"
)


def _group_chat_id(value: Any) -> Any:
    value = _chat_id(value)
    if value > 0:
        raise ValueError(f"{value} is not a group: {GROUP_ID_HINT}")
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
GroupChatId = Annotated[int, BeforeValidator(_group_chat_id)]
Count = Annotated[int, Field(strict=True, ge=1)]


class ProfileModel(BaseModel):
    """The profile's models: frozen, unknown keys refused (a typo is an error, not ignored)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        str_strip_whitespace=True,
        arbitrary_types_allowed=False,
    )
