"""The WhatsApp adapter's outbound half: a neutral message → a Graph ``/messages`` call, within
WhatsApp's limits.

No HTML on WhatsApp: ``<b>`` → ``*bold*``, ``<i>`` → ``_italic_``, ``<code>`` → a monospace
block, a link → its text and address. Choices: up to 3 as reply buttons (titles ≤ 20 characters), more
as a list message (rows ≤ 24 characters, the rest of a label as the row's description), more
than 10 as several lists (``parts``); a link button goes into the text. A text over 4,096
characters goes in several messages. An ``AskFor`` contact becomes one reply button that sends
the person's own number (``SELF_CONTACT``); a location, the question itself. WhatsApp cannot
edit or delete a message: an edit is said again as a new message, a removal is skipped. A file
with buttons (an announcement's photo and its 🔕) goes as the file, then the buttons under "⬆️".

A message's ``Notice`` (what it tells: a status change, a reminder …) rides along as
``$notice``, for ``wa_graph`` to choose the template when the 24-hour window is closed; the
second and later calls of one message carry ``$part`` (the template said it all already).
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.channels.whatsapp.wa_adapter import MEDIA_PREFIX, SELF_CONTACT
from bot.engine.keyboards import AskFor, Buttons
from bot.engine.messages import (
    Album,
    Copy,
    Delete,
    Edit,
    Leave,
    Notice,
    Outgoing,
    Say,
    SendFile,
)
from bot.engine.outbox import FILES_KEY, INLINE_KEY
from bot.i18n import N_, translator

JSON = dict[str, Any]
SEND = "messages"  # POST {base}/{phone_number_id}/messages
NOTHING = "noop"  # what WhatsApp cannot do (delete, leave): nothing is sent
MAX_TEXT = 4096
MAX_BODY = 1024  # an interactive message's body
MAX_CAPTION = 1024
MAX_BUTTONS, MAX_BUTTON_TITLE = 3, 20
MAX_ROWS, MAX_ROW_TITLE, MAX_ROW_DESCRIPTION = 10, 24, 72
ROWS_KEY = "$rows"  # every row of a long list: ``parts`` sends them ten at a time
OWN_NUMBER = "$own_number"  # show the recipient's own number under the question (never stored)
NOTICE_KEY = "$notice"  # what the message tells (``Notice``), for a template outside the window
PART_KEY = "$part"  # the second and later calls of one message
CHOICES_KEY = "$choices"  # [id, label] of every button of the message (a template's quick replies)
BUTTONS_AFTER = "$buttons_after"  # a file's buttons, sent under it as their own message
LIST_BUTTON = N_("Options")  # the button that opens a list message

_TAGS = [(re.compile(r"</?b>"), "*"), (re.compile(r"</?i>"), "_"), (re.compile(r"</?code>"), "```")]
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_ANY_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def to_whatsapp(text: str) -> str:
    """The neutral HTML subset as WhatsApp's own formatting, entities unescaped."""
    text = _LINK.sub(
        lambda m: (
            m.group(2)
            if m.group(2) == m.group(1)
            else f"{m.group(2)} ({html.unescape(m.group(1))})"
        ),
        text,
    )
    for pattern, mark in _TAGS:
        text = pattern.sub(mark, text)
    return html.unescape(_ANY_TAG.sub("", text))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _choices(markup: Buttons) -> tuple[list[tuple[str, str]], list[str]]:
    """(id, label) of each action button, and the links (as text lines)."""
    actions, links = [], []
    for row in markup.rows:
        for b in row:
            if b.action:
                actions.append((b.action, b.label))
            elif b.url:
                links.append(f"{b.label}: {b.url}")
    return actions, links


