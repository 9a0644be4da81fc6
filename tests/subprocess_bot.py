"""The bot as a real process (``python -m bot run``) against the emulator running in the test's
own event loop — for the crash tests, where the bot must be killed with SIGKILL, not stopped.

``BotProcess`` starts, kills (``kill -9``) and stops the process; its output goes to
``bot-<n>.log`` in the test's directory. ``ProcessApp`` stands in for ``BotApp`` in
``tests.harness.Person``: its ``idle()`` waits until the emulator has handed every update over
and the database shows no update left to process and no message left to send.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot import ROOT
from bot.emulator.server import Emulator
from storage.db import Database
from storage.models import InboundUpdate, OutboxMessage
from tests.harness import SECRET, STAFF, STAFF_CHAT, TOKEN


def _python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


class BotProcess:
    def __init__(self, emu: Emulator, workdir: Path, database_url: str) -> None:
        self.emu, self.workdir, self.database_url = emu, workdir, database_url
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
        }
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": self.emu.base_url,
                "STAFF_CHAT_ID": str(STAFF_CHAT),
                "DATABASE_URL": self.database_url,
                "MUSTAFEED_SECRET_KEY": SECRET,
                "MUSTAFEED_DATA_DIR": str(self.workdir),
                "SUPERVISOR_IDS": str(STAFF),
            }
        )
        return env

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.runs += 1
        log = (self.workdir / f"bot-{self.runs}.log").open("wb")
        self.proc = subprocess.Popen(
            [_python(), "-m", "bot", "run"],
            cwd=self.workdir,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """``kill -9``: no clean-up of any kind runs in the bot."""
        assert self.proc is not None and self.proc.poll() is None, (
            "the bot is not running:\n" + self.output()
        )
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        assert self.proc.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def output(self, tail: int = 4000) -> str:
        parts = []
        for n in range(1, self.runs + 1):
            path = self.workdir / f"bot-{n}.log"
            if path.exists():
                parts.append(f"--- bot run {n} ---\n" + path.read_text(errors="replace")[-tail:])
        return "\n".join(parts)


async def counts(db: Database) -> dict[str, int]:
    """Updates still to process and messages still to send, by status."""
    # a test's plain Database counts every association's rows; a scoped one, its own
    async with db.read(unscoped=True) if isinstance(db, Database) else db.read() as session:
        inbound = dict(
            (
                await session.execute(
                    select(InboundUpdate.status, func.count()).group_by(InboundUpdate.status)
                )
            ).all()
        )
        outbox = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                )
            ).all()
        )
    return {
        **{f"in_{k}": v for k, v in inbound.items()},
        **{f"out_{k}": v for k, v in outbox.items()},
    }


async def eventually(check: Any, timeout: float, what: str, interval: float = 0.05) -> Any:
    """Poll an async condition (the database lives in another process: nothing to wait on)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(interval)


class ProcessApp:
    """What ``tests.harness.Person`` needs of an app, for a bot running in another process."""

    def __init__(self, emu: Emulator, db: Database, bot: BotProcess) -> None:
        self.emu, self.db, self.bot = emu, db, bot

    async def idle(self, timeout: float = 30.0) -> None:
        async def settled() -> bool:
            if self.bot.proc is not None and self.bot.proc.poll() is not None:
                raise AssertionError("the bot process died:\n" + self.bot.output())
            if self.emu.updates.pending_count:
                return False
            state = await counts(self.db)
            return not state.get("in_pending") and not state.get("out_pending")

        try:
            await eventually(settled, max(timeout, 30.0), "bot idle")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}: {await counts(self.db)}\n{self.bot.output()}") from None
