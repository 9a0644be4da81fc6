"""The beneficiary's first minute, end to end through the emulator over HTTP."""

from __future__ import annotations

from tests.harness import Person, buttons


async def test_start_greets_by_name_and_asks_consent_first(person: Person) -> None:
    replies = await person.say("/start")
    assert len(replies) == 1
    text = replies[0]["text"]
    assert "مرحبًا بك في جمعية خيرات" in text
    assert "خصوصيتك" in text
    labels = [label for label, _ in buttons(replies[0])]
    assert "✅ أوافق" in labels and "✖️ لا أوافق" in labels


async def test_nothing_personal_before_consent(person: Person) -> None:
    await person.say("/start")
    replies = await person.say("/apply")
    assert "خصوصيتك" in replies[-1]["text"]  # asked again, nothing else
    replies = await person.say("أريد التقديم على سلة غذائية")
    assert "خصوصيتك" in replies[-1]["text"]


async def test_consent_opens_the_menu_and_is_recorded(person: Person, app) -> None:
    await person.say("/start")
    replies = await person.press("أوافق")
    menu = replies[-1] if replies else person.last()
    labels = [label for label, _ in buttons(menu)]
    for wanted in (
        "استفسار",
        "طلب خدمة",
        "طلباتي",
        "شكوى أو مقترح",
        "التطوع",
        "عن الجمعية",
        "اللغة",
    ):
        assert any(wanted in label for label in labels), (wanted, labels)
    from sqlalchemy import select

    from storage.models import Beneficiary, ConsentEvent

    async with app.db.read() as session:
        user = await session.scalar(select(Beneficiary))
        event = await session.scalar(select(ConsentEvent))
    assert user.consent_version == app.profile.privacy.notice_version
    assert event.action == "given"


async def test_menu_about_lists_channels_and_documents(consented: Person) -> None:
    await consented.press("عن الجمعية")
    text = consented.text()
    assert "قنوات التواصل" in text
    await consented.press("📄")
    doc = consented.last()
    assert doc.get("document"), doc


async def test_language_switch_to_english_and_back(consented: Person) -> None:
    await consented.say("/language")
    await consented.press("English")
    await consented.say("/menu")
    assert "How can we serve you today?" in consented.text()
    await consented.say("/language")
    await consented.press("العربية")
    await consented.say("/help")
    assert "طريقة استخدام المساعد" in consented.text()


async def test_sticker_voice_and_unknown_get_polite_answers(consented: Person, emu) -> None:
    replies = await consented.act(emu.send_sticker(consented.user_id))
    assert (replies and "القائمة" in replies[-1]["text"]) or buttons(replies[-1])
    replies = await consented.act(emu.send_voice(consented.user_id, b"OggS voice"))
    assert "أوصلتُ رسالتك إلى فريق الجمعية" in replies[-1]["text"]  # issue 12: a hand-over
    await consented.say("/menu")
    replies = await consented.say("/doesnotexist")
    assert "لا أعرف هذا الأمر" in replies[-1]["text"]


async def test_stale_button_gets_an_answer(consented: Person, emu) -> None:
    message = consented.last()
    replies = await consented.press_data(message["message_id"], "gone:old:1")
    assert "رسالة سابقة" in replies[-1]["text"]


async def test_every_main_menu_button_answers(consented: Person, emu) -> None:
    """Each entry of the menu leads somewhere useful, and back to the menu."""
    menu = consented.last()
    entries = [
        (label, data) for label, data in buttons(menu) if data.startswith(("menu:", "lang:"))
    ]
    assert len(entries) == 7
    for label, data in entries:
        await consented.say("/menu")
        menu = consented.last()
        before = len(emu.calls)
        await consented.press_data(menu["message_id"], data)
        answered = [
            c
            for c in emu.calls[before:]
            if c.method in ("sendMessage", "editMessageText", "sendDocument")
        ]
        assert answered and not any(c.error for c in answered), label
        shown = emu.message(consented.chat, menu["message_id"])
        assert shown["text"] != "" and "⚠️" not in shown["text"], label
        if data != "lang:pick":
            assert any(
                "القائمة الرئيسية" in t or "العودة" in t
                for t, _ in buttons(consented.last()) + buttons(shown)
            ), label
