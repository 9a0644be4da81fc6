"""What a handler gets: the association's runtime and one unit of work.

``Runtime`` holds what lives as long as the process (settings, profile, database, channel,
vault, outbox sender) for ONE association; a process may run several.
``UnitOfWork`` is what one update, one scheduled job or one background task changes and the
messages it owes: its database session (one transaction, committed once), the beneficiary and
their language, and the outgoing messages (``bot.engine.messages``), rendered by the channel
into outbox rows that ``bot.engine.dispatch.finish`` writes in the same transaction.
``Ctx`` is a unit of work started by an inbound ``Event`` (``bot.engine.events``): it knows
who wrote, where, and can answer there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.domain.filetypes import Head
from bot.engine.events import Event
from bot.engine.flood import FloodGate
from bot.engine.keyboards import NO_BUTTONS, Buttons, Markup
from bot.engine.messages import Album, Copy, Delete, Edit, Leave, Outgoing, Say, SendFile
from bot.engine.outbox import REMOTE_KEY, Out
from bot.engine.sender import Sender
from bot.i18n import N_, Text, Translator, translator
from bot.profile import Profile
from bot.settings import Settings
from storage.crypto import Vault, address_context
from storage.db import ScopedDatabase
from storage.models import AuditLog, Beneficiary

CHANNEL_NAMES = {"telegram": N_("Telegram"), "whatsapp": N_("WhatsApp")}
UNREACHABLE = {  # a staff card's warning when the person cannot be reached, by channel
    "telegram": N_("⚠️ The beneficiary cannot be reached on Telegram (the bot was blocked)."),
    "whatsapp": N_(
        "⚠️ The beneficiary cannot be reached on WhatsApp (the number cannot receive messages)."
    ),
}


def mask_address(address: str) -> str:
    """``966551234567`` → ``9665…4567``: enough for staff to tell two people apart."""
    digits = address.lstrip("+")
    return f"\u2066{digits[:4]}…{digits[-4:]}\u2069" if len(digits) > 8 else "…"


if TYPE_CHECKING:
    from bot.domain.faq.matcher import FaqMatcher
    from bot.engine.messages import Notice


class Channel(Protocol):
    """A messaging channel's adapter (``bot.channels.telegram.adapter.TelegramChannel``)."""

    name: str

    def parse(self, raw: dict[str, Any]) -> Event: ...

    def chat_key(self, raw: dict[str, Any]) -> int | str: ...

    def render(self, message: Outgoing) -> tuple[str, dict[str, Any]]: ...

    async def answer_action(
        self, callback_id: str, text: str | None = None, alert: bool = False
    ) -> None: ...

    async def is_member(self, chat_id: int, user_id: int) -> bool: ...

    async def file_head(self, file_id: str) -> bytes | None: ...

    def owns(self, chat_id: int) -> bool:
        """Whether ``chat_id`` is one of this channel's chats (the default channel: any other)."""
        ...


class FileSource(Protocol):
    """A channel whose files another channel may have to pass on (a WhatsApp person's document
    shown to staff on Telegram): the outbox fetches the bytes (``REMOTE_KEY``)."""

    def holds(self, file_id: str) -> bool: ...

    def media_of(self, chat_id: int, message_id: int) -> tuple[str, str] | None:
        """(kind, file id) of a recent message carrying a file, for a copy to another channel."""


@dataclass
class Runtime:
    settings: Settings
    profile: Profile
    db: ScopedDatabase
    """Every session it opens sees only this association's rows (storage.scope)."""
    bot: Any  # the channel's API client (the dashboard runs without one)
    vault: Vault
    sender: Sender
    staff_chat_id: int
    matcher: FaqMatcher | None = None
    channel: Channel | None = None
    """The default channel (Telegram: the staff group and most people)."""
    channels: dict[str, Channel] = field(default_factory=dict)
    """Every other channel by name (WhatsApp): a chat it ``owns`` is rendered by it."""
    jobs: list[Any] = field(default_factory=list)  # bot.engine.router.JobFn, from the router
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

    def channel_for(self, chat_id: int) -> Channel | None:
        """The channel a chat belongs to: the one that owns it, else the default."""
        for other in self.channels.values():
            if other.owns(chat_id):
                return other
        return self.channel

    def channel_named(self, name: str | None) -> Channel | None:
        return self.channels.get(name or "", self.channel)

    def is_supervisor(self, user_id: int) -> bool:
        return user_id in self.settings.supervisor_ids


