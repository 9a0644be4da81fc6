"""The records the emulator keeps about one bot's world: users, chats, messages, calls."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from .markup import Markup

JSON = dict[str, Any]
MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]
ACTIVE_STATUSES = ("creator", "administrator", "member")
_EDITABLE = ("text", "caption", "entities", "caption_entities", "edit_date")

_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
    "can_manage_topics": False,
}


@dataclass(slots=True)
class UserRecord:
    """A Telegram account (a person, or the bot itself)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ar"
    is_bot: bool = False

    def api(self) -> JSON:
        """The ``User`` object."""
        body: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                body[key] = value
        return body

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


def chat_member(user: UserRecord, status: MemberStatus) -> JSON:
    """The ``ChatMember`` object for ``user`` with ``status``."""
    body: JSON = {"status": status, "user": user.api()}
    if status == "creator":
        body["is_anonymous"] = False
    elif status == "administrator":
        body.update(_ADMIN_RIGHTS)
    elif status == "kicked":
        body["until_date"] = 0
    return body


@dataclass(slots=True)
class StoredMessage:
    """A message in a chat, as the bot sees it (``api``) plus what tests need to know."""

    chat_id: int
    message_id: int
    api: JSON
    from_bot: bool
    sent_at: float = field(default_factory=time.perf_counter)
    raw_text: str | None = None
    parse_mode: str | None = None
    reply_markup: Markup | None = None
    edits: list[JSON] = field(default_factory=list)
    deleted: bool = False

    def view(self) -> JSON:
        """A copy of the Message object with the extra keys ``from_bot``, ``raw_text``,
        ``parse_mode``, ``reply_markup`` (any kind, not only inline), ``edits`` (earlier
        versions), ``deleted`` and ``sent_at`` (``time.perf_counter()``)."""
        return {
            **self.api,
            "from_bot": self.from_bot,
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "edits": list(self.edits),
            "deleted": self.deleted,
            "sent_at": self.sent_at,
        }

    def snapshot(self) -> JSON:
        """The editable content, kept in ``edits`` before an edit replaces it."""
        content = {key: self.api[key] for key in _EDITABLE if key in self.api}
        return content | {
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
        }


@dataclass(slots=True)
class ChatRecord:
    """A private chat, supergroup or channel, with its whole message history."""

    id: int
    type: Literal["private", "supergroup", "channel"]
    title: str | None = None
    username: str | None = None
    user: UserRecord | None = None  # the other side of a private chat
    is_forum: bool = False
    bot_status: MemberStatus = "member"
    members: dict[int, MemberStatus] = field(default_factory=dict)
    history: dict[int, StoredMessage] = field(default_factory=dict)
    bot_messages: list[StoredMessage] = field(default_factory=list)
    reply_keyboard: Markup | None = None
    menu_button: JSON | None = None
    unanswered: deque[tuple[int, str, float]] = field(default_factory=deque)
    next_message_id: int = 1

    def api(self) -> JSON:
        """The short ``Chat`` object embedded in messages."""
        body: JSON = {"id": self.id, "type": self.type}
        if self.user is not None:
            body["first_name"] = self.user.first_name
            if self.user.last_name:
                body["last_name"] = self.user.last_name
            if self.user.username:
                body["username"] = self.user.username
        else:
            body["title"] = self.title
            if self.username:
                body["username"] = self.username
            if self.is_forum:
                body["is_forum"] = True
        return body

    def full_info(self) -> JSON:
        """The ``ChatFullInfo`` object getChat returns."""
        return self.api() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass(slots=True)
class ApiCall:
    """One Bot API request received: method, decoded params, time and outcome."""

    method: str
    params: JSON
    time: float
    result: Any = None
    error: str | None = None


@dataclass(slots=True)
class Fault:
    """A failure to answer the next ``count`` calls of ``method`` (any method when None), in
    ``chat_id`` only when given: a passing one (429, 500, 502, a dropped connection, a timeout)
    or a refusal that will not change (400, 403, 404)."""

    kind: Literal["429", "500", "502", "drop", "timeout", "400", "403", "404"]
    method: str | None
    count: int
    retry_after: int = 1
    chat_id: int | None = None


@dataclass(frozen=True, slots=True)
class Latency:
    """Time from a user's update to the bot's next answer in the same chat."""

    chat_id: int
    update_id: int
    update_kind: str
    created: float
    answered: float

    @property
    def seconds(self) -> float:
        return self.answered - self.created
