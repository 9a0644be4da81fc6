"""Bulk messages (an announcement's) in the sender: a person's own message enqueued while an
announcement is under way goes out next, not behind the announcement's window."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.engine.outbox import BULK_KEY, Limits, Out
from bot.engine.owed import bulk
from bot.engine.sender import Sender


class Recorder:
    def __init__(self) -> None:
        self.calls: list[int] = []

    def parts(self, method: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        assert BULK_KEY not in payload  # the outbox's own key never reaches the channel
        return [(method, payload)]

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        self.calls.append(payload["chat_id"])
        return {"message_id": len(self.calls)}

    def classify(self, exc: BaseException, chat_id: int) -> str:
        return "permanent"

    def retry_seconds(self, exc: BaseException) -> float:
        return 1.0


def message(chat_id: int) -> Out:
    return Out(chat_id, "sendMessage", {"chat_id": chat_id, "text": "x"})


async def run(flag_bulk: bool) -> tuple[list[int], int]:
    delivery = Recorder()
    sender = Sender(None, delivery, "t", Limits(per_second=40.0))  # type: ignore[arg-type]
    window = [message(10_000 + i) for i in range(60)]
    sender.enqueue([bulk(item) if flag_bulk else item for item in window])
    while len(delivery.calls) < 45:  # noqa: ASYNC110 - the burst, then the pace
        await asyncio.sleep(0.01)
    before = len(delivery.calls)
    sender.enqueue([message(7)])  # a beneficiary's own answer
    await sender.wait_idle(10)
    return delivery.calls, before


async def test_a_conversation_goes_ahead_of_an_announcement_under_way() -> None:
    calls, before = await run(flag_bulk=True)
    assert calls.index(7) <= before + 1
    assert sorted(c for c in calls if c != 7) == [10_000 + i for i in range(60)]


async def test_without_the_bulk_mark_it_waits_behind_the_reserved_tokens() -> None:
    calls, before = await run(flag_bulk=False)
    assert calls.index(7) > before + 5  # what the mark avoids