def text_message(chat_id: int, text: str, markup: Any = None) -> JSON:
    body = to_whatsapp(text)
    if isinstance(markup, AskFor):
        if markup.what == "contact":  # the number itself is shown at send time (OWN_NUMBER)
            return {**_buttons(chat_id, body, [(SELF_CONTACT, markup.label)]), OWN_NUMBER: True}
        return {"chat_id": chat_id, "type": "text", "text": {"body": f"{body}\n\n{markup.label}"}}
    if isinstance(markup, Buttons):
        actions, links = _choices(markup)
        if links:
            body = body + "\n\n" + "\n".join(links)
        if actions and len(body) <= MAX_BODY:
            fits = all(len(label) <= MAX_BUTTON_TITLE for _, label in actions)
            if len(actions) <= MAX_BUTTONS and fits:
                return _buttons(chat_id, body, actions)
            return _list(chat_id, body, actions)
        if actions:  # a body too long for an interactive message: the text, then the choices
            return {
                "chat_id": chat_id,
                "type": "text",
                "text": {"body": body},
                ROWS_KEY: _rows(actions),
                "$list_body": "⬇️",
            }
    return {"chat_id": chat_id, "type": "text", "text": {"body": body, "preview_url": False}}


def _buttons(chat_id: int, body: str, actions: list[tuple[str, str]]) -> JSON:
    return {
        "chat_id": chat_id,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": body},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": data, "title": _cut(label, MAX_BUTTON_TITLE)}}
                    for data, label in actions
                ]
            },
        },
    }


def _rows(actions: list[tuple[str, str]]) -> list[JSON]:
    rows = []
    for data, label in actions:
        row: JSON = {"id": data, "title": _cut(label, MAX_ROW_TITLE)}
        if len(label) > MAX_ROW_TITLE:
            row["description"] = _cut(label, MAX_ROW_DESCRIPTION)
        rows.append(row)
    return rows


def list_button(body: str) -> str:
    """The list's button, in the language of the text above it (Arabic unless it has none)."""
    arabic = any("\u0600" <= c <= "\u06ff" for c in body)
    return translator("ar" if arabic or not body.strip() else "en").gettext(LIST_BUTTON)


def _list(chat_id: int, body: str, actions: list[tuple[str, str]]) -> JSON:
    return {
        "chat_id": chat_id,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {"button": list_button(body), "sections": [{"rows": []}]},
        },
        ROWS_KEY: _rows(actions),
    }


def _media(chat_id: int, kind: str, caption: str | None) -> JSON:
    wa_kind = "image" if kind == "photo" else "document"
    media: JSON = {}
    if caption:
        media["caption"] = _cut(to_whatsapp(caption), MAX_CAPTION)
    return {"chat_id": chat_id, "type": wa_kind, wa_kind: media}


def _with_notice(payload: JSON, notice: Notice | None) -> JSON:
    if notice is not None:
        payload[NOTICE_KEY] = {
            "kind": notice.kind,
            "reference": notice.reference,
            "case": notice.case,
            "status": notice.status,
            "date": notice.date,
            "text": notice.text,
        }
    return payload


def render(message: Outgoing) -> tuple[str, JSON]:
    method, payload = _render(message)
    markup = getattr(message, "markup", None)
    if method == SEND and isinstance(markup, Buttons):
        actions, _ = _choices(markup)
        if actions:
            payload[CHOICES_KEY] = [[data, label] for data, label in actions]
    return method, _with_notice(payload, getattr(message, "notice", None))


