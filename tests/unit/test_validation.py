import ast
import json
import re
import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.attachments import (
    DEFAULT_MAX_BYTES,
    DocumentFile,
    validate_document,
    validate_location,
)
from bot.domain.dateparse import ParsedDate
from bot.domain.validation import (
    FIELD_TYPES,
    Invalid,
    NationalId,
    luhn_ok,
    national_id_check_digit,
    validate,
    validate_choice,
    validate_date,
    validate_email,
    validate_full_name,
    validate_integer,
    validate_mobile,
    validate_national_id,
    validate_text,
    validate_yes_no,
)
from bot.i18n import N_, Text

ROOT = Path(__file__).resolve().parents[2]
CATALOG_PATH = ROOT / "locales/incoming/validation.ar.json"
CATALOG = json.loads(CATALOG_PATH.read_text("utf-8"))
SOURCES = [
    ROOT / "bot/domain/validation.py",
    ROOT / "bot/domain/identity.py",
    ROOT / "bot/domain/attachments.py",
    ROOT / "bot/domain/dates.py",
    ROOT / "bot/domain/dateparse.py",
    ROOT / "bot/domain/textutil.py",
]


class Tr:
    def __init__(self, locale):
        self.locale = locale

    def gettext(self, msgid):
        return CATALOG.get(msgid, msgid) if self.locale == "ar" else msgid


AR, EN = Tr("ar"), Tr("en")
TODAY = date(2026, 10, 26)


def invalid(fn, raw, **kw) -> Invalid:
    with pytest.raises(Invalid) as exc:
        fn(raw, **kw)
    err = exc.value
    assert isinstance(err.text, Text)
    for tr in (AR, EN):  # every message renders fully in both languages
        out = err.render(tr)
        assert out and "{" not in out and "}" not in out
    assert re.search("[\u0600-\u06ff]", err.render(AR)), err.render(AR)
    return err


# --- the catalog ----------------------------------------------------------------------------


def _placeholders(s):
    return sorted(name for _, name, _, _ in string.Formatter().parse(s) if name is not None)


def _msgids_in_source():
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
                arg = node.args[0]
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                    f"{path.name}:{node.lineno}: N_() needs a literal string"
                )
                found.add(arg.value)
    return found


def test_catalog_is_a_flat_object_of_strings():
    assert isinstance(CATALOG, dict) and CATALOG
    for msgid, ar in CATALOG.items():
        assert isinstance(msgid, str) and isinstance(ar, str) and ar.strip()
        assert re.search("[\u0600-\u06ff]", ar), msgid


@pytest.mark.parametrize("msgid", sorted(CATALOG))
def test_catalog_placeholders_identical(msgid):
    assert _placeholders(msgid) == _placeholders(CATALOG[msgid])


def test_catalog_matches_source_msgids():
    in_source = _msgids_in_source()
    assert in_source - set(CATALOG) == set(), "msgids without an Arabic translation"
    assert set(CATALOG) - in_source == set(), "translations no code uses"


def test_arabic_messages_stay_gender_neutral_and_polite():
    for ar in CATALOG.values():
        for word in ("أدخلت", "خاطئة", "عزيزي", "أرسِله", "أرسله"):
            assert word not in ar


# --- national ID ----------------------------------------------------------------------------

