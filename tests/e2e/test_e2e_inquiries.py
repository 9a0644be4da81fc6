"""Inquiries, hand-over to staff, staff replies, complaints and compensation — end to end."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Ticket, TicketMessage
from tests.flows import about_the_case, reference_in
from tests.harness import STAFF_CHAT, Person, buttons


async def test_browse_topics_and_read_an_answer(consented: Person, profile) -> None:
    await consented.press("استفسار")
    category = profile.faq.categories[0]
    await consented.press(category.title.ar)
    entry = profile.faq_entries(category.id)[0]
    await consented.press(entry.question.ar[:30])
    assert entry.question.ar in consented.text() and "هل أجاب هذا عن سؤالك" in consented.text()
    await consented.press("نعم، شكرًا")
    assert "يسعدنا" in consented.text()


async def test_free_text_question_is_answered(consented: Person, profile) -> None:
    entry = profile.faq.entries[0]
    replies = await consented.say(entry.phrasings[0] if entry.phrasings else entry.question.ar)
    assert entry.question.ar in replies[-1]["text"]


async def test_dialect_phrasing_lands_on_the_same_entry(consented: Person, profile) -> None:
    hits = 0
    for entry in profile.faq.entries[:10]:
        replies = await consented.say(entry.phrasings[-1])
        text = replies[-1]["text"]
        hits += entry.question.ar in text or entry.question.ar[:40] in str(buttons(replies[-1]))
    assert hits >= 8


async def test_unknown_question_handed_over_and_staff_replies(
    consented: Person, staff: Person, emu, app
) -> None:
    replies = await consented.say("هل يمكنني استعارة سيارة الجمعية لنقل أثاث بيتي الجديد؟")
    if "لا شيء مما سبق" in str(buttons(replies[-1])):
        await consented.press("لا شيء مما سبق")  # hands the question over at once
    else:
        await consented.press("نعم، مرِّر سؤالي")
    text = consented.text()
    assert "سنحيل استفسارك إلى المختص في الجمعية" in text
    reference = reference_in(text, "INQ")
    card = emu.last_message(STAFF_CHAT)
    assert reference in card["text"] and "سيارة الجمعية" in card["text"]
    assert "سارة" in card["text"] and "العتيبي" not in card["text"]  # masked name

    # a follow-up joins the same thread (issue 12: once the person says it is about the case)
    await consented.say("وأحتاجها يوم الخميس إن أمكن")
    await about_the_case(consented)
    follow = emu.last_message(STAFF_CHAT)
    assert reference in follow["text"] and "يوم الخميس" in follow["text"]

    # staff reply by replying: text, then a photo
    await staff.say(
        "نعتذر، لا تتوفر لدينا هذه الخدمة، ويمكنك التواصل مع الجمعيات الأهلية للنقل.",
        reply_to_message_id=card["message_id"],
    )
    answer = consented.last()
    assert "رد من الجمعية" in answer["text"] and "لا تتوفر لدينا هذه الخدمة" in answer["text"]
    await staff.act(
        emu.send_photo(
            staff.user_id,
            b"map photo",
            caption="خريطة الموقع",
            chat_id=STAFF_CHAT,
            reply_to_message_id=follow["message_id"],
        )
    )
    photo = consented.last()
    assert photo.get("photo") and "رد من الجمعية" in photo.get("caption", "")

    # close with /close as a reply
    await staff.say("/close", reply_to_message_id=card["message_id"])
    assert "أُغلق" in consented.recent()
    async with app.db.read() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
        directions = (
            await session.scalars(
                select(TicketMessage.direction)
                .where(TicketMessage.ticket_id == ticket.id)
                .order_by(TicketMessage.id)
            )
        ).all()
    assert ticket.status == "closed" and ticket.first_response_at is not None
    assert directions == ["in", "out", "out"]


async def test_user_text_is_escaped_for_staff(consented: Person, staff: Person, emu) -> None:
    await consented.press("استفسار")
    await consented.press("التحدث مع فريق الجمعية")
    await consented.say("<b>عاجل</b> & <script>")
    card = emu.last_message(STAFF_CHAT)
    assert "<b>عاجل</b> & <script>" in card["text"]  # shown as typed, not as markup


async def test_complaint_through_to_resolution(consented: Person, staff: Person, emu) -> None:
    await consented.press("شكوى أو مقترح")
    await consented.press("شكوى")
    await consented.say("تأخر التوصيل")
    await consented.say("تأخر وصول السلة الغذائية أسبوعين عن الموعد المحدد في حي النسيم.")
    await consented.send_photo(b"\xff\xd8\xff\xe0 receipt")
    await consented.press("تخطٍّ") if "طلباتك" in consented.text() else None
    await consented.press("إرسال")
    text = consented.text()
    reference = reference_in(text, "CMP")
    assert "بحلول" in text
    card = next(m for m in emu.messages(STAFF_CHAT) if reference in (m.get("text") or ""))
    assert "تأخر وصول السلة" in card["text"]
    assert any(m.get("photo") for m in emu.messages(STAFF_CHAT))  # the attachment followed

    staff.seen = 0
    await staff.press("استلام")
    assert "قيد المعالجة" in consented.last()["text"] or "تسلّم" in consented.last()["text"]
    await staff.press("رفع إلى المشرف")
    assert "المشرف" in consented.last()["text"]
    await staff.press("إغلاق بنتيجة")
    await staff.say(
        "اعتذرنا للأسرة وجدولنا التوصيل صباح الغد.", reply_to_message_id=staff.last()["message_id"]
    )
    final = consented.recent()
    assert reference in final and "جدولنا التوصيل" in final


async def test_compensation_claim_records_breach_and_outcome(
    consented: Person, staff: Person, emu, app
) -> None:
    await consented.press("شكوى أو مقترح")
    await consented.press("طلب تعويض")
    assert any("سياسة التعويض" in (m.get("text") or "") for m in emu.messages(consented.chat))
    await consented.say("تلف المواد الغذائية")
    await consented.say("وصلت السلة والمواد فيها تالفة بسبب سوء التخزين.")
    await consented.press("تخطٍّ")
    if any("تخطٍّ" in label for label, _ in buttons(consented.last())):
        await consented.press("تخطٍّ")
    await consented.press("إرسال")
    reference = reference_in(consented.text(), "CMP")
    staff.seen = 0
    await staff.press("ثبوت الإخلال")
    await staff.press("إغلاق بنتيجة")
    await staff.say(
        "تعويض الأسرة بسلة بديلة خلال يومين.", reply_to_message_id=staff.last()["message_id"]
    )
    async with app.db.read() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.reference == reference))
    assert ticket.kind == "compensation" and ticket.data["breach"] is True
    assert ticket.status == "resolved" and "سلة بديلة" in ticket.outcome
    assert "سلة بديلة" in consented.recent()


async def test_documents_downloadable_from_the_inquiries_menu(
    consented: Person, emu, profile
) -> None:
    await consented.press("استفسار")
    await consented.press("وثائق الجمعية")
    await consented.press(profile.documents[0].title.ar)
    document = consented.last()["document"]
    assert emu.download(document["file_id"])  # the file itself, not a link


async def test_numbers_in_a_question_are_masked_on_the_staff_card(
    consented: Person, staff: Person, emu
) -> None:
    await consented.press("استفسار")
    await consented.press("التحدث مع فريق الجمعية")
    await consented.say("رقم هويتي ١٠٢٣٤٥٦٧٨٩ وجوالي 0551234567، متى يصل ردكم على طلبي؟")
    card = emu.last_message(STAFF_CHAT)["text"]
    assert "متى يصل ردكم" in card  # the question itself, as written
    assert "١٠٢٣٤٥٦٧٨٩" not in card and "0551234567" not in card
    assert "10••••••89" in card and "05••••••67" in card  # Latin digits, as masked fields

    # a follow-up relayed into the case's thread is masked the same way
    await consented.say("وهذا رقم جوال ابني 0559876543 للتواصل")
    await about_the_case(consented)
    follow = emu.last_message(STAFF_CHAT)["text"]
    assert "رقم جوال ابني" in follow and "0559876543" not in follow and "05••••••43" in follow
