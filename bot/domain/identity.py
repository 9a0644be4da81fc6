"""Validators of who a beneficiary is and what they write: free text, full name, national ID
(or iqama, with its check digit) and Saudi mobile number. See :mod:`bot.domain.validation`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, NamedTuple

from bot.domain.errors import Invalid
from bot.domain.textutil import Num, clean_input, to_ascii_digits
from bot.i18n import N_, Text


def _raw_str(raw: Any) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raw = str(raw)
    return raw


# --------------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------------


def validate_text(
    raw: str | None, *, min_length: int = 1, max_length: int = 1000, multiline: bool = True
) -> str:
    """Free text: cleaned (line breaks kept unless ``multiline=False``), non-empty, length-checked."""
    s = clean_input(_raw_str(raw), multiline=multiline)
    if not s:
        raise Invalid(
            Text(
                N_(
                    "Please write your answer in a message, for example a short "
                    "sentence that explains your request."
                )
            ),
            "empty",
        )
    length = len(s)
    if length < min_length:
        raise Invalid(
            Text(
                N_(
                    "Please add a few more details: the answer needs at least {min_length} characters, "
                    "and your message has {length}."
                ),
                min_length=Num(min_length),
                length=Num(length),
            ),
            "too_short",
        )
    if length > max_length:
        raise Invalid(
            Text(
                N_(
                    "Your message is {length} characters long, and the limit is {max_length}. Please "
                    "shorten it and send it again."
                ),
                length=Num(length),
                max_length=Num(max_length),
            ),
            "too_long",
        )
    return s


# --------------------------------------------------------------------------------------------
# full_name
# --------------------------------------------------------------------------------------------

_NAME_PUNCT = set("-'’.")


def validate_full_name(raw: str | None, *, min_parts: int = 2, max_length: int = 100) -> str:
    """A person's name in Arabic or Latin letters: at least ``min_parts`` names, no digits,
    2–``max_length`` characters; spaces collapsed, tatweel removed."""
    s = clean_input(_raw_str(raw)).replace("\u0640", "")
    s = re.sub(r"\s*-\s*", "-", s).strip(" -'’.")
    if not s:
        raise Invalid(
            Text(
                N_(
                    "Please write your full name as it appears on your ID, for example: "
                    "Mohammed Abdullah Ahmed Alharbi."
                )
            ),
            "empty",
        )
    if any(unicodedata.category(c) == "Nd" for c in s):
        raise Invalid(
            Text(
                N_(
                    "A name cannot contain digits. Please write the full name in letters, for example: "
                    "Mohammed Abdullah Ahmed Alharbi."
                )
            ),
            "name_digits",
        )
    for c in s:
        if c == " " or c in _NAME_PUNCT:
            continue
        if unicodedata.category(c)[0] not in "LM":
            raise Invalid(
                Text(
                    N_(
                        "Please write the name in letters only (Arabic or English), without symbols, "
                        "for example: Mohammed Abdullah Ahmed Alharbi."
                    )
                ),
                "name_symbols",
            )
    parts = [p for p in s.split(" ") if any(unicodedata.category(c)[0] == "L" for c in p)]
    if len(s) > max_length:
        raise Invalid(
            Text(
                N_(
                    "This name is {length} characters long, and the limit is {max_length}. Please write "
                    "it again as it appears on your ID, for example: Mohammed Abdullah Ahmed Alharbi."
                ),
                length=Num(len(s)),
                max_length=Num(max_length),
            ),
            "too_long",
        )
    if len(parts) < max(min_parts, 1) or len(s) < 2:
        raise Invalid(
            Text(
                N_(
                    "Please write the full name with at least {min_parts} names, preferably your name, "
                    "your father's and grandfather's names and the family name, as on your ID, for "
                    "example: Mohammed Abdullah Ahmed Alharbi."
                ),
                min_parts=Num(min_parts),
            ),
            "name_parts",
        )
    return " ".join(s.split(" "))


# --------------------------------------------------------------------------------------------
# national_id
# --------------------------------------------------------------------------------------------


class NationalId(NamedTuple):
    """A valid Saudi national ID (starts with 1) or Iqama number (starts with 2)."""

    number: str  # 10 ASCII digits
    is_citizen: bool

    @property
    def kind(self) -> str:
        return "citizen" if self.is_citizen else "resident"

    def __str__(self) -> str:
        return self.number


def luhn_ok(digits: str) -> bool:
    """The Saudi NIC check: Luhn over the ten digits (digits 1, 3, 5, 7, 9 doubled)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = ord(ch) - 48
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def national_id_check_digit(first9: str) -> str:
    """The tenth digit that makes ``first9`` a valid ID (for tests and sample data)."""
    return next(d for d in "0123456789" if luhn_ok(first9 + d))


_ID_SEPARATORS_RE = re.compile(r"[\s\-_./\\]+")
_ASCII_DIGITS_RE = re.compile(r"[0-9]+")
ID_EXAMPLE = "1000000008"