VALID_IDS = ["1000000008", "1012345672", "2000000006", "1111111116", "2345678904", "2012345670"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_luhn_valid_samples(number):
    assert luhn_ok(number)


def test_1000000008_and_1012345672_are_valid():
    assert luhn_ok("1000000008")
    assert luhn_ok("1012345672")
    assert national_id_check_digit("100000000") == "8"
    assert national_id_check_digit("101234567") == "2"


@pytest.mark.parametrize(
    "number", ["1000000001", "1012345673", "1012345627", "2000000002", "1000000080"]
)
def test_luhn_invalid_samples(number):
    assert not luhn_ok(number)


@given(st.integers(0, 10**9 - 1), st.integers(0, 8), st.integers(1, 9))
def test_luhn_catches_every_single_digit_error(body, pos, delta):
    first9 = f"{body:09d}"
    good = first9 + national_id_check_digit(first9)
    bad = good[:pos] + str((int(good[pos]) + delta) % 10) + good[pos + 1 :]
    assert luhn_ok(good) and not luhn_ok(bad)


@pytest.mark.parametrize(
    "raw,number,citizen",
    [
        ("1000000008", "1000000008", True),
        ("1012345672", "1012345672", True),
        ("١٠١٢٣٤٥٦٧٢", "1012345672", True),
        ("۱۰۱۲۳۴۵۶۷۲", "1012345672", True),
        ("101 234 5672", "1012345672", True),
        ("101-234-5672", "1012345672", True),
        ("\u200f1012345672\u200e", "1012345672", True),
        ("2000000006", "2000000006", False),
        ("رقم هويتي ١٠١٢٣٤٥٦٧٢", "1012345672", True),
    ],
)
def test_national_id_good(raw, number, citizen):
    result = validate_national_id(raw)
    assert result == NationalId(number, citizen)
    assert result.number == number and str(result) == number
    assert result.kind == ("citizen" if citizen else "resident")


@pytest.mark.parametrize(
    "raw,code",
    [
        ("", "empty"),
        (None, "empty"),
        ("abc", "not_digits"),
        ("10123x45672", "not_digits"),
        ("123", "wrong_length"),
        ("10123456720", "wrong_length"),
        ("3012345678", "wrong_first_digit"),
        ("0012345678", "wrong_first_digit"),
        ("1012345673", "check_digit"),
        ("۱۰۱۲۳۴۵۶۷۳", "check_digit"),
    ],
)
def test_national_id_bad(raw, code):
    assert invalid(validate_national_id, raw).code == code


def test_national_id_wrong_length_says_how_many():
    err = invalid(validate_national_id, "١٢٣٤٥")
    assert "٥" in err.render(AR) and "١٠" in err.render(AR)
    assert "has 5" in err.render(EN)


def test_national_id_message_examples_are_valid():
    for msgid in CATALOG:
        for token in re.findall(r"\b[12]\d{9}\b", msgid + CATALOG[msgid]):
            assert luhn_ok(token), token


@given(st.text())
def test_national_id_only_raises_invalid(s):
    try:
        validate_national_id(s)
    except Invalid:
        pass


@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹ -x", max_size=14))
def test_national_id_digitish_only_raises_invalid(s):
    try:
        assert len(validate_national_id(s).number) == 10
    except Invalid:
        pass


# --- mobile ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0551234567",
        "551234567",
        "+966551234567",
        "00966551234567",
        "966551234567",
        "055 123 4567",
        "055-123-4567",
        "+966 55 123 4567",
        "(055) 123-4567",
        "٠٥٥١٢٣٤٥٦٧",
        "۰۵۵۱۲۳۴۵۶۷",
        "+٩٦٦٥٥١٢٣٤٥٦٧",
        "+966 0551234567",
        "\u200e+966551234567",
    ],
)
def test_mobile_good(raw):
    assert validate_mobile(raw) == "+966551234567"


@pytest.mark.parametrize("prefix", ["50", "53", "54", "55", "56", "57", "58", "59"])
def test_mobile_prefixes(prefix):
    assert validate_mobile(f"0{prefix}1234567") == f"+966{prefix}1234567"


def test_mobile_from_telegram_contact():
    @dataclass
    class Contact:
        phone_number: str

    assert validate_mobile(Contact("966551234567")) == "+966551234567"
    assert validate_mobile(Contact("+966551234567")) == "+966551234567"
    assert invalid(validate_mobile, Contact("+14155550100")).code == "not_saudi"


@pytest.mark.parametrize(
    "raw,code",
    [
        ("", "empty"),
        ("call me", "not_digits"),
        ("05512345ab", "not_digits"),
        ("055123456", "wrong_length"),
        ("05512345678", "wrong_length"),
        ("+96655123456", "wrong_length"),
        ("0112345678", "landline"),
        ("0126543210", "landline"),
        ("+966112345678", "landline"),
        ("920000000", "landline"),
        ("8001234567", "landline"),
        ("+971501234567", "not_saudi"),
        ("00201001234567", "not_saudi"),
        ("971501234567", "not_saudi"),
        ("0451234567", "not_mobile"),
    ],
)
def test_mobile_bad(raw, code):
    assert invalid(validate_mobile, raw).code == code


def test_mobile_length_message_counts_digits():
    err = invalid(validate_mobile, "055123456")
    assert "has 9" in err.render(EN)
    assert "٩" in err.render(AR) and "0551234567" in err.render(AR)


