"""Issue #12 item 6: a request waiting on its beneficiary's documents names what is missing,
reminds on the profile's days (3 and 7), stops its decision clock meanwhile, and a late notice
says who is being waited on — never "the committee is still studying it" when it is us waiting
on them."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select, update

from bot.app import BotApp
from bot.engine.jobs import run_jobs
from storage.models import RequestEvent, ServiceRequest, utcnow
from tests.flows import fill_form, open_service, submit
from tests.harness import STAFF_CHAT, Person, buttons

MISSING = "صورة عقد الإيجار ساري المفعول"


async def ask_for_documents(consented: Person, staff: Person, profile) -> str:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    await staff.press("بدء الدراسة")
    await staff.press("طلب مستندات")
    await staff.say(MISSING, reply_to_message_id=staff.last()["message_id"])
    assert MISSING in consented.last()["text"]
    return reference


async def request_of(app: BotApp, reference: str) -> ServiceRequest:
    async with app.db.read() as session:
        return await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )


async def test_reminders_on_the_third_and_seventh_day(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    reference = await ask_for_documents(consented, staff, profile)
    heard = len(emu.messages(consented.user_id))
    now = utcnow()
    await run_jobs(app.rt, now=now + timedelta(days=2))
    await app.idle()
    assert len(emu.messages(consented.user_id)) == heard  # too early

    await run_jobs(app.rt, now=now + timedelta(days=3, hours=1))
    await app.idle()
    reminder = consented.last()
    assert (
        "نذكّرك بلطف" in reminder["text"]
        and MISSING in reminder["text"]
        and reference in reminder["text"]
    )
    assert any("rdoc:start" in data for _, data in buttons(reminder))
    await run_jobs(app.rt, now=now + timedelta(days=4))
    await app.idle()
    assert len(emu.messages(consented.user_id)) == heard + 1  # once per day named

    await run_jobs(app.rt, now=now + timedelta(days=7, hours=1))
    await app.idle()
    assert len(emu.messages(consented.user_id)) == heard + 2
    assert MISSING in consented.last()["text"]

    # the workspace shows who is waited on
    await staff.say("/queue")
    assert "بانتظار المستفيد" in staff.text()


async def test_the_clock_stops_while_waiting(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    reference = await ask_for_documents(consented, staff, profile)
    before = await request_of(app, reference)
    due = before.due_date
    # nothing is overdue while the association waits on the beneficiary
    staff_seen = len(emu.messages(STAFF_CHAT))
    from datetime import datetime, time

    await run_jobs(app.rt, now=datetime.combine(due + timedelta(days=1), time(9), tzinfo=UTC))
    await app.idle()
    assert not any("متأخر" in (m.get("text") or "") for m in emu.messages(STAFF_CHAT)[staff_seen:])

    # five days waited (the ask moved back in time), then the documents come
    async with app.db.write() as session:
        await session.execute(
            update(RequestEvent)
            .where(
                RequestEvent.request_id == before.id, RequestEvent.to_status == "awaiting_documents"
            )
            .values(at=utcnow() - timedelta(days=5))
        )
    await consented.press("إضافة المستندات")
    await consented.send_photo()
    await consented.press("انتهيت")
    assert (await request_of(app, reference)).status == "under_review"
    await run_jobs(app.rt, now=utcnow())
    assert (await request_of(app, reference)).due_date == due + timedelta(days=5)
    await run_jobs(app.rt, now=utcnow())
    assert (await request_of(app, reference)).due_date == due + timedelta(days=5)  # once


async def test_a_late_notice_names_who_is_waited_on(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    deadlines = profile.deadlines.model_copy(update={"pause_while_awaiting_documents": False})
    app.rt.profile = profile.model_copy(update={"deadlines": deadlines})
    reference = await ask_for_documents(consented, staff, profile)
    due = (await request_of(app, reference)).due_date
    from datetime import datetime, time

    await run_jobs(app.rt, now=datetime.combine(due + timedelta(days=1), time(9), tzinfo=UTC))
    await app.idle()
    late = consented.last()["text"]
    assert reference in late and "بانتظار المستندات التي طلبناها منك" in late
    assert "لجنة البحث ما زالت" not in late and "لم يُنسَ" not in late
    alert = emu.last_message(STAFF_CHAT)["text"]
    assert "متأخر" in alert and "بانتظار المستفيد" in alert


async def test_the_queue_does_not_call_a_stopped_clock_late(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    reference = await ask_for_documents(consented, staff, profile)
    async with app.db.write() as session:  # its decision date has passed while we waited
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )
        request.due_date = utcnow().date() - timedelta(days=3)
    await staff.say("/queue")
    line = next(x for x in staff.text().split("\n") if reference in x)
    assert "بانتظار المستفيد" in line and "متأخرة" not in line
    await staff.say("/queue overdue")
    assert reference not in staff.text()

    # where the profile keeps the clock running, the same request is late
    deadlines = profile.deadlines.model_copy(update={"pause_while_awaiting_documents": False})
    app.rt.profile = profile.model_copy(update={"deadlines": deadlines})
    await staff.say("/queue overdue")
    line = next(x for x in staff.text().split("\n") if reference in x)
    assert "بانتظار المستفيد" in line and "متأخرة" in line
