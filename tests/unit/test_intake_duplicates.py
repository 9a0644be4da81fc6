"""An update whose id is already stored is dropped, but never without a word (issue #14, item 14):
switching Bot API servers over one database makes ids collide, and those messages would be lost."""

from __future__ import annotations

import logging

import pytest

from bot.channels.telegram.adapter import chat_key
from bot.engine.intake import Intake
from storage.crypto import Vault
from storage.db import Database
from storage.models import Association


def update(update_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "text": text,
            "chat": {"id": 1001, "type": "private"},
            "from": {"id": 1001, "is_bot": False, "first_name": "سارة"},
        },
    }


async def handled(update_id: int, raw: dict) -> None:
    return None


async def test_duplicates_are_counted_and_told_once_a_minute(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(database_url)
    try:
        await db.migrate()
        async with db.write(tenant="khairat") as session:
            session.add(Association(id="khairat", name="جمعية خيرات"))
        intake = Intake(db.scoped("khairat"), "khairat", handled, chat_key, vault=Vault("k" * 32))
        caplog.set_level(logging.WARNING, logger="bot.engine.intake")
        first = await intake.store([update(1, "أ"), update(2, "ب")])
        assert [r["update_id"] for r in first] == [1, 2]
        assert intake.duplicates == 0 and not caplog.records

        # another server numbers its updates from 1 again: 1 and 2 collide, 3 is new
        fresh = await intake.store([update(1, "ج"), update(2, "د"), update(3, "هـ")])
        assert [r["update_id"] for r in fresh] == [3]
        assert intake.duplicates == 2
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        message = warnings[0].getMessage()
        assert "2 update(s) dropped" in message and "1, 2" in message and "khairat" in message

        # more within the minute: counted, not logged again
        assert await intake.store([update(3, "و")]) == []
        assert intake.duplicates == 3
        assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    finally:
        await db.dispose()