class UnitOfWork:
    """One transaction's changes and the messages it owes (see the module's doc)."""

    def __init__(self, rt: Runtime, session: AsyncSession) -> None:
        self.rt = rt
        self.session = session
        self.user: Beneficiary | None = None
        self.tr: Translator = translator(None)
        self.out: list[Out] = []
        self.dialog_state: Any = None  # bot.engine.dialogs: the dialog as this work left it
        self._connection: AsyncConnection | None = None

    async def connection(self, *, flushed: bool = False) -> AsyncConnection:
        """The transaction's connection, for the prebuilt statements (``storage.prepared``):
        asked of the session once (each ask is a greenlet switch and a few checks).
        ``flushed``: for a read that must see this work's pending ORM changes, flushed first
        when there are any — what the ORM's autoflush does before its own queries."""
        if flushed and (self.session.new or self.session.dirty):
            await self.session.flush()
        if self._connection is None:
            self._connection = await self.session.connection()
        return self._connection

    # -- who and where --------------------------------------------------------------------
    @property
    def tenant(self) -> str:
        return self.rt.tenant

    @property
    def profile(self) -> Profile:
        return self.rt.profile

    @property
    def locale(self) -> str:
        return self.tr.locale

    def set_locale(self, locale: str | None) -> None:
        self.tr = translator(locale)

    # -- text -------------------------------------------------------------------------------
    def _(self, msgid: str) -> str:
        return self.tr.gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.tr.ngettext(singular, plural, n)

    def t(self, text: Text | str) -> str:
        return self.tr.render(text)

    def channel_note(self, person: Beneficiary | None) -> str | None:
        """For a staff card: the channel a beneficiary writes from when it is not Telegram, with
        their address masked (``WhatsApp · 9665…4567``); None on Telegram."""
        if person is None or person.channel == "telegram":
            return None
        tr = translator("ar")
        name = tr.gettext(CHANNEL_NAMES.get(person.channel, person.channel))
        shown = "—"
        if person.address_enc:
            try:
                shown = mask_address(
                    self.rt.vault.decrypt(
                        person.address_enc, address_context(self.tenant, person.telegram_user_id)
                    )
                )
            except Exception:
                shown = "—"
        return tr.gettext("Channel: {channel} · {address}").format(channel=name, address=shown)

    # -- output: every message becomes an outbox row in this transaction --------------------------
    def owe(self, message: Outgoing, *, link: tuple[str, int] | None = None) -> Out:
        """Queue ``message``, rendered by the channel; ``link``: when sent, remember that the new
        message belongs to this case (a staff reply to it finds the case)."""
        channel = self.rt.channel_for(message.chat_id)
        if channel is None:
            raise RuntimeError("this runtime has no channel to send through")
        message, source = self._portable(message, channel)
        method, payload = channel.render(message)
        if source is not None and isinstance(message, SendFile):  # bytes fetched at send time
            payload[REMOTE_KEY] = {
                "channel": source.name,
                "file_id": message.file_id,
                "kind": message.kind,
            }
        item = Out(
            message.chat_id,
            method,
            payload,
            link_kind=link[0] if link else None,
            link_id=link[1] if link else None,
            channel=channel.name,
        )
        self.out.append(item)
        return item

    def _portable(self, message: Outgoing, channel: Channel) -> tuple[Outgoing, Any]:
        """``message`` as ``channel`` can send it when it names another channel's file or
        message: a copy becomes the file itself (or its caption), a file is marked to be
        fetched from its channel. Returns the message and the file's channel (or None)."""
        if isinstance(message, Copy):
            source = self.rt.channel_for(message.from_chat_id)
            if source is None or source is channel:
                return message, None
            media = getattr(source, "media_of", lambda *_: None)(
                message.from_chat_id, message.message_id
            )
            if media is None:
                return Say(message.chat_id, message.caption or "…", None, message.quote), None
            message = SendFile(
                message.chat_id,
                media[0] if media[0] == "photo" else "document",
                file_id=media[1],
                caption=message.caption,
                quote=message.quote,
            )
        if isinstance(message, SendFile) and message.file_id:
            for other in self.rt.channels.values():
                holds = getattr(other, "holds", lambda _: False)
                if other is not channel and holds(message.file_id):
                    return message, other
            # a file no other channel claims is the default channel's (a staff member's photo)
            if (
                channel is not self.rt.channel
                and self.rt.channel is not None
                and not getattr(channel, "holds", lambda _: False)(message.file_id)
            ):
                return message, self.rt.channel
        return message, None

    def send(
        self,
        chat_id: int,
        text: str,
        keyboard: Markup | None = None,
        *,
        link: tuple[str, int] | None = None,
        quote: int | None = None,
        topic: int | None = None,
        notice: Notice | None = None,
    ) -> Out:
        """A new message; ``quote``: the message (in that chat) it answers; ``topic``: the
        forum topic it goes to; ``notice``: what it tells a beneficiary (a status change, a
        reminder …), for a channel that may have to send it as a template."""
        return self.owe(Say(chat_id, text, keyboard, quote, topic, notice), link=link)

    def edit(
        self, chat_id: int, message_id: int, text: str, keyboard: Buttons | None = None
    ) -> Out:
        return self.owe(Edit(chat_id, message_id, text, keyboard))

    def clear_buttons(self, chat_id: int, message_id: int) -> Out:
        return self.owe(Edit(chat_id, message_id, None, NO_BUTTONS))

    def send_file(
        self, chat_id: int, path: Path, caption: str | None = None, *, kind: str = "document"
    ) -> Out:
        return self.owe(SendFile(chat_id, kind, path=path, caption=caption))

    def send_bytes(self, chat_id: int, name: str, data: bytes, caption: str | None = None) -> Out:
        """A small document we made (it travels inside the outbox row)."""
        return self.owe(SendFile(chat_id, "document", data=data, name=name, caption=caption))

    def send_stored(
        self,
        chat_id: int,
        kind: str,
        file_id: str,
        caption: str | None = None,
        *,
        link: tuple[str, int] | None = None,
    ) -> Out:
        """A photo or document the channel already holds (one a person sent us)."""
        return self.owe(SendFile(chat_id, kind, file_id=file_id, caption=caption), link=link)

    def send_album(self, chat_id: int, kind: str, items: list[tuple[str, str]]) -> Out:
        """Files the channel already holds, as one group: (file id, caption) each (files another
        channel holds go one by one)."""
        foreign = [
            other
            for other in self.rt.channels.values()
            if other is not self.rt.channel_for(chat_id)
            and any(getattr(other, "holds", lambda _: False)(f) for f, _ in items)
        ]
        if foreign:
            sent = [self.owe(SendFile(chat_id, kind, file_id=f, caption=c)) for f, c in items]
            return sent[0]
        return self.owe(Album(chat_id, kind, tuple(items)))

    def copy(
        self,
        chat_id: int,
        from_chat_id: int,
        message_id: int,
        caption: str | None = None,
        *,
        quote: int | None = None,
        link: tuple[str, int] | None = None,
    ) -> Out:
        return self.owe(Copy(chat_id, from_chat_id, message_id, caption, quote), link=link)

    def delete(self, chat_id: int, message_id: int) -> Out:
        return self.owe(Delete(chat_id, message_id))

    def leave(self, chat_id: int) -> Out:
        return self.owe(Leave(chat_id))


