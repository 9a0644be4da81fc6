"""Validators for what beneficiaries type or send: one per field type, plus ``validate``.

Each ``validate_<type>(raw, **options)`` returns the normalised value or raises :class:`Invalid`
whose ``.text`` (a :class:`~bot.i18n.Text`) says what is wrong, shows a right example and asks
again, in the reader's language once rendered. ``.code`` is a short machine-readable reason.

Every validator accepts Arabic-Indic (٠-٩), Persian (۰-۹) and Latin digits, and ignores the
invisible characters phones and other apps insert. The validators of what is sent with the
attachment button (a location, a document) live in :mod:`bot.domain.attachments`, those of a
person's identity (name, national ID, mobile) in :mod:`bot.domain.identity`; ``validate`` and
``VALIDATORS`` reach them all.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from bot.domain import dates
from bot.domain.attachments import (
    DEFAULT_MAX_BYTES,
    SAUDI_BBOX,
    DocumentFile,
    validate_document,
    validate_location,
)
from bot.domain.dateparse import ParsedDate, parse_date
from bot.domain.errors import Invalid
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
            return Text(
                N_("Please send a number from {min} to {max}, for example: {example}."),
                min=Num(lo),
                max=Num(hi),
                example=ex,
            )
        if lo is not None:
            return Text(
                N_("Please send a number of {min} or more, for example: {example}."),
                min=Num(lo),
                example=ex,
            )
        if hi is not None:
            return Text(
                N_("Please send a number of {max} or less, for example: {example}."),
                max=Num(hi),
                example=ex,
            )
        return Text(
            N_("Please send the answer as a number in digits, for example: {example}."), example=ex
        )
    if lo is not None and hi is not None:
        return Text(
            N_("{label}: please send a number from {min} to {max}, for example: {example}."),
            label=label,
            min=Num(lo),
            max=Num(hi),
            example=ex,
        )
    if lo is not None:
        return Text(
            N_("{label}: please send a number of {min} or more, for example: {example}."),
            label=label,
            min=Num(lo),
            example=ex,
        )
    if hi is not None:
        return Text(
            N_("{label}: please send a number of {max} or less, for example: {example}."),
            label=label,
            max=Num(hi),
            example=ex,
        )
    return Text(
        N_("{label}: please send the answer as a number in digits, for example: {example}."),
        label=label,
        example=ex,
    )


def validate_integer(
    raw: str | int | None,
    *,
    min: int | None = None,
    max: int | None = None,
    label: Text | str | None = None,
    example: int | None = None,
) -> int:
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
                raise Invalid(
                    Text(
                        N_(
                            "Please send a whole number, without fractions, for example: {example}."
                        ),
                        example=Num(example),
                    ),
                    "not_whole",
                )
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


def validate_date(
    raw: str | None,
    *,
    calendar: str = "any",
    past_only: bool = False,
    future_only: bool = False,
    min_date: date | None = None,
    max_date: date | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
    today: date | None = None,
) -> ParsedDate:
    """A date typed in Hijri or Gregorian (see :func:`bot.domain.dateparse.parse_date`) → ``ParsedDate``.

    ``past_only``: not after today; ``future_only``: not before today (today in Riyadh, both
    inclusive). ``min_date``/``max_date`` inclusive. ``min_age``/``max_age`` treat the date as a
    date of birth. ``today`` overrides the clock (tests).
    """
    parsed = parse_date(_raw_str(raw), calendar=calendar)  # type: ignore[arg-type]
    d = parsed.gregorian
    today = today or dates.today_riyadh()
    shown = dates.LocalDate(d)
    not_yet = Text(
        N_("The date {date} has not come yet. Please send a date up to today, {today}."),
        date=shown,
        today=dates.LocalDate(today),
    )
    if past_only and d > today:
        raise Invalid(not_yet, "date_future")
    if future_only and d < today:
        raise Invalid(
            Text(
                N_(
                    "The date {date} has already passed. Please send a date from today, {today}, "
                    "onwards."
                ),
                date=shown,
                today=dates.LocalDate(today),
            ),
            "date_past",
        )
    if min_date is not None and d < min_date:
        raise Invalid(
            Text(
                N_("The date {date} is too early. Please send a date on or after {min_date}."),
                date=shown,
                min_date=dates.LocalDate(min_date),
            ),
            "date_too_early",
        )
    if max_date is not None and d > max_date:
        raise Invalid(
            Text(
                N_("The date {date} is too late. Please send a date on or before {max_date}."),
                date=shown,
                max_date=dates.LocalDate(max_date),
            ),
            "date_too_late",
        )
    if min_age is not None or max_age is not None:
        if d > today:  # a date of birth in the future
            raise Invalid(not_yet, "date_future")
        age = _age_on(d, today)
        if min_age is not None and age < min_age:
            raise Invalid(
                Text(
                    N_(
                        "By this date of birth, {date}, the age is {age}, and the minimum age here is "
                        "{min_age}. Please check the date and send it again."
                    ),
                    date=shown,
                    age=Num(age),
                    min_age=Num(min_age),
                ),
                "too_young",
            )
        if max_age is not None and age > max_age:
            raise Invalid(
                Text(
                    N_(
                        "By this date of birth, {date}, the age is {age}, and the maximum age here is "
                        "{max_age}. Please check the date and send it again."
                    ),
                    date=shown,
                    age=Num(age),
                    max_age=Num(max_age),
                ),
                "too_old",
            )
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


def validate_choice(
    raw: str | None,
    *,
    choices: Sequence[tuple[Any, Any]] | Mapping[Any, Any],
    translator: Any = None,
) -> Any:
    """One of ``choices`` (``[(id, label), …]`` or ``{id: label}``) → its id.

    Matches the id, the label (str or ``Text``; rendered with ``translator`` if given) or the
    option's 1-based number, ignoring diacritics, hamza/alef/ya/ta-marbuta spelling, case,
    punctuation and emoji (so a reply-keyboard button's text matches its own label). A unique
    partial match of at least three letters is accepted too.
    """
    pairs = _choice_pairs(choices)
    key = fold(_raw_str(raw))

    def no_match() -> Invalid:
        return Invalid(
            Text(
                N_(
                    "I could not match your answer with one of the options. Please tap one of the "
                    "buttons, or send the option's number from 1 to {count}, for example: 1."
                ),
                count=Num(len(pairs)),
            ),
            "no_match" if key else "empty",
        )

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
        raise Invalid(
            Text(N_("Please send your email address, for example: name@example.com")), "empty"
        )
    m = _EMAIL_RE.fullmatch(s)
    if not m or len(s) > 254 or len(m.group("local")) > 64:
        raise Invalid(
            Text(
                N_(
                    "This email address does not look complete. Please send it again in this form: "
                    "name@example.com"
                )
            ),
            "email",
        )
    return f"{m.group('local')}@{m.group('domain').lower()}"


# --------------------------------------------------------------------------------------------
# yes_no
# --------------------------------------------------------------------------------------------

_YES = {
    fold(w)
    for w in (
        "نعم",
        "نعم أوافق",
        "أوافق",
        "موافق",
        "موافقة",
        "أجل",
        "بلى",
        "إي",
        "اي",
        "إيه",
        "ايه",
        "أيوه",
        "أيوة",
        "ايوا",
        "إيوا",
        "أكيد",
        "طبعا",
        "بالتأكيد",
        "صح",
        "صحيح",
        "تمام",
        "طيب",
        "yes",
        "y",
        "yeah",
        "yep",
        "yup",
        "ok",
        "okay",
        "sure",
        "true",
        "agree",
        "i agree",
    )
}
_NO = {
    fold(w)
    for w in (
        "لا",
        "لأ",
        "لاء",
        "لا شكرا",
        "لا شكراً",
        "كلا",
        "أبدا",
        "أبداً",
        "غير موافق",
        "لا أوافق",
        "ما أوافق",
        "مو موافق",
        "مش موافق",
        "لست موافقا",
        "خطأ",
        "no",
        "n",
        "nope",
        "nah",
        "false",
        "disagree",
        "no thanks",
        "no thank you",
    )
}
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
        raise ValueError(
            f"unknown field type {field_type!r}; expected one of {FIELD_TYPES}"
        ) from None
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
