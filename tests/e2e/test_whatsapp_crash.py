"""WhatsApp under SIGKILL: a burst of webhooks, the bot killed mid-burst, Meta's redeliveries —
nothing lost, nothing processed twice (issue #13)."""

from __future__ import annotations

import asyncio
import random
import socket
import subprocess
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.emulator.server import Emulator
from bot.emulator.wa_server import WhatsAppEmulator
from storage.db import Database
from storage.models import InboundUpdate, OutboxMessage
from tests.subprocess_bot import BotProcess, ProcessApp, _python, counts

PEOPLE = ("966500000101", "966500000102", "966500000103")
PER_PERSON = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WhatsAppBotProcess(BotProcess):
    def __init__(
        self, emu: Emulator, wa: WhatsAppEmulator, workdir: Path, database_url: str
    ) -> None:
        super().__init__(emu, workdir, database_url)
        self.wa, self.port = wa, _free_port()

    def env(self) -> dict[str, str]:
        world = self.wa.world
        return {
            **super().env(),
            "WHATSAPP_PHONE_NUMBER_ID": world.phone_number_id,
            "WHATSAPP_ACCESS_TOKEN": world.access_token,
            "WHATSAPP_APP_SECRET": world.app_secret,
            "WHATSAPP_VERIFY_TOKEN": "v",
            "WHATSAPP_API_BASE_URL": self.wa.base_url,
        }

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.runs += 1
        log = (self.workdir / f"bot-{self.runs}.log").open("wb")
        self.proc = subprocess.Popen(
            [_python(), "-m", "bot", "run", "--whatsapp-port", str(self.port)],
            cwd=self.workdir,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()


async def _post_until_taken(wa: WhatsAppEmulator, note: dict, timeout: float = 60) -> None:
    """As Meta does: try again until the webhook answers 200."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            if await wa.post(note) == 200:
                return
        except aiohttp.ClientError:
            pass
        assert loop.time() < deadline, "the webhook never took the notification"
        await asyncio.sleep(0.1)


async def test_sigkill_mid_burst_loses_nothing(
    emu: Emulator, database_url: str, tmp_path, profile
) -> None:
    wa = WhatsAppEmulator()
    await wa.start()
    bot = WhatsAppBotProcess(emu, wa, tmp_path, database_url)
    wa.webhook_url = f"http://127.0.0.1:{bot.port}/whatsapp"
    db = Database(database_url).scoped(profile.association.id)
    app = ProcessApp(emu, db, bot)
    sent: list[dict] = []
    try:
        bot.start()
        for wa_id in PEOPLE:  # the first word of each, answered
            wa.add_person(wa_id, "مستفيد")
            note = wa.inbound(wa_id, "text", {"text": {"body": "مرحبا"}})
            await _post_until_taken(wa, note)
            sent.append(note)
        await app.idle(60)
        # the burst: every note is stored before its 200; the kill lands while answers are owed
        for i in range(PER_PERSON):
            for wa_id in PEOPLE:
                note = wa.inbound(wa_id, "text", {"text": {"body": f"سؤال {i}"}})
                await _post_until_taken(wa, note)
                sent.append(note)
        bot.kill()
        answered = len(wa.world.sent)
        bot.start()
        await app.idle(60)
        # Meta redelivers some of what it sent (and the bot must not answer them again)
        before = len(wa.world.sent)
        for note in random.Random(13).sample(sent, 8):
            await _post_until_taken(wa, note)
        await app.idle(60)
        assert len(wa.world.sent) == before
        async with db.read() as session:
            rows = (
                await session.execute(select(InboundUpdate.update_id, InboundUpdate.status))
            ).all()
            owed = (
                await session.scalars(
                    select(OutboxMessage.status).where(OutboxMessage.channel == "whatsapp")
                )
            ).all()
        assert len(rows) == len(sent) and {r.status for r in rows} == {"done"}, await counts(db)
        assert owed and set(owed) == {"sent"}
        total = len(PEOPLE) * (PER_PERSON + 1)
        assert total <= len(wa.world.sent) <= len(owed) + 2 * 2  # at most a repeat per kill/chat
        assert answered < len(wa.world.sent)
        for wa_id in PEOPLE:
            assert len(wa.world.messages(wa_id)) >= PER_PERSON + 1
        bot.stop()
        output = bot.output(10**7)
        assert "Traceback" not in output, output
        assert not any(wa_id in output for wa_id in PEOPLE)  # the numbers never logged
    finally:
        bot.stop()
        await db.dispose()
        await wa.stop()
