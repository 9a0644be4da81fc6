"""Long polling for Telegram: raw ``getUpdates``, each batch handed to ``bot.engine.intake``,
which stores it before the offset moves on (at-least-once, see that module)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.transport import POLL_TIMEOUT, call, retry_seconds
from bot.engine.intake import Intake

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"]


class Poller:
    """Long polling with raw ``getUpdates``; the offset moves only after the batch is stored."""

    def __init__(self, bot: Bot, intake: Intake, timeout: int = POLL_TIMEOUT) -> None:
        self.bot, self.intake, self.timeout = bot, intake, timeout
        self.offset: int | None = None
        self._stop = asyncio.Event()

    async def run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            payload: dict[str, Any] = {"timeout": self.timeout, "allowed_updates": ALLOWED_UPDATES}
            if self.offset is not None:
                payload["offset"] = self.offset
            try:
                raws = await call(self.bot, "getUpdates", payload, read_timeout=self.timeout + 10)
            except asyncio.CancelledError:
                raise
            except InvalidToken:
                raise
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
                continue
            except Conflict:
                log.error("getUpdates: a webhook is set or another poller runs; retrying in 10s")
                await asyncio.sleep(10)
                continue
            except (NetworkError, TelegramError, OSError) as exc:
                log.warning(
                    "getUpdates failed (%s); retrying in %.0fs", type(exc).__name__, backoff
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not isinstance(raws, list) or not raws:
                backoff = 1.0
                continue
            try:
                fresh = await self.intake.store(raws)
            except Exception as exc:  # the database is away: keep the offset, fetch them again
                log.error(
                    "could not store %d updates (%s); retrying in %.0fs",
                    len(raws),
                    type(exc).__name__,
                    backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            ids = [
                r["update_id"]
                for r in raws
                if isinstance(r, dict) and isinstance(r.get("update_id"), int)
            ]
            if ids:
                self.offset = max(ids) + 1  # confirmed with the next call, after the rows exist
            for raw in fresh:
                self.intake.submit(raw)

    def stop(self) -> None:
        self._stop.set()