class Ctx(UnitOfWork):
    """A unit of work started by an inbound event: it answers where the event came from."""

    def __init__(self, rt: Runtime, event: Event, session: AsyncSession) -> None:
        super().__init__(rt, session)
        self.event = event
        self.callback_answer: dict[str, Any] | None = None
        self.staff_member: bool = False  # set before the transaction for staff-chat updates
        self.file_head: Head | None = None  # a sent file's first bytes, read before the transaction
        self.prefetched: Any = None  # bot.engine.dispatch: the person's row, read with the claim

    @property
    def chat_id(self) -> int:
        event = self.event
        if event.chat_id is not None:
            return event.chat_id
        return event.user_id or 0

    def audit(
        self,
        action: str,
        subject_kind: str | None,
        subject_id: int | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record in the audit log what the person behind this update did (a staff move, a
        look at personal data), in the update's transaction."""
        self.session.add(
            AuditLog(
                association_id=self.tenant,
                actor_id=self.from_id,
                action=action,
                subject_kind=subject_kind,
                subject_id=subject_id,
                detail=detail if detail is not None else {},
            )
        )

    @property
    def from_id(self) -> int:
        return self.event.user_id or 0

    def attached_file(self) -> dict[str, Any] | None:
        """The photo (largest size) or document this message carries, as the metadata
        ``bot.domain.validation.validate_document`` reads (with its first bytes, ``head``, read
        before the transaction); None when it carries neither."""
        found = self.event.attached_file()
        if found is not None:
            found["head"] = self.file_head
        return found

    def reply(self, text: str, keyboard: Markup | None = None, *, quote: int | None = None) -> Out:
        return self.send(self.chat_id, text, keyboard, quote=quote)

    def reply_quoting(self, text: str, keyboard: Markup | None = None) -> Out:
        """Answer in this chat as a reply to the message (or button's message) that led here —
        in a busy staff group, so everyone sees what the bot is answering."""
        return self.reply(text, keyboard, quote=self.event.message_id)

    def show(self, text: str, keyboard: Buttons | None = None) -> Out:
        """Answer a button press by editing its message in place; otherwise send a new one."""
        event = self.event
        if event.is_action and event.message_id is not None and event.message_has_text:
            return self.edit(self.chat_id, event.message_id, text, keyboard)
        return self.reply(text, keyboard)

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """The button press's own answer (a toast); sent right after the commit, not queued."""
        self.callback_answer = {"text": text[:200] if text else None, "show_alert": alert}
