"""The delivery outbox: every Bot API call the bot owes someone is a row, written in the same
transaction as the change that made it owed, then sent by ``Sender``.

The sender keeps per-chat order, paces itself under Telegram's limits (about 30 messages a
second in all, 20 a minute per group, short bursts then ~1 a second per private chat), waits out
``RetryAfter``, retries timeouts, dropped connections and 5xx with back-off, and marks a
beneficiary who blocked the bot (403) as unreachable. Delivery is at-least-once: a crash between
Telegram's answer and our bookkeeping sends that one message again after the restart.

The bookkeeping after each send (``sent``/``failed``, the new message's id, staff links) is a
group commit: outcomes of different chats that arrive while a write is under way go together
in the next transaction, and each chat waits for its own outcome to be stored before it sends
its next message — so a crash still repeats at most one message per chat.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.transport import call, retry_seconds
from storage.db import ScopedDatabase
from storage.models import Beneficiary, OutboxMessage, StaffMessageLink, utcnow

log = logging.getLogger(__name__)

FILES_KEY = "$files"  # payload key: {"document": "/path/to/file"} uploaded at send time
INLINE_KEY = "$inline"  # payload key: {"document": {"name": "x.txt", "b64": "…"}} (small files we make)
MAX_BACKOFF = 60.0


@dataclass
class Out:
    """A Bot API call to make: ``method`` with a JSON-ready ``payload`` (chat_id included)."""

    chat_id: int
    method: str
    payload: dict[str, Any]
    link_kind: str | None = None  # when sent, remember which case the new message belongs to
    link_id: int | None = None
    id: int | None = None  # the outbox row, once written

    def row(self, tenant: str) -> OutboxMessage:
        return OutboxMessage(association_id=tenant, chat_id=self.chat_id, method=self.method,
                             payload=self.payload, link_kind=self.link_kind, link_id=self.link_id)


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def delay(self) -> float:
        """Take a token; return how long to wait before using it."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


@dataclass
class Limits:
    per_second: float = 30.0
    group_per_minute: float = 20.0
    private_burst: float = 5.0
    private_per_second: float = 1.0


@dataclass
class _Outcome:
    """What became of one sent (or refused) message, waiting to be written."""

    item: Out
    status: str
    message_id: int | None
    error: str | None
    blocked: bool
    at: Any
    stored: asyncio.Future[None]


@dataclass
class _ChatQueue:
    items: deque[Out] = field(default_factory=deque)
    bucket: TokenBucket | None = None
    task: asyncio.Task[None] | None = None