@given(st.text())
def test_mobile_only_raises_invalid(s):
    try:
        assert re.fullmatch(r"\+9665\d{8}", validate_mobile(s))
    except Invalid:
        pass


# --- full name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("محمد عبدالله", "محمد عبدالله"),
        ("  محمد   عبدالله   أحمد  الحربي ", "محمد عبدالله أحمد الحربي"),
        ("مُحَمَّد عَلِي", "مُحَمَّد عَلِي"),
        ("محـــمد علي", "محمد علي"),
        ("Mohammed Al-Harbi", "Mohammed Al-Harbi"),
        ("Sarah O'Neil", "Sarah O'Neil"),
        ("عبدالله بن محمد آل سعود", "عبدالله بن محمد آل سعود"),
        ("\u200fنورة\u200f سعد", "نورة سعد"),
    ],
)
def test_full_name_good(raw, expected):
    assert validate_full_name(raw) == expected


@pytest.mark.parametrize(
    "raw,kw,code",
    [
        ("", {}, "empty"),
        ("محمد", {}, "name_parts"),
        ("محمد علي", {"min_parts": 3}, "name_parts"),
        ("محمد 2", {}, "name_digits"),
        ("محمد ٢ علي", {}, "name_digits"),
        ("محمد ۲ علي", {}, "name_digits"),
        ("محمد @ علي", {}, "name_symbols"),
        ("محمد 😀 علي", {}, "name_symbols"),
        ("أ " * 60, {}, "too_long"),
    ],
)
def test_full_name_bad(raw, kw, code):
    assert invalid(validate_full_name, raw, **kw).code == code


# --- integer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("5", 5),
        ("٥", 5),
        ("۵", 5),
        (" 12 ", 12),
        ("١٢", 12),
        ("12,000", 12000),
        ("١٢٬٠٠٠", 12000),
        ("۱۲٬۰۰۰", 12000),
        ("12 000", 12000),
        ("5.0", 5),
        ("٥٫٠", 5),
        ("-3", -3),
        (7, 7),
    ],
)
def test_integer_good(raw, expected):
    assert validate_integer(raw) == expected


def test_integer_range_message_states_range():
    label = Text(
        N_("Please send a number from {min} to {max}, for example: {example}."),
        min=1,
        max=2,
        example=1,
    )  # any Text works as a label
    for raw in ("0", "31", "٣١"):
        err = invalid(validate_integer, raw, min=1, max=30)
        assert err.code == "out_of_range"
        assert err.render(EN) == "Please send a number from 1 to 30, for example: 5."
        assert err.render(AR) == "نرجو إرسال رقم من ١ إلى ٣٠، مثل: ٥."
    err = invalid(validate_integer, "40", min=1, max=30, label=label)
    assert err.render(EN).endswith(": please send a number from 1 to 30, for example: 5.")


def test_integer_family_size_label():
    family_size = "Family size"
    err = invalid(validate_integer, "0", min=1, max=30, label=family_size)
    assert err.render(EN) == "Family size: please send a number from 1 to 30, for example: 5."
    assert validate_integer("٣٠", min=1, max=30) == 30
    assert validate_integer("1", min=1, max=30) == 1


@pytest.mark.parametrize(
    "raw,kw,code",
    [
        ("", {}, "not_number"),
        ("خمسة", {}, "not_number"),
        ("5 أفراد", {}, "not_number"),
        ("5.5", {}, "not_whole"),
        ("٥٫٥", {}, "not_whole"),
        ("1,2", {}, "not_number"),
        ("9" * 30, {}, "out_of_range"),
        ("0", {"min": 1}, "out_of_range"),
        ("100", {"max": 50}, "out_of_range"),
    ],
)
def test_integer_bad(raw, kw, code):
    assert invalid(validate_integer, raw, **kw).code == code


def test_integer_one_sided_messages():
    assert "2 or more" in invalid(validate_integer, "1", min=2).render(EN)
    assert "لا يقل عن ٢" in invalid(validate_integer, "1", min=2).render(AR)
    assert "50 or less" in invalid(validate_integer, "51", max=50).render(EN)
    assert "example: 20" in invalid(validate_integer, "x", min=20, max=40).render(EN)
    assert "example: 3" in invalid(validate_integer, "x", max=3).render(EN)


@given(st.text())
def test_integer_only_raises_invalid(s):
    try:
        validate_integer(s, min=0, max=1000)
    except Invalid:
        pass


# --- date -----------------------------------------------------------------------------------


