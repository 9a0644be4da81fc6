"""Raw updates hold national IDs, mobiles and names: stored encrypted while they wait, stripped
once processed, the update id and status kept against redeliveries (issue #14)."""

from __future__ import annotations

from sqlalchemy import text

from bot.engine.jobs import run_jobs
from tests.flows import fill_form, open_service, submit
from tests.harness import BENEFICIARY, Person, settle

IN_CLEAR = ("1000000008", "551234567", "الحربي", "عبدالله", "سارة", "العتيبي")


async def rows(app) -> list[tuple[int, str, str]]:
    """(update id, status, every column of the row as text)."""
    async with app.db.read() as session:
        result = await session.execute(text("SELECT * FROM inbound_updates ORDER BY update_id"))
        keys = list(result.keys())
        return (
            [
                (row.update_id, row.status, " ".join("" if v is None else str(v) for v in row))
                for row in result.all()
            ]
            if "update_id" in keys
            else []
        )


def in_clear(row_text: str) -> list[str]:
    return [needle for needle in IN_CLEAR if needle in row_text]


async def test_a_waiting_update_is_encrypted_and_replayed_after_a_restart(
    emu, app, consented: Person
) -> None:
    update = {
        "update_id": 990_001,
        "message": {
            "message_id": 77,
            "date": 1_700_000_000,
            "chat": {"id": BENEFICIARY, "type": "private"},
            "from": {
                "id": BENEFICIARY,
                "is_bot": False,
                "first_name": "سارة",
                "last_name": "العتيبي",
            },
            "text": "رقم هويتي 1000000008 وجوالي 0551234567 واسمي محمد عبدالله الحربي",
        },
    }
    assert [u["update_id"] for u in await app.intake.store([update])] == [990_001]
    pending = [r for r in await rows(app) if r[0] == 990_001]
    assert pending and pending[0][1] == "pending"
    assert in_clear(pending[0][2]) == []
    # a restart finds it, decrypts it and handles it: the person gets an answer
    before = len(emu.messages(BENEFICIARY))
    assert await app.intake.resume() == 1
    await settle(emu, app)
    assert len(emu.messages(BENEFICIARY)) > before
    assert await app.intake.store([update]) == []  # a redelivery is still recognised


async def test_processed_updates_are_stripped_and_never_in_clear(
    consented: Person, profile, app
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    await submit(consented)
    stored = await rows(app)
    assert len(stored) > 20 and [s for _, s, _ in stored if s == "pending"] == [], stored[-3:]
    assert [(uid, in_clear(t)) for uid, _, t in stored if in_clear(t)] == []
    await run_jobs(app.rt)  # the next retention run
    async with app.db.read() as session:
        left = (await session.execute(text("SELECT update_id, raw FROM inbound_updates"))).all()
    assert len(left) == len(stored)  # the ids stay: a redelivery is not handled twice
    assert all(raw is None for _, raw in left)
