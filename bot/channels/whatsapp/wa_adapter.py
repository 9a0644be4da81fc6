"""The WhatsApp adapter's inbound half: one message of a webhook notification → an ``Event``.

The webhook (``wa_webhook``) splits a notification into one stored update per message:
``{"update_id", "channel": "whatsapp", "message": {...}, "contact": {"wa_id", "profile"}}``.
WhatsApp has no commands: a few words stand for them («القائمة» → /menu, «طلباتي» → /status,
«إلغاء» → /cancel); a typed ``/start`` still works. A button or list choice is a ``Kind.ACTION``
whose action is the button's id (``bot.engine.keyboards.cb``), and so is a template's quick
reply (its payload); a few words stand for a button too («إيقاف الإعلانات»: the announcements'
🔕). The one-tap "use this number" reply (``SELF_CONTACT``) is the person's own contact. The
message's ``timestamp`` becomes ``Event.sent_at``: the 24-hour window runs from it.
"""

from __future__ import annotations

from typing import Any

from bot.channels.whatsapp.wa_identity import chat_id_for, message_id_for
from bot.engine.events import Attachment, Contact, Event, Kind, stored_text
from bot.engine.keyboards import cb, parse_cb
from bot.engine.namespaces import NS
from storage.crypto import Vault

JSON = dict[str, Any]
CHANNEL = "whatsapp"
MEDIA_PREFIX = "wa:"  # a WhatsApp media id as the engine keeps it (so no channel mistakes it)
SELF_CONTACT = "$contact"  # the id of the reply button that offers the sender's own number

# words that stand for commands (normalised: no tatweel, alef forms folded, lower case)
WORDS = {
    "القائمه": "menu",
    "القائمة": "menu",
    "قائمه": "menu",
    "قائمة": "menu",
    "menu": "menu",
    "طلباتي": "status",
    "حالة طلبي": "status",
    "status": "status",
    "الغاء": "cancel",
    "إلغاء": "cancel",
    "cancel": "cancel",
    "مساعده": "help",
    "مساعدة": "help",
    "help": "help",
    "ابدا": "start",
    "ابدأ": "start",
    "start": "start",
}
# words that stand for a button (normalised the same way, emoji dropped)
ACTION_WORDS = {
    "ايقاف الاعلانات": cb(NS.NOTICES, "off"),
    "الغاء الاعلانات": cb(NS.NOTICES, "off"),
    "stop announcements": cb(NS.NOTICES, "off"),
}
_MEDIA = {
    "image": "photo",
    "document": "document",
    "audio": "audio",
    "voice": "voice",
    "video": "video",
}


def _normal(text: str) -> str:
    word = " ".join(text.replace("ـ", "").split()).strip().lower()
    return word.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا")


def word_command(text: str) -> str | None:
    word = _normal(text)
    return WORDS.get(word) or WORDS.get(word.replace("ة", "ه"))


def word_action(text: str) -> str | None:
    """The button a few words stand for (``cb`` data), emoji and punctuation aside."""
    letters = "".join(c for c in text if c.isalnum() or c.isspace())
    return ACTION_WORDS.get(_normal(letters)) if len(letters) < 40 else None


def _sent_at(message: JSON) -> float | None:
    try:
        return float(message["timestamp"])
    except (KeyError, TypeError, ValueError):
        return None


def wa_id_of(raw: JSON) -> str:
    message = raw.get("message") or {}
    return str(message.get("from") or (raw.get("contact") or {}).get("wa_id") or "")


def parse_message(raw: JSON, vault: Vault) -> Event:
    message = raw["message"]
    if not isinstance(message, dict) or "id" not in message or "from" not in message:
        raise ValueError("a WhatsApp message without id or sender")
    wa_id = wa_id_of(raw)
    chat_id = chat_id_for(vault, wa_id)
    profile = (raw.get("contact") or {}).get("profile") or {}
    name = stored_text(str(profile.get("name") or "")) or ""
    event = Event(
        int(raw["update_id"]),
        Kind.OTHER,
        chat_id=chat_id,
        chat_type="private",
        user_id=chat_id,
        user_name=name,
        first_name=name.split(" ")[0] if name else "",
        language_code="ar",
        message_id=message_id_for(str(message["id"])),
        channel=CHANNEL,
        address=wa_id,
        sent_at=_sent_at(message),
    )
    context = message.get("context")
    if isinstance(context, dict) and context.get("id"):
        event.reply_to_message_id = message_id_for(str(context["id"]))
        event.reply_to_is_bot = True  # a person can only quote our messages or their own
    kind = message.get("type")
    if kind == "text":
        text = stored_text(str((message.get("text") or {}).get("body") or "")) or ""
        event.text = text
        event.message_has_text = True
        command = word_command(text)
        action = None if command else word_action(text)
        if action is not None:  # typed words for a button: as if it were pressed
            event.kind, event.action = Kind.ACTION, parse_cb(action)
            return event
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            command, event.command_args = head.lower(), rest.strip()
        if command:
            event.kind, event.command = Kind.COMMAND, command
        else:
            event.kind = Kind.TEXT
        return event
    if kind in ("interactive", "button"):
        reply = message.get("interactive") or {}
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        data = str(chosen.get("id") or (message.get("button") or {}).get("payload") or "")
        if data == SELF_CONTACT:
            event.kind = Kind.CONTACT
            event.contact = Contact("+" + wa_id.lstrip("+"), chat_id)
            return event
        event.kind = Kind.ACTION
        event.message_id = event.reply_to_message_id  # the message under which it was chosen
        event.reply_to_message_id = None
        event.action = parse_cb(data) if data.isascii() and data.isprintable() else None
        return event
    if kind in _MEDIA:
        media = message.get(kind) or {}
        event.file = Attachment(
            _MEDIA[kind],
            MEDIA_PREFIX + str(media.get("id") or ""),
            media.get("sha256"),
            None,
            media.get("mime_type"),
            stored_text(media.get("filename")),
        )
        event.caption = stored_text(media.get("caption"))
        event.kind = (
            Kind.FILE
            if kind in ("image", "document")
            else Kind.VOICE
            if kind in ("audio", "voice")
            else Kind.OTHER
        )
        return event
    if kind == "location":
        where = message.get("location") or {}
        event.location = (float(where["latitude"]), float(where["longitude"]))
        event.kind = Kind.LOCATION
        return event
    if kind == "contacts":
        cards = message.get("contacts") or []
        phones = (cards[0].get("phones") or []) if cards and isinstance(cards[0], dict) else []
        if phones:
            phone = phones[0]
            own = str(phone.get("wa_id") or "") == wa_id
            event.contact = Contact(
                str(phone.get("phone") or phone.get("wa_id") or ""), chat_id if own else None
            )
            event.kind = Kind.CONTACT
        return event
    return event  # sticker, reaction, unsupported …: OTHER, answered politely by the fallback
