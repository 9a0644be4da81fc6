"""One association served by several processes on one PostgreSQL database.

Every process may store updates (the poller holding the lease, or any webhook process) and
owe messages (any unit of work). Who *handles* a chat's updates and *sends* its messages is
decided by a chat lock (``storage.claims``): the process that holds a chat's lock does both,
one update at a time and in order (``bot.engine.intake``), one message at a time and in order
(``bot.engine.sender``); no other process touches that chat meanwhile.

* A process that stores an update or owes a message for a chat it does not hold tries to lock
  it (one trip). It gets it when nobody holds it, then reads that chat's waiting rows from the
  database, in order, and goes on locally. When another process holds it, it says so with a
  notification and leaves the rows to the holder, who reads them.
* A process already busy with many chats does not try: it only notifies, and whichever process
  answers first takes the chat — so a burst spreads over the processes.
* Locks are kept while a chat is active and released after ``IDLE`` seconds without work, so a
  conversation costs no lock traffic once under way. (A process alone — the peers are counted
  in ``pg_stat_activity`` at each sweep — takes every chat itself: offering costs trips.)
* Every ``SWEEP`` seconds each process locks the free chats that still have work waiting: the
  chats of a process that died (its locks went with its connection), or a notification missed.
  One sweep serves every association the process runs (``Sweeper``): one statement a round,
  whatever their number.

Exactly once still rests on the update's claim (``pending`` → ``done`` in the unit of work)
and on the outbox row's status; the lock adds "one process at a time, in order". SIGKILL loses
nothing: an unfinished update is still ``pending``, an unsent message still owed; the one
message in flight per chat may be sent twice (Telegram has no idempotent send).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.engine.outbox import Out
from storage.models import InboundUpdate, OutboxMessage

log = logging.getLogger(__name__)

IDLE = 30.0  # seconds without work before a chat's lock is given back
SWEEP = 2.0  # seconds between two looks for free chats with work waiting
TICK = 1.0  # seconds between two looks for idle chats to give back
BUSY = 8  # chats in flight here above which new chats are offered to every process


def chat_of(key: int | str | None) -> int:
    """The chat an update is stored under (``inbound_updates.chat_id``; 0 for none)."""
    return key if isinstance(key, int) else 0


class Cluster:
    """This process's part in serving one association (PostgreSQL only)."""

    def __init__(self, link: Any, tenant: str, intake: Any, sender: Any) -> None:
        # intake: bot.engine.intake.Intake, sender: bot.engine.sender.Sender (they import this)
        self.link, self.tenant, self.intake, self.sender = link, tenant, intake, sender
        self.held: set[int] = set()
        self._touched: dict[int, float] = {}
        self._ops: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._sweeper = link.shared(Sweeper)
        self._gate = self._sweeper.gate  # the link's locks change one statement at a time
        self.peers = 1  # processes serving from this database (counted at each sweep)
        self._wanted: set[int] = set()  # chats to lock at the next turn of the loop
        self._offered: set[int] = set()  # chats to offer to every process
        self._handing = False  # the rows just read are being handed to the sender
        self._loading: dict[int, bool] = {}  # chats being read -> rows came meanwhile (read again)
        self._queued: set[int] = set()  # outbox ids in this process's sender
        self._sent: dict[int, None] = {}  # ids it finished lately (a read may predate them)

    # -- start and stop -------------------------------------------------------------------
    async def start(self) -> None:
        self.link.listen(self.tenant, self._notified, self._forget)
        await self.sweep(0.0)
        self._sweeper.add(self)

    def _forget(self) -> None:
        """The link is gone and its locks with it: nothing is held now (work under way ends;
        the rest is taken again, by this process or another, at the next want or sweep)."""
        self.held.clear()
        self._touched.clear()

    async def stop(self) -> None:
        self._sweeper.discard(self)
        for task in self._ops:
            task.cancel()
        await asyncio.gather(*self._ops, return_exceptions=True)
        async with self._gate:  # a sweep under way may still lock chats for it: let it end
            held, self.held = sorted(self.held), set()
            with suppress(Exception):  # closing the connection frees them anyway
                await self.link.unlock(self.tenant, held)

    async def wait_idle(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._idle.wait(), timeout)

    # -- who holds a chat -----------------------------------------------------------------
    def holds(self, chat: int) -> bool:
        return chat in self.held

    def ready(self, chat: int) -> bool:
        """Held here and not being read: new work for it may go straight to its queue. While
        it is read, new work waits for the next read (older rows may be in this one)."""
        if chat not in self.held:
            return False
        if chat in self._loading:
            self._loading[chat] = True
            return False
        return True

    def touch(self, chat: int) -> None:
        self._touched[chat] = time.monotonic()

    def want(self, chats: Iterable[int], *, offer: bool = False) -> None:
        """Rows wait for ``chats``, which this process does not hold: lock them and read their
        rows, or tell their holder (``offer``: only tell, let any process take them). The
        chats wanted in one turn of the event loop go in one trip."""
        wanted = self._offered if offer else self._wanted
        if not self._offered and not self._wanted:
            asyncio.get_running_loop().call_soon(self._flush)
            self._idle.clear()
        wanted.update(set(chats) - self.held)

    def _flush(self) -> None:
        wanted, offered = sorted(self._wanted), sorted(self._offered - self._wanted)
        self._wanted, self._offered = set(), set()
        self._spawn(self._want(wanted, False))
        self._spawn(self._want(offered, True))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._ops.add(task)
        self._idle.clear()
        task.add_done_callback(self._op_done)

    def _op_done(self, task: asyncio.Task[None]) -> None:
        self._ops.discard(task)
        if not self._ops:
            self._idle.set()
        if not task.cancelled() and task.exception() is not None:
            log.warning("cluster: %s", type(task.exception()).__name__)

    async def _want(self, chats: list[int], offer: bool) -> None:
        if not chats:
            return
        got = [] if offer else await self._lock(chats)
        if got:
            await self.load(got)
        missed = sorted(set(chats) - set(got))
        if missed:
            await self.link.notify(self.tenant, missed)

    async def _lock(self, chats: list[int]) -> list[int]:
        async with self._gate:  # ``held`` mirrors the database's locks: one change at a time
            chats = [c for c in chats if c not in self.held]
            got = await self.link.lock(self.tenant, chats)
            self._hold(got)
        return got

    def _hold(self, chats: list[int]) -> None:
        now = time.monotonic()
        for chat in chats:
            self.held.add(chat)
            self._touched[chat] = now

    def _notified(self, chats: list[int]) -> None:
        """Someone owes rows to ``chats``: read them if they are ours, take them if free."""
        mine = [c for c in chats if c in self.held]
        if mine:
            for chat in mine:
                self.touch(chat)
                if chat in self._loading:
                    self._loading[chat] = True
            self._spawn(self.load(mine))
        others = [c for c in chats if c not in self.held]
        if others:
            self._spawn(self._take(others))

    async def _take(self, chats: list[int]) -> None:
        got = await self._lock(chats)
        if got:
            await self.load(got)

    def crowded(self, in_flight: int) -> bool:
        """Whether new chats should be offered to every process rather than taken here: other
        processes serve too, and this one already has ``BUSY`` chats in flight."""
        return self.peers > 1 and in_flight >= BUSY

    async def sweep(self, older: float = SWEEP) -> int:
        """Lock this association's free chats with work waiting for over ``older`` seconds (a
        dead process's, a missed notification); the process's ``Sweeper`` does this for all
        its associations at once every ``SWEEP`` seconds."""
        return await self._sweeper.round(older, [self])

    def idle_chats(self) -> list[int]:
        """The chats without work here for ``IDLE`` seconds, forgotten now: the caller gives
        their locks back (``Sweeper.release``, under the gate)."""
        limit = time.monotonic() - IDLE
        idle = [
            chat
            for chat in self.held
            if self._touched.get(chat, 0.0) < limit
            and chat not in self._loading
            and not self.intake.busy_with(chat)
            and not self.sender.busy_with(chat)
        ]
        for chat in idle:
            self.held.discard(chat)
            self._touched.pop(chat, None)
        return sorted(idle)

    # -- the sender's side ----------------------------------------------------------------
    def sendable(self, items: list[Out]) -> list[Out]:
        """Of owed ``items``, those this process sends now: rows of chats it holds, not queued
        or finished here already. The rows of other chats are asked for (``want``)."""
        mine: list[Out] = []
        away: set[int] = set()
        for item in items:
            if item.id is not None:
                if item.id in self._queued or item.id in self._sent:
                    continue
                if item.chat_id not in self.held:
                    away.add(item.chat_id)
                    continue
                if not self._handing and not self.ready(item.chat_id):
                    continue  # its row is read with the others, in order
                self._queued.add(item.id)
            self.touch(item.chat_id)
            mine.append(item)
        if away:
            self.want(away)
        return mine

    def finished(self, items: Iterable[Out]) -> None:
        for item in items:
            if item.id is not None:
                self._queued.discard(item.id)
                self._sent[item.id] = None
                self.touch(item.chat_id)
        while len(self._sent) > 10_000:
            del self._sent[next(iter(self._sent))]

    # -- reading a chat's waiting rows ---------------------------------------------------------
    async def load(self, chats: list[int]) -> int:
        """Hand this process the waiting updates and owed messages of ``chats`` (held here), in
        order, except those it has already; read again while new ones came meanwhile."""
        chats = [c for c in chats if c not in self._loading]  # a read under way reads again
        for chat in chats:
            self._loading[chat] = False
        reading, taken = chats, 0
        try:
            while reading:
                taken += await self._read(reading)
                # any chat of this read may have had work come meanwhile, not only the last
                # pass's: it was held back (``ready``) and must be read again
                reading = [c for c in chats if self._loading[c]]
                for chat in reading:
                    self._loading[chat] = False
        finally:
            for chat in chats:
                self._loading.pop(chat, None)
        return taken

    async def _read(self, chats: list[int]) -> int:
        """One read of the chats' waiting rows; returns how many updates were handed over."""
        async with self.intake.db.read() as session:
            updates = (
                await session.execute(
                    select(InboundUpdate.update_id, InboundUpdate.raw, InboundUpdate.chat_id)
                    .where(
                        InboundUpdate.association_id == self.tenant,
                        InboundUpdate.status == "pending",
                        func.coalesce(InboundUpdate.chat_id, 0).in_(chats),
                    )
                    .order_by(InboundUpdate.update_id)
                )
            ).all()
            owed = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.association_id == self.tenant,
                        OutboxMessage.status == "pending",
                        OutboxMessage.chat_id.in_(chats),
                    )
                    .order_by(OutboxMessage.id)
                )
            ).all()
        taken = 0
        for update_id, stored, chat in updates:
            if chat_of(chat) in self.held:  # still ours (a chat is never given back mid-read)
                taken += self.intake.take_stored(update_id, stored)
        self._handing = True
        try:
            self._hand_over(owed)
        finally:
            self._handing = False
        return taken

    def _hand_over(self, owed: Any) -> None:
        self.sender.enqueue([Out.of_row(r) for r in owed])


