"""The Bot API methods that post or change messages: parameter checks with Telegram's errors,
then changes to a BotHandle.

Each method is ``async (bot, params) -> result`` registered in ``METHODS`` under its lower-case
name (Telegram's method names are case-insensitive); the methods that post no message (updates,
the bot's profile, files and chats) are in :mod:`bot.emulator.chat_methods`, imported here so that
``METHODS`` is complete.
"""

from __future__ import annotations

from . import chat_methods  # noqa: F401 - registers the methods that post no message
from .files import StoredFile, media_object
from .formatting import FormattedText, format_text, utf16_len
from .markup import Markup, inline_part, validate_reply_markup
from .method_table import METHODS, Method, method
from .params import Params, Upload
from .protocol import bad_request
from .state import JSON, ChatRecord, StoredMessage
from .world import BotHandle

MAX_TEXT = 4096
MAX_CAPTION = 1024
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_CONTENT_KEYS = (
    "text",
    "entities",
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "animation",
    "sticker",
    "video_note",
    "contact",
    "location",
    "venue",
    "poll",
    "dice",
    "caption",
    "caption_entities",
)
_MEDIA_KEYS = ("photo", "document", "voice", "audio", "video", "animation")
_IMAGE_MAGIC = (b"\xff\xd8", b"\x89PNG", b"GIF8", b"BM", b"RIFF")


# -- shared checks ----------------------------------------------------------------------------


def _text(
    params: Params, name: str = "text", mode: str = "parse_mode", entities: str = "entities"
) -> tuple[str, FormattedText]:
    raw = params.text(name) or ""
    formatted = format_text(raw, params.text(mode), params.obj(entities))
    if not formatted.text:
        raise bad_request("message text is empty")
    if utf16_len(formatted.text) > MAX_TEXT:
        raise bad_request("message is too long")
    return raw, formatted


