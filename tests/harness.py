"""End-to-end harness: the real bot, through python-telegram-bot's real HTTP client, against the
project's Bot API emulator on 127.0.0.1, on a real database. Tests act as people do (messages,
button presses, uploads, replies in the staff group) and read what those people would see."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.app import BotApp
from bot.emulator.server import Emulator
from bot.engine.outbox import Limits
from bot.profile import Profile
from bot.settings import Settings

TOKEN = "123:ABC"
STAFF_CHAT = -100123
BENEFICIARY = 1001
STAFF = 2001  # a supervisor
RESEARCHER = 2002
STAFF_PLAIN = 2003
OUTSIDER = 3001
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def test_database_url(tmp_path: Path) -> str:
    return (
        os.environ.get("MUSTAFEED_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path}/test.db"
    )


def make_settings(emu: Emulator, database_url: str, **changes: Any) -> Settings:
    base = Settings(
        token=TOKEN,
        api_base_url=emu.base_url,
        staff_chat_id=STAFF_CHAT,
        database_url=database_url,
        secret_key=SECRET,
        supervisor_ids=frozenset({STAFF}),
    )
    return base.with_(**changes) if changes else base


def populate(emu: Emulator) -> None:
    emu.add_user(BENEFICIARY, "سارة", "العتيبي", language_code="ar")
    emu.add_user(STAFF, "مشرف", "الجمعية", language_code="ar")
    emu.add_user(RESEARCHER, "باحث", "اجتماعي", language_code="ar")
    emu.add_user(STAFF_PLAIN, "موظف", "العلاقات", language_code="ar")
    emu.add_user(OUTSIDER, "غريب", language_code="ar")
    emu.add_group(
        STAFF_CHAT,
        "فريق الجمعية",
        members={STAFF: "creator", RESEARCHER: "member", STAFF_PLAIN: "member"},
    )


async def settle(emu: Emulator, app: BotApp, timeout: float = 10.0) -> None:
    """Wait until the bot took every update and sent everything it owes."""
    try:
        await emu.wait_until(lambda: emu.updates.pending_count == 0, timeout)
        await app.idle(timeout)
    except TimeoutError:
        owed = {chat: len(queue.items) for chat, queue in app.sender._chats.items()}
        raise TimeoutError(
            f"not settled in {timeout} s: {emu.updates.pending_count} update(s) not taken, "
            f"intake idle {app.intake._idle.is_set()}, messages owed by chat {owed}"
        ) from None


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class Person:
    emu: Emulator
    app: BotApp
    user_id: int
    chat_id: int | None = None  # None: the private chat
    seen: int = field(default=0)  # the last bot message id already read

    @property
    def chat(self) -> int:
        return self.chat_id if self.chat_id is not None else self.user_id

    async def _after(self, _: Any = None) -> list[dict[str, Any]]:
        await settle(self.emu, self.app)
        fresh = [m for m in self.emu.messages(self.chat) if m["message_id"] > self.seen]
        if fresh:
            self.seen = fresh[-1]["message_id"]
        return fresh

    async def say(self, text: str, **kw: Any) -> list[dict[str, Any]]:
        return await self._after(self.emu.send_text(self.user_id, text, chat_id=self.chat_id, **kw))

    def find(self, label: str) -> tuple[dict[str, Any], str]:
        """The newest message with a button whose label contains ``label``."""
        for message in reversed(self.emu.messages(self.chat)):
            for text, data in buttons(message):
                if label in text:
                    return message, data
        shown = [t for m in self.emu.messages(self.chat)[-3:] for t, _ in buttons(m)]
        raise AssertionError(f"no button {label!r}; recent buttons: {shown}")

    async def press(self, label: str) -> list[dict[str, Any]]:
        message, data = self.find(label)
        return await self._after(
            self.emu.press(self.user_id, message["message_id"], data, chat_id=self.chat_id)
        )

    async def press_data(self, message_id: int, data: str) -> list[dict[str, Any]]:
        return await self._after(
            self.emu.press(self.user_id, message_id, data, chat_id=self.chat_id, strict=False)
        )

    async def send_photo(
        self, data: bytes = b"\x89PNG fake photo", **kw: Any
    ) -> list[dict[str, Any]]:
        return await self._after(
            self.emu.send_photo(self.user_id, data, chat_id=self.chat_id, **kw)
        )

    async def send_document(
        self, data: bytes, name: str, mime: str, **kw: Any
    ) -> list[dict[str, Any]]:
        return await self._after(
            self.emu.send_document(self.user_id, data, name, mime, chat_id=self.chat_id, **kw)
        )

    async def share_contact(self, phone: str = "+966551234567") -> list[dict[str, Any]]:
        return await self._after(
            self.emu.share_contact_from_keyboard(self.user_id, phone, chat_id=self.chat_id)
        )

    async def share_location(
        self, lat: float = 24.7136, lon: float = 46.6753
    ) -> list[dict[str, Any]]:
        return await self._after(
            self.emu.send_location(self.user_id, lat, lon, chat_id=self.chat_id)
        )

    async def act(self, update: Any) -> list[dict[str, Any]]:
        """After any emulator action (sticker, voice …) that made an update."""
        return await self._after(update)

    def last(self) -> dict[str, Any]:
        message = self.emu.last_message(self.chat)
        assert message is not None, "the bot has said nothing here"
        return message

    def recent(self, n: int = 3) -> str:
        """The texts of the bot's last ``n`` messages here (a closing note may be followed by
        the satisfaction survey, for instance)."""
        return "\n".join(
            m.get("text") or m.get("caption") or "" for m in self.emu.messages(self.chat)[-n:]
        )

    def text(self) -> str:
        return self.last().get("text") or self.last().get("caption") or ""


def typing_faster_than_anyone(app: BotApp) -> None:
    """For tests that send a hundred updates in seconds: a case's follow-ups merged every
    0.05 s instead of 15 (issue 12), and no group minute. Telegram's 20 messages a minute to a
    group is kept exactly on PostgreSQL (counted from the outbox across processes), so the
    staff group's 21st message in a minute would wait for up to a minute."""
    app.sender.relimit(replace(app.sender.limits, followup_interval=0.05, group_per_minute=1e6))


async def newcomer(emu: Emulator, app: BotApp, user_id: int = OUTSIDER) -> Person:
    """A second beneficiary who has just started and consented."""
    other = Person(emu, app, user_id)
    await other.say("/start")
    await other.press("أوافق")
    return other


async def handed_over(person: Person, question: str) -> None:
    """Ask ``question`` and, past any suggestions, have it passed on to the team."""
    replies = await person.say(question)
    if "لا شيء مما سبق" in str(buttons(replies[-1])):
        await person.press("لا شيء مما سبق")
    if "مرِّر سؤالي" in str(buttons(person.last())):
        await person.press("نعم، مرِّر سؤالي")
    assert "سنحيل استفسارك" in person.recent()


async def start_app(
    emu: Emulator,
    settings: Settings,
    profile: Profile,
    *,
    flood_burst: float = 500,
    limits: Limits | None = None,
) -> BotApp:
    """The bot as deployed; tests act faster than people, so the flood bucket is wider by default."""
    app = BotApp(settings, profile, limits=limits)
    app.rt.flood_burst = flood_burst
    await app.start_polling()
    return app
