"""Announcements end to end (issue #16, section 3): a supervisor's /announce in the staff group
— text, audience, preview with the count, confirm — delivered through the outbox to those who
accepted them, with «🔕 إيقاف الإعلانات», the /privacy switch, the one-time question, pause,
resume, cancel and the report; refused for plain staff."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.engine.jobs import run_jobs
from bot.features.announcements import broadcast
from storage.models import Announcement, AnnouncementRecipient, Beneficiary, ServiceRequest, Ticket
from tests.harness import BENEFICIARY, STAFF_CHAT, STAFF_PLAIN, Person, buttons, settle

OTHERS = (1002, 1003, 1004)


async def people(emu, app, n: int = 3, *, notices: int | None = None) -> list[Person]:
    """``n`` beneficiaries who consented; the first ``notices`` (all by default) turned the
    announcements on from /privacy."""
    everyone = []
    for uid in (BENEFICIARY, *OTHERS)[:n]:
        if uid != BENEFICIARY:
            emu.add_user(uid, f"مستفيد{uid}", language_code="ar")
        person = Person(emu, app, uid)
        await person.say("/start")
        await person.press("أوافق")
        everyone.append(person)
    for person in everyone[: n if notices is None else notices]:
        await person.say("/privacy")
        await person.press("استلام الإعلانات")
        assert "ستصلك إعلانات الجمعية هنا" in person.text()
    return everyone


async def draft(
    staff: Person, text: str = "توزيع السلال الغذائية يوم الخميس في المقر الرئيسي"
) -> None:
    replies = await staff.say("/announce")
    assert "ردّ على هذه الرسالة بنص الإعلان" in replies[-1]["text"]
    await staff.say(text, reply_to_message_id=replies[-1]["message_id"])
    assert "إلى من يُرسَل الإعلان؟" in staff.text()


def announcements_to(person: Person) -> list[dict]:
    return [
        m
        for m in person.emu.messages(person.chat)
        if "إعلان من" in (m.get("text") or m.get("caption") or "")
    ]


@pytest.fixture
def manual(monkeypatch):
    """The test drives the pump itself, one window of one message at a time."""
    monkeypatch.setattr(broadcast, "AUTOSTART", False)
    monkeypatch.setattr(broadcast, "WINDOW", 1)


async def test_audience_preview_confirm_and_report(emu, app, staff: Person) -> None:
    crowd = await people(emu, app, 4, notices=3)  # the fourth never accepted
    await draft(staff)
    await staff.press("جميع من وافقوا")
    replies = [staff.last()]
    preview = replies[-1]["text"]
    assert "معاينة الإعلان" in preview and "توزيع السلال الغذائية" in preview
    assert "عدد المستلمين: 3 مستفيدين" in preview
    assert not announcements_to(crowd[0])  # nothing is sent before the supervisor confirms
    await staff.press("أرسل الآن")
    await broadcast.wait_pumps()
    await settle(emu, app)
    for person in crowd[:3]:
        got = announcements_to(person)
        assert len(got) == 1, person.user_id  # each recipient exactly once
        assert "توزيع السلال الغذائية" in got[0]["text"]
        assert ("🔕 إيقاف الإعلانات", "ntc:off:a") in buttons(got[0])
    assert not announcements_to(crowd[3])
    report = staff.text()
    assert "تقرير الإعلان" in report and "وصل إلى: 3" in report and "حظروا المساعد: 0" in report
    assert "اكتمل الإرسال" in staff.recent(3)
    async with app.rt.db.read() as session:
        states = (await session.scalars(select(AnnouncementRecipient.state))).all()
    assert sorted(states) == ["queued"] * 3


async def test_audience_by_service_status_and_district(emu, app, staff: Person, profile) -> None:
    crowd = await people(emu, app, 3)
    service = profile.services[0]
    async with app.rt.db.write() as session:  # two of them have requests (as the form stores them)
        ids = dict(
            (await session.execute(select(Beneficiary.telegram_user_id, Beneficiary.id))).all()
        )
        session.add_all(
            [
                ServiceRequest(
                    association_id=app.rt.tenant,
                    beneficiary_id=ids[BENEFICIARY],
                    service_id=service.id,
                    status="submitted",
                    answers={"district": "north"},
                ),
                ServiceRequest(
                    association_id=app.rt.tenant,
                    beneficiary_id=ids[1002],
                    service_id=service.id,
                    status="approved",
                    answers={"district": "south"},
                ),
            ]
        )
    await draft(staff)
    await staff.press("حسب الخدمة")
    await staff.press(service.title.ar)
    replies = [staff.last()]
    assert "عدد المستلمين: مستفيدان" in replies[-1]["text"]
    await staff.press("تغيير الفئة المستهدفة")
    await staff.press("حسب حالة الطلب")
    await staff.press("مقبول")
    assert "عدد المستلمين: مستفيد واحد" in staff.text() and "مقبول" in staff.text()
    await staff.press("تغيير الفئة المستهدفة")
    await staff.press("حسب الحي")
    await staff.press("شمال الرياض")
    replies = [staff.last()]
    assert (
        "عدد المستلمين: مستفيد واحد" in replies[-1]["text"] and "شمال الرياض" in replies[-1]["text"]
    )
    await staff.press("أرسل الآن")
    await broadcast.wait_pumps()
    await settle(emu, app)
    assert len(announcements_to(crowd[0])) == 1
    assert not announcements_to(crowd[1]) and not announcements_to(crowd[2])


async def test_refused_for_plain_staff(emu, app, staff: Person) -> None:
    await people(emu, app, 1)
    plain = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    replies = await plain.say("/announce تجربة")
    assert "يرسلها مشرفو الجمعية فقط" in replies[-1]["text"]
    await draft(staff)
    preview = staff.last()
    _, data = staff.find("جميع من وافقوا")
    await plain.press_data(preview["message_id"], data)  # a forged press by plain staff
    assert "إلى من يُرسَل الإعلان؟" in staff.text()  # the draft did not move
    answer = emu.callback_answers[-1]
    assert "يرسلها مشرفو الجمعية فقط" in (answer.get("text") or "")
    async with app.rt.db.read() as session:
        row = (await session.scalars(select(Announcement))).one()
    assert row.status == "draft" and not row.audience


async def test_opt_out_button_and_privacy_switch(emu, app, staff: Person) -> None:
    crowd = await people(emu, app, 2)
    await draft(staff)
    await staff.press("جميع من وافقوا")
    await staff.press("أرسل الآن")
    await broadcast.wait_pumps()
    await settle(emu, app)
    first = crowd[0]
    got = announcements_to(first)
    assert len(got) == 1
    replies = await first.press("إيقاف الإعلانات")
    assert "لن تصلك إعلانات الجمعية بعد الآن" in replies[-1]["text"]
    assert not buttons(announcements_to(first)[0])  # the button left the announcement
    await first.say("/privacy")
    assert any("استلام الإعلانات" in t for t, _ in buttons(first.last()))  # the switch shows "on"
    second = crowd[1]
    await second.say("/privacy")
    await second.press("إيقاف الإعلانات")  # the same switch, from /privacy
    await draft(staff, "إعلان ثانٍ")
    await staff.press("جميع من وافقوا")
    replies = [staff.last()]
    assert "لا يوجد في هذه الفئة من وافق" in replies[-1]["text"]
    await first.say("/privacy")
    await first.press("استلام الإعلانات")
    await staff.press("تغيير الفئة المستهدفة")
    await staff.press("جميع من وافقوا")
    replies = [staff.last()]
    assert "عدد المستلمين: مستفيد واحد" in replies[-1]["text"]


async def test_stopped_or_blocked_before_their_turn_get_nothing(
    emu, app, staff: Person, manual
) -> None:
    crowd = await people(emu, app, 3)
    await draft(staff)
    await staff.press("جميع من وافقوا")
    await staff.press("أرسل الآن")  # one handed over at once (a window of one)
    await crowd[1].say("/privacy")
    await crowd[1].press("إيقاف الإعلانات")
    async with app.rt.db.write() as session:  # the third blocked the assistant meanwhile
        person = (
            await session.scalars(
                select(Beneficiary).where(Beneficiary.telegram_user_id == crowd[2].user_id)
            )
        ).one()
        person.unreachable_at = func.now()
    ann_id = await _only_announcement(app)
    while await broadcast.step(app.rt, ann_id):
        await settle(emu, app)
    await settle(emu, app)
    assert len(announcements_to(crowd[0])) == 1
    assert not announcements_to(crowd[1]) and not announcements_to(crowd[2])
    assert "أوقفوا الإعلانات قبل وصول دورهم: 2" in staff.text()


async def test_pause_resume_cancel_and_report(emu, app, staff: Person, manual) -> None:
    crowd = await people(emu, app, 4)
    await draft(staff)
    await staff.press("جميع من وافقوا")
    await staff.press("أرسل الآن")
    replies = [staff.last()]
    assert "جارٍ الإرسال" in replies[-1]["text"]
    ann_id = await _only_announcement(app)
    assert sum(len(announcements_to(p)) for p in crowd) == 1  # the first window
    await staff.press("إيقاف مؤقت")
    replies = [staff.last()]
    assert "متوقف مؤقتًا" in replies[-1]["text"]
    assert not await broadcast.step(app.rt, ann_id)  # paused: nothing more is handed over
    await settle(emu, app)
    assert sum(len(announcements_to(p)) for p in crowd) == 1
    await staff.press("استئناف")
    assert await broadcast.step(app.rt, ann_id, progress=True)  # and the status message updated
    await settle(emu, app)
    assert "عُولِج حتى الآن 1 من أصل 4" in staff.text() and "جارٍ الإرسال" in staff.text()
    assert sum(len(announcements_to(p)) for p in crowd) == 2
    await staff.press("إلغاء الإعلان")
    assert not await broadcast.step(app.rt, ann_id)  # cancelled, nothing outstanding: the report
    await settle(emu, app)
    report = staff.text()
    assert "تقرير الإعلان" in report and "وصل إلى: 2" in report
    assert "لم يُرسَل إليهم (بسبب الإلغاء): 2" in report
    assert sum(len(announcements_to(p)) for p in crowd) == 2
    _, data = (
        staff.find("إلغاء الإعلان")
        if any("إلغاء" in t for m in emu.messages(STAFF_CHAT)[-3:] for t, _ in buttons(m))
        else (None, None)
    )
    assert data is None  # the status message lost its buttons


async def test_blocked_recipient_is_counted(emu, app, staff: Person) -> None:
    crowd = await people(emu, app, 2)
    emu.block(crowd[1].user_id, notify=False)  # the bot learns it only when it sends
    await draft(staff)
    await staff.press("جميع من وافقوا")
    await staff.press("أرسل الآن")
    await broadcast.wait_pumps()
    await settle(emu, app)
    report = staff.text()
    assert "وصل إلى: 1" in report and "حظروا المساعد: 1" in report


async def test_question_asked_once_after_a_first_completed_inquiry(emu, app) -> None:
    crowd = await people(emu, app, 1, notices=0)
    person = crowd[0]
    await run_jobs(app.rt)
    await settle(emu, app)
    assert "هل تأذن للجمعية" not in person.text()  # not at /start, not before a first case
    async with app.rt.db.write() as session:
        me = (await session.scalars(select(Beneficiary))).one()
        ticket = Ticket(
            association_id=app.rt.tenant,
            reference="INQ-1",
            beneficiary_id=me.id,
            kind="inquiry",
            status="open",
        )
        session.add(ticket)
    await run_jobs(app.rt)
    await settle(emu, app)
    assert "هل تأذن للجمعية" not in person.text()  # an inquiry still open: not yet
    async with app.rt.db.write() as session:
        (await session.get(Ticket, ticket.id)).status = "closed"
    await run_jobs(app.rt)
    await settle(emu, app)
    assert "هل تأذن للجمعية" in person.text()  # after the first completed one
    await person.press("نعم، أرسلوها إليّ")
    assert "ستصلك إعلانات الجمعية هنا" in person.text()  # the question answered in place
    await run_jobs(app.rt)
    await settle(emu, app)
    assert "ستصلك إعلانات الجمعية هنا" in person.text()
    asked = [m for m in emu.messages(person.chat) if "هل تأذن للجمعية" in (m.get("text") or "")]
    assert not asked  # asked once: not again after the answer


async def _only_announcement(app) -> int:
    async with app.rt.db.read() as session:
        return (await session.scalars(select(Announcement.id))).one()


async def test_each_recipient_once_across_a_sigkill(
    emu, database_url: str, tmp_path, profile
) -> None:
    """The bot as a process, killed with SIGKILL in the middle of an announcement, then
    restarted: the job resumes the pump, nobody is skipped, and a repeat is possible only for a
    message Telegram took in the instant of the kill (the outbox's bound: one per chat)."""
    from storage.db import Database
    from storage.models import utcnow
    from tests.harness import STAFF
    from tests.subprocess_bot import BotProcess, ProcessApp

    recipients = [7000 + i for i in range(150)]  # about five seconds at 30 a second
    for uid in recipients:
        emu.add_user(uid, "مستفيد", str(uid), language_code="ar")
    bot = BotProcess(emu, tmp_path, database_url)
    db = Database(database_url).scoped(profile.association.id)
    try:
        bot.start()
        staff = Person(emu, ProcessApp(emu, db, bot), STAFF, chat_id=STAFF_CHAT)  # type: ignore[arg-type]
        emu.send_text(STAFF, "/help", chat_id=STAFF_CHAT)  # up: the schema and association exist
        await emu.wait_until(lambda: emu.messages(STAFF_CHAT), 90)
        staff.seen = emu.messages(STAFF_CHAT)[-1]["message_id"]
        async with db.write() as session:
            now = utcnow()
            session.add_all(
                [
                    Beneficiary(
                        association_id=profile.association.id,
                        telegram_user_id=uid,
                        consent_version="1",
                        consent_at=now,
                        notices=True,
                    )
                    for uid in recipients
                ]
            )
        await draft(staff)
        await staff.press("جميع من وافقوا")
        assert "عدد المستلمين: 150 مستفيدًا" in staff.text()
        mid, data = staff.find("أرسل الآن")
        emu.press(STAFF, mid["message_id"], data, chat_id=STAFF_CHAT)

        def got(uid: int) -> int:
            return len(announcements_to(Person(emu, staff.app, uid)))

        await emu.wait_until(lambda: sum(got(u) > 0 for u in recipients) >= 40, 60)
        bot.kill()
        at_kill = sum(got(u) > 0 for u in recipients)
        assert at_kill < len(recipients), "the kill must land while the announcement is under way"
        bot.start()  # its jobs resume the pump at once
        await emu.wait_until(
            lambda: any("تقرير الإعلان" in (m.get("text") or "") for m in emu.messages(STAFF_CHAT)),
            90,
        )
        counts_per = [got(u) for u in recipients]
        assert min(counts_per) == 1, "everyone gets it"
        repeated = sum(1 for n in counts_per if n > 1)
        assert max(counts_per) <= 2 and repeated <= broadcast.WINDOW, repeated
        assert "وصل إلى: 150" in staff.text()
    finally:
        bot.stop()
        await db.dispose() if hasattr(db, "dispose") else None
