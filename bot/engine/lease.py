"""Work that one process of a cluster does for an association at a time: long polling.

Telegram serves ``getUpdates`` to one caller per bot (a second one ends the first with 409
Conflict), so among the processes on one PostgreSQL database only the holder of the
association's ``poll`` lease (``storage.claims``) polls. It renews the lease every ``RENEW``
seconds; a lease not renewed for ``TTL`` seconds (its holder died or lost the database) is
taken by the next process that asks, so polling resumes within ``TTL + RENEW`` seconds
(under 10). A holder that cannot renew stops polling before anyone else may start. The work's
own failure (a revoked token) ends ``run`` with it, as it would end the work alone.
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

    async def run(self) -> None:
        try:
            while True:
                try:
                    held = await asyncio.wait_for(
                        self.link.lease(self.tenant, self.name, self.holder, self.ttl),
                        self.ttl - self.renew,  # an answer later than that may be stale
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database away: we cannot know we still hold it
                    log.warning("lease %s: not renewed (%s)", self.name, type(exc).__name__)
                    held = False
                self._hold(held)
                await asyncio.sleep(self.renew)
        finally:
            with suppress(Exception):  # the work's own error is already on its way up
                self._hold(False)
            if self._task is not None:
                await asyncio.gather(self._task, return_exceptions=True)
            with suppress(Exception):  # let the next process take it at once
                await self.link.drop_lease(self.tenant, self.name, self.holder)

    def _hold(self, held: bool) -> None:
        task = self._task
        if task is not None and task.done() and not task.cancelled() and task.exception():
            self._task = None
            raise task.exception()  # type: ignore[misc]  # the work's own end (a revoked token)
        running = task is not None and not task.done()
        if held and not running:
            log.info("lease %s of %s: taken; this process does it now", self.name, self.tenant)
            self._task = asyncio.create_task(self.work(), name=f"{self.name}:{self.tenant}")
        elif not held and running:
            log.info("lease %s of %s: lost; stopping", self.name, self.tenant)
            assert self._task is not None
            self._task.cancel()
        self.held = held