def validate_national_id(raw: str | None) -> NationalId:
    """Saudi national ID / Iqama: 10 digits (spaces and dashes allowed), starting with 1 or 2,
    valid check digit. Returns ``NationalId(number, is_citizen)``."""
    s = to_ascii_digits(clean_input(_raw_str(raw)))
    if not s:
        raise Invalid(
            Text(
                N_(
                    "Please send your national ID or Iqama number. It has 10 digits and starts with 1 "
                    "or 2, for example: 1000000008."
                )
            ),
            "empty",
        )
    compact = _ID_SEPARATORS_RE.sub("", s)
    if not _ASCII_DIGITS_RE.fullmatch(compact):
        # Tolerate a few words around one 10-digit number ("رقم هويتي 1012345672").
        runs = _ASCII_DIGITS_RE.findall(re.sub(r"(?<=\d)[\s\-]+(?=\d)", "", s))
        if len(runs) == 1 and len(runs[0]) == 10:
            compact = runs[0]
        else:
            raise Invalid(
                Text(
                    N_(
                        "The ID number is made of digits only: 10 digits starting with 1 or 2, for "
                        "example: 1000000008. Please send it again."
                    )
                ),
                "not_digits",
            )
    if len(compact) != 10:
        raise Invalid(
            Text(
                N_(
                    "The ID number has 10 digits, and the number in your message has {count}. It starts "
                    "with 1 or 2, for example: 1000000008. Please send it again."
                ),
                count=Num(len(compact)),
            ),
            "wrong_length",
        )
    if compact[0] not in "12":
        raise Invalid(
            Text(
                N_(
                    "The ID number starts with 1 for citizens or 2 for residents (Iqama), for example: "
                    "1000000008. Please check it and send it again."
                )
            ),
            "wrong_first_digit",
        )
    if not luhn_ok(compact):
        raise Invalid(
            Text(
                N_(
                    "This ID number does not seem correct; one of its digits may have been typed by "
                    "mistake. Please compare it with your ID card and send it again, for example: "
                    "1000000008."
                )
            ),
            "check_digit",
        )
    return NationalId(compact, compact[0] == "1")


# --------------------------------------------------------------------------------------------
# mobile
# --------------------------------------------------------------------------------------------

_PHONE_SEPARATORS_RE = re.compile(r"[\s\-_.()/\\\u2010-\u2015]+")
MOBILE_EXAMPLE = "0551234567"


def validate_mobile(raw: Any) -> str:
    """A Saudi mobile number in any usual form → E.164 ``+9665XXXXXXXX``.

    ``05XXXXXXXX``, ``5XXXXXXXX``, ``+9665…``, ``009665…``, ``9665…`` (as a Telegram shared
    contact gives it), with spaces/dashes and any digit script. ``raw`` may also be a Telegram
    ``Contact`` (anything with ``phone_number``).
    """
    if raw is not None and not isinstance(raw, str) and hasattr(raw, "phone_number"):
        raw = raw.phone_number
    s = to_ascii_digits(clean_input(_raw_str(raw)))
    if not s:
        raise Invalid(Text(N_("Please send your mobile number, for example: 0551234567.")), "empty")
    s = _PHONE_SEPARATORS_RE.sub("", s)
    plus = s.startswith(("+", "\uff0b"))
    if plus:
        s = s[1:]
    if not _ASCII_DIGITS_RE.fullmatch(s):
        raise Invalid(
            Text(
                N_(
                    "The mobile number is made of digits only, for example: 0551234567. Please send it "
                    "again."
                )
            ),
            "not_digits",
        )

    international: str | None = None
    if plus:
        international = s
    elif s.startswith("00"):
        international = s[2:]
    elif s.startswith("966") and len(s) >= 11:
        international = s
    elif not s.startswith("0") and len(s) > 10:
        international = s  # a foreign number written without + or 00

    if international is not None:
        if not international.startswith("966"):
            raise Invalid(
                Text(
                    N_(
                        "Only Saudi mobile numbers can be used here. A Saudi mobile number has 10 digits "
                        "and starts with 05, for example: 0551234567. Please send it again."
                    )
                ),
                "not_saudi",
            )
        nsn = international[3:]
        if nsn.startswith("0"):
            nsn = nsn[1:]
        count = len(nsn) + 1  # as if written 05XXXXXXXX
    else:
        nsn = s[1:] if s.startswith("0") else s
        count = len(s)

    if nsn.startswith("5"):
        if len(nsn) == 9:
            return "+966" + nsn
        raise Invalid(
            Text(
                N_(
                    "A mobile number has 10 digits and starts with 05, and the number in your message "
                    "has {count}. For example: 0551234567. Please send it again."
                ),
                count=Num(count),
            ),
            "wrong_length",
        )
    if nsn[:1] in ("1", "8", "9") and 7 <= len(nsn) <= 10:
        raise Invalid(
            Text(
                N_(
                    "This looks like a landline or service number. Please send a mobile number that "
                    "starts with 05, for example: 0551234567."
                )
            ),
            "landline",
        )
    raise Invalid(
        Text(
            N_(
                "A Saudi mobile number has 10 digits and starts with 05, for example: 0551234567. "
                "Please send it again."
            )
        ),
        "not_mobile",
    )


# --------------------------------------------------------------------------------------------
