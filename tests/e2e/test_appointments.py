"""Issue #12 item 5: an interview offered as up to three times (Riyadh time, Hijri with
Gregorian), picked by the beneficiary, confirmed to both sides, reminded the day before and two
hours before, and its outcome recorded against the profile's criteria — on the card and in /find."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain.dates import to_riyadh
from bot.engine.jobs import run_jobs
from storage.models import Appointment, ServiceRequest
from tests.flows import fill_form, open_service, submit
from tests.harness import STAFF_CHAT, Person, buttons


def card_of(emu, reference: str) -> dict:
    return next(
        m
        for m in emu.messages(STAFF_CHAT)
        if reference in (m.get("text") or "") and "أتولّى" in str(buttons(m))
    )


async def press_data(person: Person, prefix: str, index: int = 0) -> None:
    message = person.last()
    data = [d for _, d in buttons(message) if d.startswith(prefix)][index]
    await person.press_data(message["message_id"], data)


async def offer_two_times(consented: Person, staff: Person, profile, emu) -> str:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    await staff.press("بدء الدراسة")
    await staff.say("/appoint interview", reply_to_message_id=card_of(emu, reference)["message_id"])
    assert "حتى ثلاثة مواعيد" in staff.text()
    await press_data(staff, "ap:day:", 0)
    await staff.press("10:00")
    await press_data(staff, "ap:day:", 1)
    await staff.press("11:00")
    assert staff.text().count("الساعة") == 2 and "هـ" in staff.text()  # Hijri with Gregorian
    await staff.press("أرسِل المواعيد")
    offer = consented.last()
    assert "نودّ تحديد موعد المقابلة الشخصية" in offer["text"]
    assert len(buttons(offer)) == 3  # two times and «none suits me»
    return reference


async def test_offered_picked_reminded_and_recorded(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    reference = await offer_two_times(consented, staff, profile, emu)
    await press_data(consented, "ap:pick:", 0)
    told = consented.recent(3)
    assert "مقابلة" in told and "١٠:٠٠ صباحًا" in told
    assert "اختار المستفيد موعد المقابلة الشخصية" in staff.text()
    async with app.db.read() as session:
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )
        appointment = await session.scalar(select(Appointment))
    assert request.status == "interview_scheduled" and appointment.status == "confirmed"
    assert to_riyadh(appointment.chosen_at).hour == 10
    # a second press (or a forged one) changes nothing
    await consented.press_data(consented.last()["message_id"], f"ap:pick:{appointment.id}:1")
    assert "لم يعد هذا الاختيار متاحًا" in emu.calls_to("answerCallbackQuery")[-1].params["text"]

    at = to_riyadh(appointment.chosen_at)
    heard = len(emu.messages(consented.user_id))
    await run_jobs(app.rt, now=at - timedelta(hours=30))
    await app.idle()
    assert len(emu.messages(consented.user_id)) == heard
    await run_jobs(app.rt, now=at - timedelta(hours=20))
    await app.idle()
    assert "غدًا" in consented.last()["text"] and reference in consented.last()["text"]
    await run_jobs(app.rt, now=at - timedelta(hours=1, minutes=30))
    await app.idle()
    assert "بعد نحو ساعتين" in consented.last()["text"]
    await run_jobs(app.rt, now=at - timedelta(hours=1))
    await app.idle()
    assert len(emu.messages(consented.user_id)) == heard + 2  # each reminder once

    # the outcome, against the profile's criteria
    await staff.press("تسجيل النتيجة")
    criteria = profile.appointments.criteria
    await staff.press(criteria[0].title.ar)
    await staff.press(criteria[2].title.ar)
    await staff.press("حفظ النتيجة")
    assert f"تحقّق 2 من {len(criteria)}" in staff.text()
    assert "النتيجة: تحقّق 2" in card_of(emu, reference)["text"]
    await staff.say(f"/find {reference}")
    shown = "\n".join(m.get("text") or "" for m in emu.messages(STAFF_CHAT)[-2:])
    assert "المقابلة الشخصية" in shown and "النتيجة: تحقّق 2" in shown


async def test_asking_for_another_time(consented: Person, staff: Person, profile, emu, app) -> None:
    reference = await offer_two_times(consented, staff, profile, emu)
    await consented.press("لا يناسبني")
    assert "مواعيد أخرى" in consented.text()
    assert "يطلب المستفيد" in staff.text() and reference in staff.text()
    async with app.db.read() as session:
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )
    assert request.status == "under_review"
