"""Telegram's length rules for HTML texts, and splitting a long text into valid parts: checked
against the emulator's own parser (what Telegram shows and counts)."""

from __future__ import annotations

import pytest

from bot.channels.telegram.fitting import MAX_PARTS, render
from bot.domain.textutil import html_to_plain, split_html, truncate_html, utf16_len, visible_len
from bot.emulator.formatting import format_text


def shown(text: str) -> str:
    return format_text(text, "HTML", None).text


@pytest.mark.parametrize(
    "text",
    [
        "😀" * 10,
        "&amp;&lt;&gt;&quot;",
        "<b>عريض</b> و<i>مائل</i>",
        '<a href="https://x.org">رابط</a>',
        "سطر\nسطر",
        "👨‍👩‍👧 🇸🇦",
        "&#1576;&#x628;",
    ],
)
def test_visible_length_is_what_telegram_counts(text: str) -> None:
    assert visible_len(text) == utf16_len(shown(text))
    assert html_to_plain(text) == shown(text)


def test_2000_emoji_are_4000_units() -> None:
    assert visible_len("😢" * 2000) == 4000
    assert visible_len("&amp;" * 4096) == 4096  # an entity is one character


@pytest.mark.parametrize(
    "text",
    [
        "«" + "😢" * 2000 + " " + "ب" * 3000 + "»",
        "<b>رأس</b>\n" + "<i>" + "كلمة مائلة " * 900 + "</i>\nذيل",
        ("سطر قصير & <b>مهم</b>\n" * 600),
        '<a href="https://example.org">' + "ر" * 5000 + "</a>",
        "👨‍👩‍👧" * 1000,
    ],
)
def test_split_parts_are_valid_complete_and_within_the_limit(text: str) -> None:
    parts = split_html(text, 4096)
    assert len(parts) > 1
    for part in parts:
        assert 0 < utf16_len(shown(part)) <= 4096  # the emulator parses each part on its own
    joined = "".join(shown(part) for part in parts)
    assert joined.replace("\n", "").replace(" ", "") == shown(text).replace("\n", "").replace(
        " ", ""
    )


def test_split_prefers_a_line_break() -> None:
    text = ("ا" * 3000) + "\n" + ("ب" * 3000)
    first, second = split_html(text, 4096)
    assert first == "ا" * 3000 and second == "ب" * 3000


def test_a_zwj_family_is_never_cut() -> None:
    family = "👨‍👩‍👧"
    for part in split_html(family * 1000, 4096):
        assert shown(part).count("\u200d") == 2 * shown(part).count("👨")


def test_truncate_keeps_html_valid() -> None:
    cut = truncate_html("<b>" + "ع" * 5000 + "</b>", 100)
    assert cut.endswith("</b>…") and utf16_len(shown(cut)) <= 100


def test_render_splits_texts_moves_captions_and_files_very_long_texts() -> None:
    payload = {
        "chat_id": -1,
        "text": "<b>ر</b>\n" + "😢" * 3000,
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "y"}]]},
    }
    calls = render("sendMessage", payload)
    assert [m for m, _ in calls] == ["sendMessage", "sendMessage"]
    assert "reply_markup" in calls[0][1] and "reply_markup" not in calls[1][1]
    caption = {"chat_id": -1, "document": "FILE", "caption": "ك" * 1500, "parse_mode": "HTML"}
    calls = render("sendDocument", caption)
    assert [m for m, _ in calls] == ["sendDocument", "sendMessage"]
    assert "caption" not in calls[0][1] and calls[1][1]["text"] == "ك" * 1500
    huge = {"chat_id": -1, "text": "ن " * (4096 * MAX_PARTS), "parse_mode": "HTML"}
    ((method, document),) = render("sendMessage", huge)
    assert method == "sendDocument" and document["$inline"]["document"]["name"].endswith(".txt")
