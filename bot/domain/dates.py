"""Dates for Saudi beneficiaries: Umm al-Qura Hijri first, Gregorian beside it, Riyadh time.

``format_date(date(2026, 10, 26), "ar")`` → «١٥ جمادى الأولى ١٤٤٨هـ (٢٦ أكتوبر ٢٠٢٦م)»
``format_date(date(2026, 10, 26), "en")`` → "15 Jumada al-Ula 1448 AH (26 October 2026)"

``parse_date`` reads what people type (``15/5/1448``, ``١٤٤٨/٠٥/١٥هـ``, ``26-10-2026``,
``15 جمادى الأولى 1448``) and raises :class:`bot.domain.errors.Invalid` with a message that names the
problem and shows an example. Hijri conversion uses ``hijridate`` (Umm al-Qura), which covers
1343–1500 AH (1924-08-01 – 2077-11-16); Gregorian dates outside that range have no Hijri form and
are shown in Gregorian only.
"""

from __future__ import annotations

import calendar as _calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Literal

from hijridate import Gregorian, Hijri

from bot.domain.errors import Invalid
from bot.domain.textutil import (
    LocaleText,
    Num,
    clean_input,
    fold,
    to_arabic_digits,
    to_ascii_digits,
)
from bot.i18n import N_, Text, normalize_locale

try:
    from zoneinfo import ZoneInfo

    RIYADH: tzinfo = ZoneInfo("Asia/Riyadh")
except Exception:  # pragma: no cover - no tz database on the host; Riyadh is UTC+3, no DST
    RIYADH = timezone(timedelta(hours=3), "AST")

Calendar = Literal["hijri", "gregorian"]

# --------------------------------------------------------------------------------------------
# Calendar data
# --------------------------------------------------------------------------------------------

HIJRI_MONTHS_AR = (
    "محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة",
    "رجب", "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة",
)
HIJRI_MONTHS_EN = (
    "Muharram", "Safar", "Rabi' al-Awwal", "Rabi' al-Thani", "Jumada al-Ula", "Jumada al-Akhirah",
    "Rajab", "Sha'ban", "Ramadan", "Shawwal", "Dhu al-Qa'dah", "Dhu al-Hijjah",
)
GREGORIAN_MONTHS_AR = (
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
)
GREGORIAN_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
# Monday first, as date.weekday() counts
WEEKDAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Saudi week: Sunday–Thursday working, Friday and Saturday weekend (date.weekday(): Fri=4, Sat=5)
WEEKEND = frozenset({4, 5})

HIJRI_MIN_YEAR, HIJRI_MAX_YEAR = 1343, 1500  # what hijridate (Umm al-Qura tables) converts
HIJRI_YEAR_RANGE = (1300, 1500)  # what a typed year is taken to be Hijri
GREGORIAN_YEAR_RANGE = (1900, 2100)

