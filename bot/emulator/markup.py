"""``reply_markup`` validation (Telegram's limits and error texts) and keyboard helpers."""

from __future__ import annotations

from typing import Any

from .protocol import bad_request

Markup = dict[str, Any]

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_URL_SCHEMES = ("http://", "https://", "tg://")
MAX_CALLBACK_DATA_BYTES = 64


def _rows(markup: Markup, field: str) -> list[list[Any]]:
    rows = markup[field]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            f'can\'t parse reply keyboard markup JSON object: field "{field}" '
            "must be an Array of Arrays"
        )
    return rows


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    data = button.get("callback_data")
    if "callback_data" in button and (
        not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
    ):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if "url" in button and (not isinstance(url, str) or not url.startswith(_URL_SCHEMES)):
        raise bad_request("BUTTON_URL_INVALID")
    return button


def _keyboard_button(button: Any) -> dict[str, Any]:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse keyboard button: Text must be a String")
    if not button["text"].strip():
        raise bad_request("keyboard button text must be non-empty")
    return button


def validate_reply_markup(markup: Any) -> Markup:
    """Check a decoded ``reply_markup`` like Telegram; return it normalized.

    Reply-keyboard buttons given as plain strings become ``{"text": ...}`` objects.
    """
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = [[_inline_button(b) for b in row] for row in _rows(markup, "inline_keyboard")]
        return {**markup, "inline_keyboard": rows}
    if "keyboard" in markup:
        rows = [[_keyboard_button(b) for b in row] for row in _rows(markup, "keyboard")]
        if not any(rows):
            raise bad_request("keyboard must be non-empty")
        return {**markup, "keyboard": rows}
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_part(markup: Markup | None) -> Markup | None:
    """The part of a markup that Telegram echoes in ``Message.reply_markup`` (inline only)."""
    if markup is not None and markup.get("inline_keyboard"):
        return markup
    return None


def buttons(message: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Flat ``(text, callback_data)`` list of a message's keyboard (``None`` data if none)."""
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [(button["text"], button.get("callback_data")) for row in rows for button in row]


def button_data(message: dict[str, Any], text_contains: str) -> str:
    """``callback_data`` of the first inline button whose label contains ``text_contains``."""
    for text, data in buttons(message):
        if text_contains in text and data is not None:
            return data
    labels = [text for text, _ in buttons(message)]
    raise LookupError(f"no callback button containing {text_contains!r}; buttons: {labels}")
