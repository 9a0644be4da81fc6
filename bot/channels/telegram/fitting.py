"""Fitting one stored Bot API call to Telegram's limits (4,096 UTF-16 units of shown text,
1,024 of caption), measured as Telegram measures them: a long text in several messages at line or
word boundaries with its tags kept valid (or a .txt file when very long), an over-long caption
after its media. The sender asks for these parts at send time (``Delivery.parts``)."""

from __future__ import annotations

import base64
from typing import Any

from bot.domain.textutil import (
    TELEGRAM_CAPTION_LIMIT,
    TELEGRAM_MESSAGE_LIMIT,
    escape_html,
    fits,
    html_to_plain,
    split_html,
    truncate_html,
)
from bot.engine.outbox import INLINE_KEY

MAX_PARTS = 4  # a text longer than this many messages goes as a .txt file
CAPTIONED = frozenset(
    {
        "sendPhoto",
        "sendDocument",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendAnimation",
        "copyMessage",
    }
)


def _text_parts(payload: dict[str, Any], text: str, *, reply_first: bool) -> list[dict[str, Any]]:
    """``sendMessage`` calls for ``text``, the first with the keyboard and reply of ``payload``."""
    keep: dict[str, Any] = {
        k: payload[k]
        for k in ("chat_id", "message_thread_id", "link_preview_options")
        if k in payload
    }
    calls = []
    for i, part in enumerate(split_html(text, TELEGRAM_MESSAGE_LIMIT)):
        call_payload: dict[str, Any] = {**keep, "text": part, "parse_mode": "HTML"}
        if i == 0 and reply_first:  # a caption's words, as a reply to their media
            call_payload["$reply_first"] = True
        elif i == 0:  # the keyboard on the first part: the one a card's edits change
            call_payload.update(
                {k: payload[k] for k in ("reply_markup", "reply_parameters") if k in payload}
            )
        calls.append(call_payload)
    return calls


def render(method: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The calls that deliver one outbox row within Telegram's limits (4,096 UTF-16 units of
    shown text, 1,024 of caption): usually the row itself."""
    html = payload.get("parse_mode") == "HTML"
    text, caption = payload.get("text"), payload.get("caption")
    if (
        method == "sendMessage"
        and isinstance(text, str)
        and not fits(text, TELEGRAM_MESSAGE_LIMIT, html=html)
    ):
        source = text if html else _escape(text)
        parts = split_html(source, TELEGRAM_MESSAGE_LIMIT)
        if len(parts) <= MAX_PARTS:
            return [("sendMessage", p) for p in _text_parts(payload, source, reply_first=False)]
        document = {k: v for k, v in payload.items() if k not in ("text", "link_preview_options")}
        document["caption"] = truncate_html(parts[0], TELEGRAM_CAPTION_LIMIT)
        document["parse_mode"] = "HTML"
        document[INLINE_KEY] = {
            "document": {
                "name": "message.txt",
                "b64": base64.b64encode(html_to_plain(source).encode("utf-8")).decode("ascii"),
            }
        }
        return [("sendDocument", document)]
    if (
        method == "editMessageText"
        and isinstance(text, str)
        and not fits(text, TELEGRAM_MESSAGE_LIMIT, html=html)
    ):
        return [
            (
                method,
                {
                    **payload,
                    "text": truncate_html(text if html else _escape(text)),
                    "parse_mode": "HTML",
                },
            )
        ]
    if isinstance(caption, str) and not fits(caption, TELEGRAM_CAPTION_LIMIT, html=html):
        source = caption if html else _escape(caption)
        if method == "editMessageCaption":
            return [
                (
                    method,
                    {
                        **payload,
                        "caption": truncate_html(source, TELEGRAM_CAPTION_LIMIT),
                        "parse_mode": "HTML",
                    },
                )
            ]
        if method in CAPTIONED:
            media = {k: v for k, v in payload.items() if k != "caption"}
            if method == "copyMessage":
                media["caption"] = ""  # not the original's caption: ours follows in full
            return [
                (method, media),
                *(("sendMessage", p) for p in _text_parts(payload, source, reply_first=True)),
            ]
    return [(method, payload)]


def _escape(text: str) -> str:
    return escape_html(text)
