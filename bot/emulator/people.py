"""What people do in a bot's world: messages, presses, media, contacts, polls (see
:mod:`bot.emulator.world`). Each action returns the object Telegram would put in the update."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import markup
from .files import media_object
from .formatting import command_entities
from .state import JSON

if TYPE_CHECKING:
    from .delivery import UpdateQueue
    from .files import FileStore
    from .state import ChatRecord, StoredMessage, UserRecord

RIYADH = (24.7136, 46.6753)
"""Where a ``request_location`` keyboard button says the person is."""
DEMO_PHONE = "+966500000000"
_STICKER_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8 "


@dataclass(slots=True)
class _Query:
    chat_id: int
    message_id: int
    answered: bool = False


class PeopleActions:
    """The actions of :class:`~bot.emulator.world.BotHandle`'s people (a mixin of it: the
    state, ``_post``, ``_emit`` and the other internals are the handle's)."""

    if TYPE_CHECKING:  # the handle's, as the type checker should see them here
        me: UserRecord
        files: FileStore
        updates: UpdateQueue
        _queries: dict[str, _Query]
        _query_ids: Iterator[int]
        _post: Callable[..., JSON]
        _emit: Callable[..., JSON]
        _person: Callable[[int], UserRecord]
        _group: Callable[[int], ChatRecord]
        _chat_of: Callable[[UserRecord, int | None], ChatRecord]
        _existing: Callable[..., StoredMessage]
        _captioned: Callable[[JSON, str | None], JSON]
        _new_message: Callable[..., StoredMessage]
        _touch: Callable[[], None]
        next_media_group_id: Callable[[], str]

    def send_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """A text message; ``/commands`` get ``bot_command`` entities like in Telegram."""
        content: JSON = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        return self._post(user_id, chat_id, content, reply_to_message_id, message_thread_id)

    def edit_text(
        self, user_id: int, message_id: int, new_text: str, chat_id: int | None = None
    ) -> JSON:
        """The person edits one of their text messages (an edited_message update)."""
        chat = self._chat_of(self._person(user_id), chat_id)
        stored = self._existing(chat, message_id)
        if stored.from_bot or stored.api.get("from", {}).get("id") != user_id:
            raise PermissionError(f"message {message_id} was not sent by user {user_id}")
        stored.edits.append(stored.snapshot())
        stored.api = {key: value for key, value in stored.api.items() if key != "entities"} | {
            "text": new_text,
            "edit_date": int(time.time()),
        }
        if entities := command_entities(new_text):
            stored.api["entities"] = entities
        self._emit("edited_message", stored.api, chat)
        return stored.api

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str,
        chat_id: int | None = None,
        strict: bool = True,
    ) -> JSON:
        """Press an inline button: a callback_query update carrying the message.

        With ``strict`` the message must have a button with this ``callback_data``.
        """
        user = self._person(user_id)
        chat = self._chat_of(user, chat_id)
        stored = self._existing(chat, message_id)
        if strict and data not in [d for _, d in markup.buttons(stored.view())]:
            raise LookupError(f"message {message_id} has no button with callback_data {data!r}")
        query_id = str(next(self._query_ids))
        self._queries[query_id] = _Query(chat.id, message_id)
        query = {
            "id": query_id,
            "from": user.api(),
            "message": dict(stored.api),
            "chat_instance": str((chat.id * 7919 + self.me.id) & 0x7FFFFFFFFFFFFFFF),
            "data": data,
        }
        self._emit("callback_query", query, chat)
        return query

    def send_photo(
        self,
        user_id: int,
        data: bytes,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """A photo (with the scaled sizes Telegram adds)."""
        photo = self.files.add(data, "photo", mime_type="image/jpeg")
        content = self._captioned({"photo": self.files.photo_sizes(photo)}, caption)
        return self._post(user_id, chat_id, content, reply_to_message_id, message_thread_id)

    def send_album(
        self,
        user_id: int,
        photos: Sequence[bytes],
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> list[JSON]:
        """Several photos sent together: one update each, sharing a media_group_id."""
        group_id = self.next_media_group_id()
        messages = []
        for index, data in enumerate(photos):
            photo = self.files.add(data, "photo", mime_type="image/jpeg")
            content = {"media_group_id": group_id, "photo": self.files.photo_sizes(photo)}
            messages.append(
                self._post(
                    user_id, chat_id, self._captioned(content, caption if index == 0 else None)
                )
            )
        return messages

    def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
        message_thread_id: int | None = None,
    ) -> JSON:
        """A file sent as a document."""
        document = self.files.add(data, "document", file_name, mime_type)
        content = self._captioned({"document": media_object(document)}, caption)
        return self._post(user_id, chat_id, content, reply_to_message_id, message_thread_id)

    def send_voice(
        self,
        user_id: int,
        data: bytes,
        duration: int = 1,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """A voice note (OGG/Opus)."""
        voice = self.files.add(data, "voice", mime_type="audio/ogg")
        content = self._captioned({"voice": media_object(voice, duration=duration)}, caption)
        return self._post(user_id, chat_id, content, reply_to_message_id)

    def send_animation(
        self,
        user_id: int,
        data: bytes,
        file_name: str = "animation.mp4",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """A GIF/MP4 animation (Telegram also fills ``document`` for it)."""
        animation = self.files.add(data, "animation", file_name, "video/mp4")
        document = {
            key: value
            for key, value in media_object(animation).items()
            if key not in ("width", "height", "duration")
        }
        content = {"animation": media_object(animation), "document": document}
        return self._post(user_id, chat_id, self._captioned(content, caption))

    def send_video_note(
        self, user_id: int, data: bytes, duration: int = 1, chat_id: int | None = None
    ) -> JSON:
        """A round video message."""
        note = self.files.add(data, "video_note", mime_type="video/mp4")
        return self._post(user_id, chat_id, {"video_note": media_object(note, duration=duration)})

    def send_sticker(
        self,
        user_id: int,
        emoji: str = "👍",
        data: bytes = _STICKER_BYTES,
        chat_id: int | None = None,
    ) -> JSON:
        """A sticker."""
        sticker = self.files.add(data, "sticker", mime_type="image/webp")
        return self._post(user_id, chat_id, {"sticker": media_object(sticker, emoji=emoji)})

    def send_contact(
        self,
        user_id: int,
        phone_number: str,
        first_name: str,
        contact_user_id: int | None = None,
        last_name: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        """A shared contact (``contact_user_id`` set when it is a Telegram user's own)."""
        contact: JSON = {"phone_number": phone_number, "first_name": first_name}
        if last_name:
            contact["last_name"] = last_name
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        return self._post(user_id, chat_id, {"contact": contact})

    def send_location(
        self, user_id: int, latitude: float, longitude: float, chat_id: int | None = None
    ) -> JSON:
        """A shared location."""
        return self._post(
            user_id, chat_id, {"location": {"latitude": latitude, "longitude": longitude}}
        )

    def send_venue(
        self,
        user_id: int,
        latitude: float,
        longitude: float,
        title: str,
        address: str,
        chat_id: int | None = None,
    ) -> JSON:
        """A venue (Telegram sends its location too)."""
        location = {"latitude": latitude, "longitude": longitude}
        venue = {"location": location, "title": title, "address": address}
        return self._post(user_id, chat_id, {"venue": venue, "location": location})

    def send_dice(
        self, user_id: int, emoji: str = "🎲", value: int = 6, chat_id: int | None = None
    ) -> JSON:
        """A dice throw."""
        return self._post(user_id, chat_id, {"dice": {"emoji": emoji, "value": value}})

    def send_poll(
        self, user_id: int, question: str, options: Sequence[str], chat_id: int | None = None
    ) -> JSON:
        """A regular anonymous poll."""
        poll = {
            "id": str(next(self._query_ids)),
            "question": question,
            "options": [
                {"text": option, "voter_count": 0, "persistent_id": str(index)}
                for index, option in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }
        return self._post(user_id, chat_id, {"poll": poll})

    def channel_post(self, chat_id: int, text: str) -> JSON:
        """A post in a channel (a channel_post update, from the channel itself)."""
        chat = self._group(chat_id)
        stored = self._new_message(chat, None, {"text": text}, from_bot=False)
        self._emit("channel_post", stored.api, chat)
        return stored.api

    def tap_keyboard(
        self,
        user_id: int,
        text_contains: str,
        chat_id: int | None = None,
        phone_number: str = DEMO_PHONE,
    ) -> JSON:
        """Tap a button of the reply keyboard the bot shows in this chat: it sends its text,
        or the person's own contact (request_contact), or a location in Riyadh
        (request_location)."""
        user = self._person(user_id)
        chat = self._chat_of(user, chat_id)
        shown = [
            button for row in (chat.reply_keyboard or {}).get("keyboard", []) for button in row
        ]
        button = next(
            (b for b in shown if b["text"] == text_contains),
            next((b for b in shown if text_contains in b["text"]), None),
        )
        if button is None:
            labels = [b["text"] for b in shown]
            raise LookupError(f"no keyboard button containing {text_contains!r}; shown: {labels}")
        if button.get("request_contact"):
            return self.send_contact(
                user_id, phone_number, user.first_name, user_id, user.last_name, chat_id
            )
        if button.get("request_location"):
            return self.send_location(user_id, *RIYADH, chat_id=chat_id)
        return self.send_text(user_id, button["text"], chat_id)

    def share_contact_from_keyboard(
        self, user_id: int, phone_number: str = DEMO_PHONE, chat_id: int | None = None
    ) -> JSON:
        """Tap the reply keyboard's request_contact button."""
        chat = self._chat_of(self._person(user_id), chat_id)
        for row in (chat.reply_keyboard or {}).get("keyboard", []):
            for button in row:
                if button.get("request_contact"):
                    return self.tap_keyboard(user_id, button["text"], chat_id, phone_number)
        raise LookupError(f"chat {chat.id} shows no request_contact button")

    def push_raw_update(self, update: JSON) -> JSON:
        """Queue any update as given (an ``update_id`` is added if missing)."""
        if "update_id" in update:
            self.updates.push_numbered(update)
        else:
            update = self.updates.push(update)
        self._touch()
        return update