def test_date_good():
    p = validate_date("15/05/1448", today=TODAY)
    assert isinstance(p, ParsedDate) and p.gregorian == TODAY and p.hijri == (1448, 5, 15)
    assert validate_date("٢٦/١٠/٢٠٢٦", past_only=True, today=TODAY).gregorian == TODAY
    assert validate_date("26/10/2026", future_only=True, today=TODAY).gregorian == TODAY


def test_date_past_and_future_only():
    err = invalid(validate_date, "27/10/2026", past_only=True, today=TODAY)
    assert err.code == "date_future"
    assert "١٥ جمادى الأولى ١٤٤٨هـ (٢٦ أكتوبر ٢٠٢٦م)" in err.render(AR)
    assert invalid(validate_date, "14/05/1448", future_only=True, today=TODAY).code == "date_past"


def test_date_min_max():
    kw = dict(min_date=date(2026, 1, 1), max_date=date(2026, 12, 31), today=TODAY)
    assert validate_date("1/1/2026", **kw).gregorian == date(2026, 1, 1)
    assert invalid(validate_date, "31/12/2025", **kw).code == "date_too_early"
    assert invalid(validate_date, "1/1/2027", **kw).code == "date_too_late"
    assert "1 January 2026" in invalid(validate_date, "31/12/2025", **kw).render(EN)


def test_date_age_limits():
    assert validate_date("26/10/2008", min_age=18, today=TODAY).gregorian == date(2008, 10, 26)
    err = invalid(validate_date, "27/10/2008", min_age=18, today=TODAY)
    assert err.code == "too_young" and "age is 17" in err.render(EN)
    assert "١٧" in err.render(AR) and "١٨" in err.render(AR)
    assert invalid(validate_date, "1/1/1930", max_age=90, today=TODAY).code == "too_old"
    assert invalid(validate_date, "1/1/2027", min_age=0, today=TODAY).code == "date_future"


def test_date_parse_errors_pass_through():
    assert invalid(validate_date, "30/01/1448").code == "date_day"
    assert invalid(validate_date, "26/10/2026", calendar="hijri").code == "date_calendar"
    assert invalid(validate_date, None).code == "date_empty"


@given(st.text(max_size=40))
def test_date_only_raises_invalid(s):
    try:
        validate_date(s, past_only=True, min_age=1, today=TODAY)
    except Invalid:
        pass


# --- choice ---------------------------------------------------------------------------------

CHOICES = [
    ("housing", "دعم السكن"),
    ("food", "سلة غذائية"),
    ("bills", "سداد الفواتير"),
    ("other", Text(N_("a PDF file"))),
]


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("housing", "housing"),
        ("HOUSING", "housing"),
        ("1", "housing"),
        ("٢", "food"),
        ("۳", "bills"),
        ("4.", "other"),
        ("دعم السكن", "housing"),
        ("🏠 دعم السكن", "housing"),
        ("دَعْمُ السَّكَن", "housing"),
        ("سلة غذائيه", "food"),
        ("الفواتير", "bills"),
        ("سداد  الفواتير!", "bills"),
        ("ملف PDF", "other"),
        ("a pdf file", "other"),
    ],
)
def test_choice_good(raw, expected):
    assert validate_choice(raw, choices=CHOICES, translator=AR) == expected


def test_choice_mapping_and_plain_list():
    assert validate_choice("2", choices={"m": "ذكر", "f": "أنثى"}) == "f"
    assert validate_choice("انثى", choices={"m": "ذكر", "f": "أنثى"}) == "f"
    assert validate_choice("b", choices=["a", "b"]) == "b"


@pytest.mark.parametrize(
    "raw,code",
    [("0", "no_match"), ("5", "no_match"), ("xyz", "no_match"), ("", "empty"), ("سد", "no_match")],
)
def test_choice_bad(raw, code):
    err = invalid(validate_choice, raw, choices=CHOICES)
    assert err.code == code
    assert "1 to 4" in err.render(EN) and "١ إلى ٤" in err.render(AR)


def test_choice_ambiguous_partial_is_rejected():
    choices = [("a", "دعم السكن"), ("b", "دعم الغذاء")]
    assert invalid(validate_choice, "دعم", choices=choices).code == "no_match"


# --- text -----------------------------------------------------------------------------------


