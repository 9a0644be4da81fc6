"""The FAQ grows from staff answers (issue #15): a handed-over question no entry answers becomes
a new entry drafted from the staff reply and approved by a supervisor, and the next person
asking it is answered by the assistant — at once and after a restart; a 👎 on an answer,
followed by staff linking the question to the right entry, teaches that entry."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from sqlalchemy import select

from bot.cli import main as cli_main
from storage.models import FaqDraft, LearnedPhrasing
from tests.harness import (
    OUTSIDER,
    STAFF_CHAT,
    STAFF_PLAIN,
    Person,
    buttons,
    handed_over,
    make_settings,
    newcomer,
    start_app,
)

PARKING = "انا سالم جوالي 0551234567 هل يوجد مواقف سيارات للمراجعين عند المقر"
PARKING_SAME = "هل يوجد مواقف سيارات للمراجعين عند المقر"
EDITED = "هل توجد مواقف سيارات للمراجعين عند مقر الجمعية"
STAFF_ANSWER = "نعم، توجد مواقف سيارات خلف مبنى الجمعية."
ANSWERED = "هل أجاب هذا عن سؤالك"

COOKED = "هل تقبلون اكل مطبوخ من البيت ونظيف"


async def _answer(emu, staff: Person, words: str, answer: str) -> dict:
    card = next(m for m in reversed(emu.messages(STAFF_CHAT)) if words in (m.get("text") or ""))
    await staff.say(answer, reply_to_message_id=card["message_id"])
    return next(m for m in emu.messages(STAFF_CHAT) if m["message_id"] == card["message_id"])


def _press_in(message: dict, label: str) -> str:
    return next(data for text, data in buttons(message) if label in text)


async def test_a_new_entry_drafted_from_a_staff_answer_and_approved_by_a_supervisor(
    consented: Person, emu, app, profile, database_url, tmp_path, monkeypatch
) -> None:
    app.rt.profile = profile.model_copy(
        update={"faq": profile.faq.model_copy(update={"learning": "supervisor"})}
    )
    other = await newcomer(emu, app)
    assert ANSWERED not in (await other.say(PARKING_SAME))[-1]["text"]  # no entry for it yet

    await handed_over(consented, PARKING)
    staff = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    await _answer(emu, staff, "مواقف", STAFF_ANSWER)
    await staff.press("إضافة إلى الأسئلة الشائعة")
    offer = staff.last()
    await staff.press_data(offer["message_id"], _press_in(offer, "صياغة سؤال جديد"))
    draft = staff.last()
    assert "مسودة" in draft["text"] and STAFF_ANSWER in draft["text"]
    assert PARKING_SAME in draft["text"]  # the beneficiary's words …
    assert "0551234567" not in draft["text"] and "سالم" not in draft["text"]  # … without details

    # staff reword the question by replying to the draft
    await staff.say(EDITED, reply_to_message_id=draft["message_id"])
    draft = staff.last()
    assert EDITED in draft["text"]
    await staff.press_data(draft["message_id"], _press_in(draft, "إضافة إلى الأسئلة الشائعة"))
    waiting = staff.last()
    assert "المشرفين" in waiting["text"]
    async with app.db.read() as session:
        assert (await session.scalar(select(FaqDraft.status))) == "pending"
    assert ANSWERED not in (await other.say(PARKING_SAME))[-1]["text"]  # not before approval

    await staff.press_data(waiting["message_id"], _press_in(waiting, "اعتماد"))  # not a supervisor
    async with app.db.read() as session:
        assert (await session.scalar(select(FaqDraft.status))) == "pending"
    supervisor = Person(emu, app, 2001, chat_id=STAFF_CHAT)
    await supervisor.press_data(waiting["message_id"], _press_in(waiting, "اعتماد"))
    async with app.db.read() as session:
        row = await session.scalar(select(FaqDraft))
    assert row is not None and row.status == "approved" and row.question == EDITED

    # another person's same question: answered by the assistant, at once, with the staff answer
    replies = await other.say(PARKING_SAME)
    assert EDITED in replies[-1]["text"] and STAFF_ANSWER in replies[-1]["text"]
    assert ANSWERED in replies[-1]["text"]

    await app.stop()
    fresh = await start_app(emu, make_settings(emu, database_url), profile)
    try:
        again = Person(emu, fresh, OUTSIDER)
        again.seen = other.seen
        replies = await again.say(PARKING_SAME)
        assert STAFF_ANSWER in replies[-1]["text"]  # after a restart too
    finally:
        await fresh.stop()

    # faq-export: the new entry in a copy of the profile, which loads
    shutil.copytree(Path("profiles"), tmp_path / "profiles")
    source = tmp_path / "profiles" / "khairat.yaml"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    assert await asyncio.to_thread(cli_main, ["faq-export", "--profile", str(source)]) == 0
    exported = (tmp_path / "profiles" / "khairat.learned.yaml").read_text(encoding="utf-8")
    assert f"id: staff-{row.id}" in exported and f'"{EDITED}"' in exported


async def test_a_rejected_draft_is_never_served(consented: Person, emu, app) -> None:
    await handed_over(consented, PARKING)
    staff = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    await _answer(emu, staff, "مواقف", STAFF_ANSWER)
    await staff.press("إضافة إلى الأسئلة الشائعة")
    offer = staff.last()
    await staff.press_data(offer["message_id"], _press_in(offer, "صياغة سؤال جديد"))
    draft = staff.last()
    await staff.press_data(draft["message_id"], _press_in(draft, "إلغاء"))
    async with app.db.read() as session:
        assert (await session.scalar(select(FaqDraft.status))) == "rejected"
    await staff.press_data(draft["message_id"], _press_in(draft, "إضافة إلى الأسئلة الشائعة"))
    async with app.db.read() as session:
        assert (await session.scalar(select(FaqDraft.status))) == "rejected"  # button stale
    other = await newcomer(emu, app)
    assert STAFF_ANSWER not in (await other.say(PARKING_SAME))[-1]["text"]


async def test_a_thumbs_down_then_a_staff_link_teaches_the_right_entry(
    consented: Person, emu, app, profile
) -> None:
    wrong = profile.faq_entry("accepted-food")
    right = profile.faq_entry("food-safety")
    assert wrong is not None and right is not None
    replies = await consented.say(COOKED)
    assert wrong.question.ar in replies[-1]["text"] and ANSWERED in replies[-1]["text"]
    await consented.press("👎")
    await consented.press("نعم، مرِّر سؤالي")
    assert "سنحيل استفسارك" in consented.recent()

    staff = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    card = await _answer(emu, staff, COOKED, "نستلم المطبوخ من البيوت إذا حُفظ كما في شروط السلامة.")
    assert "👎" in card["text"] and wrong.question.ar in card["text"]
    await staff.press("إضافة إلى الأسئلة الشائعة")
    offer = staff.last()
    number = next(
        line.split(".")[0] for line in offer["text"].splitlines() if right.question.ar in line
    )
    await staff.press_data(offer["message_id"], dict(buttons(offer))[number])
    async with app.db.read() as session:
        rows = (await session.scalars(select(LearnedPhrasing))).all()
    assert [(r.entry_id, r.text) for r in rows] == [(right.id, COOKED)]

    other = await newcomer(emu, app)
    replies = await other.say(COOKED)
    assert right.question.ar in replies[-1]["text"] and ANSWERED in replies[-1]["text"]
