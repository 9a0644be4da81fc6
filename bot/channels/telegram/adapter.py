"""The Telegram adapter: a raw Bot API update in, an ``Event`` out; a neutral message in, a Bot
API call (method and payload) out.

``parse_update`` reads the update's JSON as stored by intake, directly (no
``telegram.Update.de_json``: building PTB's object tree cost hundreds of attribute sets per
update, for the few fields handlers read). ``render`` is the one place that knows Telegram's
methods and markups (``sendMessage``, ``inline_keyboard``, ``callback_data``, ``parse_mode``,
``reply_parameters``, ``force_reply`` …); the outbox stores what it returns.
"""

from __future__ import annotations

import base64
from typing import Any

from bot.channels.telegram.file_head import FileHeads
from bot.channels.telegram.staff_auth import MembershipCache
from bot.channels.telegram.transport import call
from bot.engine.events import Attachment, Contact, Event, Kind, stored_text
from bot.engine.keyboards import (
    AskFor,
    Button,
    Buttons,
    ForceReply,
    Markup,
    RemoveKeyboard,
    parse_cb,
)
from bot.engine.messages import Album, Copy, Delete, Edit, Leave, Outgoing, Say, SendFile
from bot.engine.outbox import FILES_KEY, INLINE_KEY

JSON = dict[str, Any]
_OTHER_CHATS = (
    "channel_post",
    "edited_channel_post",
    "chat_member",
    "chat_join_request",
    "message_reaction",
    "business_message",
)
_MEDIA = ("document", "video", "voice", "audio", "video_note")  # after "photo", in this order
_VOICE = frozenset({"voice", "audio", "video_note"})


def command_of(text: str | None, bot_username: str) -> tuple[str, str] | None:
    """``/start@MyBot payload`` → ("start", "payload"); None when not a command for us."""
    if not text or not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    name, _, target = head.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name.lower(), rest.strip()


# -- in ----------------------------------------------------------------------------------------
_CHAT_PATHS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
)


def chat_key(raw: dict[str, Any]) -> int | str:
    """The chat an update belongs to, so that one chat's updates keep their order."""
    for key in _CHAT_PATHS:
        if isinstance(raw.get(key), dict):
            chat = raw[key].get("chat") or {}
            if "id" in chat:
                return chat["id"]
    callback = raw.get("callback_query")
    if isinstance(callback, dict):
        message = callback.get("message") or {}
        if isinstance(message.get("chat"), dict):
            return message["chat"].get("id", 0)
        return (callback.get("from") or {}).get("id", 0)
    for key in ("my_chat_member", "chat_member", "chat_join_request"):
        if isinstance(raw.get(key), dict):
            return (raw[key].get("chat") or {}).get("id", 0)
    return f"update:{raw.get('update_id')}"


class Malformed(ValueError):
    """An update that breaks the Bot API's own schema (a field it always sends is missing)."""


# the fields the Bot API always sends, for the objects we read or pass by (a light check: an
# update without them did not come from Telegram, and is recorded as unparseable)
_REQUIRED = {
    "message": ("message_id", "date", "chat"),
    "chat": ("id", "type"),
    "user": ("id", "is_bot", "first_name"),
    "callback_query": ("id", "from", "chat_instance"),
    "chat_member_updated": ("chat", "from", "date", "old_chat_member", "new_chat_member"),
    "poll": (
        "id",
        "question",
        "options",
        "total_voter_count",
        "is_closed",
        "is_anonymous",
        "type",
        "allows_multiple_answers",
    ),
}
_MESSAGE_KEYS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
)
_KNOWN_KEYS = (
    *_MESSAGE_KEYS,
    "callback_query",
    "my_chat_member",
    "chat_member",
    "poll",
    "poll_answer",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "chat_join_request",
    "message_reaction",
    "message_reaction_count",
    "chat_boost",
    "removed_chat_boost",
)


