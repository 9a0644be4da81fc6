"""The FAQ learns from hand-overs (issue #15): staff link a handed-over question to an entry,
the next person asking it gets the answer from the assistant, also after a restart; personal
details never reach the learned phrasing; a supervisor approves when the profile asks for it."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

from sqlalchemy import select

from bot.cli import main as cli_main
from storage.models import LearnedPhrasing
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

QUESTION = (
    "انا محمد جوالي 0551234567 وهويتي 1098765432 ابغى اعرف اذا تاخذون اكل من العزايم بالاستراحات"
)
SAME = "ابغى اعرف اذا تاخذون اكل من العزايم بالاستراحات"
ENTRY = "donate-surplus"


async def _answer_and_link(emu, staff: Person, profile) -> dict:
    card = next(m for m in reversed(emu.messages(STAFF_CHAT)) if "العزايم" in (m.get("text") or ""))
    await staff.say(
        "نعم نستلم فائض الولائم، تواصل معنا قبلها بساعتين.", reply_to_message_id=card["message_id"]
    )
    card = next(m for m in emu.messages(STAFF_CHAT) if m["message_id"] == card["message_id"])
    assert any("الأسئلة الشائعة" in label for label, _ in buttons(card))
    await staff.press("إضافة إلى الأسئلة الشائعة")
    offer = staff.last()
    question = profile.faq_entry(ENTRY).question.ar
    assert question in offer["text"]  # the entries in full in the text, numbered buttons
    assert "0551234567" not in offer["text"] and "1098765432" not in offer["text"]
    number = next(line.split(".")[0] for line in offer["text"].splitlines() if question in line)
    await staff.press_data(offer["message_id"], dict((t, d) for t, d in buttons(offer))[number])
    return staff.last()


async def test_a_linked_question_is_answered_next_time_and_after_a_restart(
    consented: Person, emu, app, profile, database_url, tmp_path, monkeypatch
) -> None:
    other = await newcomer(emu, app)
    replies = await other.say(SAME)
    question = profile.faq_entry(ENTRY).question.ar
    assert "هل أجاب هذا عن سؤالك" not in replies[-1]["text"]  # not answered before learning

    await handed_over(consented, QUESTION)
    staff = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    done = await _answer_and_link(emu, staff, profile)
    assert "من الآن" in done["text"]
    async with app.db.read() as session:
        rows = (await session.scalars(select(LearnedPhrasing))).all()
    assert [(r.entry_id, r.status) for r in rows] == [(ENTRY, "approved")]
    assert not re.search(r"[0-9٠-٩]", rows[0].text) and "محمد" not in rows[0].text

    replies = await other.say(SAME)
    assert question in replies[-1]["text"] and "هل أجاب هذا عن سؤالك" in replies[-1]["text"]

    await app.stop()
    fresh = await start_app(emu, make_settings(emu, database_url), profile)
    try:
        again = Person(emu, fresh, OUTSIDER)
        again.seen = other.seen
        replies = await again.say(SAME)
        assert question in replies[-1]["text"]
    finally:
        await fresh.stop()

    # faq-export: the learned phrasing in a copy of the profile; the original untouched
    profile_path = Path("profiles/khairat.yaml")
    original = profile_path.read_text(encoding="utf-8")
    shutil.copytree(profile_path.parent, tmp_path / "profiles")  # with the files it names
    source = tmp_path / "profiles" / "khairat.yaml"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
    assert await asyncio.to_thread(cli_main, ["faq-export", "--profile", str(source)]) == 0
    exported = (tmp_path / "profiles" / "khairat.learned.yaml").read_text(encoding="utf-8")
    assert f'"{rows[0].text}"' in exported and source.read_text(encoding="utf-8") == original
    assert profile_path.read_text(encoding="utf-8") == original


async def test_undo_removes_the_phrasing_at_once(consented: Person, emu, app, profile) -> None:
    await handed_over(consented, QUESTION)
    staff = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    await _answer_and_link(emu, staff, profile)
    await staff.press("تراجع")
    assert "أُزيلت" in staff.text()
    async with app.db.read() as session:
        assert (await session.scalars(select(LearnedPhrasing))).all() == []
    other = await newcomer(emu, app)
    replies = await other.say(SAME)
    assert "هل أجاب هذا عن سؤالك" not in replies[-1]["text"]


async def test_a_supervisor_approves_when_the_profile_asks(
    consented: Person, emu, app, profile
) -> None:
    app.rt.profile = profile.model_copy(
        update={"faq": profile.faq.model_copy(update={"learning": "supervisor"})}
    )
    await handed_over(consented, QUESTION)
    staff = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    waiting = await _answer_and_link(emu, staff, profile)
    assert "مشرف" in waiting["text"]
    other = await newcomer(emu, app)
    assert "هل أجاب هذا عن سؤالك" not in (await other.say(SAME))[-1]["text"]
    await staff.press("اعتماد")  # a plain member cannot approve
    async with app.db.read() as session:
        assert (await session.scalar(select(LearnedPhrasing.status))) == "pending"
    supervisor = Person(emu, app, 2001, chat_id=STAFF_CHAT)
    await supervisor.press("اعتماد")
    async with app.db.read() as session:
        assert (await session.scalar(select(LearnedPhrasing.status))) == "approved"
    assert profile.faq_entry(ENTRY).question.ar in (await other.say(SAME))[-1]["text"]


async def test_forged_learning_buttons_do_nothing(consented: Person, emu, app) -> None:
    staff = Person(emu, app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    await staff.say("مرحبا")
    mid = emu.messages(STAFF_CHAT)[-1]["message_id"] if emu.messages(STAFF_CHAT) else 1
    for data in (
        "fl:link:999:0",
        "fl:link:1:9999",
        "fl:approve:1",
        "fl:remove:1",
        "fl:offer:x",
        "fl:zzz",
    ):
        await staff.press_data(mid, data)
    async with app.db.read() as session:
        assert (await session.scalars(select(LearnedPhrasing))).all() == []
    outsider = await newcomer(emu, app)  # a beneficiary's private chat: not a staff callback
    await outsider.press_data(outsider.last()["message_id"], "fl:link:1:0")
    async with app.db.read() as session:
        assert (await session.scalars(select(LearnedPhrasing))).all() == []


async def test_a_service_the_association_does_not_offer(consented: Person, emu, profile) -> None:
    replies = await consented.say("كيف أقدم على مساعدة مالية؟")
    text = replies[-1]["text"]
    assert "لا تقدّم خدمة المساعدات المالية" in text
    for service in profile.services:
        if service.active:
            assert service.title.ar in text
    assert "هل أجاب هذا عن سؤالك" not in text
    await consented.press("نعم، مرِّر سؤالي")
    assert "سنحيل استفسارك" in consented.recent()
    card = emu.last_message(STAFF_CHAT)
    assert "مساعدة مالية" in card["text"]
    # a donor's question about money is not a request for help
    replies = await consented.say("كيف اتبرع لكم بفلوس")
    assert "لا تقدّم" not in replies[-1]["text"]


async def test_did_you_mean_lists_questions_in_full_and_none_hands_over(
    consented: Person, emu, profile
) -> None:
    replies = await consented.say("المندوب ما جا للحين")
    message = replies[-1]
    labels = [label for label, _ in buttons(message)]
    assert labels[:3] == ["1", "2", "3"] and "لا شيء مما سبق" in labels
    shown = [line for line in message["text"].splitlines() if line[:2] in ("1.", "2.", "3.")]
    assert len(shown) == 3
    entries = {e.question.ar for e in profile.faq.entries}
    assert all(line[3:] in entries for line in shown)  # each question whole
    await consented.press("لا شيء مما سبق")
    assert "سنحيل استفسارك" in consented.recent()
    card = emu.last_message(STAFF_CHAT)
    assert "المندوب ما جا للحين" in card["text"]