class Sender:
    def __init__(self, db: ScopedDatabase, bot: Bot, tenant: str, limits: Limits | None = None) -> None:
        self.db, self.bot, self.tenant = db, bot, tenant
        self.limits = limits or Limits()
        self._global = TokenBucket(self.limits.per_second, self.limits.per_second)
        self._chats: dict[int, _ChatQueue] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False
        self._outcomes: list[_Outcome] = []
        self._writer: asyncio.Task[None] | None = None

    # -- feeding --------------------------------------------------------------------------
    async def load_pending(self) -> int:
        """After a restart: queue everything still owed, oldest first."""
        async with self.db.read() as session:
            rows = (await session.scalars(
                select(OutboxMessage).where(OutboxMessage.association_id == self.tenant,
                                            OutboxMessage.status == "pending").order_by(OutboxMessage.id)
            )).all()
        self.enqueue([Out(r.chat_id, r.method, r.payload, r.link_kind, r.link_id, r.id) for r in rows])
        return len(rows)

    def enqueue(self, items: list[Out]) -> None:
        for item in items:
            queue = self._chats.get(item.chat_id)
            if queue is None:
                queue = self._chats[item.chat_id] = _ChatQueue(bucket=self._bucket_for(item.chat_id))
            queue.items.append(item)
            if queue.task is None or queue.task.done():
                queue.task = asyncio.create_task(self._run_chat(item.chat_id, queue))
            self._idle.clear()

    def _bucket_for(self, chat_id: int) -> TokenBucket:
        if chat_id < 0:
            per_minute = self.limits.group_per_minute
            return TokenBucket(per_minute / 60.0, per_minute)
        return TokenBucket(self.limits.private_per_second, self.limits.private_burst)

    async def wait_idle(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def stop(self) -> None:
        self._closing = True
        tasks = [q.task for q in self._chats.values() if q.task and not q.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        writer = self._writer
        if writer is not None and not writer.done():  # outcomes already known are still stored
            await asyncio.wait({writer}, timeout=5)

    # -- sending --------------------------------------------------------------------------
    async def _run_chat(self, chat_id: int, queue: _ChatQueue) -> None:
        backoff = 0.5
        try:
            while queue.items and not self._closing:
                item = queue.items[0]
                wait = max(queue.bucket.delay() if queue.bucket else 0.0, self._global.delay())
                if wait:
                    await asyncio.sleep(wait)
                try:
                    result = await self._send(item)
                except RetryAfter as exc:
                    seconds = retry_seconds(exc)
                    log.warning("outbox: Telegram asks to wait %.0fs (chat queue paused)", seconds)
                    await asyncio.sleep(seconds)
                    continue
                except Forbidden as exc:
                    await self._finish(item, "failed", error=str(exc)[:200], blocked=True)
                    queue.items.popleft()
                    continue
                except BadRequest as exc:
                    if "not modified" in str(exc).lower():
                        await self._finish(item, "sent")
                    else:
                        log.error("outbox: %s refused: %s", item.method, exc)
                        await self._finish(item, "failed", error=str(exc)[:200])
                    queue.items.popleft()
                    continue
                except (NetworkError, TelegramError, OSError) as exc:  # timeouts, 5xx, dropped
                    log.warning("outbox: %s failed (%s); retrying in %.1fs", item.method,
                                type(exc).__name__, backoff)
                    await self._note_attempt(item, str(exc)[:200])
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                backoff = 0.5
                message_id = result.get("message_id") if isinstance(result, dict) else None
                await self._finish(item, "sent", message_id=message_id)
                queue.items.popleft()
        finally:
            if not queue.items:
                self._chats.pop(chat_id, None)
            if not self._chats:
                self._idle.set()

    async def _send(self, item: Out) -> Any:
        payload = dict(item.payload)
        files = payload.pop(FILES_KEY, None) or {}
        for key, spec in (payload.pop(INLINE_KEY, None) or {}).items():
            payload[key] = InputFile(base64.b64decode(spec["b64"]), filename=spec["name"])
        handles = []
        try:
            for key, path in files.items():
                fh = Path(path).open("rb")
                handles.append(fh)
                payload[key] = InputFile(fh, filename=Path(path).name)
            return await call(self.bot, item.method, payload)
        finally:
            for fh in handles:
                fh.close()

    async def _note_attempt(self, item: Out, error: str) -> None:
        if item.id is None:
            return
        try:
            async with self.db.write() as session:
                await session.execute(update(OutboxMessage).where(OutboxMessage.id == item.id)
                                      .values(attempts=OutboxMessage.attempts + 1, error=error))
        except Exception as exc:  # only a counter: never stop the chat's queue for it
            log.warning("outbox: could not count an attempt (%s)", type(exc).__name__)

    async def _finish(self, item: Out, status: str, *, message_id: int | None = None,
                      error: str | None = None, blocked: bool = False) -> None:
        """Record the outcome; returns once it is stored (group commit, see the module doc)."""
        if item.id is None:
            return
        stored: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append(_Outcome(item, status, message_id, error, blocked, utcnow(), stored))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_outcomes())
        try:
            await stored
        except Exception as exc:  # database away: the row stays pending (repeated after a restart only)
            log.error("outbox: could not record a %s %s (%s)", status, item.method, type(exc).__name__)

    async def _write_outcomes(self) -> None:
        """Store waiting outcomes, a batch per transaction, in the order they came."""
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                await self._store(batch)
            except Exception as exc:  # the chats whose outcome this was see the error, as before
                for outcome in batch:
                    if not outcome.stored.done():
                        outcome.stored.set_exception(exc)
            else:
                for outcome in batch:
                    if not outcome.stored.done():
                        outcome.stored.set_result(None)

    async def _store(self, batch: list[_Outcome]) -> None:
        table = OutboxMessage.__table__
        by_id = table.c.id == bindparam("o_id")
        sent = [o for o in batch if o.status == "sent"]
        other = [o for o in batch if o.status != "sent"]
        async with self.db.write() as session:
            if sent:  # a delivered message's words are no longer ours to keep (privacy)
                await session.execute(
                    update(table).where(by_id).values(
                        status="sent", sent_at=bindparam("o_at"), result_message_id=bindparam("o_mid"),
                        error=bindparam("o_error"), attempts=table.c.attempts + 1, payload={}),
                    [{"o_id": o.item.id, "o_at": o.at, "o_mid": o.message_id, "o_error": o.error} for o in sent])
            if other:
                await session.execute(
                    update(table).where(by_id).values(
                        status=bindparam("o_status"), sent_at=bindparam("o_at"),
                        result_message_id=bindparam("o_mid"), error=bindparam("o_error"),
                        attempts=table.c.attempts + 1),
                    [{"o_id": o.item.id, "o_status": o.status, "o_at": o.at, "o_mid": o.message_id,
                      "o_error": o.error} for o in other])
            session.add_all([StaffMessageLink(association_id=self.tenant, chat_id=o.item.chat_id,
                                              message_id=o.message_id, subject_kind=o.item.link_kind,
                                              subject_id=o.item.link_id)
                             for o in batch if o.message_id and o.item.link_kind and o.item.link_id is not None])
            blocked = sorted({o.item.chat_id for o in batch if o.blocked and o.item.chat_id > 0})
            if blocked:
                await session.execute(
                    update(Beneficiary).where(Beneficiary.association_id == self.tenant,
                                              Beneficiary.telegram_user_id.in_(blocked))
                    .values(unreachable_at=utcnow())
                )
