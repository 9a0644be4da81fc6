"""Every case is a thread (issue 12, items 1, 2, 4): a new question while a case is open is
answered or the person asked, never attached silently; 🏠 leaves the case; a staff reply to a
request's card reaches the beneficiary, and the beneficiary's reply joins the request; voice
notes outside a case reach staff; “My requests” lists every case; decisions are kept for the
roles the profile names, and a card works only in its own chat."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditLog, RequestEvent, ServiceRequest, Ticket, TicketMessage
from tests.flows import fill_form, open_service, reference_in, submit
from tests.harness import RESEARCHER, STAFF, STAFF_CHAT, STAFF_PLAIN, Person, buttons

UNKNOWN = "هل يمكنني استعارة سيارة الجمعية لنقل أثاث بيتي الجديد؟"
NEW_QUESTION = "كم عدد المتطوعين عندكم في فرع الشمال هذا الشهر؟"


async def hand_over(person: Person) -> str:
    await person.say(UNKNOWN)
    if not any("مرِّر سؤالي" in label for label, _ in buttons(person.last())):
        await person.press("لا شيء مما سبق")  # suggestions first, then the hand-over
    await person.press("نعم، مرِّر سؤالي")
    return reference_in(person.text(), "INQ")


async def staff_texts(emu) -> str:
    return "\n".join(m.get("text") or m.get("caption") or "" for m in emu.messages(STAFF_CHAT))


async def test_a_new_question_while_an_inquiry_is_open_is_not_attached(
    consented: Person, emu, profile
) -> None:
    reference = await hand_over(consented)
    before = len(emu.messages(STAFF_CHAT))
    # a question the FAQ answers with confidence: answered, not attached
    entry = profile.faq.entries[0]
    replies = await consented.say(entry.phrasings[0] if entry.phrasings else entry.question.ar)
    assert "هل أجاب هذا" in replies[-1]["text"] and "أُضيفت" not in replies[-1]["text"]
    assert len(emu.messages(STAFF_CHAT)) == before
    # anything else: asked once, with two buttons
    replies = await consented.say(NEW_QUESTION)
    assert f"هل رسالتك بخصوص استفسارك رقم {reference}" in replies[-1]["text"].replace(
        "\u2068", ""
    ).replace("\u2069", "")
    assert len(emu.messages(STAFF_CHAT)) == before
    await consented.press("سؤال جديد")
    assert "أُضيفت" not in consented.recent(2)
    assert len(emu.messages(STAFF_CHAT)) == before
    # the case stays open: a reply to one of its messages joins it
    receipt = next(
        m
        for m in reversed(consented.emu.messages(consented.chat))
        if reference in (m.get("text") or "") and "سنحيل" in m["text"]
    )
    await consented.say("وأحتاجها يوم الخميس إن أمكن", reply_to_message_id=receipt["message_id"])
    assert "أُضيفت" in consented.recent(2)
    assert "يوم الخميس" in emu.last_message(STAFF_CHAT)["text"]
    # "about it": the message joins the case, and the person is told so
    second = await hand_over(consented)
    await consented.say("والأثاث عبارة عن غرفة نوم كاملة")
    assert "بخصوص استفسارك" in consented.text()
    await consented.press("بخصوصه")
    assert "أُضيفت" in consented.recent(2)
    follow = emu.last_message(STAFF_CHAT)
    assert second in follow["text"] and "غرفة نوم" in follow["text"]


async def test_home_and_menu_leave_the_case_and_cancel_says_the_truth(
    consented: Person, emu
) -> None:
    await hand_over(consented)
    before = len(emu.messages(STAFF_CHAT))
    await consented.press("القائمة الرئيسية")
    replies = await consented.say(NEW_QUESTION)
    assert all(
        "أُضيفت" not in (r.get("text") or "") and "بخصوص" not in (r.get("text") or "")
        for r in replies
    )
    assert len(emu.messages(STAFF_CHAT)) == before

    consented2 = consented
    await hand_over(consented2)
    await consented2.say("/menu")
    replies = await consented2.say(NEW_QUESTION)
    assert all("أُضيفت" not in (r.get("text") or "") for r in replies)

    await hand_over(consented2)
    await consented2.say("/cancel")
    assert (
        "لم يُرسَل شيء" not in consented2.text()
        and "تبقى رسالتك لدى فريق الجمعية" in consented2.text()
    )


async def test_a_staff_reply_to_a_request_card_reaches_the_beneficiary_and_back(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    card = next(
        m for m in emu.messages(STAFF_CHAT) if reference in (m.get("text") or "") and buttons(m)
    )
    await staff.say(
        "نرجو إحضار أصل صك الإعالة عند المقابلة.", reply_to_message_id=card["message_id"]
    )
    answer = consented.last()
    assert "رد من الجمعية" in answer["text"] and reference in answer["text"]
    assert "صك الإعالة" in answer["text"]
    assert "أُرسل ردك" in staff.text() or "تم إرسال" in staff.text() or "✓" in staff.text()
    # the beneficiary replies to it: it joins the request, quoting the card
    await consented.say("حاضر، سأحضره إن شاء الله.", reply_to_message_id=answer["message_id"])
    relayed = emu.last_message(STAFF_CHAT)
    assert reference in relayed["text"] and "سأحضره" in relayed["text"]
    assert "أُضيفت إلى طلبك" in consented.recent(2)
    # and staff reply to that relayed message: back to the beneficiary
    await staff.say("شكرًا لك.", reply_to_message_id=relayed["message_id"])
    assert "شكرًا لك." in consented.last()["text"]
    async with app.db.read() as session:
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )
        actions = (
            await session.scalars(
                select(RequestEvent.action)
                .where(RequestEvent.request_id == request.id)
                .order_by(RequestEvent.id)
            )
        ).all()
    assert actions[-3:] == ["reply", "message_in", "reply"]


async def test_a_voice_note_outside_a_case_reaches_staff(
    consented: Person, staff: Person, emu, app
) -> None:
    await consented.act(emu.send_voice(consented.user_id, b"OggS voice", duration=7))
    text = consented.text()
    assert "أوصلتُ رسالتك إلى فريق الجمعية" in text and "لا أستطيع سماع" not in text
    reference = reference_in(text, "INQ")
    voice = emu.last_message(STAFF_CHAT)
    assert voice.get("voice") and reference in voice.get("caption", "")
    await staff.say("وصلتنا رسالتك، سنتصل بك غدًا.", reply_to_message_id=voice["message_id"])
    assert "سنتصل بك غدًا" in consented.last()["text"]
    async with app.db.read() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
        files = (
            await session.scalars(
                select(TicketMessage.file_id).where(
                    TicketMessage.ticket_id == ticket.id, TicketMessage.direction == "in"
                )
            )
        ).all()
    assert files and files[0]


async def test_status_lists_a_request_and_a_complaint(consented: Person, profile) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    request_ref = await submit(consented)
    await consented.press("القائمة الرئيسية")
    await consented.press("شكوى أو مقترح")
    await consented.press("شكوى")
    await consented.say("تأخر التوصيل")
    await consented.say("تأخر وصول السلة الغذائية أسبوعين عن الموعد المحدد.")
    await consented.press("تخطٍّ")
    if "طلباتك" in consented.text():
        await consented.press("تخطٍّ")
    await consented.press("إرسال")
    complaint_ref = reference_in(consented.text(), "CMP")
    await consented.say("/status")
    listing = consented.last()
    plain = listing["text"].replace("\u2068", "").replace("\u2069", "")
    assert request_ref in plain and complaint_ref in plain
    assert f"شكواك رقم {complaint_ref}" in plain and f"طلبك رقم {request_ref}" in plain
    labels = [t for t, _ in buttons(listing)]
    assert any(complaint_ref in t and "الرد" in t for t in labels)
    assert any(request_ref in t and "إلغاء الطلب" in t for t in labels)
    # reply to the complaint from the listing: the next message joins it
    await consented.press(f"الرد على {complaint_ref}")
    await consented.say("وصلت السلة اليوم، شكرًا.")
    assert "أُضيفت" in consented.recent(2)


async def test_status_pages_on_a_small_phone(consented: Person) -> None:
    for n in range(5):
        await consented.press("القائمة الرئيسية") if n else None
        await consented.act(consented.emu.send_voice(consented.user_id, b"OggS voice", duration=3))
        await consented.say("/menu")
    await consented.say("/status")
    first = consented.last()
    assert "الصفحة ١ من ٢" in first["text"] or "الصفحة 1 من 2" in first["text"]
    await consented.press("الأقدم")
    assert "الصفحة ٢ من ٢" in consented.text() or "الصفحة 2 من 2" in consented.text()


async def accepted_by(person_id: int, consented: Person, staff: Person, profile, emu, app):
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    await staff.press("بدء الدراسة")
    told = consented.last()["text"]
    card = next(
        m for m in emu.messages(STAFF_CHAT) if reference in (m.get("text") or "") and buttons(m)
    )
    data = next(d for t, d in buttons(card) if "قبول" in t and "عدم" not in t)
    query = emu.press(person_id, card["message_id"], data, chat_id=STAFF_CHAT)
    await Person(emu, app, person_id, chat_id=STAFF_CHAT).act(query)
    return reference, told, emu.callback_answer(query["id"])


async def test_a_plain_staff_members_accept_is_refused_and_audited(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    reference, told, answer = await accepted_by(STAFF_PLAIN, consented, staff, profile, emu, app)
    assert "دورك في فريق الجمعية لا يتيح لك هذا الإجراء" in answer["text"]
    assert "باحث اجتماعي" in answer["text"] and answer.get("show_alert")
    assert consented.last()["text"] == told  # the beneficiary heard nothing
    async with app.db.read() as session:
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "refused_role"))
    assert request.status == "under_review"
    assert audit is not None and audit.actor_id == STAFF_PLAIN and audit.detail["move"] == "approve"


async def test_a_researchers_accept_works(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    await staff.say(
        "/grant باحث اجتماعي",
        reply_to_message_id=staff.emu.send_text(RESEARCHER, "مرحبًا", chat_id=STAFF_CHAT)[
            "message_id"
        ],
    )
    assert "باحث اجتماعي" in staff.text()
    _reference, _told, answer = await accepted_by(RESEARCHER, consented, staff, profile, emu, app)
    assert "تم" in answer["text"]
    assert "يسعدنا إبلاغك بقبول طلبك" in consented.last()["text"]


async def test_a_card_works_only_in_its_own_chat(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    area = -100777
    emu.add_group(area, "ضابط الاتصال", members={STAFF: "creator"})
    app.rt.staff_chat_ids  # noqa: B018 - the area chat comes from the profile in real use
    app.rt.__dict__["staff_chat_ids"] = frozenset({STAFF_CHAT, area})
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    card = next(
        m for m in emu.messages(STAFF_CHAT) if reference in (m.get("text") or "") and buttons(m)
    )
    data = next(d for t, d in buttons(card) if "بدء الدراسة" in t)
    note = emu.send_text(STAFF, "رسالة في مجموعة المنطقة", chat_id=area)
    await Person(emu, app, STAFF, chat_id=area).act(note)
    query = emu.press(STAFF, note["message_id"], data, chat_id=area, strict=False)
    await Person(emu, app, STAFF, chat_id=area).act(query)
    assert "تعمل في المحادثة التي نُشرت فيها" in emu.callback_answer(query["id"])["text"]
    async with app.db.read() as session:
        status = await session.scalar(
            select(ServiceRequest.status).where(ServiceRequest.reference == reference)
        )
    assert status == "submitted"
