"""Service requests end to end: apply with valid and invalid answers, review, declare, submit,
duplicates, and the staff review through to closing — as the beneficiary and staff see it."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from bot.app import BotApp
from storage.models import AuditLog, Document, RequestEvent, ServiceRequest
from tests.flows import SERVICE, VALID_ID, fill_form, open_service, submit
from tests.harness import (
    OUTSIDER,
    RESEARCHER,
    STAFF_CHAT,
    STAFF_PLAIN,
    Person,
    buttons,
    make_settings,
    start_app,
)


async def test_apply_review_edit_declare_submit(
    consented: Person, staff: Person, profile, app: BotApp
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    review = consented.text()
    assert (
        "نرجو مراجعة إجاباتك" in review and "1000000008" in review and "٥" in review
    ) or "5" in review
    await consented.press("تعديل إجابة")  # issue 12: one button opens the list of questions
    await consented.press("عدد أفراد الأسرة")
    await consented.say("6")
    assert "نرجو مراجعة إجاباتك" in consented.text()
    reference = await submit(consented)

    async with app.db.read() as session:
        request = await session.scalar(
            select(ServiceRequest).where(ServiceRequest.reference == reference)
        )
        assert request.status == "submitted" and request.answers["family_size"] == 6
        assert VALID_ID not in str(request.answers)  # encrypted at rest
        assert request.declaration_version == profile.declaration.version and request.declared_at
        assert (
            await session.scalar(select(Document.id).where(Document.request_id == request.id))
        ) is not None

    card = staff.emu.last_message(STAFF_CHAT)
    assert reference in card["text"] and "1•••••••08" in card["text"]
    assert VALID_ID not in card["text"] and "551234567" not in card["text"]

    # the same national ID cannot apply twice while the first request is open
    await consented.say("/menu")
    await open_service(consented, profile)
    await consented.say("محمد عبدالله سعيد الحربي")
    replies = await consented.say(VALID_ID)
    assert reference in replies[0]["text"] and "طلب مفتوح" in replies[0]["text"]

    # my requests
    await consented.say("/status")
    assert reference in consented.text() and "تم الاستلام" in consented.text()


async def test_a_question_answered_by_a_button_shows_its_answer_without_buttons(
    consented: Person, profile, emu
) -> None:
    """On a small phone, a question that still offers its choices after they were used reads as
    unanswered: the pressed question keeps its words, shows the answer, loses its buttons."""
    await open_service(consented, profile)
    await fill_form(consented, profile)
    housing = profile.service(SERVICE).fields[6]
    asked = [
        m
        for m in emu.messages(consented.user_id)
        if (m.get("text") or "").startswith("السؤال")
        and (housing.question or housing.label).ar in m["text"]
    ]
    assert len(asked) == 1
    assert f"✅ إجابتك: {housing.choices[1].label.ar}" in asked[0]["text"]
    assert not buttons(asked[0])
    skipped = [m for m in emu.messages(consented.user_id) if "تمّ تخطّي هذا السؤال" in m["text"]]
    assert len(skipped) == 2 and not any(buttons(m) for m in skipped)  # the two optional ones
    assert "نرجو مراجعة إجاباتك" in consented.text()  # and the form went on


async def test_staff_review_to_closing(
    consented: Person, staff: Person, profile, app: BotApp, emu
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    staff.seen = 0

    await staff.press("بدء الدراسة")
    assert "قيد الدراسة" in consented.last()["text"]
    assert "قيد الدراسة" in emu.messages(STAFF_CHAT)[0]["text"]  # the card, edited in place

    await staff.press("طلب مستندات")
    prompt = staff.last()
    await staff.say("صورة عقد الإيجار سارية", reply_to_message_id=prompt["message_id"])
    notice = consented.last()
    assert "صورة عقد الإيجار" in notice["text"] and "إضافة المستندات" in str(buttons(notice))
    await consented.press("إضافة المستندات")
    await consented.send_photo(b"\xff\xd8\xff\xe0 lease photo")
    await consented.press("انتهيت")
    assert "عاد طلبك قيد الدراسة" in consented.text()
    assert "أضاف المستفيد مستندًا واحدًا" in emu.last_message(STAFF_CHAT)["text"]

    await staff.press("جدولة مقابلة")
    await staff.say(
        "الأحد ٢٠ جمادى الآخرة، الساعة ١٠ صباحًا في مقر الجمعية",
        reply_to_message_id=staff.last()["message_id"],
    )
    assert "مقابلة شخصية" in consented.last()["text"] and "الساعة ١٠" in consented.last()["text"]

    await staff.press("قبول")
    assert "يسعدنا إبلاغك بقبول طلبك" in consented.last()["text"]
    await staff.press("تم تقديم الخدمة")
    assert "تم تقديم الخدمة لطلبك" in consented.last()["text"]
    await staff.press("إغلاق")
    assert "أُغلق طلبك" in consented.recent()

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
    assert request.status == "closed"
    assert actions == [
        "submitted",
        "review",
        "docs",
        "documents_added",
        "interview",
        "approve",
        "deliver",
        "close",
    ]


async def test_rejection_needs_and_sends_a_reason(
    consented: Person, staff: Person, profile
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    await submit(consented)
    await staff.press("عدم القبول")
    prompt = staff.last()
    assert "السبب" in prompt["text"] or "سبب" in prompt["text"]
    await staff.say("الدخل أعلى من الحد المعتمد للدعم", reply_to_message_id=prompt["message_id"])
    text = consented.last()["text"]
    assert "نأسف لإبلاغك بعدم قبول طلبك" in text and "الدخل أعلى من الحد المعتمد" in text


async def test_non_member_cannot_act_on_a_card(
    consented: Person, staff: Person, profile, emu
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    await submit(consented)
    card = emu.messages(STAFF_CHAT)[0]
    data = next(d for label, d in buttons(card) if "بدء الدراسة" in label)
    # Telegram would not show the card to a non-member; the bot must not rely on that.
    query = {
        "id": "forged-1",
        "from": {"id": OUTSIDER, "is_bot": False, "first_name": "غريب"},
        "message": card,
        "chat_instance": "1",
        "data": data,
    }
    outsider = Person(emu, staff.app, OUTSIDER, chat_id=STAFF_CHAT)
    await outsider.act(emu.push_raw_update({"callback_query": query}))
    answers = [
        c.params
        for c in emu.calls_to("answerCallbackQuery")
        if c.params.get("callback_query_id") == "forged-1"
    ]
    assert answers and "لأعضاء مجموعة فريق الجمعية فقط" in answers[0]["text"]
    assert "قيد الدراسة" not in emu.messages(STAFF_CHAT)[0]["text"]


async def test_reveal_is_for_researchers_and_audited(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    await submit(consented)
    plain = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    card = emu.messages(STAFF_CHAT)[0]
    data = next(d for label, d in buttons(card) if "البيانات الكاملة" in label)
    query = emu.press(STAFF_PLAIN, card["message_id"], data, chat_id=STAFF_CHAT)
    await plain.act(query)
    assert "للباحث الاجتماعي أو المشرف فقط" in emu.callback_answer(query["id"])["text"]
    # the supervisor (SUPERVISOR_IDS) sees it privately
    await staff.press("البيانات الكاملة")
    private = emu.messages(staff.user_id)
    assert any(VALID_ID in (m.get("text") or "") for m in private)
    async with app.db.read() as session:
        audit = (
            await session.scalars(select(AuditLog).where(AuditLog.action == "view_personal_data"))
        ).all()
    assert len(audit) == 1 and audit[0].actor_id == staff.user_id


async def test_restart_mid_form_keeps_every_answer(
    consented: Person, profile, emu, app: BotApp, database_url
) -> None:
    await open_service(consented, profile)
    await consented.say("محمد عبدالله سعيد الحربي")
    await consented.say(VALID_ID)
    await app.stop()
    fresh = await start_app(emu, make_settings(emu, database_url), profile)
    try:
        consented.app = fresh
        replies = await consented.share_contact("0551234567")
        assert "السؤال ٤ من ١٤" in replies[-1]["text"]  # the next question, not the first
        async with fresh.db.read() as session:
            draft = await session.scalar(select(ServiceRequest))
        assert set(draft.answers) == {"full_name", "national_id", "mobile"}
    finally:
        await fresh.stop()


async def test_deadline_reminder_overdue_alert_and_delay_notice(
    consented: Person, profile, emu, app: BotApp
) -> None:
    from datetime import datetime, time, timedelta

    from bot.engine.jobs import run_jobs

    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    async with app.db.read() as session:
        due = (
            await session.scalar(
                select(ServiceRequest).where(ServiceRequest.reference == reference)
            )
        ).due_date

    def at(day) -> datetime:
        return datetime.combine(day, time(9), tzinfo=UTC)

    assert await run_jobs(app.rt, now=at(due - timedelta(days=5))) == 0  # too early
    assert await run_jobs(app.rt, now=at(due - timedelta(days=1))) == 1
    await app.idle()
    assert (
        "يحتاج إلى قرار" in emu.last_message(STAFF_CHAT)["text"]
        and reference in emu.last_message(STAFF_CHAT)["text"]
    )
    assert await run_jobs(app.rt, now=at(due)) == 0  # reminded once only

    assert await run_jobs(app.rt, now=at(due + timedelta(days=1))) == 1
    await app.idle()
    assert "متأخر" in emu.last_message(STAFF_CHAT)["text"]
    supervisor_note = emu.last_message(2001)
    assert supervisor_note and reference in supervisor_note["text"]
    late = consented.last()["text"]
    assert reference in late and "لم يُنسَ" in late
    assert await run_jobs(app.rt, now=at(due + timedelta(days=2))) == 0  # alerted once only


async def test_withdraw_own_request(consented: Person, profile, emu, app: BotApp) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    await submit(consented)
    await consented.say("/status")
    await consented.press("إلغاء الطلب")
    await consented.press("نعم، ألغِه")
    assert "أُلغي طلبك" in consented.text()
    assert "ألغى المستفيد الطلب" in emu.last_message(STAFF_CHAT)["text"]
    assert "ملغى بطلب المستفيد" in emu.messages(STAFF_CHAT)[0]["text"]  # the card, edited
    await consented.say("/status")
    assert "ملغى بطلب المستفيد" in consented.text() and "إلغاء الطلب" not in str(
        buttons(consented.last())
    )
    # a forged button for someone else's (or a closed) request is refused
    await consented.press_data(consented.last()["message_id"], "rq:confirm:999")
    assert (
        "لم يعد بالإمكان إلغاء هذا الطلب" in emu.calls_to("answerCallbackQuery")[-1].params["text"]
    )


async def test_staff_roles_granted_by_a_supervisor(
    consented: Person, staff: Person, profile, emu, app
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    await submit(consented)
    researcher = Person(emu, app, RESEARCHER, chat_id=STAFF_CHAT)
    said = emu.send_text(RESEARCHER, "مرحبًا", chat_id=STAFF_CHAT)
    await researcher.act(said)
    await researcher.say("/grant supervisor", reply_to_message_id=said["message_id"])
    assert "للمشرف فقط" in researcher.text()  # a plain member cannot grant
    await staff.say("/grant researcher", reply_to_message_id=said["message_id"])
    assert "باحث اجتماعي" in staff.text()  # issue 12: the role named in Arabic
    card = emu.messages(STAFF_CHAT)[0]
    data = next(d for label, d in buttons(card) if "البيانات الكاملة" in label)
    await researcher.act(emu.press(RESEARCHER, card["message_id"], data, chat_id=STAFF_CHAT))
    assert any(VALID_ID in (m.get("text") or "") for m in emu.messages(RESEARCHER))
