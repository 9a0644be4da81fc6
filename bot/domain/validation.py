"""Validators for what beneficiaries type or send: one per field type, plus ``validate``.

Each ``validate_<type>(raw, **options)`` returns the normalised value or raises :class:`Invalid`
whose ``.text`` (a :class:`~bot.i18n.Text`) says what is wrong, shows a right example and asks
again, in the reader's language once rendered. ``.code`` is a short machine-readable reason.

Every validator accepts Arabic-Indic (٠-٩), Persian (۰-۹) and Latin digits, and ignores the
invisible characters phones and other apps insert.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain import dates, filetypes
from bot.domain.errors import Invalid
from bot.domain.filetypes import Head
from bot.domain.identity import (
    ID_EXAMPLE,
    MOBILE_EXAMPLE,
    NationalId,
    _raw_str,
    luhn_ok,
    national_id_check_digit,
    validate_full_name,
    validate_mobile,
    validate_national_id,
    validate_text,
)
from bot.domain.textutil import Num, clean_input, fold, to_ascii_digits
from bot.i18n import N_, Text

log = logging.getLogger(__name__)

# integer
# --------------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?\d+")
_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:[, '’]\d{3})+")
_DECIMAL_RE = re.compile(r"[+-]?\d*\.\d+")


def _range_text(lo: int | None, hi: int | None, label: Text | str | None, example: int) -> Text:
    ex = Num(example)
    if label is None:
        if lo is not None and hi is not None:
            return Text(N_("Please send a number from {min} to {max}, for example: {example}."),
                        min=Num(lo), max=Num(hi), example=ex)
        if lo is not None:
            return Text(N_("Please send a number of {min} or more, for example: {example}."),
                        min=Num(lo), example=ex)
        if hi is not None:
            return Text(N_("Please send a number of {max} or less, for example: {example}."),
                        max=Num(hi), example=ex)
        return Text(N_("Please send the answer as a number in digits, for example: {example}."),
                    example=ex)
    if lo is not None and hi is not None:
        return Text(N_("{label}: please send a number from {min} to {max}, for example: "
                       "{example}."), label=label, min=Num(lo), max=Num(hi), example=ex)
    if lo is not None:
        return Text(N_("{label}: please send a number of {min} or more, for example: {example}."),
                    label=label, min=Num(lo), example=ex)
    if hi is not None:
        return Text(N_("{label}: please send a number of {max} or less, for example: {example}."),
                    label=label, max=Num(hi), example=ex)
    return Text(N_("{label}: please send the answer as a number in digits, for example: "
                   "{example}."), label=label, example=ex)


def validate_integer(raw: str | int | None, *, min: int | None = None, max: int | None = None,
                     label: Text | str | None = None, example: int | None = None) -> int:
    """A whole number; Arabic-Indic/Persian digits, ``٬``/``,`` thousands separators accepted.

    Out-of-range and unreadable answers get a message stating the range, e.g. with
    ``label=Text(N_("Family size"))``, ``min=1``, ``max=30``: «عدد أفراد الأسرة: نرجو إرسال رقم
    من ١ إلى ٣٠، مثل: ٥.»
    """
    lo, hi = min, max
    if example is None:
        example = 5
        if lo is not None and example < lo:
            example = lo
        if hi is not None and example > hi:
            example = hi
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        s = to_ascii_digits(clean_input(_raw_str(raw))).replace("−", "-")
        s = s.strip(" .،,")
        if _GROUPED_RE.fullmatch(s):
            s = re.sub(r"[, '’]", "", s)
        s = s.replace(" ", "")
        if _DECIMAL_RE.fullmatch(s):
            whole, _, frac = s.partition(".")
            if frac.strip("0") or len(whole.lstrip("+-")) == 0:
                raise Invalid(Text(N_(
                    "Please send a whole number, without fractions, for example: {example}."),
                    example=Num(example)), "not_whole")
            s = whole
        if not _INT_RE.fullmatch(s):
            raise Invalid(_range_text(lo, hi, label, example), "not_number")
        if len(s.lstrip("+-")) > 18:
            raise Invalid(_range_text(lo, hi, label, example), "out_of_range")
        value = int(s)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise Invalid(_range_text(lo, hi, label, example), "out_of_range")
    return value


# --------------------------------------------------------------------------------------------
# date
# --------------------------------------------------------------------------------------------


def _age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def validate_date(raw: str | None, *, calendar: str = "any", past_only: bool = False,
                  future_only: bool = False, min_date: date | None = None,
                  max_date: date | None = None, min_age: int | None = None,
                  max_age: int | None = None, today: date | None = None) -> dates.ParsedDate:
    """A date typed in Hijri or Gregorian (see :func:`bot.domain.dates.parse_date`) → ``ParsedDate``.

    ``past_only``: not after today; ``future_only``: not before today (today in Riyadh, both
    inclusive). ``min_date``/``max_date`` inclusive. ``min_age``/``max_age`` treat the date as a
    date of birth. ``today`` overrides the clock (tests).
    """
    parsed = dates.parse_date(_raw_str(raw), calendar=calendar)  # type: ignore[arg-type]
    d = parsed.gregorian
    today = today or dates.today_riyadh()
    shown = dates.LocalDate(d)
    not_yet = Text(N_(
        "The date {date} has not come yet. Please send a date up to today, {today}."),
        date=shown, today=dates.LocalDate(today))
    if past_only and d > today:
        raise Invalid(not_yet, "date_future")
    if future_only and d < today:
        raise Invalid(Text(N_(
            "The date {date} has already passed. Please send a date from today, {today}, "
            "onwards."), date=shown, today=dates.LocalDate(today)), "date_past")
    if min_date is not None and d < min_date:
        raise Invalid(Text(N_(
            "The date {date} is too early. Please send a date on or after {min_date}."),
            date=shown, min_date=dates.LocalDate(min_date)), "date_too_early")
    if max_date is not None and d > max_date:
        raise Invalid(Text(N_(
            "The date {date} is too late. Please send a date on or before {max_date}."),
            date=shown, max_date=dates.LocalDate(max_date)), "date_too_late")
    if min_age is not None or max_age is not None:
        if d > today:  # a date of birth in the future
            raise Invalid(not_yet, "date_future")
        age = _age_on(d, today)
        if min_age is not None and age < min_age:
            raise Invalid(Text(N_(
                "By this date of birth, {date}, the age is {age}, and the minimum age here is "
                "{min_age}. Please check the date and send it again."),
                date=shown, age=Num(age), min_age=Num(min_age)), "too_young")
        if max_age is not None and age > max_age:
            raise Invalid(Text(N_(
                "By this date of birth, {date}, the age is {age}, and the maximum age here is "
                "{max_age}. Please check the date and send it again."),
                date=shown, age=Num(age), max_age=Num(max_age)), "too_old")
    return parsed


# --------------------------------------------------------------------------------------------
# choice
# --------------------------------------------------------------------------------------------

def _choice_pairs(choices: Any) -> list[tuple[Any, Any]]:
    if isinstance(choices, Mapping):
        return list(choices.items())
    pairs = []
    for c in choices:
        if isinstance(c, (tuple, list)) and len(c) >= 2:
            pairs.append((c[0], c[1]))
        else:
            pairs.append((c, c))
    return pairs


def _label_keys(label: Any, translator: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(label, Text):
        if translator is not None:
            keys.add(fold(label.render(translator)))
        try:
            keys.add(fold(label.msgid.format(**label.params) if label.params else label.msgid))
        except (KeyError, IndexError, ValueError):
            keys.add(fold(label.msgid))
    elif isinstance(label, (list, tuple, set, frozenset)):  # several accepted spellings
        for item in label:
            keys |= _label_keys(item, translator)
    elif label is not None:
        keys.add(fold(str(label)))
    keys.discard("")
    return keys


def validate_choice(raw: str | None, *, choices: Sequence[tuple[Any, Any]] | Mapping[Any, Any],
                    translator: Any = None) -> Any:
    """One of ``choices`` (``[(id, label), …]`` or ``{id: label}``) → its id.

    Matches the id, the label (str or ``Text``; rendered with ``translator`` if given) or the
    option's 1-based number, ignoring diacritics, hamza/alef/ya/ta-marbuta spelling, case,
    punctuation and emoji (so a reply-keyboard button's text matches its own label). A unique
    partial match of at least three letters is accepted too.
    """
    pairs = _choice_pairs(choices)
    key = fold(_raw_str(raw))

    def no_match() -> Invalid:
        return Invalid(Text(N_(
            "I could not match your answer with one of the options. Please tap one of the "
            "buttons, or send the option's number from 1 to {count}, for example: 1."),
            count=Num(len(pairs))), "no_match" if key else "empty")

    if not key or not pairs:
        raise no_match()
    for cid, _ in pairs:
        if fold(str(cid)) == key:
            return cid
    if key.isdigit() and len(key) <= 4 and 1 <= int(key) <= len(pairs):
        return pairs[int(key) - 1][0]
    label_keys = [(cid, _label_keys(label, translator)) for cid, label in pairs]
    for cid, keys in label_keys:
        if key in keys:
            return cid
    nospace = key.replace(" ", "")
    exact = [cid for cid, keys in label_keys if nospace in {k.replace(" ", "") for k in keys}]
    if len(exact) == 1:
        return exact[0]
    if len(nospace) >= 3:
        partial = [cid for cid, keys in label_keys if any(key in k for k in keys)]
        if len(partial) == 1:
            return partial[0]
    raise no_match()


# --------------------------------------------------------------------------------------------
# email
# --------------------------------------------------------------------------------------------

_EMAIL_RE = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}))"
)


def validate_email(raw: str | None) -> str:
    """A sane-looking email address → ``local@domain`` with the domain lower-cased."""
    s = to_ascii_digits(clean_input(_raw_str(raw)))
    s = re.sub(r"^mailto:", "", s, flags=re.IGNORECASE)
    s = re.sub(r"\s+", "", s).replace("＠", "@").strip(".,،;")
    if not s:
        raise Invalid(Text(N_("Please send your email address, for example: name@example.com")),
                      "empty")
    m = _EMAIL_RE.fullmatch(s)
    if not m or len(s) > 254 or len(m.group("local")) > 64:
        raise Invalid(Text(N_(
            "This email address does not look complete. Please send it again in this form: "
            "name@example.com")), "email")
    return f"{m.group('local')}@{m.group('domain').lower()}"


# --------------------------------------------------------------------------------------------
# yes_no
# --------------------------------------------------------------------------------------------

_YES = {fold(w) for w in (
    "نعم", "نعم أوافق", "أوافق", "موافق", "موافقة", "أجل", "بلى", "إي", "اي", "إيه", "ايه",
    "أيوه", "أيوة", "ايوا", "إيوا", "أكيد", "طبعا", "بالتأكيد", "صح", "صحيح", "تمام", "طيب",
    "yes", "y", "yeah", "yep", "yup", "ok", "okay", "sure", "true", "agree", "i agree",
)}
_NO = {fold(w) for w in (
    "لا", "لأ", "لاء", "لا شكرا", "لا شكراً", "كلا", "أبدا", "أبداً", "غير موافق", "لا أوافق",
    "ما أوافق", "مو موافق", "مش موافق", "لست موافقا", "خطأ",
    "no", "n", "nope", "nah", "false", "disagree", "no thanks", "no thank you",
)}
_YES_SYMBOLS = {"✅", "✔", "✔️", "👍", "☑", "☑️"}
_NO_SYMBOLS = {"❌", "✖", "✖️", "👎", "❎"}


def validate_yes_no(raw: str | None) -> bool:
    """نعم/لا, yes/no and their usual variants (ايه، اي، أيوه، كلا، ✅/❌ …) → ``True``/``False``."""
    s = clean_input(_raw_str(raw))
    if s in _YES_SYMBOLS:
        return True
    if s in _NO_SYMBOLS:
        return False
    key = fold(s)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise Invalid(Text(N_('Please answer with "yes" or "no".')), "yes_no" if key else "empty")


# --------------------------------------------------------------------------------------------
# location
# --------------------------------------------------------------------------------------------

# Saudi Arabia's rough bounding box (it includes slivers of the neighbours; that is fine).
SAUDI_BBOX = (16.0, 32.3, 34.4, 55.8)  # lat min, lat max, lon min, lon max
_LATLON_RE = re.compile(r"([+-]?\d{1,3}(?:\.\d+)?)\s*[,،;\s]\s*([+-]?\d{1,3}(?:\.\d+)?)")


def _coords(raw: Any) -> tuple[float, float] | None:
    if raw is None:
        return None
    if hasattr(raw, "location") and not hasattr(raw, "latitude"):  # Telegram Venue
        raw = raw.location
    if hasattr(raw, "latitude") and hasattr(raw, "longitude"):
        lat, lon = raw.latitude, raw.longitude
    elif isinstance(raw, Mapping):
        lat, lon = raw.get("latitude"), raw.get("longitude")
    elif isinstance(raw, (tuple, list)) and len(raw) == 2:
        lat, lon = raw
    elif isinstance(raw, str):
        m = _LATLON_RE.fullmatch(to_ascii_digits(clean_input(raw)))
        if not m:
            return None
        lat, lon = m.group(1), m.group(2)
    else:
        return None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


class Address(str):
    """A typed address or district, accepted for a location where the profile allows it."""


def validate_location(raw: Any, allow_address: bool = False) -> tuple[float, float] | Address:
    """``(latitude, longitude)`` (or a Telegram ``Location``/``Venue``, a dict, or "24.7, 46.7")
    inside Saudi Arabia → ``(lat, lon)`` floats; with ``allow_address``, a typed address or
    district (a few words with letters) → ``Address``."""
    coords = _coords(raw)
    if coords is None and allow_address and isinstance(raw, str):
        text = validate_text(raw, max_length=200)
        if len(text) < 3 or not any(ch.isalpha() for ch in text):
            raise Invalid(Text(N_(
                "Please type your address or district in a few words (for example: Al-Naseem "
                "district, Riyadh), or share the location with the button.")), "no_location")
        return Address(text)
    if coords is None:
        raise Invalid(Text(N_(
            "Please share the location using the attachment button (📎), then choose "
            "\"Location\".")), "no_location")
    lat, lon = coords
    lat_min, lat_max, lon_min, lon_max = SAUDI_BBOX
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        raise Invalid(Text(N_(
            "This location seems to be outside Saudi Arabia. Please share a location inside the "
            "Kingdom using the attachment button (📎), then choose \"Location\".")),
            "outside_saudi")
    return lat, lon


# --------------------------------------------------------------------------------------------
# document
# --------------------------------------------------------------------------------------------

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB  # what the Bot API lets a bot download

_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp")
_WORD_MIMES = ("application/msword",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@dataclass(frozen=True)
class DocumentFile:
    kind: str  # "photo" (a photo or an image file), "pdf", "word" or "other"
    mime_type: str | None
    file_size: int | None
    file_name: str | None
    file_id: str | None = None
    file_unique_id: str | None = None


def _meta_get(meta: Any, name: str) -> Any:
    if isinstance(meta, Mapping):
        return meta.get(name)
    return getattr(meta, name, None)


def _kind_of_mime(mime: str) -> str | None:
    if not mime or mime == "application/octet-stream":
        return None  # says nothing
    if mime.startswith("image/"):
        return "photo"
    if mime == "application/pdf":
        return "pdf"
    if mime in _WORD_MIMES:
        return "word"
    return "other"


def _kind_of_name(name: str) -> str | None:
    if "." not in name:
        return None
    if name.endswith(_IMAGE_EXTENSIONS):
        return "photo"
    if name.endswith(".pdf"):
        return "pdf"
    if name.endswith((".doc", ".docx")):
        return "word"
    return "other"


def _classify(mime: str | None, name: str | None, kind: str | None) -> str:
    """What a file is, from Telegram's kind, its MIME type and its name. When the MIME type and
    the name disagree (``id.pdf`` sent as a program), it is neither: "other"."""
    if kind == "photo":
        return "photo"
    by_mime = _kind_of_mime((mime or "").lower())
    by_name = _kind_of_name((name or "").lower())
    if by_mime and by_name and by_mime != by_name:
        return "other"
    return by_mime or by_name or "other"


def _accepted_text(accept: Sequence[str]) -> Text:
    kinds = {("photo" if a == "image" else a) for a in accept}
    if kinds == {"photo"}:
        return Text(N_("a clear photo of the document"))
    if kinds == {"pdf"}:
        return Text(N_("a PDF file"))
    if kinds == {"photo", "pdf"}:
        return Text(N_("a clear photo of the document or a PDF file"))
    return Text(N_("a photo of the document or a file of an accepted type"))


def _accepts(accept: Sequence[str], kind: str, mime: str | None) -> bool:
    mime = (mime or "").lower()
    for a in accept:
        a = a.lower()
        if a in ("photo", "image") and kind == "photo":
            return True
        if a == kind:
            return True
        if "/" in a and mime and (a == mime or (a.endswith("/*") and mime.startswith(a[:-1]))):
            return True
    return False


def _check_contents(head: Head | None, kind: str, size: int | None, accepted: Text) -> None:
    """The file's first bytes against the type it claims (``head`` is None when they were not
    read: metadata alone, as in the unit tests of the rules above)."""
    if size == 0 or (head is not None and head.data == b""):
        raise Invalid(Text(N_("This file is empty. Please send {accepted} using the attachment "
                              "button (📎)."), accepted=accepted), "empty_file")
    if head is None:
        return
    if head.data is None:
        raise Invalid(Text(N_("I could not open this file. Please send it again using the "
                              "attachment button (📎).")), "unreadable_file")
    if not filetypes.matches(kind, head.data):
        raise Invalid(Text(N_("The contents of this file do not match its type, so it cannot be "
                              "accepted. Please send {accepted} using the attachment button (📎)."),
                           accepted=accepted), "contents_mismatch")


def validate_document(raw: Any, *, accept: Sequence[str] = ("photo", "pdf"),
                      max_bytes: int = DEFAULT_MAX_BYTES) -> DocumentFile:
    """An uploaded file's metadata (a dict or an object with ``mime_type``, ``file_size``,
    ``file_name``, ``kind`` "photo"|"document", optional ``file_id``) → :class:`DocumentFile`.

    ``accept`` holds kinds ("photo"/"image", "pdf", "word") or MIME types ("image/*"); an image
    sent as a file counts as a photo.
    """
    accepted = _accepted_text(accept)
    if raw is None or isinstance(raw, str):
        raise Invalid(Text(N_("Please send {accepted} using the attachment button (📎)."),
                           accepted=accepted), "no_document")
    mime = _meta_get(raw, "mime_type")
    name = _meta_get(raw, "file_name")
    size = _meta_get(raw, "file_size")
    kind_hint = _meta_get(raw, "kind")
    if kind_hint is None and mime is None and name is None and hasattr(raw, "width"):
        kind_hint = "photo"  # a Telegram PhotoSize
    kind = _classify(mime, name, kind_hint)
    if kind == "photo" and not mime:
        mime = "image/jpeg"  # Telegram re-encodes photos as JPEG
    if not _accepts(accept, kind, mime):
        raise Invalid(Text(N_(
            "This type of file cannot be accepted here. Please send {accepted} using the "
            "attachment button (📎)."), accepted=accepted), "wrong_type")
    try:
        size = int(size) if size is not None else None
    except (TypeError, ValueError):
        size = None
    if size is not None and size > max_bytes:
        raise Invalid(Text(N_(
            "This file is {size} MB, and the limit is {limit} MB. Please send a smaller file, "
            "for example a photo of the document taken with the phone camera."),
            size=Num(math.ceil(size / MB * 10) / 10), limit=Num(round(max_bytes / MB, 1))),
            "too_large")
    _check_contents(_meta_get(raw, "head"), kind, size, accepted)
    return DocumentFile(kind=kind, mime_type=mime or None, file_size=size, file_name=name,
                        file_id=_meta_get(raw, "file_id"),
                        file_unique_id=_meta_get(raw, "file_unique_id"))


# --------------------------------------------------------------------------------------------
# dispatch
# --------------------------------------------------------------------------------------------

VALIDATORS: dict[str, Callable[..., Any]] = {
    "text": validate_text,
    "full_name": validate_full_name,
    "national_id": validate_national_id,
    "mobile": validate_mobile,
    "integer": validate_integer,
    "date": validate_date,
    "choice": validate_choice,
    "location": validate_location,
    "document": validate_document,
    "email": validate_email,
    "yes_no": validate_yes_no,
}
FIELD_TYPES = tuple(VALIDATORS)

_PARAMS = {name: set(list(inspect.signature(fn).parameters)[1:]) for name, fn in VALIDATORS.items()}


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not clean_input(raw))


def validate(field_type: str, raw: Any, *, required: bool = True, **options: Any) -> Any:
    """Validate ``raw`` as ``field_type`` (one of :data:`FIELD_TYPES`) with that type's options.

    ``required=False`` returns ``None`` for an empty answer. Options the validator does not know
    are ignored with a warning (a form definition may carry presentation keys). An unknown
    ``field_type`` is a programming error: ``ValueError``.
    """
    try:
        fn = VALIDATORS[field_type]
    except KeyError:
        raise ValueError(f"unknown field type {field_type!r}; expected one of {FIELD_TYPES}") from None
    if not required and _is_blank(raw):
        return None
    known = _PARAMS[field_type]
    unknown = set(options) - known
    if unknown:
        log.warning("validate(%s): ignoring unknown options %s", field_type, sorted(unknown))
        options = {k: v for k, v in options.items() if k in known}
    return fn(raw, **options)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "FIELD_TYPES",
    "ID_EXAMPLE",
    "MOBILE_EXAMPLE",
    "SAUDI_BBOX",
    "VALIDATORS",
    "DocumentFile",
    "Invalid",
    "NationalId",
    "luhn_ok",
    "national_id_check_digit",
    "validate",
    "validate_choice",
    "validate_date",
    "validate_document",
    "validate_email",
    "validate_full_name",
    "validate_integer",
    "validate_location",
    "validate_mobile",
    "validate_national_id",
    "validate_text",
    "validate_yes_no",
]
