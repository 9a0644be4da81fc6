"""Issue #14 item 3: long messages to staff are not lost. Telegram counts a text's length in
UTF-16 units of what it shows (after the HTML is parsed): 4,096 for a message, 1,024 for a
caption. What is longer is cut into several messages (or sent as a file), a long caption follows
its media in its own message, and a person is told "received" only once the team has it."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import OutboxMessage
from tests.flows import about_the_case
from tests.harness import STAFF, STAFF_CHAT, Person


def staff_text(emu) -> str:
    return "\n".join(m.get("text") or m.get("caption") or "" for m in emu.messages(STAFF_CHAT))


async def open_inquiry(person: Person) -> str:
    await person.press("استفسار")
    await person.press("التحدث مع فريق الجمعية")
    await person.say("أريد أن أسأل عن مواعيد توزيع السلال الغذائية في الحي")
    match = re.search(r"INQ-\d{4}-\d{4}", person.text())
    assert match, person.text()
    return match.group(0)


async def test_a_complaint_of_2000_emoji_reaches_staff_complete(
    consented: Person, staff: Person, emu, app
) -> None:
    words = "😢" * 2000
    await consented.press("شكوى أو مقترح")
    await consented.press("شكوى")
    await consented.say("تأخر التوصيل")
    await consented.say(words)
    await consented.press("تخطٍّ")
    if "طلباتك" in consented.text():
        await consented.press("تخطٍّ")
    await consented.press("إرسال")
    reference = re.search(r"CMP-\d{4}-\d{4}", consented.recent(2)).group(0)
    shown = staff_text(emu)
    assert reference in shown
    assert shown.count("😢") == 2000  # every one of them, across the card's messages
    assert "بحلول" in consented.recent(2)  # "received" once the team had it
    # the card's buttons still work: its first part is edited in place, within the limit
    await staff.press("استلام")
    assert "تسلّم" in consented.last()["text"] or "قيد المعالجة" in consented.last()["text"]
    async with app.db.read() as session:
        failed = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed"))
        ).all()
    assert not failed, [(r.method, r.error) for r in failed]


async def test_a_maximum_length_follow_up_reaches_staff_complete(consented: Person, emu) -> None:
    await open_inquiry(consented)
    words = ("تفاصيل إضافية & مهمة <للفريق> " * 200)[:4090] + " نهاية"
    assert len(words) == 4096
    await consented.say(words)
    await about_the_case(consented)  # issue 12: asked whether it is about the case
    shown = staff_text(emu).replace("\n", " ")
    assert words in shown or words.replace("  ", " ") in shown
    assert shown.count("<للفريق>") == words.count("<للفريق>")
    assert "نهاية" in shown
    assert "أُضيف" in consented.recent(2) or "أضيف" in consented.recent(2)


async def test_a_document_with_a_1000_character_caption_arrives_complete(
    consented: Person, emu
) -> None:
    reference = await open_inquiry(consented)
    caption = ("هذه صورة الفاتورة الأخيرة، " * 60)[:999] + "."
    assert len(caption) == 1000
    await consented.send_document(
        b"%PDF-1.4 fake", "invoice.pdf", "application/pdf", caption=caption
    )
    messages = emu.messages(STAFF_CHAT)
    document = next(m for m in messages if m.get("document"))
    shown = staff_text(emu)
    assert caption in shown.replace("\n", " ") or caption in shown
    assert reference in shown
    assert document["message_id"] < messages[-1]["message_id"]  # the words follow the file


async def test_a_refused_follow_up_alerts_supervisors_and_tells_the_person(
    consented: Person, emu
) -> None:
    await open_inquiry(consented)
    emu.inject_fault("sendMessage", "400", count=1, chat_id=STAFF_CHAT)
    await consented.say("هل يمكن تأجيل الموعد إلى الأسبوع القادم؟")
    await about_the_case(consented)  # issue 12: asked whether it is about the case
    told = consented.recent(2)
    assert "تأجيل الموعد" not in staff_text(emu)
    assert "لم نتمكن" in told and "أضيف" not in told and "أُضيف" not in told
    alerts = [m.get("text") or "" for m in emu.messages(STAFF)]
    assert any("تعذّر" in a or "تعذر" in a for a in alerts), alerts


async def test_a_maximum_length_staff_reply_reaches_the_person_complete(
    consented: Person, staff: Person, emu
) -> None:
    await open_inquiry(consented)
    card = next(m for m in emu.messages(STAFF_CHAT) if "INQ-" in (m.get("text") or ""))
    answer = ("نعم يمكنكم ذلك & نرحب بكم " * 200)[:4090] + " ختام"
    await staff.say(answer, reply_to_message_id=card["message_id"])
    shown = "\n".join(m.get("text") or "" for m in emu.messages(consented.chat)).replace("\n", " ")
    assert answer in shown
    assert "أُرسل ردّك إلى المستفيد" in staff.recent(2)
