import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hijridate import Gregorian, Hijri
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import dates
from bot.domain.dateparse import ParsedDate, parse_date
from bot.domain.dates import (
    GREGORIAN_MONTHS_AR,
    HIJRI_MONTHS_AR,
    HIJRI_MONTHS_EN,
    LocalDate,
    LocalDateTime,
    MonthName,
    add_days,
    add_working_days,
    format_date,
    format_datetime,
    format_time,
    from_hijri,
    hijri_month_length,
    is_working_day,
    to_hijri,
    today_riyadh,
    working_days_between,
)
from bot.domain.errors import Invalid

CATALOG = json.loads(
    (Path(__file__).resolve().parents[2] / "locales/incoming/validation.ar.json").read_text("utf-8")
)


class Tr:
    def __init__(self, locale):
        self.locale = locale

    def gettext(self, msgid):
        return CATALOG.get(msgid, msgid) if self.locale == "ar" else msgid


AR, EN = Tr("ar"), Tr("en")
D = date(2026, 10, 26)  # 15 Jumada al-Ula 1448, a Monday


# --- calendar data --------------------------------------------------------------------------


def test_reference_date_matches_hijridate():
    assert Gregorian(2026, 10, 26).to_hijri().datetuple() == (1448, 5, 15)
    assert to_hijri(D) == (1448, 5, 15)
    assert from_hijri(1448, 5, 15) == D
    assert type(from_hijri(1448, 5, 15)) is date


