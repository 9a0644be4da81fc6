"""Issue #14 item 12: a message that can never be delivered must not hold the chat's later
messages. Permanent refusals (400, 403 in a group, 404: a method the server lacks) fail at
once; passing ones (429, 5xx, timeouts) are retried up to a ceiling; supervisors hear of
failures in staff chats at once and of failures to beneficiaries in a daily digest."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.emulator.server import Emulator
from bot.engine.jobs import run_jobs
from bot.engine.outbox import Out
from storage.models import OutboxMessage, utcnow
from tests.harness import BENEFICIARY, STAFF, STAFF_CHAT, Person, make_settings, start_app


async def owe(app, *items: tuple[int, str, dict]) -> list[Out]:
    """Rows in the outbox, as a unit of work writes them, then handed to the sender."""
    outs = [
        Out(chat_id, method, {"chat_id": chat_id, **payload}) for chat_id, method, payload in items
    ]
    async with app.db.write() as session:
        rows = [out.row(app.rt.tenant) for out in outs]
        session.add_all(rows)
        await session.flush()
        for out, row in zip(outs, rows, strict=True):
            out.id = row.id
    app.sender.enqueue(outs)
    await app.idle(30)
    return outs


async def statuses(app, outs: list[Out]) -> list[tuple[str, str | None]]:
    async with app.db.read() as session:
        rows = {
            r.id: r
            for r in (
                await session.scalars(
                    select(OutboxMessage).where(OutboxMessage.id.in_([o.id for o in outs]))
                )
            ).all()
        }
    return [(rows[o.id].status, rows[o.id].error) for o in outs]


def texts(emu: Emulator, chat_id: int) -> list[str]:
    return [m.get("text") or "" for m in emu.messages(chat_id)]


async def test_a_method_the_server_lacks_does_not_hold_the_chat(
    consented: Person, app, emu
) -> None:
    outs = await owe(
        app,
        (BENEFICIARY, "sendNothingSuchMethod", {"text": "x"}),
        (BENEFICIARY, "sendMessage", {"text": "الرسالة التالية"}),
    )
    assert texts(emu, BENEFICIARY)[-1] == "الرسالة التالية"
    (first, _), (second, _) = await statuses(app, outs)
    assert (first, second) == ("failed", "sent")


async def test_a_refusal_fails_at_once_and_the_next_goes(consented: Person, app, emu) -> None:
    emu.inject_fault("sendMessage", "400", count=1, chat_id=BENEFICIARY)
    outs = await owe(
        app,
        (BENEFICIARY, "sendMessage", {"text": "مرفوضة"}),
        (BENEFICIARY, "sendMessage", {"text": "مقبولة"}),
    )
    assert "مرفوضة" not in texts(emu, BENEFICIARY) and texts(emu, BENEFICIARY)[-1] == "مقبولة"
    result = await statuses(app, outs)
    assert result[0][0] == "failed" and "injected" in (result[0][1] or "").lower()
    assert result[1][0] == "sent"
    calls = [c for c in emu.calls_to("sendMessage") if "مرفوضة" in str(c.params.get("text"))]
    assert len(calls) == 1  # not retried


async def test_passing_errors_are_retried_up_to_the_ceiling(emu, database_url, profile) -> None:
    app = await start_app(emu, make_settings(emu, database_url, outbox_max_attempts=3), profile)
    try:
        emu.inject_fault("sendMessage", "500", count=100, chat_id=BENEFICIARY)
        outs = await owe(app, (BENEFICIARY, "sendMessage", {"text": "لن تصل"}))
        emu.clear_faults()
        ((status, error),) = await statuses(app, outs)
        assert status == "failed" and "3 attempts" in (error or "")
        outs = await owe(app, (BENEFICIARY, "sendMessage", {"text": "تصل"}))
        assert texts(emu, BENEFICIARY)[-1] == "تصل"
        # a passing error that clears is retried until the message goes
        emu.inject_fault("sendMessage", "500", count=2, chat_id=BENEFICIARY)
        outs = await owe(app, (BENEFICIARY, "sendMessage", {"text": "تصل بعد محاولتين"}))
        assert texts(emu, BENEFICIARY)[-1] == "تصل بعد محاولتين"
        assert (await statuses(app, outs))[0][0] == "sent"
    finally:
        await app.stop()


async def test_a_failure_in_the_staff_group_alerts_supervisors_at_once(app, emu) -> None:
    emu.inject_fault("sendMessage", "403", count=1, chat_id=STAFF_CHAT)
    await owe(
        app,
        (STAFF_CHAT, "sendMessage", {"text": "بطاقة"}),
        (STAFF_CHAT, "sendMessage", {"text": "بعدها"}),
    )
    assert texts(emu, STAFF_CHAT)[-1] == "بعدها"
    alerts = texts(emu, STAFF)
    assert alerts and "تعذّر إيصال رسالة إلى مجموعة الفريق" in alerts[-1]


async def test_failures_to_beneficiaries_go_in_a_daily_digest(consented: Person, app, emu) -> None:
    emu.inject_fault("sendMessage", "400", count=2, chat_id=BENEFICIARY)
    await owe(
        app,
        (BENEFICIARY, "sendMessage", {"text": "أ"}),
        (BENEFICIARY, "sendMessage", {"text": "ب"}),
    )
    assert not texts(emu, STAFF)  # not at once
    await run_jobs(app.rt)  # the day's digest was taken when the bot started: not yet
    await app.idle(10)
    assert not texts(emu, STAFF)
    await run_jobs(app.rt, now=utcnow() + timedelta(hours=25))
    await app.idle(10)
    digest = texts(emu, STAFF)
    assert len(digest) == 1 and "٢" in digest[0] and "أ" not in digest[0].split("\n")[-1]
    await run_jobs(app.rt, now=utcnow() + timedelta(hours=50))  # nothing new failed: no report
    await app.idle(10)
    assert len(texts(emu, STAFF)) == 1


def test_errors_are_classified() -> None:
    from telegram.error import (
        BadRequest,
        Forbidden,
        InvalidToken,
        NetworkError,
        RetryAfter,
        TimedOut,
    )

    from bot.channels.telegram.sending import classify

    assert classify(BadRequest("Bad Request: message is too long"), 1) == "permanent"
    assert classify(BadRequest("Bad Request: message is not modified"), 1) == "unchanged"
    assert classify(Forbidden("Forbidden: bot was blocked by the user"), 1) == "blocked"
    assert (
        classify(Forbidden("Forbidden: bot was kicked from the supergroup chat"), -1) == "permanent"
    )
    assert classify(InvalidToken("Not Found"), 1) == "permanent"
    assert classify(RetryAfter(timedelta(seconds=3)), 1) == "wait"
    assert classify(TimedOut(), 1) == "retry"
    assert classify(NetworkError("Internal Server Error (500)"), 1) == "retry"
