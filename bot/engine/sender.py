"""The outbox's sender: delivers the owed rows (``bot.engine.outbox``) through each channel's
``Delivery``.

The sender keeps per-chat order, paces itself under Telegram's limits (about 30 messages a
second in all, 20 a minute per group, short bursts then ~1 a second per private chat) and fits
each message to Telegram's length limits when it sends it (``render``: a long text in several
messages cut at line or word boundaries, or as a ``.txt`` file when very long; an over-long
caption in its own message after the media). Delivery is at-least-once: a crash between
Telegram's answer and our bookkeeping sends that one message again after the restart.

Errors are classified (``classify``): a permanent refusal (400, 403 in a group, 404) fails the
message at once; a person who blocked the bot (403 in a private chat) fails it and marks them
unreachable; 429, 5xx, timeouts and dropped connections are retried with back-off up to
``max_attempts`` tries or ``max_age`` seconds, then failed. A failed message never holds the
chat's later messages. A failure in a staff chat is told to the supervisors at once; failures
to beneficiaries go into the daily digest (``delivery_digest``).

The bookkeeping after each send (``sent``/``failed``, the new message's id, staff links) is a
group commit: outcomes of different chats that arrive while a write is under way go together
in the next transaction, and each chat waits for its own outcome to be stored before it sends
its next message — so a crash still repeats at most one message per chat.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
import time
from collections import deque
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from bot.domain.textutil import escape_html
from bot.engine.cluster import Cluster, SharedBudget
from bot.engine.outbox import (
    BLOCKED,
    BULK_KEY,
    INLINE_KEY,
    MAX_BACKOFF,
    PERMANENT,
    REMOTE_KEY,
    UNCHANGED,
    WAIT,
    Delivery,
    Limits,
    Out,
    Policy,
    SlidingWindow,
    TokenBucket,
    _merge_kind,
    _message_ids,
    _strip,
    is_message,
    then_owed,
)
from bot.engine.outcomes import Outcome, store
from bot.i18n import N_, translator
from storage.db import ScopedDatabase
from storage.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
UNRECORDED_KEPT = 10_000  # ids of delivered rows whose outcome could not be stored, remembered


@dataclass
class _ChatQueue:
    items: deque[Out] = field(default_factory=deque)
    bucket: TokenBucket | SlidingWindow | None = None
    task: asyncio.Task[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Sender:
    def __init__(
        self,
        db: ScopedDatabase,
        delivery: Delivery,
        tenant: str,
        limits: Limits | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.db, self.delivery, self.tenant = db, delivery, tenant
        self.deliveries: dict[str, Delivery] = {}  # other channels' (an Out names its channel)
        self.limits = limits or Limits()
        self.policy = policy or Policy()
        self._global = TokenBucket(self.limits.per_second, self.limits.per_second)
        self._chats: dict[int, _ChatQueue] = {}
        self._groups: dict[int, SlidingWindow] = {}  # a group's minute outlives its queue
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False
        self._outcomes: list[Outcome] = []
        self._writer: asyncio.Task[None] | None = None
        self._cool: dict[Any, float] = {}  # follow-up key -> when its next message may go
        self._bulk_turn = asyncio.Lock()  # bulk messages wait for a free token one at a time
        self._queued: set[int] = set()  # ids of the rows in the chats' queues
        self._watchers: list[set[int]] = []  # requeue's reads under way: ids leaving meanwhile
        self._unrecorded: dict[int, None] = {}  # delivered, but the outcome was not stored
        self.cluster: Cluster | None = None  # several processes on PostgreSQL (bot.engine.cluster)
        self.budget: SharedBudget | None = None  # then the bot's 30 a second are shared

    # -- feeding --------------------------------------------------------------------------
    async def load_pending(self) -> int:
        """After a restart: queue everything still owed, oldest first."""
        if self.cluster is not None:  # each chat's rows go to the process that locks it
            return 0
        rows = await self._owed_rows()
        self.enqueue([Out.of_row(r) for r in rows])
        return len(rows)

    async def _owed_rows(self) -> Sequence[OutboxMessage]:
        """Every row of the association still owed, oldest first."""
        async with self.db.read() as session:
            return (
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.association_id == self.tenant,
                        OutboxMessage.status == "pending",
                    )
                    .order_by(OutboxMessage.id)
                )
            ).all()

    async def requeue(self) -> int:
        """Queue the owed rows this sender does not know of: what a transaction stored when its
        COMMIT landed though its connection dropped before the answer (``Dispatcher.handle``;
        otherwise they would wait for a restart). None goes twice: a row queued meanwhile is
        skipped by ``enqueue``, and so is one that left its queue while the rows were read
        (delivered, though the read still saw it owed) or whose delivery could not be
        recorded (a restart's repeat, not ours)."""
        leaving: set[int] = set()
        self._watchers.append(leaving)
        try:
            rows = await self._owed_rows()
        finally:
            self._watchers.remove(leaving)
        owed = [Out.of_row(r) for r in rows if r.id not in leaving and r.id not in self._unrecorded]
        before = len(self._queued)
        self.enqueue(owed)
        return len(self._queued) - before

    def enqueue(self, items: list[Out]) -> None:
        if self.cluster is not None:  # only the chats this process holds
            items = self.cluster.sendable(items)
        for item in items:
            if item.id is not None:
                if item.id in self._queued:
                    continue  # queued already (by ``requeue`` and the handler that stored it)
                self._queued.add(item.id)
            queue = self._chats.get(item.chat_id)
            if queue is None:
                queue = self._chats[item.chat_id] = _ChatQueue(
                    bucket=self._bucket_for(item.chat_id)
                )
            queue.items.append(item)
            queue.wake.set()
            if queue.task is None or queue.task.done():
                queue.task = asyncio.create_task(self._run_chat(item.chat_id, queue))
            self._idle.clear()

    def _bucket_for(self, chat_id: int) -> TokenBucket | SlidingWindow:
        if chat_id < 0:
            window = self._groups.get(chat_id)
            if window is None:
                limits = self.limits
                window = SlidingWindow(limits.group_per_minute, limits.group_window)
                self._groups[chat_id] = window
            return window
        return TokenBucket(self.limits.private_per_second, self.limits.private_burst)

    def relimit(self, limits: Limits) -> None:
        """Other limits from now on, for the chats' queues under way too."""
        self.limits = limits
        self._global = TokenBucket(limits.per_second, limits.per_second)
        self._groups.clear()
        for chat_id, queue in self._chats.items():
            queue.bucket = self._bucket_for(chat_id)
        if self.budget is not None:
            self.budget.rate = self.budget.burst = limits.per_second
            self.budget.group_per_minute = limits.group_per_minute
            self.budget.window = limits.group_window

    def busy_with(self, chat_id: int) -> bool:
        return chat_id in self._chats

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

    # -- choosing -------------------------------------------------------------------------
    def _choose(self, queue: _ChatQueue) -> tuple[list[Out], float]:
        """The next message(s) to send in one call, or none and how long until a follow-up is
        due. Cards and decisions go first, in order; a follow-up goes before them only when
        one of them belongs to its case (the case's own order is kept); follow-ups of one key
        go at most once per interval, all those waiting merged."""
        now = time.monotonic()
        held: set[Any] = set()
        ready: int | None = None
        wait = math.inf
        for i, item in enumerate(queue.items):
            merge = item.merge
            if merge is None:
                if item.case is not None and item.case in held:
                    break  # waits for its case's follow-ups
                return [item], 0.0
            held.add(item.case)
            due = self._cool.get(merge.get("key"), 0.0) if _merge_kind(merge) == "join" else 0.0
            if due <= now:
                if ready is None:
                    ready = i
            else:
                wait = min(wait, due - now)
        if ready is None:
            return [], wait
        first = queue.items[ready]
        kind = _merge_kind(first.merge)
        batch = [first]
        if kind == "single":
            return batch, 0.0
        key = first.merge.get("key")  # type: ignore[union-attr]
        for item in list(queue.items)[ready + 1 :]:
            if (
                item.merge is not None
                and item.merge.get("key") == key
                and _merge_kind(item.merge) == kind
            ):
                batch.append(item)
            elif item.case is not None and item.case == first.case:
                break  # something else of the same case comes between: merge no further
        return batch, 0.0

    def _merged(self, batch: list[Out]) -> Out:
        first = batch[0]
        if len(batch) == 1 or _merge_kind(first.merge) != "join":
            return first
        merge = first.merge or {}
        text = merge["head"] + "\n" + "\n".join(item.merge["body"] for item in batch)  # type: ignore[index]
        merged = Out(
            first.chat_id,
            first.method,
            {**first.payload, "text": text},
            first.link_kind,
            first.link_id,
            first.id,
            channel=first.channel,
            created=first.created,
            attempts=first.attempts,
            done_parts=first.done_parts,
        )
        return merged

    # -- sending --------------------------------------------------------------------------
    async def _run_chat(self, chat_id: int, queue: _ChatQueue) -> None:
        backoff = 0.5
        try:
            while queue.items and not self._closing:
                batch, wait = self._choose(queue)
                if not batch:
                    queue.wake.clear()
                    with suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(
                            queue.wake.wait(), None if math.isinf(wait) else wait
                        )
                    continue
                item = batch[0]
                if item.done_parts and item.sent_with:  # partly delivered: finish the same text
                    batch = [x for x in item.sent_with if any(x is y for y in queue.items)] or batch
                item.sent_with = batch
                bulky = bool(item.payload.get(BULK_KEY))
                wait = max(
                    queue.bucket.delay() if queue.bucket else 0.0,
                    0.0 if bulky else self._global.delay(),
                )
                if wait:
                    await asyncio.sleep(wait)
                if bulky:
                    await self._bulk_slot()
                if self.budget is not None:  # the bot's 30 a second, a group's 20 a minute:
                    await self.budget.wait(chat_id)  # shared by the processes
                sending = self._merged(batch)
                try:
                    ids = await self._send(sending)
                except Exception as exc:
                    verdict = self._delivery(item).classify(exc, chat_id)
                    error = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"[:200]
                    if verdict == UNCHANGED:
                        await self._finish(batch, "sent")
                    elif verdict in (BLOCKED, PERMANENT):
                        log.error(
                            "outbox: %s to %s refused for good: %s",
                            item.method,
                            "a staff chat" if chat_id < 0 else "a person",
                            exc,
                        )
                        await self._finish(batch, "failed", error=error, blocked=verdict == BLOCKED)
                    else:
                        item.attempts += 1
                        item.done_parts = sending.done_parts
                        if self._given_up(item):
                            log.error(
                                "outbox: %s given up after %d attempts: %s",
                                item.method,
                                item.attempts,
                                exc,
                            )
                            await self._finish(
                                batch,
                                "failed",
                                error=f"gave up after {item.attempts} attempts: {error}"[:200],
                            )
                        else:
                            pause = (
                                self._delivery(item).retry_seconds(exc)
                                if verdict == WAIT
                                else backoff
                            )
                            log.warning(
                                "outbox: %s failed (%s); retrying in %.1fs",
                                item.method,
                                type(exc).__name__,
                                pause,
                            )
                            await self._note_attempt(item, error)
                            await asyncio.sleep(pause)
                            if verdict != WAIT:
                                backoff = min(backoff * 2, MAX_BACKOFF)
                            continue
                else:
                    backoff = 0.5
                    await self._finish(batch, "sent", message_ids=ids)
                if _merge_kind(item.merge) == "join" and item.merge is not None:
                    self._cool[item.merge.get("key")] = (
                        time.monotonic() + self.limits.followup_interval
                    )
                done = {id(x) for x in batch}
                queue.items = deque(x for x in queue.items if id(x) not in done)
                self._left(batch)
                if self.cluster is not None:
                    self.cluster.finished(batch)
        finally:
            if not queue.items and self._chats.get(chat_id) is queue:
                self._chats.pop(chat_id, None)
            if not self._chats:
                self._idle.set()

    def _left(self, batch: list[Out]) -> None:
        for item in batch:
            if item.id is not None:
                self._queued.discard(item.id)
                for leaving in self._watchers:
                    leaving.add(item.id)

    async def _bulk_slot(self) -> None:
        """A free global token for a bulk message (others reserve theirs ahead: they go first)."""
        async with self._bulk_turn:
            while (wait := self._global.take_if_free()) > 0:  # noqa: ASYNC110 - a bucket's next token
                await asyncio.sleep(max(wait, 0.005))

    def _given_up(self, item: Out) -> bool:
        return (
            item.attempts >= self.policy.max_attempts
            or time.time() - item.created > self.policy.max_age
        )

    def _delivery(self, item: Out) -> Delivery:
        return self.deliveries.get(item.channel, self.delivery)

    async def _send(self, item: Out) -> list[int]:
        """Make the calls that deliver ``item``; returns the ids of the messages made. The parts
        already delivered before a retry are not sent again."""
        ids = item.done_parts
        delivery = self._delivery(item)
        stripped = await self._fetched(_strip(item.payload))
        window = self._groups.get(item.chat_id)  # a group's minute: every message counts
        calls = 0
        for index, (method, payload) in enumerate(delivery.parts(item.method, stripped)):
            if index < len(ids):
                continue
            if payload.pop("$reply_first", False) and ids:
                payload["reply_parameters"] = {
                    "message_id": ids[0],
                    "allow_sending_without_reply": True,
                }
            if calls and window is not None:  # the caller took the first one's place
                await asyncio.sleep(window.delay())
            calls += 1
            try:
                result = await delivery.call(method, payload)
            finally:
                if window is not None:
                    window.stamp()
            made = _message_ids(result)
            ids.extend(made or [0])
        return [i for i in ids if i]

    async def _fetched(self, payload: dict[str, Any]) -> dict[str, Any]:
        """A file another channel holds, fetched from that channel as bytes to upload."""
        remote = payload.pop(REMOTE_KEY, None)
        if not remote:
            return payload
        source = self.deliveries.get(remote["channel"], self.delivery)
        if source is None or not hasattr(source, "fetch"):
            raise LookupError(f"no channel {remote['channel']} to fetch a file from")
        data, name = await source.fetch(remote["file_id"])
        payload.pop(remote["kind"], None)
        payload[INLINE_KEY] = {
            remote["kind"]: {"name": name, "b64": base64.b64encode(data).decode("ascii")}
        }
        return payload

    async def _note_attempt(self, item: Out, error: str) -> None:
        if item.id is None:
            return
        try:
            async with self.db.write() as session:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == item.id)
                    .values(attempts=OutboxMessage.attempts + 1, error=error)
                )
        except Exception as exc:  # only a counter: never stop the chat's queue for it
            log.warning("outbox: could not count an attempt (%s)", type(exc).__name__)

    async def _finish(
        self,
        batch: list[Out],
        status: str,
        *,
        message_ids: list[int] | None = None,
        error: str | None = None,
        blocked: bool = False,
    ) -> None:
        """Record the outcome of every message of ``batch`` (one call delivered them all);
        returns once it is stored (group commit, see the module doc)."""
        loop = asyncio.get_running_loop()
        futures = []
        at = utcnow()
        for item in batch:
            if (
                item.id is None
                and not then_owed(item, status)
                and not self._alerts_for(item, status)
            ):
                continue
            stored: asyncio.Future[None] = loop.create_future()
            self._outcomes.append(
                Outcome(item, status, list(message_ids or []), error, blocked, at, stored)
            )
            futures.append(stored)
        if not futures:
            return
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_outcomes())
        try:
            await asyncio.gather(*futures)
        except (
            Exception
        ) as exc:  # database away: the row stays pending (repeated after a restart only)
            for item in batch:
                if item.id is not None:
                    self._unrecorded[item.id] = None
            while len(self._unrecorded) > UNRECORDED_KEPT:
                del self._unrecorded[next(iter(self._unrecorded))]
            log.error(
                "outbox: could not record a %s %s (%s)", status, batch[0].method, type(exc).__name__
            )

    def _alerts_for(self, item: Out, status: str) -> list[Out]:
        """Supervisors are told at once when a message to a staff chat is given up."""
        if (
            status != "failed"
            or item.chat_id not in self.policy.staff_chats
            or not is_message(item.method)
        ):
            return []
        tr = translator("ar")
        text = tr.gettext(
            N_(
                "⚠️ A message to the staff group could not be delivered and was given up ({error}). Please check the case in the dashboard: {what}"
            )
        ).format(
            error="{error}",
            what=f"{item.link_kind} #{item.link_id}" if item.link_kind else item.method,
        )
        return [
            Out(
                supervisor,
                "sendMessage",
                {"chat_id": supervisor, "text": text, "parse_mode": "HTML"},
            )
            for supervisor in sorted(self.policy.supervisors)
        ]

    async def _write_outcomes(self) -> None:
        """Store waiting outcomes, a batch per transaction, in the order they came."""
        while self._outcomes:
            batch, self._outcomes = self._outcomes, []
            try:
                owed = self._owed_by(batch)
                await store(self.db, self.tenant, batch, owed)
            except Exception as exc:  # the chats whose outcome this was see the error, as before
                for outcome in batch:
                    if not outcome.stored.done():
                        outcome.stored.set_exception(exc)
            else:
                for outcome in batch:
                    if not outcome.stored.done():
                        outcome.stored.set_result(None)
                if owed:
                    self.enqueue(owed)

    def _owed_by(self, batch: list[Outcome]) -> list[Out]:
        """The messages these outcomes make owed (``$then``, alerts), stored with them."""
        owed: list[Out] = []
        for o in batch:
            owed += then_owed(o.item, o.status)
            for alert in self._alerts_for(o.item, o.status):
                alert.payload["text"] = alert.payload["text"].replace(
                    "{error}", escape_html(o.error or "?")
                )
                owed.append(alert)
        return owed
