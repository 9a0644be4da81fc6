"""What the bot says, whatever the channel: outgoing messages as plain data.

Handlers never build a channel's API call; a unit of work (``bot.engine.context``) collects
these, and the channel's ``render`` (``bot.channels.telegram.adapter.render``) turns each into
the call the outbox stores and the sender makes.

Text is the catalog's text with a small markup subset, the neutral form every channel adapter
reads: ``<b>``, ``<i>``, ``<code>`` and ``<a href="…">``; anything a person typed is escaped
(``html.escape``) before it is put in. Markups are in ``bot.engine.keyboards``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.engine.keyboards import Buttons, Markup


@dataclass(frozen=True, slots=True)
class Notice:
    """What a message to a beneficiary tells, for a channel that must send it as a pre-approved
    template when the person has not written for a while (WhatsApp's 24-hour window): its kind
    — ``status``, ``reminder``, ``survey``, ``announcement`` — and the values a template's
    parameters may take, as the person reads them. Telegram ignores it."""

    kind: str
    reference: str = ""  # the case's reference, plain (REQ-1448-0042)
    case: str = ""  # the case with its noun, as the person reads it («طلبك رقم REQ-1448-0042»)
    status: str = ""  # the case's new status
    date: str = ""  # the date a reminder is about
    text: str = ""  # the words a template carries, when not the whole message (an announcement's)


@dataclass(frozen=True, slots=True)
class Say:
    """A new message."""

    chat_id: int
    text: str
    markup: Markup | None = None
    quote: int | None = None  # the message in the same chat it answers (kept if that one is gone)
    topic: int | None = None  # a forum topic of the chat (a contact officer's topic)
    notice: Notice | None = None  # what it tells, outside WhatsApp's window (a template)


@dataclass(frozen=True, slots=True)
class Edit:
    """Change a message we sent, in place: its text and buttons, or (``text`` None) only its
    buttons."""

    chat_id: int
    message_id: int
    text: str | None
    markup: Buttons | None = None


@dataclass(frozen=True, slots=True)
class SendFile:
    """A photo or document: a file on disk, bytes we made, or a file the channel already holds."""

    chat_id: int
    kind: str  # "photo" or "document"
    path: Path | None = None
    data: bytes | None = None
    name: str | None = None  # with ``data``: the file name shown
    file_id: str | None = None
    caption: str | None = None
    quote: int | None = None
    markup: Markup | None = None  # buttons under the file (an announcement's opt-out)
    notice: Notice | None = None  # as ``Say.notice``


@dataclass(frozen=True, slots=True)
class Album:
    """Several photos or documents the channel already holds, as one group: (file id, caption)."""

    chat_id: int
    kind: str  # "photo" or "document"
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Copy:
    """A received message (a photo, a voice note …) passed on to another chat, with a new
    caption."""

    chat_id: int
    from_chat_id: int
    message_id: int
    caption: str | None = None
    quote: int | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    """Take back a message we sent (a channel may allow it only for a while)."""

    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class Leave:
    """Leave a group the bot was added to."""

    chat_id: int


Outgoing = Say | Edit | SendFile | Album | Copy | Delete | Leave