# Other spellings people type, folded (see textutil.fold; spaces removed) → month number.
_HIJRI_ALIASES = {
    1: ("محرم", "muharram", "muharam", "moharram"),
    2: ("صفر", "safar"),
    3: ("ربيع الأول", "ربيع أول", "ربيع 1", "rabi al awwal", "rabi ul awwal", "rabi al-awwal",
        "rabi i", "rabi 1", "rabia al awal"),
    4: ("ربيع الآخر", "ربيع الثاني", "ربيع ثاني", "ربيع 2", "rabi al thani", "rabi al akhir",
        "rabi ul akhir", "rabi ii", "rabi 2", "rabi al-thani"),
    5: ("جمادى الأولى", "جمادى الأول", "جمادى أولى", "جمادى 1", "jumada al ula", "jumada al awwal",
        "jumada al oula", "jumada i", "jumada 1", "jumadal ula", "jumada al-ula"),
    6: ("جمادى الآخرة", "جمادى الثانية", "جمادى الآخر", "جمادى الثاني", "جمادى 2",
        "jumada al akhirah", "jumada al akhira", "jumada al thani", "jumada al thaniyah",
        "jumada ii", "jumada 2"),
    7: ("رجب", "rajab"),
    8: ("شعبان", "shaban", "sha'ban", "shaaban"),
    9: ("رمضان", "ramadan", "ramadhan", "ramzan"),
    10: ("شوال", "shawwal", "shawal"),
    11: ("ذو القعدة", "ذي القعدة", "ذوالقعدة", "dhu al qadah", "dhul qadah", "dhu al qidah",
         "dhul qidah", "zul qadah", "thul qadah"),
    12: ("ذو الحجة", "ذي الحجة", "ذوالحجة", "dhu al hijjah", "dhul hijjah", "dhu al hijja",
         "zul hijjah", "thul hijjah"),
}
_GREGORIAN_ALIASES = {
    1: ("يناير", "كانون الثاني", "jan"), 2: ("فبراير", "شباط", "feb"), 3: ("مارس", "آذار", "mar"),
    4: ("أبريل", "إبريل", "نيسان", "apr"), 5: ("مايو", "أيار", "may"), 6: ("يونيو", "يونيه", "حزيران", "jun"),
    7: ("يوليو", "يوليه", "تموز", "jul"), 8: ("أغسطس", "آب", "aug"),
    9: ("سبتمبر", "أيلول", "sep", "sept"), 10: ("أكتوبر", "تشرين الأول", "oct"),
    11: ("نوفمبر", "تشرين الثاني", "nov"), 12: ("ديسمبر", "كانون الأول", "dec"),
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


# --------------------------------------------------------------------------------------------
# Conversion
# --------------------------------------------------------------------------------------------


def to_hijri(d: date) -> tuple[int, int, int] | None:
    """Umm al-Qura ``(year, month, day)`` of ``d``, or ``None`` outside 1343–1500 AH."""
    try:
        return Gregorian(d.year, d.month, d.day).to_hijri().datetuple()
    except (OverflowError, ValueError):
        return None


def from_hijri(year: int, month: int, day: int) -> date:
    """Gregorian date of an Umm al-Qura date; ``ValueError``/``OverflowError`` when impossible."""
    g = Hijri(year, month, day).to_gregorian()
    return date(g.year, g.month, g.day)  # a plain date, not hijridate's subclass


def hijri_month_length(year: int, month: int) -> int:
    """29 or 30 (Umm al-Qura); ``OverflowError`` outside 1343–1500 AH."""
    return Hijri(year, month, 1).month_length()


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def _digits(n: int, locale: str) -> str:
    return to_arabic_digits(str(n)) if locale == "ar" else str(n)


def format_hijri(year: int, month: int, day: int, locale: str = "ar") -> str:
    """«١٥ جمادى الأولى ١٤٤٨هـ» / "15 Jumada al-Ula 1448 AH"."""
    loc = normalize_locale(locale)
    if loc == "ar":
        return f"{_digits(day, loc)} {HIJRI_MONTHS_AR[month - 1]} {_digits(year, loc)}هـ"
    return f"{day} {HIJRI_MONTHS_EN[month - 1]} {year} AH"


def format_gregorian(d: date, locale: str = "ar", *, suffix: bool = True) -> str:
    """«٢٦ أكتوبر ٢٠٢٦م» / "26 October 2026" (``suffix=False`` drops the «م»)."""
    loc = normalize_locale(locale)
    if loc == "ar":
        return (f"{_digits(d.day, loc)} {GREGORIAN_MONTHS_AR[d.month - 1]} "
                f"{_digits(d.year, loc)}{'م' if suffix else ''}")
    return f"{d.day} {GREGORIAN_MONTHS_EN[d.month - 1]} {d.year}"


def weekday_name(d: date, locale: str = "ar") -> str:
    return (WEEKDAYS_AR if normalize_locale(locale) == "ar" else WEEKDAYS_EN)[d.weekday()]


DateStyle = Literal["both", "hijri", "gregorian"]


def format_date(d: date, locale: str = "ar", *, style: DateStyle = "both",
                weekday: bool = False) -> str:
    """Hijri first, Gregorian in brackets, digits as the locale shows them.

    ar: «١٥ جمادى الأولى ١٤٤٨هـ (٢٦ أكتوبر ٢٠٢٦م)» — en: "15 Jumada al-Ula 1448 AH (26 October 2026)".
    ``style="hijri"``/``"gregorian"`` shows one calendar only; ``weekday=True`` prefixes the day
    name («الاثنين، …»). A date without an Umm al-Qura equivalent is shown in Gregorian.
    """
    if isinstance(d, datetime):
        d = d.date()
    loc = normalize_locale(locale)
    hijri = to_hijri(d) if style != "gregorian" else None
    if hijri is None:
        text = format_gregorian(d, loc)
    elif style == "hijri":
        text = format_hijri(*hijri, loc)
    else:
        text = f"{format_hijri(*hijri, loc)} ({format_gregorian(d, loc)})"
    if weekday:
        text = f"{weekday_name(d, loc)}{'، ' if loc == 'ar' else ', '}{text}"
    return text


def to_riyadh(dt: datetime) -> datetime:
    """``dt`` in Riyadh time; a naive ``dt`` is taken to be UTC (as stored in the database)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(RIYADH)


def format_time(t: time | datetime, locale: str = "ar") -> str:
    """12-hour clock: «٣:٣٠ مساءً» / "3:30 PM". A datetime is converted to Riyadh time first."""
    if isinstance(t, datetime):
        t = to_riyadh(t).time()
    loc = normalize_locale(locale)
    hour12 = t.hour % 12 or 12
    if loc == "ar":
        period = "صباحًا" if t.hour < 12 else "مساءً"
        return f"{to_arabic_digits(f'{hour12}:{t.minute:02d}')} {period}"
    return f"{hour12}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def format_datetime(dt: datetime, locale: str = "ar", *, style: DateStyle = "both",
                    weekday: bool = False) -> str:
    """Date and time in Riyadh (naive = UTC): «… (٢٦ أكتوبر ٢٠٢٦م)، الساعة ٣:٣٠ مساءً» /
    "… (26 October 2026), 3:30 PM"."""
    local = to_riyadh(dt)
    loc = normalize_locale(locale)
    day = format_date(local.date(), loc, style=style, weekday=weekday)
    if loc == "ar":
        return f"{day}، الساعة {format_time(local.time(), loc)}"
    return f"{day}, {format_time(local.time(), loc)}"


class LocalDate(LocaleText):
    """A date parameter for a :class:`Text`, formatted in the reader's language when rendered."""

    def __init__(self, d: date, *, style: DateStyle = "both", weekday: bool = False) -> None:
        Text.__init__(self, "{value}", value=d, style=style, weekday=weekday)

    def render_locale(self, locale: str) -> str:
        p = self.params
        return format_date(p["value"], locale, style=p["style"], weekday=p["weekday"])


class LocalDateTime(LocaleText):
    """A datetime parameter (Riyadh time) for a :class:`Text`."""

    def __init__(self, dt: datetime, *, style: DateStyle = "both", weekday: bool = False) -> None:
        Text.__init__(self, "{value}", value=dt, style=style, weekday=weekday)

    def render_locale(self, locale: str) -> str:
        p = self.params
        return format_datetime(p["value"], locale, style=p["style"], weekday=p["weekday"])


class MonthName(LocaleText):
    """A Hijri or Gregorian month name for a :class:`Text` («جمادى الأولى» / "Jumada al-Ula")."""

    def __init__(self, calendar: Calendar, month: int) -> None:
        fallback = (HIJRI_MONTHS_EN if calendar == "hijri" else GREGORIAN_MONTHS_EN)[month - 1]
        Text.__init__(self, "{value}", value=fallback, calendar=calendar, month=month)

    def render_locale(self, locale: str) -> str:
        hijri = self.params["calendar"] == "hijri"
        if locale == "ar":
            names = HIJRI_MONTHS_AR if hijri else GREGORIAN_MONTHS_AR
        else:
            names = HIJRI_MONTHS_EN if hijri else GREGORIAN_MONTHS_EN
        return names[self.params["month"] - 1]


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


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
_MONTH_DAY_YEAR_RE = re.compile(r"^([^\d]+?)\s+(\d{1,2})(?:st|nd|rd|th)?\s*[,،]?\s*(\d+)$",
                                re.IGNORECASE)


def _example(cal: Calendar | None) -> str:
    return HIJRI_EXAMPLE if cal == "hijri" else GREGORIAN_EXAMPLE


def _calendar_of_year(year: int) -> Calendar | None:
    if HIJRI_YEAR_RANGE[0] <= year <= HIJRI_YEAR_RANGE[1]:
        return "hijri"
    if GREGORIAN_YEAR_RANGE[0] <= year <= GREGORIAN_YEAR_RANGE[1]:
        return "gregorian"
    return None


def _unreadable() -> Invalid:
    return Invalid(Text(N_(
        "I could not read this date. Please write it as day/month/year, for example "
        "15/05/1448 for a Hijri date or 26/10/2026 for a Gregorian date.")), "date_format")


def parse_date(text: str | None, calendar: Literal["any", "hijri", "gregorian"] = "any") -> ParsedDate:
    """Read a typed date. Day/month/year or year/month/day, any of ``/ - .`` or spaces between,
    Arabic-Indic or Persian digits, an optional «هـ»/«م» (or AH/AD), or a month name.

    The four-digit year decides the calendar (Hijri 1300–1500, Gregorian 1900–2100) whatever the
    suffix; ``calendar="hijri"``/``"gregorian"`` only accepts dates written in that calendar.
    Raises :class:`~bot.domain.errors.Invalid`.
    """
    s = to_ascii_digits(clean_input(text)).replace("\u0640", "")
    if not s:
        raise Invalid(Text(N_(
            "Please send the date as day/month/year, for example 15/05/1448 for a Hijri date "
            "or 26/10/2026 for a Gregorian date.")), "date_empty")
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
            raise Invalid(Text(N_(
                "Please write the year in full with four digits, for example 15/05/1448 "
                "or 26/10/2026.")), "date_short_year")
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
                raise Invalid(Text(N_(
                    "Please write the year in full with four digits, for example 15/05/1448 "
                    "or 26/10/2026.")), "date_short_year")
            raise _unreadable()
        year, day = int(ys), int(ds)

    cal = _calendar_of_year(year)
    if cal is None:
        raise Invalid(Text(N_(
            "The year {year} does not look right: Hijri years are between 1300 and 1500, and "
            "Gregorian years between 1900 and 2100. Please send the date again, for example "
            "15/05/1448 or 26/10/2026."), year=Num(year, grouping=False)), "date_year")
    if month_hint is not None and month_hint != cal:
        raise _unreadable()
    if calendar == "hijri" and cal != "hijri":
        raise Invalid(Text(N_(
            "Please send the date in the Hijri calendar, for example 15/05/1448.")), "date_calendar")
    if calendar == "gregorian" and cal != "gregorian":
        raise Invalid(Text(N_(
            "Please send the date in the Gregorian calendar, for example 26/10/2026.")),
            "date_calendar")

    if not 1 <= month <= 12:
        raise Invalid(Text(N_(
            "There is no month {month}: months are numbered from 1 to 12. Please send the date "
            "again as day/month/year, for example {example}."),
            month=Num(month), example=_example(cal)), "date_month")

    if cal == "hijri":
        if not HIJRI_MIN_YEAR <= year <= HIJRI_MAX_YEAR:
            raise Invalid(Text(N_(
                "Hijri dates can be used from the year 1343 to 1500 only. Please send the date "
                "in the Gregorian calendar instead, for example 26/10/2026.")), "date_range")
        days = hijri_month_length(year, month)
        if not 1 <= day <= days:
            raise Invalid(Text(N_(
                "{month_name} {year} AH has {days} days, so there is no day {day} in it. Please "
                "check the day and send the date again, for example {example}."),
                month_name=MonthName("hijri", month), year=Num(year, grouping=False),
                days=Num(days), day=Num(day), example=f"{days:02d}/{month:02d}/{year}"),
                "date_day")
        g = from_hijri(year, month, day)
        return ParsedDate(gregorian=g, hijri=(year, month, day), calendar_used="hijri")

    days = _calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise Invalid(Text(N_(
            "{month_name} {year} has {days} days, so there is no day {day} in it. Please check "
            "the day and send the date again, for example {example}."),
            month_name=MonthName("gregorian", month), year=Num(year, grouping=False),
            days=Num(days), day=Num(day), example=f"{days:02d}/{month:02d}/{year}"), "date_day")
    g = date(year, month, day)
    return ParsedDate(gregorian=g, hijri=to_hijri(g), calendar_used="gregorian")


# --------------------------------------------------------------------------------------------
# Today and arithmetic
# --------------------------------------------------------------------------------------------


def now_riyadh(now: datetime | None = None) -> datetime:
    """The current time in Riyadh (aware). ``now`` (aware or naive UTC) is for tests."""
    return to_riyadh(now if now is not None else datetime.now(UTC))


def today_riyadh(now: datetime | None = None) -> date:
    """Today's date in Riyadh — what the beneficiary calls "today", whatever the server's zone."""
    return now_riyadh(now).date()


def add_days(d: date, n: int) -> date:
    return d + timedelta(days=n)


def is_working_day(d: date, holidays: Iterable[date] = ()) -> bool:
    """Sunday–Thursday and not in ``holidays``."""
    return d.weekday() not in WEEKEND and d not in set(holidays)


def add_working_days(d: date, n: int, holidays: Iterable[date] = ()) -> date:
    """The ``n``-th working day after ``d`` (before it if ``n`` < 0), ``d`` itself not counted.

    Saudi week: Friday and Saturday are skipped, and any date in ``holidays`` (e.g. the Eid
    breaks). ``n == 0`` returns ``d`` unchanged.
    """
    off = set(holidays)
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    while remaining:
        d += timedelta(days=step)
        if d.weekday() not in WEEKEND and d not in off:
            remaining -= 1
    return d


def working_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Working days in (start, end] — how many working days ``end`` is after ``start``."""
    off = set(holidays)
    if end <= start:
        return 0
    return sum(1 for i in range(1, (end - start).days + 1)
               if (x := start + timedelta(days=i)).weekday() not in WEEKEND and x not in off)


__all__ = [
    "GREGORIAN_MONTHS_AR",
    "GREGORIAN_MONTHS_EN",
    "HIJRI_MAX_YEAR",
    "HIJRI_MIN_YEAR",
    "HIJRI_MONTHS_AR",
    "HIJRI_MONTHS_EN",
    "RIYADH",
    "WEEKDAYS_AR",
    "WEEKDAYS_EN",
    "WEEKEND",
    "LocalDate",
    "LocalDateTime",
    "MonthName",
    "ParsedDate",
    "add_days",
    "add_working_days",
    "format_date",
    "format_datetime",
    "format_gregorian",
    "format_hijri",
    "format_time",
    "from_hijri",
    "hijri_month_length",
    "is_working_day",
    "now_riyadh",
    "parse_date",
    "to_hijri",
    "to_riyadh",
    "today_riyadh",
    "weekday_name",
    "working_days_between",
]
