"""The two journals are pruned once a day, in batches (``bot.engine.jobs.prune_journals``):
handled updates and sent or failed messages older than ``MUSTAFEED_JOURNAL_DAYS`` go; what is
still pending or owed stays whatever its age, and so do a message a template stood in for
(``held``, a month) and the messages of an announcement not finished (its report counts them).
On SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import BotApp
from bot.engine.jobs import prune_journals, run_jobs
from storage.db import Database
from storage.models import Announcement, Association, InboundUpdate, OutboxMessage, utcnow

TENANT = "prune"
DAYS = 10


async def test_old_rows_go_and_what_is_pending_or_still_read_stays(database_url: str) -> None:
    database = Database(database_url)
    now = utcnow()
    old, recent = now - timedelta(days=DAYS + 1), now - timedelta(days=DAYS - 1)
    try:
        await database.migrate()
        async with database.write(unscoped=True) as session:
            session.add(Association(id=TENANT, name=TENANT))
        db = database.scoped(TENANT)
        async with db.write() as session:
            running = Announcement(created_by=1, status="paused")
            finished = Announcement(created_by=1, status="done", finished_at=old)
            session.add_all([running, finished])
            await session.flush()
            updates = {
                1: ("done", old),
                2: ("failed", old),
                3: ("pending", old),  # never handled: stays
                4: ("done", recent),
                5: ("done", old),
                6: ("done", old),
            }
            session.add_all(
                InboundUpdate(update_id=uid, status=status, received_at=at, chat_id=9)
                for uid, (status, at) in updates.items()
            )
            messages = {
                "sent old": ("sent", old, None),
                "failed old": ("failed", old, None),
                "pending old": ("pending", old, None),  # still owed: stays
                "sent recent": ("sent", recent, None),
                "held old": ("held", old, None),  # a template stood in: a month
                "held older": ("held", now - timedelta(days=31), None),
                "announced, running": ("sent", old, running.id),
                "announced, finished": ("sent", old, finished.id),
            }
            session.add_all(
                OutboxMessage(
                    chat_id=9,
                    method="sendMessage",
                    payload={"text": text},
                    status=status,
                    created_at=at,
                    link_kind="announce" if ann else None,
                    link_id=ann,
                )
                for text, (status, at, ann) in messages.items()
            )

        assert await prune_journals(db, TENANT, now, DAYS, batch=2) == 8

        async with db.read() as session:
            kept_updates = set((await session.scalars(select(InboundUpdate.update_id))).all())
            kept_messages = {
                m.payload["text"] for m in (await session.scalars(select(OutboxMessage))).all()
            }
        assert kept_updates == {3, 4}
        assert kept_messages == {"pending old", "sent recent", "held old", "announced, running"}
        assert await prune_journals(db, TENANT, now, DAYS, batch=2) == 0
    finally:
        await database.dispose()


async def test_the_prune_runs_once_a_day_with_the_jobs(app: BotApp) -> None:
    now = utcnow()

    async def owe_an_old_row() -> None:
        async with app.db.write() as session:
            session.add(
                OutboxMessage(
                    chat_id=-9,  # a group's (a private chat of nobody known goes at once)
                    method="sendMessage",
                    payload={},
                    status="sent",
                    created_at=now - timedelta(days=app.rt.settings.journal_days + 1),
                )
            )

    async def rows() -> int:
        async with app.db.read() as session:
            return len((await session.scalars(select(OutboxMessage.id))).all())

    await owe_an_old_row()
    await run_jobs(app.rt, now=now)
    assert await rows() == 0
    await owe_an_old_row()
    await run_jobs(app.rt, now=now + timedelta(hours=1))
    assert await rows() == 1  # pruned an hour ago: tomorrow
    await run_jobs(app.rt, now=now + timedelta(hours=25))
    assert await rows() == 0
