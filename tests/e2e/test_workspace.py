"""Issue #12 item 3, the staff workspace, as staff use it in the group: /queue with its filters
and pages, /find, /history, «✋ أتولّى», /assign, internal notes that never reach the
beneficiary, ready replies, and the assignee's reminder."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.engine.jobs import run_jobs
from storage.models import AuditLog, CaseNote, StaffMember, utcnow
from tests.flows import fill_form, open_service, reference_in, submit
from tests.harness import STAFF, STAFF_CHAT, STAFF_PLAIN, Person, buttons


async def hand_over(person: Person, question: str) -> str:
    await person.say("/menu")
    await person.press("استفسار")
    await person.press("التحدث مع فريق الجمعية")
    await person.say(question)
    return reference_in(person.text(), "INQ")


def card_of(emu, reference: str) -> dict:
    return next(
        m
        for m in reversed(emu.messages(STAFF_CHAT))
        if reference in (m.get("text") or "") and "أتولّى" in str(buttons(m))
    )


async def press_on(staff: Person, message: dict, label: str) -> list[dict]:
    data = next(d for text, d in buttons(message) if label in text)
    return await staff.press_data(message["message_id"], data)


async def a_request_and_an_inquiry(person: Person, profile) -> tuple[str, str]:
    await open_service(person, profile)
    await fill_form(person, profile)
    request = await submit(person)
    inquiry = await hand_over(person, "هل يمكن تأجيل موعد استلام السلة إلى الأسبوع القادم؟")
    return request, inquiry


async def test_queue_filters_and_find(consented: Person, staff: Person, profile, emu, app) -> None:
    request, inquiry = await a_request_and_an_inquiry(consented, profile)

    await staff.say("/queue")
    text = staff.text()
    assert "الحالات المفتوحة" in text and "(حالتان)" in text
    assert text.index(request) < text.index(inquiry)  # oldest first
    assert "لم يتولّها أحد" in text and "طلب" in text and "استفسار" in text

    await staff.say("/queue requests")
    assert request in staff.text() and inquiry not in staff.text()
    await staff.say("/queue inquiries")
    assert inquiry in staff.text() and request not in staff.text()
    await staff.say("/queue overdue")
    assert "لا توجد هنا حالات مفتوحة" in staff.text()
    await staff.say("/queue nonsense")
    assert "overdue" in staff.text()
    await staff.say("/help")
    assert "/queue" in staff.text() and "ملاحظةٌ داخلية" in staff.text()

    # claim the inquiry from its card: the card names the taker, the queue filters follow
    await press_on(staff, card_of(emu, inquiry), "أتولّى")
    assert "يتولّاها: مشرف" in card_of(emu, inquiry)["text"]
    await staff.say("/queue mine")
    assert inquiry in staff.text() and request not in staff.text()
    await staff.say("/queue unassigned")
    assert request in staff.text() and inquiry not in staff.text()

    # another member cannot take it from under the taker
    plain = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    card = card_of(emu, inquiry)
    query = emu.press(
        STAFF_PLAIN,
        card["message_id"],
        next(d for t, d in buttons(card) if "أتولّى" in t),
        chat_id=STAFF_CHAT,
    )
    await plain.act(query)
    assert "يتولّى مشرف" in emu.callback_answer(query["id"])["text"]

    # the overdue alert names who holds the case
    await run_jobs(app.rt, now=utcnow() + timedelta(days=3))
    await app.idle()
    alert = emu.last_message(STAFF_CHAT)["text"]
    assert inquiry in alert and "يتولّاه مشرف" in alert

    # /find shows the card again, with the thread, masked
    await staff.say(f"/find {inquiry}")
    shown = "\n".join(m.get("text") or "" for m in emu.messages(STAFF_CHAT)[-2:])
    assert "سجلّ الحالة" in shown and "تأجيل موعد استلام السلة" in shown
    await staff.say("/find REQ-1999-0001")
    assert "لا توجد هنا حالة بهذا الرقم" in staff.text()
    await staff.say(f"/find {request}")
    shown = "\n".join(m.get("text") or "" for m in emu.messages(STAFF_CHAT)[-2:])
    assert request in shown and "1000000008" not in shown  # no national ID in clear


async def test_pages_of_the_queue(
    consented: Person, staff: Person, profile, emu, app, monkeypatch
) -> None:
    from bot.features.workspace import queue

    monkeypatch.setattr(queue, "PAGE", 1)
    request, inquiry = await a_request_and_an_inquiry(consented, profile)
    await staff.say("/queue")
    assert (
        request in staff.text() and inquiry not in staff.text() and "الصفحة ١ من ٢" in staff.text()
    )
    await staff.press("التالي")
    assert inquiry in staff.text() and request not in staff.text()
    await staff.press_data(staff.last()["message_id"], "wq:p:all:abc")  # forged: refused quietly
    assert inquiry in staff.text()


async def test_note_never_reaches_the_beneficiary(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    request, inquiry = await a_request_and_an_inquiry(consented, profile)
    heard = len(emu.messages(consented.user_id))
    await staff.say(
        "# اتصلت بالأسرة ولم يرد أحد، سأعاود غدًا",
        reply_to_message_id=card_of(emu, inquiry)["message_id"],
    )
    assert "حُفظت الملاحظة الداخلية" in staff.text()
    await press_on(staff, card_of(emu, request), "ملاحظة")
    prompt = staff.last()
    await staff.say("الأسرة تسكن بعيدًا عن الفرع", reply_to_message_id=prompt["message_id"])
    assert "حُفظت الملاحظة الداخلية" in staff.text()
    assert len(emu.messages(consented.user_id)) == heard  # the beneficiary heard nothing

    await staff.say(f"/find {inquiry}")
    assert "ملاحظة داخلية من مشرف: اتصلت بالأسرة ولم يرد أحد" in staff.text()
    await staff.say(f"/find {request}")
    assert "الأسرة تسكن بعيدًا عن الفرع" in staff.text()
    async with app.db.read() as session:
        assert len((await session.scalars(select(CaseNote))).all()) == 2
        audited = (await session.scalars(select(AuditLog.action))).all()
    assert audited.count("internal_note") == 2


async def test_history_assign_ready_reply_and_reminder(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    request, inquiry = await a_request_and_an_inquiry(consented, profile)

    await staff.say("/history", reply_to_message_id=card_of(emu, request)["message_id"])
    assert "الحالات الأخرى" in staff.text() and inquiry in staff.text()
    assert request not in staff.text().split("\n", 1)[1]

    # a supervisor gives the request to a plain member, replying to one of their messages
    plain = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    said = emu.send_text(STAFF_PLAIN, "أنا متاح اليوم", chat_id=STAFF_CHAT)
    await plain.act(said)
    await staff.say(f"/assign {request}", reply_to_message_id=said["message_id"])
    assert "في عهدة موظف" in staff.text()
    assert "يتولّاها: موظف" in card_of(emu, request)["text"]
    # a plain member cannot assign
    await plain.say(f"/assign {inquiry}", reply_to_message_id=said["message_id"])
    assert "للمشرف فقط" in plain.text()

    # a ready reply, sent as it is
    await press_on(staff, card_of(emu, inquiry), "ردود جاهزة")
    await staff.press("أوقات الدوام")
    assert "أرسِل كما هو" in str(buttons(staff.last()))
    await staff.press("أرسِل كما هو")
    told = consented.last()["text"]
    assert "رد من الجمعية" in told and "أوقات الدوام في الجمعية" in told and inquiry in told
    # … or edited by replying to it
    await press_on(staff, card_of(emu, inquiry), "ردود جاهزة")
    await staff.press("شكرًا للتواصل")
    await staff.say(
        "شكرًا لتواصلك، وسنوافيك بالموعد الجديد.", reply_to_message_id=staff.last()["message_id"]
    )
    assert "سنوافيك بالموعد الجديد" in consented.last()["text"]

    # the assignee is reminded of the request, once a day
    await run_jobs(app.rt, now=utcnow() + timedelta(hours=25))
    await staff.act(None)
    reminder = emu.last_message(STAFF_PLAIN)
    assert reminder and "حالات في عهدتك" in reminder["text"] and request in reminder["text"]
    before = len(emu.messages(STAFF_PLAIN))
    await run_jobs(app.rt, now=utcnow() + timedelta(hours=26))
    await staff.act(None)
    assert len(emu.messages(STAFF_PLAIN)) == before
    assert STAFF  # the supervisor (SUPERVISOR_IDS) assigned


async def test_an_area_chat_sees_only_its_own_cases(emu, database_url, profile) -> None:
    from datetime import timedelta as td

    from bot.domain.tickets import Kind, open_ticket
    from tests.harness import RESEARCHER, make_settings, start_app

    area = -100777
    emu.add_group(area, "ضابط الاتصال", members={RESEARCHER: "creator"})
    first = profile.faq.categories[0]
    categories = (first.model_copy(update={"staff_chat_id": area}), *profile.faq.categories[1:])
    routed = profile.model_copy(
        update={"faq": profile.faq.model_copy(update={"categories": categories})}
    )
    routed.__dict__.pop("_categories", None)
    app = await start_app(emu, make_settings(emu, database_url), routed)
    try:
        async with app.db.write() as session:
            mine = await open_ticket(
                session,
                app.rt.tenant,
                beneficiary_id=None,
                kind=Kind.INQUIRY,
                subject="سؤال في مجال الضابط",
                due_in=td(hours=24),
                category=first.id,
            )
            other = await open_ticket(
                session,
                app.rt.tenant,
                beneficiary_id=None,
                kind=Kind.INQUIRY,
                subject="سؤال عام",
                due_in=td(hours=24),
            )
            mine_ref, other_ref = mine.reference, other.reference
        officer = Person(emu, app, RESEARCHER, chat_id=area)
        await officer.say("/queue")
        assert mine_ref in officer.text() and other_ref not in officer.text()
        await officer.say(f"/find {other_ref}")
        assert "لا توجد هنا حالة بهذا الرقم" in officer.text()
        await officer.say(f"/find {mine_ref}")
        assert "سؤال في مجال الضابط" in officer.text() or mine_ref in officer.recent(2)
        main = Person(emu, app, STAFF, chat_id=STAFF_CHAT)
        await main.say("/queue")
        assert mine_ref in main.text() and other_ref in main.text()
    finally:
        await app.stop()


async def test_a_day_in_the_group_in_arabic(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    """What a staff member types and reads all day: the filters in Arabic, a title without
    English words, a beneficiary's numbers masked in /find's card as in its thread, the
    reminders' chat named on a claim, and /grant with the title «الأخصائية الاجتماعية»."""
    request, inquiry = await a_request_and_an_inquiry(consented, profile)
    numbers = await hand_over(consented, "رقم هويتي 1012345672 وجوالي ٠٥٥١٢٣٤٥٦٧، متى يصرف الدعم؟")

    card = card_of(emu, numbers)
    query = emu.press(
        staff.user_id,
        card["message_id"],
        next(d for t, d in buttons(card) if "أتولّى" in t),
        chat_id=STAFF_CHAT,
    )
    await staff.act(query)
    assert "المحادثة الخاصة مع المساعد" in emu.callback_answer(query["id"])["text"]

    await staff.say("/queue حالاتي")
    text = staff.text()
    assert "حالاتي" in text.split("\n")[0] and numbers in text and request not in text
    assert "mine" not in text
    await staff.say("/queue غير مسندة")
    text = staff.text()
    assert request in text and inquiry in text and numbers not in text
    await staff.say("/queue المتأخرة")
    assert "المتأخرة" in staff.text() and "overdue" not in staff.text()
    await staff.say("/queue الشكاوى")
    assert "الشكاوى والمقترحات" in staff.text() and inquiry not in staff.text()

    await staff.say(f"/find {numbers}")
    shown = "\n".join(m.get("text") or "" for m in emu.messages(STAFF_CHAT)[-2:])
    assert numbers in shown and "متى يصرف الدعم" in shown
    assert "1012345672" not in shown and "10••••••72" in shown
    assert "٠٥٥١٢٣٤٥٦٧" not in shown and "05••••••67" in shown

    # the reminder says what each case is
    await run_jobs(app.rt, now=utcnow() + timedelta(hours=25))
    await staff.act(None)
    reminder = emu.last_message(STAFF)["text"]
    assert "حالات في عهدتك" in reminder and numbers in reminder and "استفسار" in reminder

    plain = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    said = emu.send_text(STAFF_PLAIN, "أنا متاحة اليوم", chat_id=STAFF_CHAT)
    await plain.act(said)
    await staff.say("/grant الأخصائية الاجتماعية", reply_to_message_id=said["message_id"])
    assert "تم منح موظف صلاحية «باحث اجتماعي»" in staff.text()
    async with app.db.read() as session:
        member = await session.get(StaffMember, (app.rt.tenant, STAFF_PLAIN))
    assert member is not None and member.role == "researcher"
