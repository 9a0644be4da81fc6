"""Announcement benchmark (issue #16, section 3): one announcement to ``--recipients`` people
(10,000 by default) on the Bot API emulator, with Telegram's sending limits ON in the bot, and
the emulator answering 429 like Telegram when they are broken.

    .venv/bin/python -m bench.announce_bench                     # 10,000: about 6 minutes
    .venv/bin/python -m bench.announce_bench --recipients 1000
    .venv/bin/python -m bench.announce_bench --database-url postgresql+asyncpg://127.0.0.1:5432/test_x

Method
------
* One process: the emulator (aiohttp, 127.0.0.1) and the real bot (``BotApp``, long polling,
  the outbox's default ``Limits``: 30 messages/s in all, 20/min per group, 1/s per private chat
  after a burst of 5). The bot's database is a fresh SQLite file (or ``--database-url``).
* The recipients are written straight into the database (consented, announcements on), and
  known to the emulator. The supervisor then does what a person does in the staff group:
  ``/announce <text>``, "everyone who accepted", reads the preview's count, "send now".
* The emulator enforces Telegram's global limit as a token bucket (``--server-rate`` a second,
  burst ``--server-burst``): a ``send*`` call beyond it gets ``429 Too Many Requests: retry
  after 1``, counted. (Telegram's real rule is not published; 30/s is its documented figure.)
* Meanwhile one beneficiary keeps talking (``/menu`` every ``--chat-every`` seconds): the
  latency of each answer shows whether people's own conversations keep their priority.
* Measured: from the press of "send now" to the report in the staff group; the delivery rate;
  the 429s; each recipient's number of announcements (exactly one each is checked).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bot import ROOT
from bot.app import BotApp
from bot.emulator.server import Emulator
from bot.profile import load_profile
from bot.settings import Settings
from storage.models import Beneficiary, utcnow

TOKEN = "123:ABC"
STAFF_CHAT = -100777
SUPERVISOR = 2001
TALKER = 900_001
FIRST_RECIPIENT = 1_000_000
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


class FloodModel:
    """Telegram's global limit as the emulator's: a token bucket over ``send*`` calls."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()
        self.refused = 0
        self.sends = 0

    def refuse(self, method: str) -> bool:
        if not method.lower().startswith("send"):
            return False
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            self.refused += 1
            return True
        self.tokens -= 1
        self.sends += 1
        return False


def enforce(emu: Emulator, model: FloodModel) -> None:
    from bot.emulator.state import Fault

    original = emu.take_fault

    def take_fault(method: str, chat_id: Any = None):
        if model.refuse(method):
            return Fault("429", method.lower(), 1, 1, None)
        return original(method, chat_id)

    emu.take_fault = take_fault  # type: ignore[method-assign]