def _caption(params: Params) -> tuple[str | None, JSON]:
    """The raw caption and the ``caption``/``caption_entities`` message fields."""
    raw = params.text("caption")
    if not raw:
        return None, {}
    formatted = format_text(raw, params.text("parse_mode"), params.obj("caption_entities"))
    if utf16_len(formatted.text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    fields: JSON = {"caption": formatted.text} if formatted.text else {}
    if formatted.entities:
        fields["caption_entities"] = formatted.entities
    return raw, fields


def _text_fields(formatted: FormattedText) -> JSON:
    return {"text": formatted.text, "entities": formatted.entities or None}


def _markup(params: Params) -> Markup | None:
    value = params.obj("reply_markup")
    return None if value is None else validate_reply_markup(value)


def _inline_markup(params: Params) -> Markup | None:
    value = _markup(params)
    if value is not None and "inline_keyboard" not in value:
        raise bad_request("inline keyboard expected")
    return inline_part(value)


def _reply_target(chat: ChatRecord, params: Params) -> StoredMessage | None:
    reply = params.obj("reply_parameters")
    if isinstance(reply, dict):
        message_id, allow = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
    else:
        message_id = params.integer("reply_to_message_id")
        allow = params.flag("allow_sending_without_reply")
    if message_id is None:
        return None
    stored = chat.history.get(int(message_id))
    if stored is None or stored.deleted:
        if allow:
            return None
        raise bad_request("message to be replied not found")
    return stored


def _deliver(
    bot: BotHandle, chat: ChatRecord, params: Params, content: JSON, raw_text: str | None = None
) -> JSON:
    """Post a bot message with the common send options; return the Message."""
    if params.flag("protect_content"):
        content["has_protected_content"] = True
    content = {key: value for key, value in content.items() if value is not None}
    stored = bot.bot_message(
        chat,
        content,
        raw_text=raw_text,
        parse_mode=params.text("parse_mode"),
        reply_markup=_markup(params),
        reply_to=_reply_target(chat, params),
        thread_id=params.integer("message_thread_id"),
    )
    return stored.api


def _input_file(bot: BotHandle, value: Upload | str | None, kind: str) -> StoredFile:
    """The file to send: a new upload, or a stored file by file_id."""
    if value is None or value == "":
        raise bad_request(f"there is no {kind} in the request")
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        if kind == "photo":
            if not value.data.startswith(_IMAGE_MAGIC):
                raise bad_request("IMAGE_PROCESS_FAILED")
            return bot.files.add(value.data, "photo", mime_type="image/jpeg")
        return bot.files.add(value.data, kind, value.filename, value.content_type)
    if value.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")
    stored = bot.files.require(value)
    if (stored.kind == "photo") != (kind == "photo"):
        raise bad_request("type of file mismatch")
    return stored


def _media_content(bot: BotHandle, stored: StoredFile, kind: str, params: Params) -> JSON:
    """The message fields for a file sent as ``kind`` with the method's extra parameters."""
    if kind == "photo":
        return {"photo": bot.files.photo_sizes(stored)}
    extra: JSON = {}
    if kind in ("voice", "audio", "video", "animation", "video_note"):
        extra["duration"] = params.integer("duration", 1)
    if kind in ("video", "animation"):
        extra.update(width=params.integer("width"), height=params.integer("height"))
    if kind == "audio":
        extra.update(performer=params.text("performer"), title=params.text("title"))
    if kind == "video_note":
        extra["length"] = params.integer("length", 240)
    if kind == "sticker":
        extra["emoji"] = params.text("emoji")
    content = {kind: media_object(stored, kind, **extra)}
    if kind == "animation":
        content["document"] = media_object(stored, "document")
    return content


def _bot_message(chat: ChatRecord, message_id: int, missing: str) -> StoredMessage:
    stored = chat.history.get(message_id)
    if stored is None or stored.deleted:
        raise bad_request(missing)
    return stored


def _editable(bot: BotHandle, params: Params) -> StoredMessage:
    if params.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = bot.chat(params.chat_id())
    stored = _bot_message(chat, params.required_int("message_id"), "message to edit not found")
    if not stored.from_bot:
        raise bad_request("message can't be edited")
    return stored


# -- sending ----------------------------------------------------------------------------------


@method("sendMessage")
async def send_message(bot: BotHandle, params: Params) -> JSON:
    chat = bot.chat_for_send(params.chat_id())
    raw, formatted = _text(params)
    return _deliver(bot, chat, params, _text_fields(formatted), raw)


def _media_method(kind: str) -> Method:
    async def send(bot: BotHandle, params: Params) -> JSON:
        chat = bot.chat_for_send(params.chat_id())
        stored = _input_file(bot, params.file(kind), kind)
        raw_caption, caption = _caption(params)
        return _deliver(
            bot, chat, params, _media_content(bot, stored, kind, params) | caption, raw_caption
        )

    return send


for _kind, _name in (
    ("photo", "sendPhoto"),
    ("document", "sendDocument"),
    ("voice", "sendVoice"),
    ("audio", "sendAudio"),
    ("video", "sendVideo"),
    ("animation", "sendAnimation"),
    ("sticker", "sendSticker"),
    ("video_note", "sendVideoNote"),
):
    method(_name)(_media_method(_kind))


@method("sendMediaGroup")
async def send_media_group(bot: BotHandle, params: Params) -> list[JSON]:
    chat = bot.chat_for_send(params.chat_id())
    media = params.obj("media")
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the album: must be 2-10")
    if not all(
        isinstance(item, dict) and item.get("type") in ("photo", "video", "document", "audio")
        for item in media
    ):
        raise bad_request("can't parse InputMedia JSON object")
    kinds = {item["type"] for item in media}
    if len(kinds) > 1 and kinds & {"document", "audio"}:
        raise bad_request(
            f"{sorted(kinds & {'document', 'audio'})[0]} can't be mixed with other media types"
        )
    group_id = bot.next_media_group_id()
    reply_to = _reply_target(chat, params)
    messages = []
    for item in media:
        kind = item["type"]
        value = item.get("media")
        stored = _input_file(bot, params.attached(value) if isinstance(value, str) else None, kind)
        item_params = Params({key: value for key, value in item.items() if key != "media"})
        raw_caption, caption = _caption(item_params)
        content = (
            {"media_group_id": group_id} | _media_content(bot, stored, kind, item_params) | caption
        )
        message = bot.bot_message(
            chat,
            content,
            raw_text=raw_caption,
            parse_mode=item_params.text("parse_mode"),
            reply_to=reply_to,
            thread_id=params.integer("message_thread_id"),
        )
        messages.append(message.api)
    return messages


@method("sendLocation")
async def send_location(bot: BotHandle, params: Params) -> JSON:
    chat = bot.chat_for_send(params.chat_id())
    latitude, longitude = params.number("latitude"), params.number("longitude")
    if latitude is None or longitude is None:
        raise bad_request("latitude and longitude are required")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong location specified")
    return _deliver(bot, chat, params, {"location": {"latitude": latitude, "longitude": longitude}})


@method("sendContact")
async def send_contact(bot: BotHandle, params: Params) -> JSON:
    chat = bot.chat_for_send(params.chat_id())
    phone, first_name = params.text("phone_number"), params.text("first_name")
    if not phone:
        raise bad_request("phone_number is empty")
    if not first_name:
        raise bad_request("first_name is empty")
    contact = {
        "phone_number": phone,
        "first_name": first_name,
        "last_name": params.text("last_name"),
        "vcard": params.text("vcard"),
    }
    contact = {key: value for key, value in contact.items() if value}
    return _deliver(bot, chat, params, {"contact": contact})


@method("sendChatAction")
async def send_chat_action(bot: BotHandle, params: Params) -> bool:
    bot.chat_for_send(params.chat_id())
    if params.text("action") not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


def _source(bot: BotHandle, params: Params, missing: str) -> StoredMessage:
    chat = bot.chat(params.chat_id("from_chat_id"))
    stored = _bot_message(chat, params.required_int("message_id"), missing)
    if not any(key in stored.api for key in _CONTENT_KEYS):
        raise bad_request("message can't be copied")
    return stored


@method("copyMessage")
async def copy_message(bot: BotHandle, params: Params) -> JSON:
    chat = bot.chat_for_send(params.chat_id())
    source = _source(bot, params, "message to copy not found")
    content = {key: source.api[key] for key in _CONTENT_KEYS if key in source.api}
    raw = source.raw_text if source.from_bot else content.get("text", content.get("caption"))
    if params.has("caption") and "text" not in content:
        content.pop("caption_entities", None)
        raw, caption = _caption(params)
        content |= {"caption": None} | caption
    stored = _deliver(bot, chat, params, content, raw)
    return {"message_id": stored["message_id"]}


@method("forwardMessage")
async def forward_message(bot: BotHandle, params: Params) -> JSON:
    chat = bot.chat_for_send(params.chat_id())
    source = _source(bot, params, "message to forward not found")
    content = {key: source.api[key] for key in _CONTENT_KEYS if key in source.api}
    date = source.api["date"]
    if "from" in source.api:
        origin = {"type": "user", "sender_user": source.api["from"], "date": date}
    else:
        origin = {
            "type": "channel",
            "chat": source.api["sender_chat"],
            "message_id": source.message_id,
            "date": date,
        }
    stored = bot.bot_message(
        chat,
        content | {"forward_origin": origin},
        raw_text=source.raw_text,
        parse_mode=source.parse_mode,
        thread_id=params.integer("message_thread_id"),
    )
    return stored.api


# -- changing messages ------------------------------------------------------------------------


@method("editMessageText")
async def edit_message_text(bot: BotHandle, params: Params) -> JSON:
    stored = _editable(bot, params)
    if "text" not in stored.api:
        raise bad_request("there is no text in the message to edit")
    raw, formatted = _text(params)
    markup = _inline_markup(params)
    if (
        formatted.text == stored.api["text"]
        and formatted.entities == stored.api.get("entities", [])
        and markup == stored.api.get("reply_markup")
    ):
        raise bad_request(_NOT_MODIFIED)
    return bot.edit_bot_message(
        stored,
        _text_fields(formatted),
        reply_markup=markup,
        raw_text=raw,
        parse_mode=params.text("parse_mode"),
    )


@method("editMessageCaption")
async def edit_message_caption(bot: BotHandle, params: Params) -> JSON:
    stored = _editable(bot, params)
    if not any(key in stored.api for key in _MEDIA_KEYS):
        raise bad_request("there is no caption in the message to edit")
    raw, caption = _caption(params)
    markup = _inline_markup(params)
    if (
        caption.get("caption") == stored.api.get("caption")
        and caption.get("caption_entities") == stored.api.get("caption_entities")
        and markup == stored.api.get("reply_markup")
    ):
        raise bad_request(_NOT_MODIFIED)
    changes = {"caption": None, "caption_entities": None} | caption
    return bot.edit_bot_message(
        stored,
        changes,
        reply_markup=markup,
        raw_text=raw or "",
        parse_mode=params.text("parse_mode"),
    )


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(bot: BotHandle, params: Params) -> JSON:
    stored = _editable(bot, params)
    markup = _inline_markup(params)
    if markup == stored.api.get("reply_markup"):
        raise bad_request(_NOT_MODIFIED)
    return bot.edit_bot_message(stored, {}, reply_markup=markup)


def _delete(bot: BotHandle, chat: ChatRecord, message_id: int) -> None:
    stored = _bot_message(chat, message_id, "message to delete not found")
    if (
        not stored.from_bot
        and chat.type != "private"
        and chat.bot_status not in ("administrator", "creator")
    ):
        raise bad_request("message can't be deleted")
    bot.delete(stored)


@method("deleteMessage")
async def delete_message(bot: BotHandle, params: Params) -> bool:
    _delete(bot, bot.chat(params.chat_id()), params.required_int("message_id"))
    return True


@method("deleteMessages")
async def delete_messages(bot: BotHandle, params: Params) -> bool:
    chat = bot.chat(params.chat_id())
    message_ids = params.obj("message_ids")
    if not isinstance(message_ids, list) or not 1 <= len(message_ids) <= 100:
        raise bad_request("message_ids must contain 1-100 identifiers")
    for message_id in message_ids:
        stored = chat.history.get(int(message_id))
        if stored is not None and not stored.deleted:
            _delete(bot, chat, int(message_id))
    return True


@method("answerCallbackQuery")
async def answer_callback_query(bot: BotHandle, params: Params) -> bool:
    query_id = params.text("callback_query_id")
    if not query_id:
        raise bad_request("callback_query_id is empty")
    text = params.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    bot.answer_callback(
        query_id,
        {
            "text": text,
            "show_alert": params.flag("show_alert"),
            "url": params.text("url"),
            "cache_time": params.integer("cache_time", 0),
        },
    )
    return True


__all__ = ["METHODS", "Method", "method"]
