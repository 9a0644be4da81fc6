"""The period of a report: parsing what a supervisor types (a month, a Hijri year, two dates)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.dates import HIJRI_YEAR_RANGE, RIYADH, format_date, from_hijri, hijri_month_length
from bot.domain.textutil import to_ascii_digits

DEFAULT_DAYS = 30
MAX_DAYS = 3660

# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period the reader typed that cannot be understood."""


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive (Riyadh)
    end: date  # last day, inclusive (Riyadh)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants ``[from, to)``: Riyadh midnights."""
        return riyadh_midnight(self.start), riyadh_midnight(self.end + timedelta(days=1))

    def months(self) -> list[tuple[date, date, date]]:
        """Each calendar month the period touches: (month's first day, from, to inclusive)."""
        out = []
        first = self.start.replace(day=1)
        while first <= self.end:
            following = _next_month(first)
            out.append(
                (first, max(first, self.start), min(following - timedelta(days=1), self.end))
            )
            first = following
        return out

    def label(self, locale: str = "ar") -> str:
        if self.start == self.end:
            return format_date(self.start, locale)
        return f"{format_date(self.start, locale)} — {format_date(self.end, locale)}"


def riyadh_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), RIYADH).astimezone(UTC)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


_MONTH_RE = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_DAY_RE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_YEAR_RE = re.compile(r"^(\d{4})$")


def _hijri(year: int) -> bool:
    return HIJRI_YEAR_RANGE[0] <= year <= HIJRI_YEAR_RANGE[1]


def parse_period(text: str | None, today: date) -> Period:
    """``""`` → the last 30 days; ``2026-10`` → that month; ``2026`` → that year;
    ``2026-01-01 2026-06-30`` → those days (both included). A year from 1300 to 1500 is Hijri
    (Umm al-Qura): ``1448-09`` is Ramadan 1448, ``1448`` the Hijri year. Arabic-Indic digits are
    accepted."""
    parts = to_ascii_digits(text or "").replace("—", " ").replace("–", " ").split()
    try:
        if not parts:
            return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
        if len(parts) == 1 and (m := _MONTH_RE.match(parts[0])):
            year, month = int(m[1]), int(m[2])
            if _hijri(year):
                first = from_hijri(year, month, 1)
                return Period(first, first + timedelta(days=hijri_month_length(year, month) - 1))
            first = date(year, month, 1)
            return Period(first, _next_month(first) - timedelta(days=1))
        if len(parts) == 1 and (m := _YEAR_RE.match(parts[0])):
            year = int(m[1])
            if _hijri(year):
                return Period(
                    from_hijri(year, 1, 1), from_hijri(year + 1, 1, 1) - timedelta(days=1)
                )
            return Period(date(year, 1, 1), date(year, 12, 31))
        days = [_DAY_RE.match(p) for p in parts]
        if 1 <= len(parts) <= 2 and all(days):
            start, end = (date(int(d[1]), int(d[2]), int(d[3])) for d in (days[0], days[-1]) if d)
            if end < start:
                raise PeriodError("the end comes before the start")
            if (end - start).days >= MAX_DAYS:
                raise PeriodError("the period is longer than ten years")
            return Period(start, end)
    except (ValueError, OverflowError) as exc:  # date(2026, 13, 1), Hijri out of range, ours
        raise PeriodError(str(exc)) from None
    raise PeriodError(f"not a period: {text!r}")
