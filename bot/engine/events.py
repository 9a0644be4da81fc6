"""What came in, whatever the channel: one inbound event, as plain data.

A channel adapter (``bot.channels.telegram.adapter.parse_update``) turns its raw update into an
``Event``; handlers read only this. ``kind`` says what it is; the other fields are filled when
they apply (``None`` otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.engine.keyboards import Callback


class Kind(StrEnum):
    TEXT = "text"
    COMMAND = "command"  # /name args, addressed to us
    FILE = "file"  # a photo or a document
    LOCATION = "location"
    CONTACT = "contact"
    ACTION = "action"  # a button pressed
    VOICE = "voice"  # a voice note, audio, or round video
    OTHER = "other"  # a video, sticker, poll …, or an update with no message at all
    EDITED = "edited"  # an earlier message, changed
    MEMBER = "member"  # the bot was blocked/unblocked, added to or removed from a chat


def stored_text(value: str | None) -> str | None:
    """A channel's string as we may store it: NUL is valid in a Telegram or WhatsApp string, but
    no PostgreSQL text can hold it, and the words a person sends are stored (answers, follow-ups,
    names, file names). Adapters pass every such string through this."""
    return value.replace("\x00", "") if value and "\x00" in value else value


# media a message can carry, passed on to staff by copying the message
RELAYABLE = frozenset({"photo", "document", "voice", "audio", "video"})


@dataclass(frozen=True, slots=True)
class Attachment:
    """The file a message carries (for a photo: its largest size)."""

    kind: str  # photo, document, voice, audio, video, video_note
    file_id: str
    file_unique_id: str | None = None
    file_size: int | None = None
    mime_type: str | None = None
    file_name: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The metadata ``bot.domain.validation.validate_document`` reads."""
        return {
            "kind": self.kind,
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "mime_type": self.mime_type,
            "file_name": self.file_name,
        }


@dataclass(frozen=True, slots=True)
class Contact:
    phone_number: str
    user_id: int | None = None  # whose card it is, when the channel knows


@dataclass(slots=True)
class Event:
    update_id: int
    kind: Kind
    chat_id: int | None = None
    chat_type: str | None = None  # private, group, supergroup, channel
    user_id: int | None = None
    user_name: str = ""  # the sender's full name as the channel shows it
    first_name: str = ""
    language_code: str | None = None
    # the message itself, or for a button press the message under which it was pressed
    message_id: int | None = None
    message_has_text: bool = False  # a text message (a button's message can be edited in place)
    text: str | None = None
    caption: str | None = None
    command: str | None = None  # "start" for "/start@OurBot payload"
    command_args: str = ""
    file: Attachment | None = None
    location: tuple[float, float] | None = None
    contact: Contact | None = None
    callback_id: str | None = None  # to answer the press (the toast)
    action: Callback | None = None  # the pressed button's action; None when forged or unknown
    reply_to_message_id: int | None = None
    reply_to_user_id: int | None = None
    reply_to_is_bot: bool = False
    reply_to_first_name: str = ""  # the replied-to author's first name (naming an assignee)
    media_group_id: str | None = None
    member_status: str | None = None  # MEMBER: the bot's new status (member, kicked, left …)
    channel: str = "telegram"  # the channel it came through
    address: str | None = None  # the sender's address where the channel needs one to answer
    # (a WhatsApp number: personal data, stored only encrypted, never logged)
    sent_at: float | None = None  # when the person sent it, by the channel's clock, where the
    # channel limits what may be sent later (WhatsApp's 24-hour window): epoch seconds

    @property
    def is_action(self) -> bool:
        return self.kind is Kind.ACTION

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    def attached_file(self) -> dict[str, object] | None:
        """The photo or document this message carries, as validation reads it; None otherwise."""
        if self.file is None or self.file.kind not in ("photo", "document"):
            return None
        return self.file.as_dict()
