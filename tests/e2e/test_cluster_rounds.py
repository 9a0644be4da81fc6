"""A process serving many associations on PostgreSQL pays for its leases and its sweep once a
round, not once per association (``bot.engine.lease.Renewal``, ``bot.engine.cluster.Sweeper``):
with twelve associations, one statement takes or renews all their ``poll`` and ``jobs`` leases,
and one statement sweeps the waiting work of all of them — counted on the link, statement by
statement. The sweep still finds each association's own waiting chat and hands its rows to
that association alone; the idle chats of several associations are given back in one
statement.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select, text, update

from bot.engine import cluster as cluster_module
from bot.engine.cluster import Cluster, Sweeper
from bot.engine.lease import Lease, Renewal
from storage.db import Database
from storage.models import Association, OutboxMessage
from storage.models import Lease as LeaseRow
from tests.conftest import ON_POSTGRES
from tests.subprocess_bot import eventually

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="a cluster runs on PostgreSQL only")

N = 12
WAITING = ("t03", -1003)  # one association with a message owed to one chat, before the start


class FakeIntake:
    def __init__(self, db: Any) -> None:
        self.db = db

    def busy_with(self, chat: int) -> bool:
        return False

    def take_stored(self, update_id: int, stored: Any) -> int:
        return 1


class FakeSender:
    def __init__(self) -> None:
        self.owed: list[Any] = []

    def busy_with(self, chat: int) -> bool:
        return False

    def enqueue(self, items: list[Any]) -> None:
        self.owed += items


def counted(link: Any) -> Counter[str]:
    """Count the statements the link sends: leases, sweeps, unlocks, others."""
    calls: Counter[str] = Counter()
    for name in ("fetch", "leases", "drop_lease"):
        original = getattr(link, name)

        async def counting(*args: Any, _original: Any = original, _name: str = name) -> Any:
            sql = str(args[0]) if args else ""
            kind = (
                "sweep"
                if "pg_stat_activity" in sql
                else "unlock"
                if "pg_advisory_unlock" in sql
                else _name
            )
            calls[kind] += 1
            return await _original(*args)

        setattr(link, name, counting)
    return calls


async def advisory_locks(database: Database) -> int:
    async with database.read(unscoped=True) as session:
        return int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
            or 0
        )


async def test_one_lease_statement_and_one_sweep_a_round_for_every_association(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_module, "TICK", 0.05)
    monkeypatch.setattr(cluster_module, "SWEEP", 0.1)
    database = Database(database_url)
    tenants = [f"t{n:02d}" for n in range(N)]
    forever = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    clusters: list[Cluster] = []
    try:
        await database.migrate()
        async with database.write(unscoped=True) as session:
            session.add_all([Association(id=t, name=t) for t in tenants])
        async with database.write(unscoped=True) as session:
            session.add(
                OutboxMessage(
                    association_id=WAITING[0],
                    chat_id=WAITING[1],
                    method="sendMessage",
                    payload={"chat_id": WAITING[1], "text": "."},
                )
            )
        link = database.cluster_link()
        calls = counted(link)
        senders = {t: FakeSender() for t in tenants}
        for tenant in tenants:
            cluster = Cluster(link, tenant, FakeIntake(database.scoped(tenant)), senders[tenant])
            await cluster.start()
            clusters.append(cluster)
        leases = [
            Lease(link, tenant, name, forever.wait, ttl=6.0, renew=0.1)
            for tenant in tenants
            for name in ("poll", "jobs")
        ]
        tasks = [asyncio.create_task(lease.run()) for lease in leases]

        async def all_held() -> bool:
            return all(lease.held for lease in leases)

        await eventually(all_held, 10, "every lease taken")
        async with database.read(unscoped=True) as session:
            holders = (await session.scalars(select(LeaseRow.holder))).all()
        assert sorted(holders) == sorted(lease.holder for lease in leases)
        # the chat with work waiting went to its own association, and only there
        assert [o.chat_id for o in senders[WAITING[0]].owed] == [WAITING[1]]
        assert not [t for t in tenants if t != WAITING[0] and senders[t].owed]
        assert [c.tenant for c in clusters if c.held] == [WAITING[0]]

        renewal, sweeper = link.shared(Renewal), link.shared(Sweeper)
        calls.clear()
        renewed, swept = renewal.rounds, sweeper.rounds

        async def rounds_done() -> bool:
            return renewal.rounds - renewed >= 5 and sweeper.rounds - swept >= 5

        await eventually(rounds_done, 20, "five rounds of each")
        renewals, sweeps = renewal.rounds - renewed, sweeper.rounds - swept
        statements = dict(calls)
        # a round's statement may be sent just before or after the count is read: ±1
        assert abs(statements.get("leases", 0) - renewals) <= 1, (statements, renewals)
        assert abs(statements.get("sweep", 0) - sweeps) <= 1, (statements, sweeps)
        assert set(statements) <= {"leases", "sweep"}, statements
        assert all(lease.held for lease in leases)

        # idle chats of many associations are given back together: one statement
        async with database.write(unscoped=True) as session:  # the waiting message: sent
            await session.execute(update(OutboxMessage).values(status="sent"))
        for n, cluster in enumerate(clusters[:6]):
            assert await cluster._lock([-2000 - n]) == [-2000 - n]
        assert await advisory_locks(database) == 7
        calls.clear()
        for cluster in clusters:
            cluster._touched = dict.fromkeys(cluster._touched, 0.0)  # long ago

        async def released() -> bool:
            return not any(c.held for c in clusters)

        await eventually(released, 10, "the idle chats given back")
        assert calls["unlock"] == 1, dict(calls)
        assert await advisory_locks(database) == 0
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for cluster in clusters:
            await cluster.stop()
        await database.dispose()