async def until(condition, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        await asyncio.sleep(step)
    raise TimeoutError("the bot did not answer in time")


def button_of(emu: Emulator, chat: int, label: str) -> tuple[int, str] | None:
    for message in reversed(emu.messages(chat)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
            for b in row:
                if label in b["text"]:
                    return message["message_id"], b["callback_data"]
    return None


async def seed(app: BotApp, emu: Emulator, n: int) -> None:
    now = utcnow()
    rows = [
        {
            "association_id": app.rt.tenant,
            "telegram_user_id": FIRST_RECIPIENT + i,
            "locale": "ar",
            "consent_version": "1",
            "consent_at": now,
            "notices": True,
            "notices_asked_at": now,
            "created_at": now,
            "last_seen_at": now,
        }
        for i in range(n)
    ]
    async with app.rt.db.write() as session:
        for start in range(0, n, 1000):
            await session.execute(insert(Beneficiary), rows[start : start + 1000])
    for i in range(n):
        emu.add_user(FIRST_RECIPIENT + i, f"مستفيد {i}")


async def talk(emu: Emulator, every: float, stop: asyncio.Event, latencies: list[float]) -> None:
    """One beneficiary's own conversation during the announcement."""
    while not stop.is_set():
        seen = len(emu.messages(TALKER))
        started = time.monotonic()
        emu.send_text(TALKER, "/menu")
        try:
            await until(lambda seen=seen: len(emu.messages(TALKER)) > seen, 60, 0.01)
            latencies.append(time.monotonic() - started)
        except TimeoutError:
            latencies.append(60.0)
        with_timeout = asyncio.create_task(stop.wait())
        await asyncio.wait({with_timeout}, timeout=every)
        with_timeout.cancel()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    profile = load_profile(ROOT / "profiles" / "khairat.yaml")
    emu = Emulator(token=TOKEN)
    emu.add_user(SUPERVISOR, "مشرف")
    emu.add_user(TALKER, "سارة")
    emu.add_group(STAFF_CHAT, "فريق الجمعية", members={SUPERVISOR: "creator"})
    model = FloodModel(args.server_rate, args.server_burst)
    await emu.start()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        settings = Settings(
            token=TOKEN,
            api_base_url=emu.base_url,
            staff_chat_id=STAFF_CHAT,
            database_url=url,
            secret_key=SECRET,
            supervisor_ids=frozenset({SUPERVISOR}),
            data_dir=Path(tmp),
        )
        app = BotApp(settings, profile, jobs_interval=0)
        app.rt.flood_burst = 500
        await app.start_polling()
        try:
            await seed(app, emu, args.recipients)
            emu.send_text(TALKER, "/start")
            await until(lambda: button_of(emu, TALKER, "أوافق"), 30)
            mid, data = button_of(emu, TALKER, "أوافق")
            emu.press(TALKER, mid, data)
            await until(lambda: len(emu.messages(TALKER)) >= 2, 30)
            enforce(emu, model)  # from here on, Telegram's limit is the emulator's
            emu.send_text(
                SUPERVISOR,
                "/announce تبدأ الجمعية توزيع السلال الغذائية يوم الخميس",
                chat_id=STAFF_CHAT,
            )
            mid, data = await until(lambda: button_of(emu, STAFF_CHAT, "جميع من وافقوا"), 30)
            emu.press(SUPERVISOR, mid, data, chat_id=STAFF_CHAT)
            mid, data = await until(lambda: button_of(emu, STAFF_CHAT, "أرسل الآن"), 60)
            preview = emu.messages(STAFF_CHAT)[-1]["text"]
            stop = asyncio.Event()
            latencies: list[float] = []
            talker = asyncio.create_task(talk(emu, args.chat_every, stop, latencies))
            model.refused = model.sends = 0
            started = time.monotonic()
            emu.press(SUPERVISOR, mid, data, chat_id=STAFF_CHAT)
            report = await until(
                lambda: next(
                    (
                        m["text"]
                        for m in emu.messages(STAFF_CHAT)
                        if "تقرير الإعلان" in (m.get("text") or "")
                    ),
                    None,
                ),
                args.recipients / 5 + 120,
                0.2,
            )
            elapsed = time.monotonic() - started
            stop.set()
            await talker
            got = [
                sum(
                    1
                    for m in emu.messages(FIRST_RECIPIENT + i)
                    if "إعلان من" in (m.get("text") or "")
                )
                for i in range(args.recipients)
            ]
        finally:
            await app.stop()
            await emu.stop()
    return {
        "recipients": args.recipients,
        "seconds": elapsed,
        "rate": args.recipients / elapsed,
        "429": model.refused,
        "sends": model.sends,
        "exactly_once": all(g == 1 for g in got),
        "missing": got.count(0),
        "repeated": sum(1 for g in got if g > 1),
        "chat_p50": statistics.median(latencies) if latencies else None,
        "chat_max": max(latencies) if latencies else None,
        "chats": len(latencies),
        "preview_count": "عدد المستلمين" in preview,
        "report": report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--server-rate", type=float, default=30.0)
    parser.add_argument("--server-burst", type=float, default=30.0)
    parser.add_argument("--chat-every", type=float, default=2.0)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    report = result.pop("report")
    for key, value in result.items():
        print(f"{key:>14}: {value:.2f}" if isinstance(value, float) else f"{key:>14}: {value}")
    print(report)


if __name__ == "__main__":
    main()