def test_month_tables():
    assert len(HIJRI_MONTHS_AR) == len(HIJRI_MONTHS_EN) == len(GREGORIAN_MONTHS_AR) == 12
    assert HIJRI_MONTHS_AR[4] == "جمادى الأولى"
    assert HIJRI_MONTHS_EN[4] == "Jumada al-Ula"
    assert GREGORIAN_MONTHS_AR == (
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


def test_to_hijri_out_of_range():
    assert to_hijri(date(1900, 1, 1)) is None
    assert to_hijri(date(2090, 1, 1)) is None


# --- formatting -----------------------------------------------------------------------------


def test_format_date_ar():
    assert format_date(D, "ar") == "١٥ جمادى الأولى ١٤٤٨هـ (٢٦ أكتوبر ٢٠٢٦م)"


def test_format_date_en():
    assert format_date(D, "en") == "15 Jumada al-Ula 1448 AH (26 October 2026)"


def test_format_date_locale_variants_and_styles():
    assert format_date(D, "ar-SA") == format_date(D, "ar")
    assert format_date(D, "en-GB") == format_date(D, "en")
    assert format_date(D, "ar", style="hijri") == "١٥ جمادى الأولى ١٤٤٨هـ"
    assert format_date(D, "ar", style="gregorian") == "٢٦ أكتوبر ٢٠٢٦م"
    assert format_date(D, "en", style="gregorian") == "26 October 2026"
    assert format_date(D, "ar", weekday=True).startswith("الاثنين، ١٥")
    assert format_date(D, "en", weekday=True).startswith("Monday, 15")
    assert format_date(datetime(2026, 10, 26, 10), "en") == format_date(D, "en")


def test_format_date_outside_hijri_range_is_gregorian():
    assert format_date(date(1910, 3, 5), "ar") == "٥ مارس ١٩١٠م"
    assert format_date(date(1910, 3, 5), "en") == "5 March 1910"


def test_format_datetime_riyadh():
    utc = datetime(2026, 10, 26, 12, 30, tzinfo=UTC)  # 15:30 in Riyadh
    assert (
        format_datetime(utc, "ar") == "١٥ جمادى الأولى ١٤٤٨هـ (٢٦ أكتوبر ٢٠٢٦م)، الساعة ٣:٣٠ مساءً"
    )
    assert format_datetime(utc, "en") == "15 Jumada al-Ula 1448 AH (26 October 2026), 3:30 PM"
    # naive datetimes are UTC; crossing midnight moves the date
    assert format_datetime(datetime(2026, 10, 25, 21, 5), "en").endswith(
        "(26 October 2026), 12:05 AM"
    )
    other_zone = datetime(2026, 10, 26, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(other_zone, "en").endswith("3:30 PM")


def test_format_time():
    assert format_time(time(9, 5), "ar") == "٩:٠٥ صباحًا"
    assert format_time(time(0, 0), "en") == "12:00 AM"
    assert format_time(time(12, 0), "en") == "12:00 PM"


def test_riyadh_has_no_dst():
    for month in range(1, 13):
        dt = datetime(2026, month, 1, tzinfo=UTC)
        assert dates.to_riyadh(dt).utcoffset() == timedelta(hours=3)


def test_locale_text_params():
    assert LocalDate(D).render(AR) == "١٥ جمادى الأولى ١٤٤٨هـ (٢٦ أكتوبر ٢٠٢٦م)"
    assert LocalDate(D).render(EN) == "15 Jumada al-Ula 1448 AH (26 October 2026)"
    assert MonthName("hijri", 9).render(AR) == "رمضان"
    assert MonthName("hijri", 9).render(EN) == "Ramadan"
    assert MonthName("gregorian", 8).render(AR) == "أغسطس"
    dt = datetime(2026, 10, 26, 6, 0, tzinfo=UTC)
    assert LocalDateTime(dt).render(EN).endswith("9:00 AM")


# --- parsing --------------------------------------------------------------------------------

HIJRI_1448_05_15 = ParsedDate(D, (1448, 5, 15), "hijri")
GREG_2026_10_26 = ParsedDate(D, (1448, 5, 15), "gregorian")


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1448/05/15", HIJRI_1448_05_15),
        ("15/5/1448", HIJRI_1448_05_15),
        ("15-05-1448", HIJRI_1448_05_15),
        ("15.05.1448", HIJRI_1448_05_15),
        ("15 05 1448", HIJRI_1448_05_15),
        ("١٤٤٨/٠٥/١٥", HIJRI_1448_05_15),
        ("١٥/٥/١٤٤٨هـ", HIJRI_1448_05_15),
        ("۱۵/۰۵/۱۴۴۸ ه", HIJRI_1448_05_15),
        ("15/05/1448 هجري", HIJRI_1448_05_15),
        ("15/05/1448 AH", HIJRI_1448_05_15),
        ("\u200f15/05/1448\u200f", HIJRI_1448_05_15),
        ("15 جمادى الأولى 1448", HIJRI_1448_05_15),
        ("١٥ جمادي الاولى ١٤٤٨هـ", HIJRI_1448_05_15),
        ("15 Jumada al-Ula 1448", HIJRI_1448_05_15),
        ("2026-10-26", GREG_2026_10_26),
        ("26/10/2026", GREG_2026_10_26),
        ("٢٦/١٠/٢٠٢٦م", GREG_2026_10_26),
        ("۲۶-۱۰-۲۰۲۶", GREG_2026_10_26),
        ("26 أكتوبر 2026", GREG_2026_10_26),
        ("26 October 2026", GREG_2026_10_26),
        ("October 26, 2026", GREG_2026_10_26),
        ("26 تشرين الأول 2026", GREG_2026_10_26),
    ],
)
def test_parse_date_accepts(text, expected):
    assert parse_date(text) == expected


def test_parse_date_result_types():
    p = parse_date("15/5/1448")
    assert type(p.gregorian) is date
    assert p.format("en") == "15 Jumada al-Ula 1448 AH (26 October 2026)"


def test_parse_date_gregorian_without_hijri_equivalent():
    p = parse_date("01/01/1910")
    assert p.gregorian == date(1910, 1, 1) and p.hijri is None and p.calendar_used == "gregorian"


def _invalid(text, **kw):
    with pytest.raises(Invalid) as exc:
        parse_date(text, **kw)
    return exc.value


def test_invalid_hijri_day_in_29_day_month():
    assert hijri_month_length(1448, 1) == 29  # Muharram 1448 has 29 days
    err = _invalid("30/01/1448")
    assert err.code == "date_day"
    ar = err.render(AR)
    assert "محرم" in ar and "٢٩" in ar and "٣٠" in ar and "29/01/1448" in ar
    assert err.render(EN).startswith("Muharram 1448 AH has 29 days, so there is no day 30")


def test_day_30_valid_in_30_day_hijri_month():
    assert hijri_month_length(1448, 5) == 30
    assert parse_date("30/05/1448").hijri == (1448, 5, 30)
    assert parse_date("30/05/1448").gregorian == Hijri(1448, 5, 30).to_gregorian()


