"""/deletemydata leaves nothing that identifies the person (PDPL destruction, issue #14): every
table of the database, every column as text, is searched for their Telegram id, names,
national ID, mobile and words; the staff group's cards now say the data was erased."""

from __future__ import annotations

import re

from sqlalchemy import inspect, text

from bot.engine.jobs import run_jobs
from tests.flows import fill_form, open_service, reference_in, submit
from tests.harness import STAFF_CHAT, Person, buttons

PERSON_ID = 7_340_091_856  # a Telegram id that no other number in the database can contain
QUESTION = "هل يمكنني استعارة سيارة الجمعية لنقل أثاث بيتي الجديد؟"
FOLLOW_UP = "وأحتاجها يوم الخميس إن أمكن"
COMPLAINT = "تأخر وصول السلة الغذائية أسبوعين عن الموعد المحدد في حي النسيم."
STAFF_REPLY = "نعتذر، لا تتوفر لدينا هذه الخدمة حاليًا."
NEEDLES = {
    "telegram id": str(PERSON_ID),
    "first name": "نورة",
    "last name": "القحطاني",
    "form name": "عبدالله سعيد",
    "family name": "الحربي",
    "national ID": "1000000008",
    "national ID (Arabic digits)": "١٠٠٠٠٠٠٠٠٨",
    "mobile": "551234567",
    "question": "سيارة الجمعية",
    "follow-up": "يوم الخميس",
    "complaint title": "تأخر التوصيل",
    "complaint": "السلة الغذائية",
    "staff reply": "لا تتوفر لدينا",
    "internal note": "تسكن نورة قرب المسجد",
}
ERASED = "حُذفت بيانات المستفيد بطلبه"


async def scan(app) -> list[tuple[str, str, str]]:
    """(table, column, what) for every needle found in any column of any table, as text."""
    async with app.db.read() as session:
        conn = await session.connection()
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        found = []
        for table in tables:
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            for row in result.all():
                for column, value in zip(columns, row, strict=True):
                    as_text = "" if value is None else str(value)
                    for what, needle in NEEDLES.items():
                        if needle in as_text:
                            found.append((table, column, what))
    return found


async def test_erasure_leaves_no_trace_in_any_table(emu, app, staff: Person, profile) -> None:
    emu.add_user(PERSON_ID, "نورة", "القحطاني", language_code="ar")
    person = Person(emu, app, PERSON_ID)
    await person.say("/start")
    await person.press("أوافق")
    # a request, with every identifying answer
    await open_service(person, profile)
    await fill_form(person, profile)
    request_ref = await submit(person)
    # an inquiry handed to staff, a follow-up, a staff reply
    replies = await person.say(QUESTION)
    if "لا شيء مما سبق" in str(buttons(replies[-1])):
        await person.press("لا شيء مما سبق")  # hands the question over at once
    else:
        await person.press("نعم، مرِّر سؤالي")
    inquiry_ref = reference_in(person.text(), "INQ")
    card = emu.last_message(STAFF_CHAT)
    await person.say(FOLLOW_UP)
    await staff.say(STAFF_REPLY, reply_to_message_id=card["message_id"])
    assert "لا تتوفر لدينا" in person.last()["text"]
    # an internal note about the person (bot.features.workspace): erased with the case
    await staff.say("# تسكن نورة قرب المسجد", reply_to_message_id=card["message_id"])
    # a complaint with a photo, acknowledged by staff
    await person.press("القائمة الرئيسية")
    await person.press("شكوى أو مقترح")
    await person.press("شكوى")
    await person.say("تأخر التوصيل")
    await person.say(COMPLAINT)
    await person.send_photo(
        b"\xff\xd8\xff\xe0receipt"
    )  # JPEG magic bytes: files are checked by content
    if "طلباتك" in person.text():  # which request it is about: none
        await person.press("تخطٍّ")
    await person.press("إرسال")
    complaint_ref = reference_in(person.text(), "CMP")
    staff.seen = 0
    await staff.press("استلام")
    # the scan does see the person before the erasure
    assert {w for _, _, w in await scan(app)} >= {"telegram id", "question", "complaint"}

    await person.say("/deletemydata")
    await person.press("نعم، احذف بياناتي")
    assert "تم حذف بياناتك" in person.text()

    # right away, only the delivery record of "your data has been erased" names their chat
    # (its text is already gone); the next retention run takes it
    assert set(await scan(app)) <= {("outbox", "chat_id", "telegram id")}
    await run_jobs(app.rt)
    assert await scan(app) == []

    # the staff group: each case's card says the data was erased, reference and status kept
    visible = [m for m in emu.messages(STAFF_CHAT) if not m.get("deleted")]
    for reference in (request_ref, inquiry_ref, complaint_ref):
        cards = [m for m in visible if reference in (m.get("text") or m.get("caption") or "")]
        assert cards and all(ERASED in m["text"] for m in cards), [m.get("text") for m in cards]
        assert all(not (m.get("reply_markup") or {}).get("inline_keyboard") for m in cards)
    for message in visible:  # nothing the bot shows there still carries the person's data
        shown = (message.get("text") or "") + (message.get("caption") or "")
        assert not [w for w, n in NEEDLES.items() if n in shown and w != "staff reply"], shown
        assert not message.get("photo") or not re.search(complaint_ref, shown)
