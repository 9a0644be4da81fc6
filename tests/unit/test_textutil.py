import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.textutil import (
    FSI,
    PDI,
    Num,
    clean_input,
    escape_html,
    fold,
    format_mobile_local,
    format_number,
    isolate,
    localize_digits,
    mask_mobile,
    mask_name,
    mask_national_id,
    to_arabic_digits,
    to_ascii_digits,
    truncate,
    utf16_len,
)

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
PERSIAN = "۰۱۲۳۴۵۶۷۸۹"


class _Tr:
    def __init__(self, locale):
        self.locale = locale

    def gettext(self, msgid):
        return msgid


# --- digits ---------------------------------------------------------------------------------


def test_to_ascii_digits_scripts():
    assert to_ascii_digits(ARABIC_INDIC) == "0123456789"
    assert to_ascii_digits(PERSIAN) == "0123456789"
    assert to_ascii_digits("0123456789") == "0123456789"


def test_to_ascii_digits_separators():
    assert to_ascii_digits("١٢٫٥") == "12.5"
    assert to_ascii_digits("١٢٬٠٠٠") == "12000"
    assert to_ascii_digits("۱۲٬۳۴۵٫۶") == "12345.6"


def test_to_ascii_digits_keeps_other_text():
    assert to_ascii_digits("عدد الأفراد ٥ فقط") == "عدد الأفراد 5 فقط"
    assert to_ascii_digits("") == ""
    assert to_ascii_digits(None) == ""


@given(st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["ascii", "arabic", "persian"]))))
def test_to_ascii_digits_any_mixture(items):
    scripts = {"ascii": "0123456789", "arabic": ARABIC_INDIC, "persian": PERSIAN}
    mixed = "".join(scripts[script][d] for d, script in items)
    assert to_ascii_digits(mixed) == "".join(str(d) for d, _ in items)


@given(st.text())
def test_to_ascii_digits_leaves_no_eastern_digits(s):
    out = to_ascii_digits(s)
    assert not any(c in ARABIC_INDIC or c in PERSIAN or c in "٫٬" for c in out)


def test_to_arabic_and_localize_digits():
    assert to_arabic_digits("2026-10-26") == "٢٠٢٦-١٠-٢٦"
    assert localize_digits("30", "ar") == "٣٠"
    assert localize_digits("30", "ar-SA") == "٣٠"
    assert localize_digits("30", "en") == "30"


def test_format_number():
    assert format_number(12000, "ar") == "١٢٬٠٠٠"
    assert format_number(12000, "en") == "12,000"
    assert format_number(12.5, "ar") == "١٢٫٥"
    assert format_number(20.0, "en") == "20"
    assert format_number(1448, "ar", grouping=False) == "١٤٤٨"
    assert format_number(3.14159, "en", decimals=1) == "3.1"


def test_num_renders_per_locale():
    assert Num(30).render(_Tr("ar")) == "٣٠"
    assert Num(30).render(_Tr("en")) == "30"
    # rendering naively (msgid + params) still gives the value
    n = Num(7)
    assert n.msgid.format(**n.params) == "7"


# --- cleaning -------------------------------------------------------------------------------


def test_clean_input_strips_invisible_and_bidi_controls():
    dirty = "\u200f\u202bمحمد\u200b \u200dعبدالله\u202c\u2066\ufeff\u2069\u200e"
    assert clean_input(dirty) == "محمد عبدالله"
    for cp in [
        *range(0x200B, 0x2010),
        0x2060,
        0xFEFF,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ]:
        assert clean_input(f"a{chr(cp)}b") == "ab", hex(cp)


def test_clean_input_whitespace():
    assert clean_input("  a \t\u00a0 b\n\nc  ") == "a b c"
    assert clean_input(None) == ""
    assert clean_input("\u200b \u200f") == ""


def test_clean_input_multiline():
    s = "  first   line \r\n\r\n\r\n\r\n second\u00a0line  "
    assert clean_input(s, multiline=True) == "first line\n\nsecond line"


def test_clean_input_nfc_and_arabic_intact():
    # alef + combining hamza above composes to أ
    assert clean_input("\u0627\u0654حمد") == "أحمد"
    vocalised = "مُحَمَّدٌ عَبْدُاللّٰه"
    assert clean_input(vocalised) == unicodedata.normalize("NFC", vocalised)
    assert clean_input("مـحـمـد") == "مـحـمـد"  # tatweel is text, left alone


def test_fold():
    assert fold("  أَيـوة! ") == "ايوه"
    assert fold("✅ نعم") == "نعم"
    assert fold("إلى") == fold("الي")
    assert fold("٢") == "2"
    assert fold("HOUSING") == "housing"
    assert fold("ﻧﻌﻢ") == "نعم"  # presentation forms
    assert fold("ی ک") == "ي ك"  # Persian keyboard letters