def _check(obj: Any, kind: str) -> JSON:
    if not isinstance(obj, dict):
        raise Malformed(f"{kind} is not an object")
    missing = [key for key in _REQUIRED[kind] if key not in obj]
    if missing:
        raise Malformed(f"{kind} without {', '.join(missing)}")
    return obj


def _check_message(message: Any) -> None:
    _check(message, "message")
    _check(message["chat"], "chat")
    if "from" in message:
        _check(message["from"], "user")
    if "poll" in message:
        _check(message["poll"], "poll")
    if "reply_to_message" in message:
        _check_message(message["reply_to_message"])


def validate_update(raw: JSON) -> None:
    """Raise ``Malformed`` when ``raw`` breaks the schema where we look (see ``_REQUIRED``)."""
    for key in _KNOWN_KEYS:
        if key in raw and not isinstance(raw[key], dict):
            raise Malformed(f"{key} is not an object")
    for key in _MESSAGE_KEYS:
        if key in raw:
            _check_message(raw[key])
    if "callback_query" in raw:
        query = _check(raw["callback_query"], "callback_query")
        _check(query["from"], "user")
        if isinstance(query.get("message"), dict):
            _check_message(query["message"])
    for key in ("my_chat_member", "chat_member"):
        if key in raw:
            change = _check(raw[key], "chat_member_updated")
            _check(change["chat"], "chat")
            _check(change["from"], "user")
    if "poll" in raw:
        _check(raw["poll"], "poll")


def parse_update(raw: JSON, bot_username: str = "") -> Event:
    """One stored update as an ``Event``. Raises on a malformed one (the dispatcher records it)."""
    validate_update(raw)
    update_id = int(raw.get("update_id") or 0)
    change = raw.get("my_chat_member")
    if isinstance(change, dict):
        event = Event(update_id, Kind.MEMBER)
        _chat(event, change["chat"])
        _sender(event, change.get("from"))
        event.member_status = (change.get("new_chat_member") or {}).get("status")
        return event
    query = raw.get("callback_query")
    if isinstance(query, dict):
        event = Event(update_id, Kind.ACTION, callback_id=str(query["id"]))
        _sender(event, query["from"])
        message = query.get("message")
        if isinstance(message, dict):
            _chat(event, message["chat"])
            event.message_id = message.get("message_id")
            event.message_has_text = message.get("text") is not None
        data = query.get("data")
        # every button we make carries ASCII ids (bot.engine.keyboards.cb): anything else is forged
        event.action = (
            parse_cb(data)
            if isinstance(data, str) and data.isascii() and data.isprintable()
            else None
        )
        return event
    for key, edited in (("message", False), ("edited_message", True)):
        message = raw.get(key)
        if isinstance(message, dict):
            return _message(update_id, message, edited, bot_username)
    event = Event(update_id, Kind.OTHER)  # poll answers, inline queries …: nothing to read
    for key in _OTHER_CHATS:
        if isinstance(raw.get(key), dict):
            _chat(event, raw[key].get("chat") or {})
            _sender(event, raw[key].get("from"))
            break
    return event


def _chat(event: Event, chat: JSON) -> None:
    event.chat_id = chat.get("id")
    event.chat_type = chat.get("type")


def _sender(event: Event, user: JSON | None) -> None:
    if not isinstance(user, dict):
        return
    event.user_id = user["id"]
    first, last = stored_text(user.get("first_name")) or "", stored_text(user.get("last_name"))
    event.first_name = first
    event.user_name = f"{first} {last}" if last else first
    event.language_code = user.get("language_code")


