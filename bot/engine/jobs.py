"""Scheduled work: the periodic jobs the features register on the router (``Router.job``:
deadline reminders, overdue alerts, survey reminders …) and the retention of personal data.

Every job is idempotent and restart-safe: what was already done is recorded in the database (a
request event or a ticket flag), never in memory, so a restart neither repeats nor forgets.
One pass runs as one unit of work: one transaction, its messages handed to the outbox like any
handler's. On PostgreSQL with several processes, only the holder of the association's ``jobs``
lease runs them (``scheduled``): two passes at once could both find a reminder due and both
send it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime
from functools import partial
from typing import Any

from bot.domain.privacy import apply_retention
from bot.engine.context import Runtime
from bot.engine.digest import delivery_digest
from bot.engine.dispatch import unit_of_work
from bot.engine.lease import Lease
from storage.models import utcnow

log = logging.getLogger(__name__)


async def run_jobs(rt: Runtime, *, now: datetime | None = None) -> int:
    """One pass of every job; returns how many things were done."""
    now = now or utcnow()
    done = 0
    async with unit_of_work(rt, offload=True) as work:  # scans: off the event loop's thread
        for job in rt.jobs:
            done += await job(work, now)
        done += await delivery_digest(work, now)  # the engine's own: failed deliveries
        await apply_retention(work.session, rt.profile.deadlines.retention_days, now)
    return done


async def run_forever(rt: Runtime, interval: float = 300.0) -> None:
    while True:
        try:
            await run_jobs(rt)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduled jobs failed; trying again next round")
        await asyncio.sleep(interval)


def scheduled(rt: Runtime, interval: float, link: Any = None) -> Coroutine[Any, Any, None]:
    """The jobs' loop; with a cluster's ``link`` (``storage.claims``), only while this process
    holds the association's ``jobs`` lease."""
    if link is None:
        return run_forever(rt, interval)
    return Lease(link, rt.tenant, "jobs", partial(run_forever, rt, interval)).run()
