"""At-least-once intake: every update is written to the database before Telegram is told it
was received, and processed exactly once (``update_id`` is the idempotency key).

Polling (``bot.channels.telegram.polling``) confirms an offset only with the *next*
``getUpdates`` call, after the batch is stored; the webhook answers 200 only after the row is
written. Updates of one chat are processed in
order; different chats run concurrently. Anything still pending after a restart is resumed.
On PostgreSQL, several processes share the work: a chat's updates are handled by the process
that holds its lock (``bot.engine.cluster``), and ``submit`` hands the others to it.

The stored update is encrypted (``storage.crypto.Vault``, AES-GCM bound to the tenant and the
update id): it holds what people typed (national IDs, mobiles, names). The handler gets the
dict it came as; only a restart reads the row back (``resume``). Once processed, the payload is
stripped (``bot.domain.privacy.strip_processed_updates``, at the next retention run).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import orjson
from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.engine.cluster import Cluster, chat_of
from storage.crypto import Vault
from storage.db import ScopedDatabase, retrying
from storage.models import InboundUpdate, table_of
from storage.prepared import Prepared

log = logging.getLogger(__name__)

Handler = Callable[[int, dict[str, Any]], Awaitable[None]]
ChatKey = Callable[[dict[str, Any]], "int | str"]  # the channel's: which chat a raw update is of
# built once; RETURNING names the updates not seen before. SQLite: one statement per update on
# the driver's connection (microseconds each); PostgreSQL: the batch as one executemany
# (SQLAlchemy's "insertmanyvalues": a few multi-row INSERTs, one round trip)
_INBOUND = table_of(InboundUpdate)
_STORE_VALUES = {
    c: bindparam(c, type_=_INBOUND.c[c].type)
    for c in ("association_id", "update_id", "raw", "chat_id", "status")
}
_STORE_SQLITE = Prepared(
    sqlite_insert(_INBOUND)
    .values(_STORE_VALUES)
    .on_conflict_do_nothing()
    .returning(InboundUpdate.update_id)
)
_STORE_PG = pg_insert(_INBOUND).on_conflict_do_nothing().returning(InboundUpdate.update_id)

RAWS_KEPT = 2_000  # updates stored here kept for the chat's holder (when it is this process)
DUPLICATE_WARNING_EVERY = 60.0  # seconds between two warnings about dropped duplicates


# tests only (tests/e2e/test_cluster.py): a line per handled update, to show that no chat's
# updates were handled at once by two processes (the system-wide monotonic clock, in ns)
HANDLING_LOG = os.environ.get("MUSTAFEED_HANDLING_LOG")


def _trace(chat: int | str, update_id: int, began: int) -> None:
    line = f"{os.getpid()} {chat} {update_id} {began} {time.monotonic_ns()}\n"
    fd = os.open(HANDLING_LOG or "", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())  # one O_APPEND write: lines of processes never interleave
    finally:
        os.close(fd)


def seal(vault: Vault, tenant: str, raw: dict[str, Any]) -> str:
    """The update as stored: encrypted, bound to its tenant and update id (a row copied onto
    another update's does not decrypt)."""
    return vault.encrypt(orjson.dumps(raw).decode(), f"update:{tenant}:{raw['update_id']}")


def unseal(
    vault: Vault, tenant: str, update_id: int, stored: str | dict[str, Any]
) -> dict[str, Any]:
    """The update from its row (rows stored in clear before encryption came are dicts)."""
    if isinstance(stored, dict):
        return stored
    return orjson.loads(vault.decrypt(stored, f"update:{tenant}:{update_id}"))


class Intake:
    def __init__(
        self,
        db: ScopedDatabase,
        tenant: str,
        handler: Handler,
        chat_key: ChatKey,
        concurrency: int = 64,
        *,
        vault: Vault,
    ) -> None:
        self.db, self.tenant, self.handler, self.chat_key = db, tenant, handler, chat_key
        self.vault = vault
        self._limit = asyncio.Semaphore(concurrency)
        self._tails: dict[int | str, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.duplicates = 0  # updates dropped because their id was stored before
        self.cluster: Cluster | None = None  # several processes on PostgreSQL (bot.engine.cluster)
        self._known: set[int] = set()  # update ids queued or running here
        self._raws: dict[int, dict[str, Any]] = {}  # stored here, for the chat's holder: no decrypt
        self._duplicate_warned = float("-inf")

    async def store(self, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write the updates; return those not seen before (a redelivery is dropped here)."""
        raws = [r for r in raws if isinstance(r, dict) and isinstance(r.get("update_id"), int)]
        if not raws:
            return []
        vault, tenant = self.vault, self.tenant
        rows = [
            {
                "association_id": tenant,
                "update_id": r["update_id"],
                "raw": seal(vault, tenant, r),
                "chat_id": key if isinstance(key := self.chat_key(r), int) else None,
                "status": "pending",
            }
            for r in raws
        ]

        sqlite = self.db.is_sqlite
        unsure: list[bool] = []  # the first INSERT may have committed (``retrying``)
        stored = await retrying(
            lambda: self.db.write_one(_STORE_SQLITE if sqlite else _STORE_PG, rows, each=sqlite),
            unsure=lambda: unsure.append(True),
        )
        if unsure:  # then its rows came back as "seen before": hand the whole batch on, the
            return raws  # handler's claim takes each update once
        fresh = {row[0] for row in stored}
        if len(fresh) < len(rows):
            self._note_duplicates([r["update_id"] for r in raws if r["update_id"] not in fresh])
        return [r for r in raws if r["update_id"] in fresh]

    def _note_duplicates(self, ids: list[int]) -> None:
        """Count them, and say so (once a minute at most): after a restart a redelivery is
        normal, but ids that keep colliding mean another Bot API server (or another bot) is
        writing into this database, and its updates would be lost without a word."""
        self.duplicates += len(ids)
        now = asyncio.get_running_loop().time()
        if now - self._duplicate_warned >= DUPLICATE_WARNING_EVERY:
            self._duplicate_warned = now
            log.warning(
                "%s: %d update(s) dropped, their ids already stored (%s; %d so far): "
                "normal after a restart; if it goes on, another Bot API server or bot "
                "shares this database",
                self.tenant,
                len(ids),
                ", ".join(map(str, ids[:5])) + (" …" if len(ids) > 5 else ""),
                self.duplicates,
            )

    async def resume(self) -> int:
        """Queue what was stored but not processed before the last stop."""
        if self.cluster is not None:  # the free chats with updates waiting, and its own
            return await self.cluster.sweep(0.0) + await self.cluster.load(
                sorted(self.cluster.held)
            )
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(InboundUpdate.update_id, InboundUpdate.raw)
                    .where(
                        InboundUpdate.association_id == self.tenant,
                        InboundUpdate.status == "pending",
                    )
                    .order_by(InboundUpdate.update_id)
                )
            ).all()
        resumed = 0
        for update_id, stored in rows:
            if stored is None:
                continue
            try:
                raw = unseal(self.vault, self.tenant, update_id, stored)
            except Exception as exc:  # another key, or a damaged row: it cannot be replayed
                log.error(
                    "update %s could not be decrypted (%s); skipped", update_id, type(exc).__name__
                )
                continue
            self.submit(raw)
            resumed += 1
        return resumed

    def submit(self, raw: dict[str, Any]) -> None:
        key = self.chat_key(raw)
        cluster = self.cluster
        if cluster is not None:
            update_id, chat = raw["update_id"], chat_of(key)
            if not cluster.ready(chat):  # locked here and read back, or left to its holder
                self._raws[update_id] = raw
                while len(self._raws) > RAWS_KEPT:
                    del self._raws[next(iter(self._raws))]
                if not cluster.holds(chat):
                    cluster.want([chat], offer=cluster.crowded(len(self._tails)))
                return
            if update_id in self._known:
                return
            self._known.add(update_id)
            cluster.touch(chat)
        self._queue(key, raw)

    def _queue(self, key: int | str, raw: dict[str, Any]) -> None:
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run(previous, raw))
        self._tails[key] = task
        self._idle.clear()
        task.add_done_callback(partial(self._done, key))

    def take_stored(self, update_id: int, stored: str | dict[str, Any] | None) -> int:
        """A waiting update of a chat this process now holds (``bot.engine.cluster``); 1 when
        it was queued here."""
        if update_id in self._known or stored is None:
            return 0
        raw = self._raws.pop(update_id, None)
        if raw is None:
            try:
                raw = unseal(self.vault, self.tenant, update_id, stored)
            except Exception as exc:  # another key, or a damaged row: it cannot be replayed
                log.error(
                    "update %s could not be decrypted (%s); skipped", update_id, type(exc).__name__
                )
                return 0
        self._known.add(update_id)
        self._queue(self.chat_key(raw), raw)
        return 1

    def busy_with(self, chat: int) -> bool:
        return chat in self._tails

    def _done(self, key: int | str, task: asyncio.Task[None]) -> None:
        if self._tails.get(key) is task:
            del self._tails[key]
        if not self._tails:
            self._idle.set()

    async def _run(self, previous: asyncio.Task[None] | None, raw: dict[str, Any]) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        async with self._limit:
            began = time.monotonic_ns()
            try:
                await self.handler(raw["update_id"], raw)
            except Exception:  # the handler records failures itself; never stop the flow
                log.exception("update %s could not be handled", raw.get("update_id"))
            finally:
                self._known.discard(raw["update_id"])
                if HANDLING_LOG:
                    _trace(self.chat_key(raw), raw["update_id"], began)

    async def wait_idle(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._idle.wait(), timeout)
