"""At-least-once intake: every update is written to the database before Telegram is told it
was received, and processed exactly once (``update_id`` is the idempotency key).

Polling (``bot.channels.telegram.polling``) confirms an offset only with the *next*
``getUpdates`` call, after the batch is stored; the webhook answers 200 only after the row is
written. Updates of one chat are processed in
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

from storage.db import Database
from storage.models import InboundUpdate

log = logging.getLogger(__name__)

Handler = Callable[[int, dict[str, Any]], Awaitable[None]]
ChatKey = Callable[[dict[str, Any]], "int | str"]  # the channel's: which chat a raw update is of
# built once; a batch runs as one executemany (SQLAlchemy's "insertmanyvalues": a few multi-row
# INSERTs), and RETURNING names the updates not seen before
_STORE_SQLITE = sqlite_insert(InboundUpdate.__table__).on_conflict_do_nothing().returning(InboundUpdate.update_id)
_STORE_PG = pg_insert(InboundUpdate.__table__).on_conflict_do_nothing().returning(InboundUpdate.update_id)

class Intake:
    def __init__(self, db: Database, tenant: str, handler: Handler, chat_key: ChatKey,
                 concurrency: int = 64) -> None:
        self.db, self.tenant, self.handler, self.chat_key = db, tenant, handler, chat_key
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
                 "chat_id": key if isinstance(key := self.chat_key(r), int) else None, "status": "pending"}
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
        key = self.chat_key(raw)
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
