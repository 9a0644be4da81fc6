"""WhatsApp's 24-hour window (issue #13, item 3; issue #16, section 3): the bot knows when each
person last wrote and sends a status change, a reminder, a survey invitation or an announcement
as the profile's template of its kind once the window has closed — without first being refused
with 131047 — and still falls back to the template when WhatsApp says 131047 itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.emulator.server import Emulator
from bot.emulator.wa_server import WhatsAppEmulator
from bot.features.announcements import broadcast
from bot.profile import Profile
from storage.models import Beneficiary
from tests import wa_harness
from tests.harness import STAFF, STAFF_CHAT, Person
from tests.wa_harness import WA_ID, WaUser, apply, consent, hand_over, settle_wa

wa, wa_app, noura = wa_harness.wa, wa_harness.wa_app, wa_harness.noura  # the fixtures


def _params(message: dict) -> list[str]:
    return [
        p["text"]
        for c in message["template"].get("components", [])
        if c["type"] == "body"
        for p in c["parameters"]
    ]


async def test_a_status_change_outside_the_window_goes_as_its_template_at_once(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    reference = await apply(noura, profile)
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    await staff.press("بدء الدراسة")  # within the window: an ordinary message
    within = await noura._after()
    assert within and all(m["type"] != "template" for m in within)
    assert "قيد الدراسة" in noura.text(within[-1]) or reference in noura.text(within[-1])

    wa.world.advance(hours=25)  # she has not written for more than a day
    calls_before = len(wa.world.calls)
    await staff.press("✅ قبول")
    sent = await noura._after()
    assert [m["type"] for m in sent] == ["template"], [noura.text(m) for m in sent]
    template = sent[0]["template"]
    status = profile.whatsapp.templates.status
    assert template["name"] == status.name == "mustafeed_status"
    association, case, told = _params(sent[0])
    assert association == profile.association.name.ar
    assert reference in case and "طلبك رقم" in case
    assert told == "مقبول"
    shown = noura.text(sent[0])
    assert reference in shown and "«مقبول»" in shown and "طلباتي" in shown
    # straight to the template: WhatsApp never refused a plain message (no 131047 round trip)
    assert 131047 not in wa.world.refused
    assert all(call["type"] == "template" for call in wa.world.calls[calls_before:])


async def test_131047_still_switches_to_the_template_and_is_remembered(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    staff, card = await hand_over(noura, emu)
    wa.world.advance(hours=25)
    noura.app.whatsapp.clock = time.time  # the bot's own record still says the window is open
    await staff.say("يبدأ التوزيع يوم الأحد القادم.", reply_to_message_id=card["message_id"])
    sent = await noura._after()
    assert [m["type"] for m in sent] == ["template"]
    assert sent[0]["template"]["name"] == profile.whatsapp.templates.notice.name
    assert "يوم الأحد القادم" in noura.text(sent[0])
    assert wa.world.refused.count(131047) == 1  # refused once, then sent again as the template
    await staff.say("ونرحب بك في المقر.", reply_to_message_id=card["message_id"])
    again = await noura._after()
    assert [m["type"] for m in again] == ["template"]
    assert wa.world.refused.count(131047) == 1  # learnt: the next one went as a template at once


async def test_the_window_survives_a_restart_in_the_database(
    noura: WaUser, wa: WhatsAppEmulator
) -> None:
    await consent(noura)
    async with noura.app.db.read() as session:
        person = (await session.scalars(select(Beneficiary))).one()
    assert person.last_inbound_at is not None
    assert abs(person.last_inbound_at.timestamp() - wa.world.now()) < 120
    channel = noura.app.whatsapp
    channel._inbound.clear()  # as after a restart: only the database knows
    assert await channel.window_open(person.telegram_user_id)
    wa.world.advance(hours=25)
    channel._checked.clear()
    assert not await channel.window_open(person.telegram_user_id)


async def _announcements_on(noura: WaUser) -> None:
    await consent(noura)
    await noura.say("/privacy")
    await noura.choose("استلام الإعلانات")
    assert "ستصلك إعلانات الجمعية هنا" in noura.recent(2)


async def _announce(emu: Emulator, noura: WaUser, text: str) -> str:
    """Announce ``text`` to everyone who accepted; the supervisor's preview."""
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    replies = await staff.say("/announce")
    await staff.say(text, reply_to_message_id=replies[-1]["message_id"])
    await staff.press("جميع من وافقوا")
    preview = staff.text()
    await staff.press("أرسل الآن")
    await broadcast.wait_pumps()
    await settle_wa(noura.wa, noura.app)
    return preview