class Sweeper:
    """The clusters of one process on one link (one per database): every ``SWEEP`` seconds one
    statement sweeps the waiting work of all their associations and counts the peers
    (``storage.claims.ClusterLink.sweep``); every ``TICK`` the idle chats of all of them are
    given back, in one statement when there are any."""

    def __init__(self, link: Any) -> None:
        self.link = link
        self.clusters: dict[str, Cluster] = {}
        self.gate = asyncio.Lock()  # the link's chat locks and ``held`` change together
        self.rounds = 0  # sweep statements sent (tests and benchmarks count them)
        self._task: asyncio.Task[None] | None = None

    def add(self, cluster: Cluster) -> None:
        self.clusters[cluster.tenant] = cluster
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="sweep")

    def discard(self, cluster: Cluster) -> None:
        if self.clusters.get(cluster.tenant) is cluster:
            del self.clusters[cluster.tenant]
        if not self.clusters and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        swept = time.monotonic()  # each cluster swept for itself as it started
        while self.clusters:
            await asyncio.sleep(TICK)
            await self._guarded(self.release)
            if time.monotonic() - swept >= SWEEP - TICK / 2:
                swept = time.monotonic()
                await self._guarded(self.round)

    async def _guarded(self, work: Any) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database away: the next round tries again
            log.warning("cluster: %s failed (%s)", work.__name__, type(exc).__name__)

    async def release(self) -> None:
        """Give back the locks of every association's idle chats, in one statement."""
        async with self.gate:
            idle = [(c.tenant, chat) for c in self.clusters.values() for chat in c.idle_chats()]
            if idle:
                await self.link.unlock_pairs(idle)

    async def round(self, older: float = SWEEP, clusters: list[Cluster] | None = None) -> int:
        """Lock the free chats of every association (or of ``clusters``) with work waiting for
        over ``older`` seconds, in one statement, and read their rows; returns how many
        updates were handed over."""
        clusters = list(self.clusters.values()) if clusters is None else clusters
        if not clusters:
            return 0
        got: dict[str, list[int]] = {}
        async with self.gate:
            held = [f"{c.tenant}:{chat}" for c in clusters for chat in c.held]
            self.rounds += 1
            peers, locked = await self.link.sweep([c.tenant for c in clusters], held, older)
            for tenant, chat in locked:
                got.setdefault(tenant, []).append(chat)
            for cluster in clusters:
                cluster.peers = peers
                cluster._hold(got.get(cluster.tenant, []))
        loads = [c.load(got[c.tenant]) for c in clusters if c.tenant in got]
        if not loads:
            return 0
        log.info("cluster: %d chat(s) with work waiting taken over", len(locked))
        taken = 0
        for result in await asyncio.gather(*loads, return_exceptions=True):
            if isinstance(result, BaseException):
                log.warning("cluster: a read failed (%s)", type(result).__name__)
            else:
                taken += result
        return taken


