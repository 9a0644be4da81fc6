"""What a handler gets: the association's runtime and one update's unit of work.

``Runtime`` holds what lives as long as the process (settings, profile, database, bot client,
vault, outbox sender) for ONE association; a process may run several.
``Ctx`` lives for one update: its database session (one transaction, committed once by the
dispatcher), the beneficiary, their language, and the messages owed, which the dispatcher
writes to the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Message, Update

from bot.engine.flood import FloodGate
from bot.i18n import Text, Translator, translator
from bot.engine.outbox import FILES_KEY, Out, Sender
from bot.profile import Profile
from bot.settings import Settings
from storage.crypto import Vault
from storage.db import ScopedDatabase
from storage.models import Beneficiary

if TYPE_CHECKING:
    from bot.domain.faq.matcher import FaqMatcher
    from bot.channels.telegram.staff_auth import MembershipCache

MAX_TEXT = 4096


def reply_to(message_id: int | None) -> dict[str, Any] | None:
    """``reply_parameters`` quoting a message (still sent if that message is gone)."""
    return {"message_id": message_id, "allow_sending_without_reply": True} if message_id else None


@dataclass
class Runtime:
    settings: Settings
    profile: Profile
    db: ScopedDatabase
    """Every session it opens sees only this association's rows (storage.scope)."""
    bot: Bot
    vault: Vault
    sender: Sender
    staff_chat_id: int
    bot_username: str = ""
    matcher: "FaqMatcher | None" = None
    membership: "MembershipCache | None" = None
    flood_burst: float = 30.0  # updates a beneficiary may send at once (bot.engine.flood)
    flood: FloodGate = field(default_factory=FloodGate)
    profile_dir: Path = field(default_factory=Path)

    @property
    def tenant(self) -> str:
        return self.profile.association.id

    @cached_property
    def staff_chat_ids(self) -> frozenset[int]:
        """The main staff group and every per-area contact officer's chat (policy clause 23)."""
        extra = {c.staff_chat_id for c in self.profile.faq.categories if c.staff_chat_id}
        return frozenset({self.staff_chat_id, *extra})

    def is_supervisor(self, user_id: int) -> bool:
        return user_id in self.settings.supervisor_ids


class Ctx:
    def __init__(self, rt: Runtime, update: Update, session: AsyncSession) -> None:
        self.rt = rt
        self.update = update
        self.session = session
        self.user: Beneficiary | None = None
        self.tr: Translator = translator(None)
        self.out: list[Out] = []
        self.callback_answer: dict[str, Any] | None = None
        self.staff_member: bool = False  # set before the transaction for staff-chat updates
        self.dialog_state: Any = None  # bot.engine.dialogs: the person's dialog as this update left it

    # -- who and where --------------------------------------------------------------------
    @property
    def tenant(self) -> str:
        return self.rt.tenant

    @property
    def profile(self) -> Profile:
        return self.rt.profile

    @property
    def chat_id(self) -> int:
        chat = self.update.effective_chat
        if chat is not None:
            return chat.id
        user = self.update.effective_user
        return user.id if user else 0

    @property
    def from_id(self) -> int:
        user = self.update.effective_user
        return user.id if user else 0

    @property
    def message(self) -> Message | None:
        return self.update.message or self.update.edited_message

    def attached_file(self) -> dict[str, Any] | None:
        """The photo (largest size) or document this message carries, as the metadata
        ``bot.domain.validation.validate_document`` reads; None when it carries neither."""
        message = self.message
        if message is None:
            return None
        if message.photo:
            size = message.photo[-1]
            return {"kind": "photo", "file_id": size.file_id, "file_unique_id": size.file_unique_id,
                    "file_size": size.file_size, "mime_type": "image/jpeg", "file_name": None}
        if message.document is not None:
            doc = message.document
            return {"kind": "document", "file_id": doc.file_id, "file_unique_id": doc.file_unique_id,
                    "file_size": doc.file_size, "mime_type": doc.mime_type, "file_name": doc.file_name}
        return None

    @property
    def locale(self) -> str:
        return self.tr.locale

    def set_locale(self, locale: str) -> None:
        self.tr = translator(locale)

    # -- text -------------------------------------------------------------------------------
    def _(self, msgid: str) -> str:
        return self.tr.gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.tr.ngettext(singular, plural, n)

    def t(self, text: Text | str) -> str:
        return self.tr.render(text)

    # -- output: every call becomes an outbox row in this update's transaction -----------------
    def send(self, chat_id: int, text: str, keyboard: dict[str, Any] | None = None, *,
             link: tuple[str, int] | None = None, **extra: Any) -> Out:
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text[:MAX_TEXT], "parse_mode": "HTML",
                                   "link_preview_options": {"is_disabled": True},
                                   **{k: v for k, v in extra.items() if v is not None}}
        if keyboard is not None:
            payload["reply_markup"] = keyboard
        return self.call("sendMessage", payload, link=link)

    def reply(self, text: str, keyboard: dict[str, Any] | None = None, **extra: Any) -> Out:
        return self.send(self.chat_id, text, keyboard, **extra)

    def reply_quoting(self, text: str, keyboard: dict[str, Any] | None = None, **extra: Any) -> Out:
        """Answer in this chat as a reply to the message (or button's message) that led here —
        in a busy staff group, so everyone sees what the bot is answering."""
        query = self.update.callback_query
        message = self.message or (query.message if query else None)
        return self.reply(text, keyboard, reply_parameters=reply_to(message.message_id if message else None), **extra)

    def show(self, text: str, keyboard: dict[str, Any] | None = None) -> Out:
        """Answer a button press by editing its message in place; otherwise send a new one."""
        query = self.update.callback_query
        message = query.message if query else None
        if message is not None and getattr(message, "text", None) is not None:
            payload: dict[str, Any] = {"chat_id": message.chat.id, "message_id": message.message_id,
                                       "text": text[:MAX_TEXT], "parse_mode": "HTML",
                                       "link_preview_options": {"is_disabled": True}}
            if keyboard is not None:
                payload["reply_markup"] = keyboard
            return self.call("editMessageText", payload)
        return self.reply(text, keyboard)

    def send_file(self, chat_id: int, path: Path, caption: str | None = None) -> Out:
        payload: dict[str, Any] = {"chat_id": chat_id, FILES_KEY: {"document": str(path)}}
        if caption:
            payload.update(caption=caption[:1024], parse_mode="HTML")
        return self.call("sendDocument", payload)

    def call(self, method: str, payload: dict[str, Any], *, link: tuple[str, int] | None = None) -> Out:
        payload = {k: v for k, v in payload.items() if v is not None}
        item = Out(int(payload.get("chat_id", 0)), method, payload,
                   link_kind=link[0] if link else None, link_id=link[1] if link else None)
        self.out.append(item)
        return item

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """The button press's own answer (a toast); sent right after the commit, not queued."""
        self.callback_answer = {"text": text[:200] if text else None, "show_alert": alert}
