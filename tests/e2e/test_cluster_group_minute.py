"""Issue #16: a group's 20 messages a minute hold for the bot as a whole, across a hand-over of
the chat from one process to another (``bot.engine.cluster.SharedBudget``): the new holder
counts the group's minute from the outbox's ``sent_at`` instead of starting a new one. In one
process, the minute outlives the group's queue (``bot.engine.outbox.SlidingWindow``).

Two bots on one PostgreSQL database (two ``BotApp``s, each with its own ``Database`` and link:
two processes as far as the database can tell), a limit of 4 messages in any 4 seconds (the
real one is 20 in 60): A sends 2 messages to the staff group and stops; B takes the group and
has 4 more to send. The emulator's own times of receipt show no 4-second window holding more
than 4 — B sent 2 at once and waited for the rest, where a fresh bucket would have sent all 4.
"""

from __future__ import annotations

import pytest

from bot.app import BotApp
from bot.emulator.server import Emulator
from bot.engine.outbox import Limits
from storage.db import Database
from storage.models import OutboxMessage
from tests.conftest import ON_POSTGRES
from tests.harness import STAFF_CHAT, make_settings, start_app

WINDOW = 4.0  # seconds, for Telegram's 60
LIMIT = 4  # messages in a window, for Telegram's 20


def most_in_a_window(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + WINDOW) for start in times)


def ticks(emu: Emulator) -> list[dict]:
    """The staff group's messages these tests owed."""
    return [m for m in emu.messages(STAFF_CHAT) if (m.get("text") or "").startswith("tick")]


async def owe(database_url: str, tenant: str, texts: list[str]) -> None:
    db = Database(database_url)
    try:
        async with db.write(tenant=tenant) as session:
            session.add_all(
                OutboxMessage(
                    association_id=tenant,
                    chat_id=STAFF_CHAT,
                    method="sendMessage",
                    payload={"chat_id": STAFF_CHAT, "text": text},
                )
                for text in texts
            )
    finally:
        await db.dispose()


async def send_owed(app: BotApp) -> None:
    """Have the bot queue what the outbox owes (on PostgreSQL, a chat it does not hold yet is
    locked first)."""
    if app.cluster is not None:
        await app.cluster.sweep(0.0)
    await app.sender.requeue()


async def test_one_process_keeps_the_groups_minute_across_quiet_spells(
    emu: Emulator, database_url: str, profile
) -> None:
    """Two messages, the group's queue emptied, four more: a bucket made anew with the queue
    (before) sent all four at once, six in one window."""
    tenant = profile.association.id
    app = await start_app(
        emu,
        make_settings(emu, database_url),
        profile,
        limits=Limits(group_per_minute=LIMIT, group_window=WINDOW),
    )

    try:
        await owe(database_url, tenant, ["tick 1", "tick 2"])
        await send_owed(app)
        await emu.wait_until(
            lambda: len(ticks(emu)) == 2 and not app.sender.busy_with(STAFF_CHAT), 20
        )
        await owe(database_url, tenant, [f"tick {n}" for n in range(3, 7)])
        await send_owed(app)
        await emu.wait_until(lambda: len(ticks(emu)) == 6, 30)
        assert [m["text"] for m in ticks(emu)] == [f"tick {n}" for n in range(1, 7)]
        assert most_in_a_window([m["sent_at"] for m in ticks(emu)]) <= LIMIT
    finally:
        await app.stop()


@pytest.mark.skipif(not ON_POSTGRES, reason="a cluster runs on PostgreSQL only")
async def test_a_new_holder_continues_the_groups_minute(
    emu: Emulator, database_url: str, profile
) -> None:
    limits = Limits(group_per_minute=LIMIT, group_window=WINDOW)
    tenant = profile.association.id
    settings = make_settings(emu, database_url)
    a = await start_app(emu, settings, profile, limits=limits)
    b = await start_app(emu, settings, profile, limits=limits)
    assert a.cluster is not None and b.cluster is not None

    try:
        await owe(database_url, tenant, ["tick a1", "tick a2"])
        await a.cluster.sweep(0.0)  # A takes the group and sends
        await emu.wait_until(lambda: len(ticks(emu)) == 2, 20)
        await a.stop()  # the group is free; its minute is in the outbox
        await owe(database_url, tenant, [f"tick b{n}" for n in range(1, 5)])
        await b.cluster.sweep(0.0)  # B takes it over
        await emu.wait_until(lambda: len(ticks(emu)) == 6, 30)
        assert [m["text"] for m in ticks(emu)] == [
            "tick a1",
            "tick a2",
            *(f"tick b{n}" for n in range(1, 5)),
        ]
        assert b.cluster.holds(STAFF_CHAT)
        assert most_in_a_window([m["sent_at"] for m in ticks(emu)]) <= LIMIT
    finally:
        await b.stop()
        await a.stop()