@pytest.mark.parametrize(
    "text,code",
    [
        ("31/02/2026", "date_day"),
        ("29/02/2026", "date_day"),
        ("31/04/2026", "date_day"),
        ("00/05/1448", "date_day"),
        ("15/13/1448", "date_month"),
        ("15/00/2026", "date_month"),
        ("1/1/26", "date_short_year"),
        ("15/5/48", "date_short_year"),
        ("15/5/1700", "date_year"),
        ("15/5/2500", "date_year"),
        ("1/1/1320", "date_range"),
        ("", "date_empty"),
        ("   ", "date_empty"),
        ("tomorrow", "date_format"),
        ("15/5", "date_format"),
        ("15 رمضان 2026", "date_format"),  # Hijri month with a Gregorian year
        ("15/5/14480", "date_format"),
        ("123/5/1448", "date_format"),
    ],
)
def test_parse_date_rejects(text, code):
    err = _invalid(text)
    assert err.code == code
    for tr in (AR, EN):
        rendered = err.render(tr)
        assert rendered and "{" not in rendered


def test_feb_29_leap_year():
    assert parse_date("29/02/2024").gregorian == date(2024, 2, 29)
    err = _invalid("31/02/2026")
    assert "فبراير" in err.render(AR) and "28/02/2026" in err.render(AR)


def test_parse_date_calendar_restriction():
    assert parse_date("15/05/1448", calendar="hijri").calendar_used == "hijri"
    assert parse_date("26/10/2026", calendar="gregorian").calendar_used == "gregorian"
    assert _invalid("26/10/2026", calendar="hijri").code == "date_calendar"
    assert _invalid("15/05/1448", calendar="gregorian").code == "date_calendar"


@given(st.dates(min_value=date(1924, 8, 1), max_value=date(2077, 11, 16)))
def test_hijri_round_trip(d):
    hy, hm, hd = to_hijri(d)
    assert parse_date(f"{hd}/{hm}/{hy}").gregorian == d
    assert parse_date(f"{hy}-{hm:02d}-{hd:02d}هـ").gregorian == d
    assert parse_date(f"{d.day}/{d.month}/{d.year}").gregorian == d


@given(st.text(max_size=40))
def test_parse_date_only_raises_invalid(s):
    try:
        parse_date(s)
    except Invalid:
        pass


# --- today and arithmetic -------------------------------------------------------------------


def test_today_riyadh():
    assert today_riyadh(datetime(2026, 10, 25, 21, 30, tzinfo=UTC)) == date(2026, 10, 26)
    assert today_riyadh(datetime(2026, 10, 25, 20, 59, tzinfo=UTC)) == date(2026, 10, 25)
    assert isinstance(today_riyadh(), date)


def test_add_days():
    assert add_days(D, 14) == date(2026, 11, 9)
    assert add_days(D, -26) == date(2026, 9, 30)


THU, FRI, SAT, SUN = date(2026, 10, 29), date(2026, 10, 30), date(2026, 10, 31), date(2026, 11, 1)


def test_saudi_week():
    assert [is_working_day(D + timedelta(days=i)) for i in range(7)] == [
        True,
        True,
        True,
        True,
        False,
        False,
        True,
    ]  # Mon..Sun
    assert not is_working_day(FRI) and not is_working_day(SAT) and is_working_day(SUN)


@pytest.mark.parametrize(
    "start,n,expected",
    [
        (THU, 1, SUN),
        (FRI, 1, SUN),
        (SAT, 1, SUN),
        (SUN, 4, THU + timedelta(days=7)),
        (SUN, 5, SUN + timedelta(days=7)),
        (D, 10, date(2026, 11, 9)),
        (SUN, -1, THU),
        (THU, 0, THU),
        (FRI, 0, FRI),
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


def test_add_working_days_with_holidays():
    assert add_working_days(THU, 1, holidays={SUN}) == SUN + timedelta(days=1)


def test_working_days_between():
    assert working_days_between(THU, SUN) == 1
    assert working_days_between(SUN, SUN + timedelta(days=7)) == 5
    assert working_days_between(SUN, THU) == 0


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 1, 1)), st.integers(0, 60))
def test_add_working_days_properties(d, n):
    out = add_working_days(d, n)
    assert working_days_between(d, out) == n
    if n:
        assert is_working_day(out)
        if is_working_day(d):
            assert add_working_days(out, -n) == d