def test_text_good():
    assert validate_text("  مرحبًا \u200b بكم  ") == "مرحبًا بكم"
    assert validate_text("سطر أول\n\n\n\nسطر ثانٍ") == "سطر أول\n\nسطر ثانٍ"
    assert validate_text("a\nb", multiline=False) == "a b"
    assert validate_text("x" * 1000) == "x" * 1000


def test_text_bad():
    assert invalid(validate_text, "").code == "empty"
    assert invalid(validate_text, "\u200b\u200f  ").code == "empty"
    err = invalid(validate_text, "x" * 1001)
    assert err.code == "too_long" and "1,001" in err.render(EN) and "١٬٠٠١" in err.render(AR)
    err = invalid(validate_text, "قصير", min_length=10)
    assert err.code == "too_short" and "١٠" in err.render(AR)
    assert invalid(validate_text, "abcdef", max_length=5).code == "too_long"


# --- email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("name@example.com", "name@example.com"),
        ("Name.Surname@Example.COM", "Name.Surname@example.com"),
        (" a+tag@mail.example.sa ", "a+tag@mail.example.sa"),
        ("mailto:x@y.org", "x@y.org"),
        ("user١٢@example.com", "user12@example.com"),
    ],
)
def test_email_good(raw, expected):
    assert validate_email(raw) == expected


@pytest.mark.parametrize(
    "raw,code",
    [
        ("", "empty"),
        ("name", "email"),
        ("name@", "email"),
        ("@example.com", "email"),
        ("name@example", "email"),
        ("a..b@example.com", "email"),
        ("name@exa_mple.com", "email"),
        ("محمد@example.com", "email"),
        ("a@b@c.com", "email"),
    ],
)
def test_email_bad(raw, code):
    assert invalid(validate_email, raw).code == code


# --- yes / no -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "نعم",
        "نَعَم",
        "ايه",
        "إيه",
        "اي",
        "أيوه",
        "ايوة",
        "أجل",
        "بلى",
        "موافق",
        "أوافق",
        "yes",
        "Yes",
        "Y",
        "ok",
        "✅ نعم",
        "✅",
        "👍",
    ],
)
def test_yes(raw):
    assert validate_yes_no(raw) is True


@pytest.mark.parametrize(
    "raw", ["لا", "لأ", "لاء", "كلا", "لا شكراً", "غير موافق", "no", "NO", "n", "❌ لا", "❌", "👎"]
)
def test_no(raw):
    assert validate_yes_no(raw) is False


@pytest.mark.parametrize("raw,code", [("ربما", "yes_no"), ("maybe", "yes_no"), ("", "empty")])
def test_yes_no_bad(raw, code):
    assert invalid(validate_yes_no, raw).code == code


# --- location -------------------------------------------------------------------------------


@dataclass
class Location:
    latitude: float
    longitude: float


@pytest.mark.parametrize(
    "raw",
    [
        (24.7136, 46.6753),  # Riyadh
        [21.4225, 39.8262],  # Makkah
        Location(26.4207, 50.0888),  # Dammam
        {"latitude": 18.2164, "longitude": 42.5053},  # Abha
        "24.7136, 46.6753",
        "٢٤٫٧١٣٦، ٤٦٫٦٧٥٣",
    ],
)
def test_location_good(raw):
    lat, lon = validate_location(raw)
    assert 16 <= lat <= 32.3 and 34.4 <= lon <= 55.8


@pytest.mark.parametrize(
    "raw,code",
    [
        ((48.8566, 2.3522), "outside_saudi"),  # Paris
        ((30.0444, 31.2357), "outside_saudi"),  # Cairo
        (Location(-24.7, 46.7), "outside_saudi"),
        (None, "no_location"),
        ("حي النرجس", "no_location"),
        ((float("nan"), 46.0), "no_location"),
        ((91, 46), "no_location"),
        (("a", "b"), "no_location"),
    ],
)
def test_location_bad(raw, code):
    assert invalid(validate_location, raw).code == code


# --- document -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "meta,kind",
    [
        ({"kind": "photo", "file_size": 120_000, "file_id": "AgAD"}, "photo"),
        (
            {
                "kind": "document",
                "mime_type": "application/pdf",
                "file_name": "salary.pdf",
                "file_size": 300_000,
            },
            "pdf",
        ),
        ({"kind": "document", "mime_type": "image/jpeg", "file_name": "id.jpg"}, "photo"),
        ({"kind": "document", "mime_type": None, "file_name": "REPORT.PDF"}, "pdf"),
        (
            {"kind": "document", "mime_type": "application/pdf", "file_size": DEFAULT_MAX_BYTES},
            "pdf",
        ),
    ],
)
def test_document_good(meta, kind):
    doc = validate_document(meta)
    assert isinstance(doc, DocumentFile) and doc.kind == kind
    assert doc.file_id == meta.get("file_id")


