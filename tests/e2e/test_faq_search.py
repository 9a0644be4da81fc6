"""Search by words when linking a handed-over question to the FAQ (issue #15): the right entry
is not among the matcher's five best, staff find it with «🔎 بحث بكلمات», link it, and the next
person asking the question gets its answer from the assistant. A search that finds nothing says
so and offers other words or a new entry."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import LearnedPhrasing
from tests.harness import STAFF_CHAT, STAFF_PLAIN, Person, buttons, handed_over, newcomer

# "If I come by in the afternoon, will I find someone there?" — about working hours, but no
# word of it is in that entry: the matcher hands it over and its five best miss the entry.
QUESTION = "لو جيتكم العصر بلقى احد عندكم"
ENTRY = "working-hours"
ANSWER = "من الأحد إلى الخميس"  # from the entry's answer in profiles/khairat.yaml


async def _offer(consented: Person, emu, app) -> tuple[Person, dict]:
    """The question handed over, answered by staff, and the «📚» list opened."""
    await handed_over(consented, QUESTION)  # not answered: handed over
    card = next(m for m in reversed(emu.messages(STAFF_CHAT)) if QUESTION in (m.get("text") or ""))
    staff = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    await staff.say(
        "نعم، نستقبلكم من الأحد إلى الخميس حتى الرابعة عصرًا.",
        reply_to_message_id=card["message_id"],
    )
    await staff.press("إضافة إلى الأسئلة الشائعة")
    return staff, staff.last()


async def test_staff_find_an_entry_by_words_and_the_next_person_is_answered(
    consented: Person, emu, app, profile
) -> None:
    other = await newcomer(emu, app)
    assert ANSWER not in (await other.say(QUESTION))[-1]["text"]  # not answered before

    staff, offer = await _offer(consented, emu, app)
    question = profile.faq_entry(ENTRY).question.ar
    assert question not in offer["text"]  # not among the five best
    await staff.press("بحث بكلمات")
    prompt = staff.last()
    assert "ردّ على هذه الرسالة" in prompt["text"]

    found = await staff.say("اوقات الدوام", reply_to_message_id=prompt["message_id"])
    results = found[-1]
    assert question in results["text"]
    number = next(line.split(".")[0] for line in results["text"].splitlines() if question in line)
    await staff.press_data(results["message_id"], dict(buttons(results))[number])
    assert "من الآن" in staff.text()
    async with app.db.read() as session:
        rows = (await session.scalars(select(LearnedPhrasing))).all()
    assert [(r.entry_id, r.status) for r in rows] == [(ENTRY, "approved")]
    # a reply to the results once one was chosen says so; it does not search again
    again = await staff.say("التبرعات", reply_to_message_id=results["message_id"])
    assert "مضافٌ من قبلُ" in again[-1]["text"] and question in again[-1]["text"]

    replies = await other.say(QUESTION)
    assert ANSWER in replies[-1]["text"] and "هل أجاب هذا عن سؤالك" in replies[-1]["text"]


async def test_a_search_that_finds_nothing_says_so_and_offers_the_way_forward(
    consented: Person, emu, app
) -> None:
    staff, _ = await _offer(consented, emu, app)
    await staff.press("بحث بكلمات")
    prompt = staff.last()

    nothing = (await staff.say("زرافة بنفسجية", reply_to_message_id=prompt["message_id"]))[-1]
    assert "لم أجد سؤالًا بهذه الكلمات" in nothing["text"]
    assert "ردّ على هذه الرسالة" in nothing["text"]  # other words: reply again
    assert any("صياغة سؤال جديد" in label for label, _ in buttons(nothing))

    # replying to it tries again; Gulf spelling folds like the matcher's («وش» · «دوامكم»)
    again = (await staff.say("وش دوامكم", reply_to_message_id=nothing["message_id"]))[-1]
    assert "أوقات عمل الجمعية" in again["text"]

    await staff.press("صياغة سؤال جديد")  # the draft from the staff answer
    assert "سؤال جديد" in staff.text() and "حتى الرابعة عصرًا" in staff.text()
    async with app.db.read() as session:
        assert (await session.scalars(select(LearnedPhrasing))).all() == []


async def test_a_reply_after_a_link_awaiting_approval_says_so(
    consented: Person, emu, app, profile
) -> None:
    app.rt.profile = profile.model_copy(
        update={"faq": profile.faq.model_copy(update={"learning": "supervisor"})}
    )
    staff, _ = await _offer(consented, emu, app)
    await staff.press("بحث بكلمات")
    results = (await staff.say("اوقات الدوام", reply_to_message_id=staff.last()["message_id"]))[-1]
    question = profile.faq_entry(ENTRY).question.ar
    number = next(line.split(".")[0] for line in results["text"].splitlines() if question in line)
    await staff.press_data(results["message_id"], dict(buttons(results))[number])
    assert "مشرف" in staff.text()
    again = await staff.say("التبرعات", reply_to_message_id=results["message_id"])
    assert "بانتظار موافقة المشرف" in again[-1]["text"] and "رفض" in again[-1]["text"]