# --- output ---------------------------------------------------------------------------------


def test_isolate():
    assert isolate("REQ-1448-0042") == "\u2068REQ-1448-0042\u2069"
    assert isolate(5) == f"{FSI}5{PDI}"


def test_escape_html():
    assert escape_html('<b>"x" & y</b>') == "&lt;b&gt;&quot;x&quot; &amp; y&lt;/b&gt;"
    assert escape_html("it's") == "it's"
    assert escape_html(None) == ""
    assert escape_html(42) == "42"
    assert escape_html("محمد <script>") == "محمد &lt;script&gt;"


# --- masking --------------------------------------------------------------------------------


def test_mask_national_id():
    assert mask_national_id("1012345672") == "1•••••••72"
    assert mask_national_id("١٠١٢٣٤٥٦٧٢") == "1•••••••72"
    assert mask_national_id("12") == "••"


def test_mask_mobile():
    assert mask_mobile("0551234567") == "055•••••67"
    assert mask_mobile("+966551234567") == "055•••••67"
    assert mask_mobile("00966551234567") == "055•••••67"


def test_mask_name():
    assert mask_name("محمد عبدالله الحربي") == "محمد ح."
    assert mask_name("Mohammed Abdullah Al-Harbi") == "Mohammed H."
    assert mask_name("سارة خالد") == "سارة خ."
    assert mask_name("نورة") == "نورة"
    assert mask_name("") == ""
    assert mask_name("فهد آل سعود") == "فهد س."


def test_format_mobile_local():
    assert format_mobile_local("+966551234567") == "0551234567"
    assert format_mobile_local("+971501234567") == "+971501234567"


# --- truncate -------------------------------------------------------------------------------


def test_truncate_short_unchanged():
    assert truncate("مرحبًا", 4096) == "مرحبًا"


def test_truncate_limit_and_ellipsis():
    s = "كلمة " * 2000
    out = truncate(s)
    assert utf16_len(out) <= 4096
    assert out.endswith("…")
    assert len(out) > 3500


def test_truncate_counts_utf16():
    s = "😀" * 3000  # 6000 UTF-16 units
    out = truncate(s, 4096)
    assert utf16_len(out) <= 4096
    assert set(out[:-1]) == {"😀"}


def test_truncate_keeps_diacritics_with_letter():
    s = "بَّ" * 10  # letter + fatha + shadda
    for n in range(2, 30):
        out = truncate(s, n)
        assert utf16_len(out) <= n
        body = out[:-1]
        assert body == s[: len(body)]
        assert len(body) % 3 == 0


def test_truncate_keeps_zwj_sequences_and_flags():
    family = "👨\u200d👩\u200d👧"
    out = truncate("x" + family * 5, 9)
    assert utf16_len(out) <= 9
    assert not out[:-1].endswith("\u200d")
    flags = "🇸🇦" * 5
    out = truncate(flags, 7)
    body = out[:-1]
    assert len(body) % 2 == 0 and utf16_len(out) <= 7


@given(st.text(), st.integers(1, 200))
def test_truncate_never_exceeds(s, n):
    out = truncate(s, n)
    assert utf16_len(out) <= n
    if utf16_len(s) <= n:
        assert out == s


@pytest.mark.parametrize("s,expected", [("abc", 3), ("😀", 2), ("محمد", 4)])
def test_utf16_len(s, expected):
    assert utf16_len(s) == expected


def test_mask_numbers_hides_ids_and_mobiles_in_free_text() -> None:
    from bot.domain.textutil import mask_numbers

    assert mask_numbers("هويتي 1023456789 وجوالي +966551234567") == (
        "هويتي 10••••••89 وجوالي +9•••••••••67"
    )
    assert mask_numbers("الجوال ٠٥٥١٢٣٤٥٦٧ فقط") == "الجوال 05••••••67 فقط"
    # not personal numbers: a family of 5, an amount, a 9-digit or 11-digit run, a reference
    for kept in (
        "أسرة من 5 أفراد",
        "إيجار 12000 ريال",
        "102345678",
        "10234567891",
        "REQ-1448-0001",
    ):
        assert mask_numbers(kept) == kept
    assert mask_numbers(None) == ""
    # typed in groups
    assert mask_numbers("جوالي 055 123 4567.") == "جوالي 05••••••••67."
    assert mask_numbers("+966 55 123 4567") == "+9••••••••••••67"
    assert mask_numbers("1023-456-789") == "10••••••••89"