def test_document_object_metadata_and_accept_options():
    @dataclass
    class Doc:
        mime_type: str
        file_size: int
        file_name: str
        file_id: str = "BQAD"

    d = validate_document(
        Doc(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            1000,
            "a.docx",
        ),
        accept=["word"],
    )
    assert d.kind == "word" and d.file_id == "BQAD"
    assert validate_document({"kind": "photo"}, accept=["image/*"]).kind == "photo"
    err = invalid(validate_document, {"kind": "photo"}, accept=["pdf"])
    assert err.code == "wrong_type" and "PDF" in err.render(AR)


@pytest.mark.parametrize(
    "meta,code",
    [
        (None, "no_document"),
        ("هذه صورة الهوية", "no_document"),
        ({"kind": "document", "mime_type": "application/zip", "file_name": "a.zip"}, "wrong_type"),
        ({"kind": "document", "mime_type": "video/mp4", "file_name": "a.mp4"}, "wrong_type"),
        (
            {
                "kind": "document",
                "mime_type": "application/pdf",
                "file_size": DEFAULT_MAX_BYTES + 1,
            },
            "too_large",
        ),
    ],
)
def test_document_bad(meta, code):
    assert invalid(validate_document, meta).code == code


def test_document_too_large_states_limit_in_mb():
    err = invalid(
        validate_document,
        {"kind": "document", "mime_type": "application/pdf", "file_size": 25 * 1024 * 1024},
    )
    assert "25 MB" in err.render(EN) and "20 MB" in err.render(EN)
    assert "٢٠ ميجابايت" in err.render(AR)
    err = invalid(
        validate_document,
        {"kind": "photo", "file_size": 6 * 1024 * 1024},
        max_bytes=5 * 1024 * 1024,
    )
    assert "limit is 5 MB" in err.render(EN)


# --- dispatch -------------------------------------------------------------------------------


def test_field_type_names():
    assert set(FIELD_TYPES) == {
        "text",
        "full_name",
        "national_id",
        "mobile",
        "integer",
        "date",
        "choice",
        "location",
        "document",
        "email",
        "yes_no",
    }


@pytest.mark.parametrize(
    "field_type,raw,options,expected",
    [
        ("text", " hi ", {}, "hi"),
        ("full_name", "محمد علي", {}, "محمد علي"),
        ("national_id", "1012345672", {}, NationalId("1012345672", True)),
        ("mobile", "0551234567", {}, "+966551234567"),
        ("integer", "٧", {"min": 1, "max": 30}, 7),
        ("choice", "2", {"choices": [("a", "أ"), ("b", "ب")]}, "b"),
        ("location", (24.7, 46.7), {}, (24.7, 46.7)),
        ("email", "a@b.sa", {}, "a@b.sa"),
        ("yes_no", "نعم", {}, True),
    ],
)
def test_validate_dispatch(field_type, raw, options, expected):
    assert validate(field_type, raw, **options) == expected


def test_validate_dispatch_date_and_document():
    assert validate("date", "15/5/1448", today=TODAY).gregorian == TODAY
    assert validate("document", {"kind": "photo"}).kind == "photo"


def test_validate_optional_and_unknown():
    assert validate("email", "  ", required=False) is None
    assert validate("mobile", None, required=False) is None
    with pytest.raises(Invalid):
        validate("email", "  ")
    with pytest.raises(ValueError):
        validate("colour", "red")
    assert validate("text", "hi", prompt="ignored") == "hi"


@pytest.mark.parametrize(
    "field_type",
    [
        "text",
        "full_name",
        "national_id",
        "mobile",
        "integer",
        "date",
        "choice",
        "email",
        "yes_no",
        "location",
        "document",
    ],
)
@given(s=st.text(max_size=30))
def test_every_validator_only_raises_invalid(field_type, s):
    options = {"choices": [("a", "نعم")]} if field_type == "choice" else {}
    try:
        validate(field_type, s, **options)
    except Invalid as err:
        assert err.text.msgid in CATALOG
