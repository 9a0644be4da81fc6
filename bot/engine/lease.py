"""Work that one process of a cluster does for an association at a time: long polling, the
scheduled jobs.

Telegram serves ``getUpdates`` to one caller per bot (a second one ends the first with 409
Conflict), so among the processes on one PostgreSQL database only the holder of the
association's ``poll`` lease (``storage.claims``) polls. Every ``RENEW`` seconds a process takes
or renews, in ONE statement, every lease it wants — the ``poll`` and ``jobs`` leases of all the
associations it runs (``Renewal``): 500 associations cost it one statement a round, not 1,000.
A lease not renewed for ``TTL`` seconds (its holder died or lost the database) is taken by the
next process that asks, so polling resumes within ``TTL + RENEW`` seconds (under 10). A holder
that cannot renew stops the work before anyone else may start it. The work's own failure (a
revoked token) ends ``run`` with it, as it would end the work alone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Coroutine
from contextlib import suppress
from typing import Any

log = logging.getLogger(__name__)

TTL = 6.0  # seconds a lease lasts without renewal
RENEW = 2.0  # seconds between two renewals (and between two attempts to take it)


def holder_name() -> str:
    """Who this process is, in the leases table: host, pid and a random tail."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    """Run ``work()`` while this process holds the lease ``name`` of ``tenant``."""

    def __init__(
        self,
        link: Any,
        tenant: str,
        name: str,
        work: Callable[[], Coroutine[Any, Any, None]],
        *,
        holder: str | None = None,
        ttl: float = TTL,
        renew: float = RENEW,
    ) -> None:
        self.link, self.tenant, self.name, self.work = link, tenant, name, work
        self.holder = holder or holder_name()
        self.ttl, self.renew = ttl, renew
        self.held = False
        self._task: asyncio.Task[None] | None = None
        self._ended: asyncio.Future[None] | None = None

    async def run(self) -> None:
        """Until cancelled, or until the work fails: then with its error."""
        renewal = self.link.shared(Renewal)
        self._ended = asyncio.get_running_loop().create_future()
        renewal.add(self)
        try:
            await self._ended
        finally:
            renewal.discard(self)
            with suppress(Exception):  # the work's own error is already on its way up
                self._hold(False)
            if self._task is not None:
                await asyncio.gather(self._task, return_exceptions=True)
            async with renewal.turn:  # a round under way may still renew it: let it end first
                pass
            with suppress(Exception):  # let the next process take it at once
                await self.link.drop_lease(self.tenant, self.name, self.holder)

    def _hold(self, held: bool) -> None:
        """The renewal's verdict: start the work when taken, stop it when lost."""
        running = self._task is not None and not self._task.done()
        ended = self._ended is None or self._ended.done()
        if held and not running and not ended:
            log.info("lease %s of %s: taken; this process does it now", self.name, self.tenant)
            self._task = asyncio.create_task(self.work(), name=f"{self.name}:{self.tenant}")
            self._task.add_done_callback(self._work_done)
        elif not held and running:
            log.info("lease %s of %s: lost; stopping", self.name, self.tenant)
            assert self._task is not None
            self._task.cancel()
        self.held = held

    def _work_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._ended is None or self._ended.done():
            return
        if (error := task.exception()) is not None:  # the work's own end (a revoked token)
            self._ended.set_exception(error)


class Renewal:
    """Every lease this process wants on one link, taken or renewed together: one statement
    each round, whatever their number (``storage.claims.ClusterLink.leases``). A lease that
    joins brings the next round forward, so a new one is tried at once."""

    def __init__(self, link: Any) -> None:
        self.link = link
        self.leases: dict[tuple[str, str, str], Lease] = {}
        self.rounds = 0  # statements sent (tests and benchmarks count them)
        self.turn = asyncio.Lock()  # held by a round, from its statement to its verdicts
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def add(self, lease: Lease) -> None:
        self.leases[(lease.tenant, lease.name, lease.holder)] = lease
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="leases")

    def discard(self, lease: Lease) -> None:
        self.leases.pop((lease.tenant, lease.name, lease.holder), None)
        if not self.leases and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while self.leases:
            self._wake.clear()
            await self.round()
            renew = min((lease.renew for lease in self.leases.values()), default=RENEW)
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), renew)

    async def round(self) -> None:
        """Take or renew every lease at once, and tell each whether it is held."""
        async with self.turn:
            await self._round()

    async def _round(self) -> None:
        leases = list(self.leases.values())
        if not leases:
            return
        # an answer later than this may be stale: the lease may have passed to another
        patience = min(lease.ttl - lease.renew for lease in leases)
        wanted: dict[tuple[str, str], Lease] = {}  # one row per key: a statement may not
        for lease in leases:  # touch a row twice (two of one key here: the first asks)
            wanted.setdefault((lease.tenant, lease.name), lease)
        self.rounds += 1
        try:
            held = await asyncio.wait_for(
                self.link.leases([(x.tenant, x.name, x.holder, x.ttl) for x in wanted.values()]),
                patience,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database away: we cannot know we still hold them
            log.warning("leases: not renewed (%s)", type(exc).__name__)
            held = set()
        for lease in leases:
            if self.leases.get((lease.tenant, lease.name, lease.holder)) is not lease:
                continue  # left meanwhile
            try:
                lease._hold((lease.tenant, lease.name, lease.holder) in held)
            except Exception:  # one lease's trouble never stops the others' renewal
                log.exception("lease %s of %s", lease.name, lease.tenant)
