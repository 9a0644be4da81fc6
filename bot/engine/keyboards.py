"""Buttons and button actions, channel-neutral, built and parsed in one place.

A button carries an ACTION ``namespace:action:arg…`` (ASCII ids only, at most 64 bytes — what
Telegram's callback data allows). It is never trusted: handlers check every id against what the
presser may see. Markups are plain data; the channel adapter renders them
(``bot.channels.telegram.adapter.render_markup``):

* ``Buttons`` — rows of buttons under a message (an action, or a link to open);
* ``AskFor`` — a one-tap answer under the input field: share my number / my location;
* ``REMOVE_KEYBOARD`` — take such an ``AskFor`` away;
* ``FORCE_REPLY`` — ask the reader (staff) to reply to this very message.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64


def cb(namespace: str, action: str = "", *args: object) -> str:
    data = ":".join([namespace, action, *(str(a) for a in args)]).rstrip(":")
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data too long: {data!r}")
    return data


MAX_ROW_ID = 2**31 - 1


@dataclass(frozen=True)
class Callback:
    namespace: str
    action: str
    args: tuple[str, ...]

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if len(self.args) > index else default

    def int_arg(self, index: int) -> int | None:
        """A row id, an index or a page from the button's data; None for anything else —
        including a number no row can have (PostgreSQL's INTEGER ends at 2**31 - 1: a forged
        larger one would fail the query instead of finding nothing)."""
        value = self.arg(index)
        if not (value.isascii() and value.isdigit() and len(value) < 12):
            return None
        number = int(value)
        return number if number <= MAX_ROW_ID else None


def parse_cb(data: str | None) -> Callback | None:
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    return Callback(parts[0], parts[1] if len(parts) > 1 else "", tuple(parts[2:]))


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str | None = None  # cb(...): what a press does
    url: str | None = None  # or a link it opens


@dataclass(frozen=True, slots=True)
class Buttons:
    """Rows of buttons under a message."""

    rows: tuple[tuple[Button, ...], ...]

    def actions(self) -> list[str]:
        return [b.action for row in self.rows for b in row if b.action]


@dataclass(frozen=True, slots=True)
class AskFor:
    """A one-tap answer offered under the input field (gone after one use)."""

    what: str  # "contact" (the person's own number) or "location"
    label: str
    placeholder: str | None = None


@dataclass(frozen=True, slots=True)
class RemoveKeyboard:
    pass


@dataclass(frozen=True, slots=True)
class ForceReply:
    pass


Markup = Buttons | AskFor | RemoveKeyboard | ForceReply
REMOVE_KEYBOARD = RemoveKeyboard()
FORCE_REPLY = ForceReply()
NO_BUTTONS = Buttons(())


def button(label: str, data: str) -> Button:
    return Button(label, action=data)


def url_button(label: str, url: str) -> Button:
    return Button(label, url=url)


def inline(rows: list[list[Button]]) -> Buttons:
    return Buttons(tuple(tuple(row) for row in rows if row))


def column(buttons: list[Button]) -> list[list[Button]]:
    return [[b] for b in buttons]


def ask_for(what: str, label: str, *, placeholder: str | None = None) -> AskFor:
    if what not in ("contact", "location"):
        raise ValueError(f"cannot ask for {what!r}")
    return AskFor(what, label, placeholder)
