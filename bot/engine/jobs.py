"""Scheduled work: the periodic jobs the features register on the router (``Router.job``:
deadline reminders, overdue alerts, survey reminders …), the retention of personal data, and
once a day the pruning of the two journals (``prune_journals``).

Every job is idempotent and restart-safe: what was already done is recorded in the database (a
request event or a ticket flag), never in memory, so a restart neither repeats nor forgets.
One pass runs as one unit of work: one transaction, its messages handed to the outbox like any
handler's. On PostgreSQL with several processes, only the holder of the association's ``jobs``
lease runs them (``scheduled``): two passes at once could both find a reminder due and both
send it.

The journals — ``inbound_updates`` (an update's id, kept against redeliveries) and ``outbox``
(an owed message's fate) — would grow by a row per update and per message forever; once a day
the rows older than ``Settings.journal_days`` that nothing reads any more are deleted, in
batches of ``PRUNE_BATCH``, each its own short transaction (SQLite's one writer, PostgreSQL's row
locks: never held for the whole prune). Kept whatever their age: updates still pending,
messages still owed, messages a template stood in for (``held``, ``HELD_KEPT``), and the
messages of an announcement not finished (its report counts them). Nothing else reads an old
row: a staff card's replies and threads go through ``staff_message_links``, the daily digest of
failed deliveries reads its last day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import delete, or_, select

from bot.domain.privacy import HELD_KEPT, apply_retention
from bot.engine.context import Runtime
from bot.engine.digest import delivery_digest
from bot.engine.dispatch import unit_of_work
from bot.engine.lease import Lease
from storage.models import Announcement, InboundUpdate, OutboxMessage, utcnow

log = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(days=1)
PRUNE_BATCH = 1000  # rows deleted in one transaction
ANNOUNCE = "announce"  # OutboxMessage.link_kind of an announcement's (features.announcements)
# an association's database (``Runtime.db``) -> the ``now`` of its last prune in this process
_pruned: WeakKeyDictionary[Any, datetime] = WeakKeyDictionary()


async def run_jobs(rt: Runtime, *, now: datetime | None = None) -> int:
    """One pass of every job; returns how many things were done."""
    now = now or utcnow()
    done = 0
    async with unit_of_work(rt, offload=True) as work:  # scans: off the event loop's thread
        for job in rt.jobs:
            done += await job(work, now)
        done += await delivery_digest(work, now)  # the engine's own: failed deliveries
        await apply_retention(work.session, rt.profile.deadlines.retention_days, now)
    last = _pruned.get(rt.db)
    if last is None or not timedelta(0) <= now - last < PRUNE_EVERY:
        pruned = await prune_journals(rt.db, rt.tenant, now, rt.settings.journal_days)
        _pruned[rt.db] = now
        if pruned:
            log.info("journals: %d old row(s) pruned", pruned)
    return done


async def prune_journals(
    db: Any, tenant: str, now: datetime, days: int, *, batch: int = PRUNE_BATCH
) -> int:
    """Delete the journals' rows older than ``days`` that nothing reads any more (see the
    module's doc), ``batch`` rows a transaction; returns how many went."""
    cutoff = now - timedelta(days=days)
    updates = (
        select(InboundUpdate.update_id)
        .where(
            InboundUpdate.association_id == tenant,
            InboundUpdate.status != "pending",
            InboundUpdate.received_at < cutoff,
        )
        .order_by(InboundUpdate.update_id)
        .limit(batch)
    )
    unfinished = select(Announcement.id).where(
        Announcement.association_id == tenant, Announcement.finished_at.is_(None)
    )
    messages = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.association_id == tenant,
            OutboxMessage.status != "pending",
            OutboxMessage.created_at < cutoff,
            or_(OutboxMessage.status != "held", OutboxMessage.created_at < now - HELD_KEPT),
            or_(
                OutboxMessage.link_kind.is_(None),
                OutboxMessage.link_kind != ANNOUNCE,
                OutboxMessage.link_id.not_in(unfinished),
            ),
        )
        .order_by(OutboxMessage.id)
        .limit(batch)
    )
    statements = (
        delete(InboundUpdate).where(
            InboundUpdate.association_id == tenant,
            InboundUpdate.update_id.in_(updates.scalar_subquery()),
        ),
        delete(OutboxMessage).where(OutboxMessage.id.in_(messages.scalar_subquery())),
    )
    deleted = 0
    for statement in statements:
        while True:
            async with db.write() as session:
                result: Any = await session.execute(
                    statement.execution_options(synchronize_session=False)
                )
            deleted += result.rowcount
            if result.rowcount < batch:
                break
            await asyncio.sleep(0)  # the writer is free between two batches
    return deleted


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