class SharedBudget:
    """Telegram's limits for the bot as a whole, kept in the database: its ~30 messages a
    second (a token bucket in one row), and each group's 20 a minute — no more than
    ``group_per_minute`` messages to a group in any ``window`` seconds, counted from the outbox's
    ``sent_at`` (written once each send is done, before the chat's next one), so a process that
    takes a group over continues its minute instead of starting a new one."""

    def __init__(
        self,
        link: Any,
        tenant: str,
        rate: float,
        burst: float,
        group_per_minute: float | None = None,
        window: float = 60.0,
    ) -> None:
        self.link, self.tenant, self.rate, self.burst = link, tenant, rate, burst
        self.group_per_minute, self.window = group_per_minute, window

    async def wait(self, chat: int | None = None) -> None:
        if chat is not None and chat < 0 and self.group_per_minute:
            await self._group_minute(chat, int(self.group_per_minute))
        try:
            delay = await self.link.reserve(self.tenant, self.rate, self.burst)
        except Exception as exc:  # the database away: pace alone at the bot's rate
            log.warning("cluster: the shared send budget is out of reach (%s)", type(exc).__name__)
            delay = 1.0 / self.rate
        if delay:
            await asyncio.sleep(delay)

    async def _group_minute(self, chat: int, limit: int) -> None:
        """Wait until fewer than ``limit`` messages went to the group in the last ``window``.
        One holder sends to a chat at a time, each send recorded before the next: nobody
        adds to the count meanwhile."""
        now = datetime.now(UTC)
        try:
            sent = await self.link.group_sent(
                self.tenant, chat, now - timedelta(seconds=self.window), limit
            )
        except Exception as exc:  # the database away: the holder's own bucket still paces
            log.warning("cluster: a group's minute is out of reach (%s)", type(exc).__name__)
            return
        if len(sent) >= limit:
            wait = (min(sent) - now).total_seconds() + self.window
            if wait > 0:
                await asyncio.sleep(wait)