def _message(update_id: int, message: JSON, edited: bool, bot_username: str) -> Event:
    event = Event(
        update_id, Kind.EDITED if edited else Kind.OTHER, message_id=message.get("message_id")
    )
    _chat(event, message["chat"])
    _sender(event, message.get("from"))
    text = event.text = stored_text(message.get("text"))
    event.message_has_text = text is not None
    event.caption = stored_text(message.get("caption"))
    event.media_group_id = message.get("media_group_id")
    event.file = _attachment(message)
    location = message.get("location") or (message.get("venue") or {}).get("location")
    if isinstance(location, dict):
        event.location = (location["latitude"], location["longitude"])
    contact = message.get("contact")
    if isinstance(contact, dict):
        event.contact = Contact(contact.get("phone_number") or "", contact.get("user_id"))
    replied = message.get("reply_to_message")
    if isinstance(replied, dict):
        event.reply_to_message_id = replied.get("message_id")
        author = replied.get("from")
        if isinstance(author, dict):
            event.reply_to_user_id = author.get("id")
            event.reply_to_is_bot = bool(author.get("is_bot"))
            event.reply_to_first_name = stored_text(author.get("first_name")) or ""
    if edited:
        return event
    command = command_of(text, bot_username)
    if command is not None:
        event.kind = Kind.COMMAND
        event.command, event.command_args = command
    elif text is not None:
        event.kind = Kind.TEXT
    elif event.contact is not None:
        event.kind = Kind.CONTACT
    elif event.location is not None:
        event.kind = Kind.LOCATION
    elif event.file is not None and event.file.kind in _VOICE:
        event.kind = Kind.VOICE
    elif event.file is not None and event.file.kind in ("photo", "document"):
        event.kind = Kind.FILE
    return event


def _attachment(message: JSON) -> Attachment | None:
    photo = message.get("photo")
    if isinstance(photo, list) and photo:
        size = photo[-1]
        return Attachment(
            "photo",
            size["file_id"],
            size.get("file_unique_id"),
            size.get("file_size"),
            "image/jpeg",
            None,
        )
    for kind in _MEDIA:
        media = message.get(kind)
        if isinstance(media, dict):
            return Attachment(
                kind,
                media["file_id"],
                media.get("file_unique_id"),
                media.get("file_size"),
                media.get("mime_type"),
                stored_text(media.get("file_name")),
            )
    return None


# -- out ---------------------------------------------------------------------------------------
def _button(button: Button) -> JSON:
    if button.url:
        return {"text": button.label, "url": button.url}
    return {"text": button.label, "callback_data": button.action}


