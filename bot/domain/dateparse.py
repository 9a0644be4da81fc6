"""Reading a date people type: ``parse_date`` → :class:`ParsedDate`, Hijri or Gregorian.

``parse_date`` reads ``15/5/1448``, ``١٤٤٨/٠٥/١٥هـ``, ``26-10-2026``, ``15 جمادى الأولى 1448`` and
raises :class:`bot.domain.errors.Invalid` with a message that names the problem and shows an
example. The calendars, their conversion and formatting are in :mod:`bot.domain.dates`.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from bot.domain.dates import (
    GREGORIAN_MONTHS_AR,
    GREGORIAN_MONTHS_EN,
    GREGORIAN_YEAR_RANGE,
    HIJRI_MAX_YEAR,
    HIJRI_MIN_YEAR,
    HIJRI_MONTHS_AR,
    HIJRI_MONTHS_EN,
    HIJRI_YEAR_RANGE,
    Calendar,
    MonthName,
    format_date,
    from_hijri,
    hijri_month_length,
    to_hijri,
)
from bot.domain.errors import Invalid
from bot.domain.textutil import Num, clean_input, fold, to_ascii_digits
from bot.i18n import N_, Text

# Other spellings people type, folded (see textutil.fold; spaces removed) → month number.
_HIJRI_ALIASES = {
    1: ("محرم", "muharram", "muharam", "moharram"),
    2: ("صفر", "safar"),
    3: (
        "ربيع الأول",
        "ربيع أول",
        "ربيع 1",
        "rabi al awwal",
        "rabi ul awwal",
        "rabi al-awwal",
        "rabi i",
        "rabi 1",
        "rabia al awal",
    ),
    4: (
        "ربيع الآخر",
        "ربيع الثاني",
        "ربيع ثاني",
        "ربيع 2",
        "rabi al thani",
        "rabi al akhir",
        "rabi ul akhir",
        "rabi ii",
        "rabi 2",
        "rabi al-thani",
    ),
    5: (
        "جمادى الأولى",
        "جمادى الأول",
        "جمادى أولى",
        "جمادى 1",
        "jumada al ula",
        "jumada al awwal",
        "jumada al oula",
        "jumada i",
        "jumada 1",
        "jumadal ula",
        "jumada al-ula",
    ),
    6: (
        "جمادى الآخرة",
        "جمادى الثانية",
        "جمادى الآخر",
        "جمادى الثاني",
        "جمادى 2",
        "jumada al akhirah",
        "jumada al akhira",
        "jumada al thani",
        "jumada al thaniyah",
        "jumada ii",
        "jumada 2",
    ),
    7: ("رجب", "rajab"),
    8: ("شعبان", "shaban", "sha'ban", "shaaban"),
    9: ("رمضان", "ramadan", "ramadhan", "ramzan"),
    10: ("شوال", "shawwal", "shawal"),
    11: (
        "ذو القعدة",
        "ذي القعدة",
        "ذوالقعدة",
        "dhu al qadah",
        "dhul qadah",
        "dhu al qidah",
        "dhul qidah",
        "zul qadah",
        "thul qadah",
    ),
    12: (
        "ذو الحجة",
        "ذي الحجة",
        "ذوالحجة",
        "dhu al hijjah",
        "dhul hijjah",
        "dhu al hijja",
        "zul hijjah",
        "thul hijjah",
    ),
}
_GREGORIAN_ALIASES = {
    1: ("يناير", "كانون الثاني", "jan"),
    2: ("فبراير", "شباط", "feb"),
    3: ("مارس", "آذار", "mar"),
    4: ("أبريل", "إبريل", "نيسان", "apr"),
    5: ("مايو", "أيار", "may"),
    6: ("يونيو", "يونيه", "حزيران", "jun"),
    7: ("يوليو", "يوليه", "تموز", "jul"),
    8: ("أغسطس", "آب", "aug"),
    9: ("سبتمبر", "أيلول", "sep", "sept"),
    10: ("أكتوبر", "تشرين الأول", "oct"),
    11: ("نوفمبر", "تشرين الثاني", "nov"),
    12: ("ديسمبر", "كانون الأول", "dec"),
}


def _month_key(s: str) -> str:
    return fold(s).replace(" ", "")


_MONTH_LOOKUP: dict[str, tuple[Calendar, int]] = {}
for _m, _names in _HIJRI_ALIASES.items():
    for _n in (*_names, HIJRI_MONTHS_AR[_m - 1], HIJRI_MONTHS_EN[_m - 1]):
        _MONTH_LOOKUP[_month_key(_n)] = ("hijri", _m)
for _m, _names in _GREGORIAN_ALIASES.items():
    for _n in (*_names, GREGORIAN_MONTHS_AR[_m - 1], GREGORIAN_MONTHS_EN[_m - 1]):
        _MONTH_LOOKUP[_month_key(_n)] = ("gregorian", _m)


@dataclass(frozen=True)
class ParsedDate:
    gregorian: date
    hijri: tuple[int, int, int] | None  # None only for Gregorian dates outside 1343–1500 AH
    calendar_used: Calendar  # the calendar the person wrote the date in

    def format(self, locale: str = "ar", **kw: Any) -> str:
        return format_date(self.gregorian, locale, **kw)


HIJRI_EXAMPLE = "15/05/1448"
GREGORIAN_EXAMPLE = "26/10/2026"

_SUFFIX_RE = re.compile(
    r"^(?P<body>.*?\d)\s*(?P<suffix>هـ|ه|ھ|هجري|هجريه|هجرية|h|ah|a\.h|a\.h\.|م|ميلادي|ميلاديه|"
    r"ميلادية|g|ad|a\.d|a\.d\.|ce|c\.e|c\.e\.)?\s*[.،,]?$",
    re.IGNORECASE | re.DOTALL,
)
_SEP = r"(?:\s*[/\-.\\_،,]\s*|\s+)"
_NUMERIC_RE = re.compile(rf"^(\d+){_SEP}(\d+){_SEP}(\d+)$")
_DAY_MONTH_YEAR_RE = re.compile(r"^(\d{1,2})\s*(?:من\s+)?(?:شهر\s+)?([^\d]+?)\s*[,،]?\s*(\d+)$")
_MONTH_DAY_YEAR_RE = re.compile(
    r"^([^\d]+?)\s+(\d{1,2})(?:st|nd|rd|th)?\s*[,،]?\s*(\d+)$", re.IGNORECASE
)


def _example(cal: Calendar | None) -> str:
    return HIJRI_EXAMPLE if cal == "hijri" else GREGORIAN_EXAMPLE


def _calendar_of_year(year: int) -> Calendar | None:
    if HIJRI_YEAR_RANGE[0] <= year <= HIJRI_YEAR_RANGE[1]:
        return "hijri"
    if GREGORIAN_YEAR_RANGE[0] <= year <= GREGORIAN_YEAR_RANGE[1]:
        return "gregorian"
    return None


def _unreadable() -> Invalid:
    return Invalid(
        Text(
            N_(
                "I could not read this date. Please write it as day/month/year, for example "
                "15/05/1448 for a Hijri date or 26/10/2026 for a Gregorian date."
            )
        ),
        "date_format",
    )


def parse_date(
    text: str | None, calendar: Literal["any", "hijri", "gregorian"] = "any"
) -> ParsedDate:
    """Read a typed date. Day/month/year or year/month/day, any of ``/ - .`` or spaces between,
    Arabic-Indic or Persian digits, an optional «هـ»/«م» (or AH/AD), or a month name.

    The four-digit year decides the calendar (Hijri 1300–1500, Gregorian 1900–2100) whatever the
    suffix; ``calendar="hijri"``/``"gregorian"`` only accepts dates written in that calendar.
    Raises :class:`~bot.domain.errors.Invalid`.
    """
    s = to_ascii_digits(clean_input(text)).replace("\u0640", "")
    if not s:
        raise Invalid(
            Text(
                N_(
                    "Please send the date as day/month/year, for example 15/05/1448 for a Hijri date "
                    "or 26/10/2026 for a Gregorian date."
                )
            ),
            "date_empty",
        )
    if len(s) > 60:
        raise _unreadable()
    m = _SUFFIX_RE.match(s)
    if not m:
        raise _unreadable()
    # The «هـ»/«م» suffix is accepted but the year decides the calendar: the ranges don't overlap.
    body = m.group("body").strip()

    month_hint: Calendar | None = None
    if nm := _NUMERIC_RE.match(body):
        a, b, c = nm.groups()
        if len(a) == 4:
            ys, ms, ds = a, b, c
        elif len(c) == 4:
            ds, ms, ys = a, b, c
        elif len(a) <= 2 and len(b) <= 2 and len(c) <= 2:
            raise Invalid(
                Text(
                    N_(
                        "Please write the year in full with four digits, for example 15/05/1448 "
                        "or 26/10/2026."
                    )
                ),
                "date_short_year",
            )
        else:
            raise _unreadable()
        if len(ds) > 2 or len(ms) > 2:
            raise _unreadable()
        year, month, day = int(ys), int(ms), int(ds)
    else:
        named = _DAY_MONTH_YEAR_RE.match(body)
        if named:
            ds, name, ys = named.groups()
        elif named := _MONTH_DAY_YEAR_RE.match(body):
            name, ds, ys = named.groups()
        else:
            raise _unreadable()
        found = _MONTH_LOOKUP.get(_month_key(name))
        if found is None:
            raise _unreadable()
        month_hint, month = found
        if len(ys) != 4:
            if len(ys) <= 2:
                raise Invalid(
                    Text(
                        N_(
                            "Please write the year in full with four digits, for example 15/05/1448 "
                            "or 26/10/2026."
                        )
                    ),
                    "date_short_year",
                )
            raise _unreadable()
        year, day = int(ys), int(ds)

    cal = _calendar_of_year(year)
    if cal is None:
        raise Invalid(
            Text(
                N_(
                    "The year {year} does not look right: Hijri years are between 1300 and 1500, and "
                    "Gregorian years between 1900 and 2100. Please send the date again, for example "
                    "15/05/1448 or 26/10/2026."
                ),
                year=Num(year, grouping=False),
            ),
            "date_year",
        )
    if month_hint is not None and month_hint != cal:
        raise _unreadable()
    if calendar == "hijri" and cal != "hijri":
        raise Invalid(
            Text(N_("Please send the date in the Hijri calendar, for example 15/05/1448.")),
            "date_calendar",
        )
    if calendar == "gregorian" and cal != "gregorian":
        raise Invalid(
            Text(N_("Please send the date in the Gregorian calendar, for example 26/10/2026.")),
            "date_calendar",
        )

    if not 1 <= month <= 12:
        raise Invalid(
            Text(
                N_(
                    "There is no month {month}: months are numbered from 1 to 12. Please send the date "
                    "again as day/month/year, for example {example}."
                ),
                month=Num(month),
                example=_example(cal),
            ),
            "date_month",
        )

    if cal == "hijri":
        if not HIJRI_MIN_YEAR <= year <= HIJRI_MAX_YEAR:
            raise Invalid(
                Text(
                    N_(
                        "Hijri dates can be used from the year 1343 to 1500 only. Please send the date "
                        "in the Gregorian calendar instead, for example 26/10/2026."
                    )
                ),
                "date_range",
            )
        _check_day("hijri", year, month, day, hijri_month_length(year, month))
        g = from_hijri(year, month, day)
        return ParsedDate(gregorian=g, hijri=(year, month, day), calendar_used="hijri")

    _check_day("gregorian", year, month, day, _calendar.monthrange(year, month)[1])
    g = date(year, month, day)
    return ParsedDate(gregorian=g, hijri=to_hijri(g), calendar_used="gregorian")


_NO_SUCH_DAY: dict[Calendar, str] = {
    "hijri": N_(
        "{month_name} {year} AH has {days} days, so there is no day {day} in it. Please "
        "check the day and send the date again, for example {example}."
    ),
    "gregorian": N_(
        "{month_name} {year} has {days} days, so there is no day {day} in it. Please check "
        "the day and send the date again, for example {example}."
    ),
}


def _check_day(calendar: Calendar, year: int, month: int, day: int, days: int) -> None:
    """Refuse a day the month does not have, naming how many it has, with an example."""
    if not 1 <= day <= days:
        raise Invalid(
            Text(
                _NO_SUCH_DAY[calendar],
                month_name=MonthName(calendar, month),
                year=Num(year, grouping=False),
                days=Num(days),
                day=Num(day),
                example=f"{days:02d}/{month:02d}/{year}",
            ),
            "date_day",
        )


__all__ = ["GREGORIAN_EXAMPLE", "HIJRI_EXAMPLE", "ParsedDate", "parse_date"]
