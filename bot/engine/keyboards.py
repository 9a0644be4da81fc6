"""Inline keyboards and callback data, built and parsed in one place.

Callback data reads ``namespace:action:arg…`` (ASCII ids only, at most 64 bytes, as Telegram
allows). It is never trusted: handlers check every id against what the presser may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_CALLBACK_BYTES = 64

Button = dict[str, Any]


def cb(namespace: str, action: str = "", *args: object) -> str:
    data = ":".join([namespace, action, *(str(a) for a in args)]).rstrip(":")
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


@dataclass(frozen=True)
class Callback:
    namespace: str
    action: str
    args: tuple[str, ...]

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if len(self.args) > index else default

    def int_arg(self, index: int) -> int | None:
        value = self.arg(index)
        return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def parse_cb(data: str | None) -> Callback | None:
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    return Callback(parts[0], parts[1] if len(parts) > 1 else "", tuple(parts[2:]))


def button(label: str, data: str) -> Button:
    return {"text": label, "callback_data": data}


def url_button(label: str, url: str) -> Button:
    return {"text": label, "url": url}


def inline(rows: list[list[Button]]) -> dict[str, Any]:
    return {"inline_keyboard": [row for row in rows if row]}


def column(buttons: list[Button]) -> list[list[Button]]:
    return [[b] for b in buttons]


def reply_keyboard(rows: list[list[dict[str, Any]]], *, one_time: bool = True,
                   placeholder: str | None = None) -> dict[str, Any]:
    markup: dict[str, Any] = {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": one_time}
    if placeholder:
        markup["input_field_placeholder"] = placeholder[:64]
    return markup


REMOVE_KEYBOARD: dict[str, Any] = {"remove_keyboard": True}
