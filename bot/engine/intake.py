"""At-least-once intake: every update is written to the database before Telegram is told it
was received, and processed exactly once (``update_id`` is the idempotency key).

Polling confirms an offset only with the *next* ``getUpdates`` call, after the batch is stored;
the webhook answers 200 only after the row is written. Updates of one chat are processed in
order; different chats run concurrently. Anything still pending after a restart is resumed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from telegram import Bot
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.transport import POLL_TIMEOUT, call, retry_seconds
from storage.db import ScopedDatabase
from storage.models import InboundUpdate

log = logging.getLogger(__name__)

Handler = Callable[[int, dict[str, Any]], Awaitable[None]]
# built once; a batch runs as one executemany (SQLAlchemy's "insertmanyvalues": a few multi-row
# INSERTs), and RETURNING names the updates not seen before
_STORE_SQLITE = sqlite_insert(InboundUpdate.__table__).on_conflict_do_nothing().returning(InboundUpdate.update_id)
_STORE_PG = pg_insert(InboundUpdate.__table__).on_conflict_do_nothing().returning(InboundUpdate.update_id)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member", "chat_member"]
_CHAT_PATHS = ("message", "edited_message", "channel_post", "edited_channel_post",
               "business_message")


def chat_key(raw: dict[str, Any]) -> int | str:
    """The chat an update belongs to, so that one chat's updates keep their order."""
    for key in _CHAT_PATHS:
        if isinstance(raw.get(key), dict):
            chat = raw[key].get("chat") or {}
            if "id" in chat:
                return chat["id"]
    callback = raw.get("callback_query")
    if isinstance(callback, dict):
        message = callback.get("message") or {}
        if isinstance(message.get("chat"), dict):
            return message["chat"].get("id", 0)
        return (callback.get("from") or {}).get("id", 0)
    for key in ("my_chat_member", "chat_member", "chat_join_request"):
        if isinstance(raw.get(key), dict):
            return (raw[key].get("chat") or {}).get("id", 0)
    return f"update:{raw.get('update_id')}"


class Intake:
    def __init__(self, db: ScopedDatabase, tenant: str, handler: Handler, concurrency: int = 64) -> None:
        self.db, self.tenant, self.handler = db, tenant, handler
        self._limit = asyncio.Semaphore(concurrency)
        self._tails: dict[int | str, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    async def store(self, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write the updates; return those not seen before (a redelivery is dropped here)."""
        raws = [r for r in raws if isinstance(r, dict) and isinstance(r.get("update_id"), int)]
        if not raws:
            return []
        rows = [{"association_id": self.tenant, "update_id": r["update_id"], "raw": r,
                 "chat_id": key if isinstance(key := chat_key(r), int) else None, "status": "pending"}
                for r in raws]
        async with self.db.write() as session:
            conn = await session.connection()
            fresh = set((await conn.execute(_STORE_SQLITE if self.db.is_sqlite else _STORE_PG, rows)).scalars().all())
        return [r for r in raws if r["update_id"] in fresh]

    async def resume(self) -> int:
        """Queue what was stored but not processed before the last stop."""
        async with self.db.read() as session:
            rows = (await session.execute(
                select(InboundUpdate.update_id, InboundUpdate.raw)
                .where(InboundUpdate.association_id == self.tenant, InboundUpdate.status == "pending")
                .order_by(InboundUpdate.update_id)
            )).all()
        for _, raw in rows:
            self.submit(raw)
        return len(rows)

    def submit(self, raw: dict[str, Any]) -> None:
        key = chat_key(raw)
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run(previous, raw))
        self._tails[key] = task
        self._idle.clear()
        task.add_done_callback(lambda t, k=key: self._done(k, t))

    def _done(self, key: int | str, task: asyncio.Task[None]) -> None:
        if self._tails.get(key) is task:
            del self._tails[key]
        if not self._tails:
            self._idle.set()

    async def _run(self, previous: asyncio.Task[None] | None, raw: dict[str, Any]) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        async with self._limit:
            try:
                await self.handler(raw["update_id"], raw)
            except Exception:  # the handler records failures itself; never stop the flow
                log.exception("update %s could not be handled", raw.get("update_id"))

    async def wait_idle(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._idle.wait(), timeout)


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
                log.warning("getUpdates failed (%s); retrying in %.0fs", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            if not isinstance(raws, list) or not raws:
                backoff = 1.0
                continue
            try:
                fresh = await self.intake.store(raws)
            except Exception as exc:  # the database is away: keep the offset, fetch them again
                log.error("could not store %d updates (%s); retrying in %.0fs", len(raws),
                          type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            ids = [r["update_id"] for r in raws if isinstance(r, dict) and isinstance(r.get("update_id"), int)]
            if ids:
                self.offset = max(ids) + 1  # confirmed with the next call, after the rows exist
            for raw in fresh:
                self.intake.submit(raw)

    def stop(self) -> None:
        self._stop.set()