def render_markup(markup: Markup) -> JSON:
    if isinstance(markup, Buttons):
        return {"inline_keyboard": [[_button(b) for b in row] for row in markup.rows]}
    if isinstance(markup, AskFor):
        keyboard: JSON = {
            "keyboard": [[{"text": markup.label, f"request_{markup.what}": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
        }
        if markup.placeholder:
            keyboard["input_field_placeholder"] = markup.placeholder[:64]
        return keyboard
    if isinstance(markup, RemoveKeyboard):
        return {"remove_keyboard": True}
    if isinstance(markup, ForceReply):
        return {"force_reply": True, "selective": True}
    raise TypeError(f"not a markup: {markup!r}")


def _quote(message_id: int | None) -> JSON | None:
    """``reply_parameters`` quoting a message (still sent if that message is gone)."""
    return {"message_id": message_id, "allow_sending_without_reply": True} if message_id else None


def _text(payload: JSON, text: str, markup: Markup | None) -> JSON:
    # whole: the sender fits a long text to Telegram's limits when it sends it (bot.engine.outbox)
    payload.update(text=text, parse_mode="HTML", link_preview_options={"is_disabled": True})
    if markup is not None:
        payload["reply_markup"] = render_markup(markup)
    return payload


def render(message: Outgoing) -> tuple[str, JSON]:
    """The Bot API call that delivers ``message``: its method and JSON payload."""
    if isinstance(message, Say):
        payload = _text({"chat_id": message.chat_id}, message.text, message.markup)
        if message.topic:
            payload["message_thread_id"] = message.topic
        if message.quote:
            payload["reply_parameters"] = _quote(message.quote)
        return "sendMessage", payload
    if isinstance(message, Edit):
        target = {"chat_id": message.chat_id, "message_id": message.message_id}
        if message.text is None:
            markup = render_markup(message.markup or Buttons(()))
            return "editMessageReplyMarkup", {**target, "reply_markup": markup}
        return "editMessageText", _text(target, message.text, message.markup)
    if isinstance(message, SendFile):
        payload = {"chat_id": message.chat_id}
        if message.path is not None:
            payload[FILES_KEY] = {message.kind: str(message.path)}
        elif message.data is not None:
            encoded = base64.b64encode(message.data).decode("ascii")
            payload[INLINE_KEY] = {message.kind: {"name": message.name or "file", "b64": encoded}}
        else:
            payload[message.kind] = message.file_id
        if message.caption:
            payload.update(caption=message.caption, parse_mode="HTML")  # fitted at send time
        if message.quote:
            payload["reply_parameters"] = _quote(message.quote)
        if message.markup is not None:
            payload["reply_markup"] = render_markup(message.markup)
        return ("sendPhoto" if message.kind == "photo" else "sendDocument"), payload
    if isinstance(message, Album):
        return "sendMediaGroup", {
            "chat_id": message.chat_id,
            "media": [
                {"type": message.kind, "media": file_id, "caption": caption, "parse_mode": "HTML"}
                for file_id, caption in message.items
            ],
        }
    if isinstance(message, Copy):
        payload = {
            "chat_id": message.chat_id,
            "from_chat_id": message.from_chat_id,
            "message_id": message.message_id,
        }
        if message.caption:
            payload.update(caption=message.caption, parse_mode="HTML")  # fitted at send time
        if message.quote:
            payload["reply_parameters"] = _quote(message.quote)
        return "copyMessage", payload
    if isinstance(message, Delete):
        return "deleteMessage", {"chat_id": message.chat_id, "message_id": message.message_id}
    if isinstance(message, Leave):
        return "leaveChat", {"chat_id": message.chat_id}
    raise TypeError(f"not an outgoing message: {message!r}")


class TelegramChannel:
    """The running bot's channel: parse, render, and the calls made outside the outbox (the
    button press's answer, the staff-membership check, the first bytes of a sent file)."""

    name = "telegram"
    # Telegram re-encodes every photo on its servers: the bytes behind a ``photo`` are its own
    # JPEG, never the sender's file, so reading their head (a getFile and a download per photo)
    # would tell nothing; documents keep the check
    photos_reencoded = True

    def __init__(self, bot: Any, membership: Any = None) -> None:
        self.bot = bot
        self.username = ""  # the bot's @username, known after ``getMe``
        self.membership = membership or MembershipCache(bot)
        self.file_heads = FileHeads()
        self._media: dict[tuple[int, int], tuple[str, str]] = {}  # recent files, for other channels

    def parse(self, raw: JSON) -> Event:
        event = parse_update(raw, self.username)
        if event.file is not None and event.chat_id is not None and event.message_id is not None:
            if len(self._media) > 10_000:
                self._media.clear()
            self._media[(event.chat_id, event.message_id)] = (event.file.kind, event.file.file_id)
        return event

    def owns(self, chat_id: int) -> bool:
        return True  # the default channel: every chat no other channel owns

    def media_of(self, chat_id: int, message_id: int) -> tuple[str, str] | None:
        """A recent message's file (kind, file id): a staff reply's photo copied to a person on
        another channel goes as that file."""
        return self._media.get((chat_id, message_id))

    def chat_key(self, raw: JSON) -> int | str:
        return chat_key(raw)

    def render(self, message: Outgoing) -> tuple[str, JSON]:
        return render(message)

    async def answer_action(
        self, callback_id: str, text: str | None = None, alert: bool = False
    ) -> None:
        payload: JSON = {"callback_query_id": callback_id}
        if text:
            payload["text"] = text
        if alert:
            payload["show_alert"] = True
        await call(self.bot, "answerCallbackQuery", payload)

    async def is_member(self, chat_id: int, user_id: int) -> bool:
        return await self.membership.is_member(chat_id, user_id)

    async def file_head(self, file_id: str) -> bytes | None:
        """The first bytes of a file a person sent (its real type is read from them)."""
        return await self.file_heads.fetch(self.bot, file_id)

    async def close(self) -> None:
        await self.file_heads.close()