def _render(message: Outgoing) -> tuple[str, JSON]:
    if isinstance(message, Say):
        return SEND, text_message(message.chat_id, message.text, message.markup)
    if isinstance(message, Edit):
        if message.text is None:
            return NOTHING, {"chat_id": message.chat_id}  # buttons cannot be taken back
        return SEND, text_message(message.chat_id, message.text, message.markup)
    if isinstance(message, SendFile):
        payload = _media(message.chat_id, message.kind, message.caption)
        wa_kind = payload["type"]
        if message.path is not None:
            payload[FILES_KEY] = {wa_kind: str(message.path)}
        elif message.data is not None:
            import base64

            payload[INLINE_KEY] = {
                wa_kind: {
                    "name": message.name or "file",
                    "b64": base64.b64encode(message.data).decode(),
                }
            }
        else:
            payload[wa_kind]["id"] = media_id(message.file_id or "")
        if wa_kind == "document" and (message.name or message.path):
            name = message.name or (message.path.name if message.path else "file")
            payload[wa_kind]["filename"] = name
        if isinstance(message.markup, Buttons):
            actions, _ = _choices(message.markup)
            if actions:
                payload[BUTTONS_AFTER] = [[data, label] for data, label in actions]
        return SEND, payload
    if isinstance(message, Album):
        return SEND, {
            **_media(message.chat_id, message.kind, None),
            "$album": [[file_id, caption] for file_id, caption in message.items],
        }
    if isinstance(message, Copy):  # a Telegram message cannot be copied here: its caption
        return SEND, text_message(message.chat_id, message.caption or "…")
    if isinstance(message, (Delete, Leave)):
        return NOTHING, {"chat_id": message.chat_id}
    raise TypeError(f"not an outgoing message: {message!r}")


def media_id(file_id: str) -> str:
    return file_id.removeprefix(MEDIA_PREFIX)


def parts(method: str, payload: JSON) -> list[tuple[str, JSON]]:
    """The calls that deliver one stored row within WhatsApp's limits."""
    if method != SEND:
        return [(method, payload)]
    payload = dict(payload)
    first = {k: payload.pop(k) for k in (NOTICE_KEY, CHOICES_KEY) if k in payload}
    calls = _parts(payload)
    for index, (_, call) in enumerate(calls):
        if index:
            call[PART_KEY] = index
        else:
            call.update(first)
    return calls


def _parts(payload: JSON) -> list[tuple[str, JSON]]:
    album = payload.pop("$album", None)
    after = payload.pop(BUTTONS_AFTER, None)
    if after:
        buttons = [(str(data), str(label)) for data, label in after]
        follow = (
            _buttons(payload["chat_id"], "⬆️", buttons)
            if len(buttons) <= MAX_BUTTONS
            else _list(payload["chat_id"], "⬆️", buttons)
        )
        return [(SEND, payload), *_parts(follow)]
    if album is not None:
        kind = payload["type"]
        sends: list[tuple[str, JSON]] = []
        for file_id, caption in album:
            media = {"id": media_id(file_id)}
            if caption:
                media["caption"] = _cut(to_whatsapp(caption), MAX_CAPTION)
            sends.append((SEND, {**payload, kind: media}))
        return sends
    rows = payload.pop(ROWS_KEY, None)
    list_body = payload.pop("$list_body", None)
    calls: list[tuple[str, JSON]] = []
    if payload["type"] == "text":
        body = payload["text"]["body"]
        for piece in split_text(body):
            calls.append((SEND, {**payload, "text": {**payload["text"], "body": piece}}))
        if rows:
            calls += _lists(payload["chat_id"], list_body or "⬇️", rows)
        return calls
    if rows is not None:
        return _lists(payload["chat_id"], payload["interactive"]["body"]["text"], rows)
    return [(SEND, payload)]


def _lists(chat_id: int, body: str, rows: list[JSON]) -> list[tuple[str, JSON]]:
    pages = [rows[i : i + MAX_ROWS] for i in range(0, len(rows), MAX_ROWS)]
    calls = []
    for n, page in enumerate(pages):
        text = body if n == 0 else f"({n + 1}/{len(pages)})"
        calls.append(
            (
                SEND,
                {
                    "chat_id": chat_id,
                    "type": "interactive",
                    "interactive": {
                        "type": "list",
                        "body": {"text": text},
                        "action": {"button": list_button(body), "sections": [{"rows": page}]},
                    },
                },
            )
        )
    return calls


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """A long text in pieces of at most ``limit`` characters, cut at a line or word boundary."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text or not pieces else pieces
