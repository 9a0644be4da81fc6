"""Dates for Saudi beneficiaries: Umm al-Qura Hijri first, Gregorian beside it, Riyadh time.

``format_date(date(2026, 10, 26), "ar")`` → «١٥ جمادى الأولى ١٤٤٨هـ (٢٦ أكتوبر ٢٠٢٦م)»
``format_date(date(2026, 10, 26), "en")`` → "15 Jumada al-Ula 1448 AH (26 October 2026)"

What people type is read by :func:`bot.domain.dateparse.parse_date`. Hijri conversion uses ``hijridate`` (Umm al-Qura), which covers
1343–1500 AH (1924-08-01 – 2077-11-16); Gregorian dates outside that range have no Hijri form and
are shown in Gregorian only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal

from hijridate import Gregorian, Hijri

from bot.domain.textutil import (
    LocaleText,
    to_arabic_digits,
)
from bot.i18n import Text, normalize_locale

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
    "محرم",
    "صفر",
    "ربيع الأول",
    "ربيع الآخر",
    "جمادى الأولى",
    "جمادى الآخرة",
    "رجب",
    "شعبان",
    "رمضان",
    "شوال",
    "ذو القعدة",
    "ذو الحجة",
)
HIJRI_MONTHS_EN = (
    "Muharram",
    "Safar",
    "Rabi' al-Awwal",
    "Rabi' al-Thani",
    "Jumada al-Ula",
    "Jumada al-Akhirah",
    "Rajab",
    "Sha'ban",
    "Ramadan",
    "Shawwal",
    "Dhu al-Qa'dah",
    "Dhu al-Hijjah",
)
GREGORIAN_MONTHS_AR = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
GREGORIAN_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Monday first, as date.weekday() counts
WEEKDAYS_AR = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Saudi week: Sunday–Thursday working, Friday and Saturday weekend (date.weekday(): Fri=4, Sat=5)
WEEKEND = frozenset({4, 5})

HIJRI_MIN_YEAR, HIJRI_MAX_YEAR = 1343, 1500  # what hijridate (Umm al-Qura tables) converts
HIJRI_YEAR_RANGE = (1300, 1500)  # what a typed year is taken to be Hijri
GREGORIAN_YEAR_RANGE = (1900, 2100)

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
        return (
            f"{_digits(d.day, loc)} {GREGORIAN_MONTHS_AR[d.month - 1]} "
            f"{_digits(d.year, loc)}{'م' if suffix else ''}"
        )
    return f"{d.day} {GREGORIAN_MONTHS_EN[d.month - 1]} {d.year}"


def weekday_name(d: date, locale: str = "ar") -> str:
    return (WEEKDAYS_AR if normalize_locale(locale) == "ar" else WEEKDAYS_EN)[d.weekday()]


DateStyle = Literal["both", "hijri", "gregorian"]


def format_date(
    d: date, locale: str = "ar", *, style: DateStyle = "both", weekday: bool = False
) -> str:
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


def format_datetime(
    dt: datetime, locale: str = "ar", *, style: DateStyle = "both", weekday: bool = False
) -> str:
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
    return sum(
        1
        for i in range(1, (end - start).days + 1)
        if (x := start + timedelta(days=i)).weekday() not in WEEKEND and x not in off
    )


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
    "to_hijri",
    "to_riyadh",
    "today_riyadh",
    "weekday_name",
    "working_days_between",
]