async def _stopped(noura: WaUser) -> bool:
    async with noura.app.db.read() as session:
        person = (await session.scalars(select(Beneficiary))).one()
    return person.notices is False


async def test_an_announcement_outside_the_window_is_its_template_and_its_button_stops_them(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    await _announcements_on(noura)
    wa.world.advance(hours=30)
    long_text = "توزيع السلال الغذائية يوم الخميس في المقر الرئيسي. " * 40  # ~2,000 characters
    preview = await _announce(emu, noura, long_text)
    assert "عبر واتساب: 1" in preview and "النص أطول مما يتسع له القالب" in preview
    sent = await noura._after()
    assert [m["type"] for m in sent] == ["template"], [noura.text(m) for m in sent]
    template = profile.whatsapp.templates.announcement
    assert sent[0]["template"]["name"] == template.name
    association, text = _params(sent[0])
    assert association == profile.association.name.ar
    assert text.startswith("توزيع السلال الغذائية") and text.endswith("…")  # cut to fit
    assert "\n" not in text and len(noura.text(sent[0])) <= 1024  # within WhatsApp's limits
    assert "إعلان من" not in text  # the template has its own heading
    await noura.choose("🔕 إيقاف الإعلانات")  # the template's quick reply
    assert await _stopped(noura)
    assert "لن تصلك إعلانات الجمعية" in noura.recent(2)


async def test_an_announcement_with_a_photo_within_the_window_and_the_words_stop_them(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    await _announcements_on(noura)
    sent = await _announce_the_map(noura, emu)
    kinds = [m["type"] for m in sent]
    assert kinds[0] == "image", kinds  # within the window: the photo itself, then its button
    assert "خريطة مواقع التوزيع" in sent[0]["image"].get("caption", "")
    assert ("🔕 إيقاف الإعلانات", "ntc:off:a") in wa.choices(sent[1])
    await noura.say("إيقاف الإعلانات")  # the words do what the button does
    assert await _stopped(noura)


async def test_an_announcement_with_a_photo_outside_the_window_goes_as_its_text(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    await _announcements_on(noura)
    wa.world.advance(hours=30)
    sent = await _announce_the_map(noura, emu)
    assert [m["type"] for m in sent] == ["template"]  # a template carries no photo: its text
    assert "خريطة مواقع التوزيع" in noura.text(sent[0])


async def test_the_announcements_question_waits_for_an_open_window(
    noura: WaUser, wa: WhatsAppEmulator
) -> None:
    from datetime import UTC, datetime

    from bot.engine.jobs import run_jobs
    from storage.models import Ticket

    await consent(noura)
    async with noura.app.db.write() as session:  # a first completed inquiry
        me = (await session.scalars(select(Beneficiary))).one()
        session.add(
            Ticket(
                association_id=noura.app.rt.tenant,
                reference="INQ-1",
                beneficiary_id=me.id,
                kind="inquiry",
                status="closed",
            )
        )
    wa.world.advance(hours=30)
    now = datetime.fromtimestamp(wa.world.now(), UTC)
    await run_jobs(noura.app.rt, now=now)
    assert await noura._after() == []  # her window is closed: its buttons could not go
    await noura.say("شكرًا")
    await run_jobs(noura.app.rt, now=datetime.fromtimestamp(wa.world.now(), UTC))
    asked = await noura._after()
    assert asked and asked[-1]["type"] == "interactive", [noura.text(m) for m in asked]
    assert "هل تأذن للجمعية" in noura.text(asked[-1])
    await noura.choose("نعم، أرسلوها إليّ")
    assert "ستصلك إعلانات الجمعية هنا" in noura.recent(2)


async def test_a_template_whatsapp_does_not_know_is_one_line_for_the_operator(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    staff, card = await hand_over(noura, emu)
    del wa.world.templates["mustafeed_notice"]  # not approved (or renamed) in WhatsApp Manager
    wa.world.advance(hours=25)
    caplog.set_level(logging.ERROR)
    await staff.say("يبدأ التوزيع يوم الأحد.", reply_to_message_id=card["message_id"])
    assert await noura._after() == []
    lines = [r.getMessage() for r in caplog.records if "whatsapp.templates" in r.getMessage()]
    assert len(lines) == 1 and "mustafeed_notice" in lines[0] and "\n" not in lines[0]
    assert WA_ID not in caplog.text


async def _until(noura: WaUser, done: Callable[[list[dict]], bool]) -> list[dict]:
    """What reached her until ``done`` says it is all (a late status's resend comes after)."""
    got: list[dict] = []
    for _ in range(100):
        got += await noura._after()
        if done(got):
            break
        await asyncio.sleep(0.05)
    return got


async def test_131047_reported_later_in_a_status_owes_the_message_again_as_the_template(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    staff, card = await hand_over(noura, emu)
    noura.app.whatsapp.clock = time.time  # the bot believes the window open …
    wa.world.fail_later(131047, to=WA_ID)  # … WhatsApp accepts, then reports it failed
    await staff.say("يبدأ التوزيع يوم الأحد القادم.", reply_to_message_id=card["message_id"])
    sent = await _until(noura, lambda got: any(m["type"] == "template" for m in got))
    kept = [m for m in sent if m["status"] != "failed"]
    assert [m["type"] for m in kept] == ["template"], [(m["type"], m["status"]) for m in sent]
    assert kept[0]["template"]["name"] == profile.whatsapp.templates.notice.name
    assert "يوم الأحد القادم" in noura.text(kept[0])
    await staff.say("ونرحب بك في المقر.", reply_to_message_id=card["message_id"])
    again = await noura._after()
    assert [m["type"] for m in again] == ["template"]  # the window is known closed now


async def test_131026_reported_later_marks_the_person_unreachable(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    staff, card = await hand_over(noura, emu)
    wa.world.fail_later(131026, to=WA_ID)
    await staff.say("يبدأ التوزيع يوم الأحد القادم.", reply_to_message_id=card["message_id"])
    await noura._after()
    for _ in range(100):  # the status follows the message; its row may be written just after
        async with noura.app.db.read() as session:
            person = (await session.scalars(select(Beneficiary))).one()
        if person.unreachable_at is not None:
            break
        await asyncio.sleep(0.05)
    assert person.unreachable_at is not None  # like a Telegram block
    await noura.say("مرحبا")  # she writes again: reachable again
    async with noura.app.db.read() as session:
        person = (await session.scalars(select(Beneficiary))).one()
    assert person.unreachable_at is None


async def _announce_the_map(noura: WaUser, emu: Emulator) -> list[dict]:
    """A supervisor announces a photo (the distribution map, with its caption) to everyone who
    accepted; what reached Noura."""
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    replies = await staff.say("/announce")
    await staff.act(
        emu.send_photo(
            STAFF,
            b"\x89PNG the distribution map",
            caption="خريطة مواقع التوزيع",
            chat_id=STAFF_CHAT,
            reply_to_message_id=replies[-1]["message_id"],
        )
    )
    await staff.press("جميع من وافقوا")
    await staff.press("أرسل الآن")
    await broadcast.wait_pumps()
    return await noura._after()
