"""What a template stood in for is not lost (issue #13, item 3): outside the 24-hour window a
status change and a staff reply reach a WhatsApp person as one-line templates; when she writes
again, both arrive in full — under one short header, before the answer to what she wrote — once.
And a WhatsApp beneficiary's follow-ups in the staff group show the channel, as the cards do."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.emulator.server import Emulator
from bot.emulator.wa_server import WhatsAppEmulator
from bot.engine.held import HELD
from bot.profile import Profile
from storage.models import OutboxMessage
from tests import wa_harness
from tests.harness import STAFF, STAFF_CHAT, Person
from tests.wa_harness import WA_ID, WaUser, apply, consent, hand_over

wa, wa_app, noura = wa_harness.wa, wa_harness.wa_app, wa_harness.noura  # the fixtures

HEADER = "أثناء غيابك"
REPLY = "نرجو إحضار أصل الهوية الوطنية عند المقابلة الشخصية."
CHANNEL = "القناة: واتساب · الرقم:"


async def _held(noura: WaUser) -> int:
    async with noura.app.db.read() as session:
        n = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == HELD)
        )
    return int(n or 0)


async def test_what_templates_stood_in_for_arrives_in_full_once_when_she_writes(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    reference = await apply(noura, profile)
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    card, _ = staff.find("بدء الدراسة")
    wa.world.advance(hours=25)  # she has not written for more than a day
    await staff.press("بدء الدراسة")
    await staff.say(REPLY, reply_to_message_id=card["message_id"])
    away = await noura._after()
    assert [m["type"] for m in away] == ["template", "template"], [noura.text(m) for m in away]
    assert [m["template"]["name"] for m in away] == ["mustafeed_status", "mustafeed_notice"]
    assert await _held(noura) == 2

    back = await noura.say("مرحبا")
    texts = [noura.text(m) for m in back]
    assert all(m["type"] != "template" for m in back), texts
    assert HEADER in texts[0], texts  # one short header first
    status = [i for i, t in enumerate(texts) if "قيد الدراسة" in t and reference in t]
    reply = [i for i, t in enumerate(texts) if REPLY in t]
    assert len(status) == 1 and len(reply) == 1, texts  # each once
    assert 0 < status[0] < reply[0] < len(texts) - 1, texts  # in order, before the answer
    assert HEADER not in texts[-1] and REPLY not in texts[-1]  # the answer to «مرحبا» last
    staff_reply = back[reply[0]]
    if staff_reply["type"] == "interactive":  # its buttons came with it, and they work
        assert wa.choices(staff_reply)
    assert await _held(noura) == 0

    again = await noura.say("مرحبا")
    shown = "\n".join(noura.text(m) for m in again)
    assert again and HEADER not in shown and REPLY not in shown and "قيد الدراسة" not in shown


async def test_within_the_window_nothing_is_held(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    await apply(noura, profile)
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    await staff.press("بدء الدراسة")
    assert all(m["type"] != "template" for m in await noura._after())
    assert await _held(noura) == 0
    back = await noura.say("مرحبا")
    assert all(HEADER not in noura.text(m) for m in back)


async def test_a_whatsapp_follow_up_in_the_staff_group_shows_the_channel(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    staff, card = await hand_over(noura, emu)
    assert CHANNEL in card["text"]
    await staff.say("يبدأ التوزيع يوم الأحد القادم.", reply_to_message_id=card["message_id"])
    answer = (await noura._after())[-1]
    await wa.post(
        wa.inbound(WA_ID, "text", {"text": {"body": "وهل يشمل الأسر الجديدة؟"}}, answer["id"])
    )
    await noura._after()
    relayed = emu.last_message(STAFF_CHAT)
    assert "وهل يشمل الأسر الجديدة؟" in relayed["text"]
    assert CHANNEL in relayed["text"] and WA_ID not in relayed["text"], relayed["text"]


async def test_a_whatsapp_follow_up_on_a_request_shows_the_channel(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    reference = await apply(noura, profile)
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    card, _ = staff.find("بدء الدراسة")
    await staff.say(REPLY, reply_to_message_id=card["message_id"])
    answer = (await noura._after())[-1]
    await wa.post(wa.inbound(WA_ID, "text", {"text": {"body": "حسنًا، سأحضره."}}, answer["id"]))
    await noura._after()
    relayed = emu.last_message(STAFF_CHAT)
    assert "حسنًا، سأحضره." in relayed["text"] and reference in relayed["text"]
    assert CHANNEL in relayed["text"] and WA_ID not in relayed["text"], relayed["text"]


async def test_a_held_message_keeps_its_buttons(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    staff, card = await hand_over(noura, emu)
    wa.world.advance(hours=30)
    await staff.say(
        "يبدأ التوزيع في الأسبوع الأول من رمضان.", reply_to_message_id=card["message_id"]
    )
    await staff.say("/close", reply_to_message_id=card["message_id"])
    away = await noura._after()
    assert away and all(m["type"] == "template" for m in away), [noura.text(m) for m in away]
    back = await noura.say("مرحبا")
    texts = [noura.text(m) for m in back]
    assert HEADER in texts[0], texts
    assert sum("الأسبوع الأول من رمضان" in t for t in texts) == 1, texts
    survey = [m for m in back if "السؤال ١ من ٤" in noura.text(m)]
    assert len(survey) == 1 and survey[0]["type"] == "interactive", texts
    scores = {title.strip(): data for title, data in wa.choices(survey[0])}
    assert scores["٤"].startswith("sv:a:")  # its buttons, in full
    answered = await noura.choose("٤")
    assert any("السؤال ٢ من ٤" in noura.text(m) for m in answered), [
        noura.text(m) for m in answered
    ]


async def test_a_telegram_follow_up_has_no_channel_line(
    consented: Person, staff: Person, emu: Emulator
) -> None:
    await consented.press("استفسار")
    await consented.press("التحدث مع فريق الجمعية")
    await consented.say("متى يبدأ توزيع السلال الغذائية لهذا الشهر؟")
    card = emu.last_message(STAFF_CHAT)
    await staff.say("يبدأ التوزيع يوم الأحد القادم.", reply_to_message_id=card["message_id"])
    answer = consented.last()
    await consented.say("وهل يشمل الأسر الجديدة؟", reply_to_message_id=answer["message_id"])
    relayed = [m["text"] for m in emu.messages(STAFF_CHAT) if "الأسر الجديدة" in m.get("text", "")]
    assert len(relayed) == 1 and "متابعة من" in relayed[0], relayed
    assert "القناة" not in relayed[0]  # Telegram as before


async def test_a_template_answered_by_its_quick_reply_is_not_sent_again(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    staff, card = await hand_over(noura, emu)
    await staff.say(
        "يبدأ التوزيع في الأسبوع الأول من رمضان.", reply_to_message_id=card["message_id"]
    )
    await noura._after()
    wa.world.advance(hours=30)
    await staff.say("/close", reply_to_message_id=card["message_id"])
    away = await noura._after()
    assert away[-1]["template"]["name"] == "mustafeed_survey", [noura.text(m) for m in away]
    back = await noura.choose("٤")  # the survey template's quick reply: question 1 answered
    texts = [noura.text(m) for m in back]
    assert not any("السؤال ١ من ٤" in t for t in texts), texts  # not asked again
    assert any("السؤال ٢ من ٤" in t for t in texts), texts
    assert sum("أُغلق" in t for t in texts) == 1 and HEADER in texts[0], texts  # the rest came


async def test_retention_keeps_a_held_message_a_month_not_a_week(noura: WaUser) -> None:
    from datetime import timedelta

    from bot.engine.jobs import prune_journals
    from storage.models import utcnow

    await consent(noura)
    now = utcnow()
    async with noura.app.db.write() as session:
        for status in (HELD, "sent"):
            session.add(
                OutboxMessage(
                    association_id=noura.app.rt.tenant,
                    chat_id=1,
                    method="messages",
                    payload={"chat_id": 1, "type": "text", "text": {"body": status}},
                    status=status,
                    channel="whatsapp",
                    created_at=now - timedelta(days=10),
                )
            )
    tenant = noura.app.rt.tenant
    await prune_journals(noura.app.db, tenant, now, 7)
    assert await _held(noura) == 1  # the sent one of ten days ago went, the held one stays
    await prune_journals(noura.app.db, tenant, now + timedelta(days=21), 7)
    assert await _held(noura) == 0
