"""More of issue #13 through the emulator: every kind of inbound message gets an answer, «طلباتي»,
a complaint, a document reminder and the satisfaction survey — the last two after the 24-hour
window closed, as the profile's templates, the survey's scores pressable on the template."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.emulator.server import Emulator
from bot.emulator.wa_server import WhatsAppEmulator
from bot.engine.jobs import run_jobs
from bot.profile import Profile
from storage.models import utcnow
from tests import wa_harness
from tests.harness import STAFF, STAFF_CHAT, Person
from tests.wa_harness import WA_ID, WaUser, apply, consent, hand_over

wa, wa_app, noura = wa_harness.wa, wa_harness.wa_app, wa_harness.noura  # the fixtures


async def test_voice_reaction_contact_and_unsupported_get_a_polite_answer(
    noura: WaUser, wa: WhatsAppEmulator
) -> None:
    await consent(noura)
    voice = await noura._after(
        await wa.send(WA_ID, "audio", {"audio": {"id": "media.v1", "mime_type": "audio/ogg"}})
    )
    assert voice and noura.text(voice[0]).strip()  # passed on to the team, or a kind word
    for kind, content in (
        ("reaction", {"reaction": {"message_id": wa.world.sent[-1]["id"], "emoji": "👍"}}),
        ("contacts", {"contacts": [{"name": {"formatted_name": "أبو محمد"}, "phones": []}]}),
        ("unsupported", {"errors": [{"code": 131051, "title": "Message type unknown"}]}),
    ):
        answer = await noura._after(await wa.send(WA_ID, kind, content))
        assert answer and noura.text(answer[0]).strip(), kind  # a polite answer, not silence
        assert "<" not in noura.text(answer[0])


async def test_my_requests_and_a_document_reminder_outside_the_window(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    reference = await apply(noura, profile)
    mine = await noura.say("طلباتي")  # the word for /status
    assert any(reference in noura.text(m) for m in mine), [noura.text(m) for m in mine]
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    await staff.press("بدء الدراسة")
    await staff.press("طلب مستندات")
    await staff.say("صورة عقد الإيجار ساري المفعول", reply_to_message_id=staff.last()["message_id"])
    await noura._after()
    wa.world.advance(hours=3 * 24 + 2)  # three days without a word from her
    await run_jobs(noura.app.rt, now=utcnow() + timedelta(days=3, hours=1))
    sent = await noura._after()
    reminders = [m for m in sent if m["type"] == "template"]
    assert [m["template"]["name"] for m in reminders] == ["mustafeed_reminder"], [
        noura.text(m) for m in sent
    ]
    shown = noura.text(reminders[0])
    assert "صورة عقد الإيجار" in shown and reference in shown and "نذكّرك بلطف" in shown
    assert 131047 not in wa.world.refused


async def test_a_complaint_from_whatsapp_and_its_status_as_a_template(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    await consent(noura)
    await noura.say("القائمة")
    await noura.choose("شكوى أو مقترح")
    await noura.choose("شكوى")
    await noura.say("تأخر التوصيل")
    await noura.say("تأخر وصول السلة الغذائية أسبوعين عن الموعد المحدد في حي النسيم.")
    if "تخطٍّ" in " ".join(t for m in wa.world.messages(WA_ID)[-1:] for t, _ in wa.choices(m)):
        await noura.choose("تخطٍّ")
    done = await noura.choose("إرسال")
    match = re.search(r"CMP-\d{4}-\d{4}", "\n".join(noura.text(m) for m in done))
    assert match, [noura.text(m) for m in done]
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    wa.world.advance(hours=26)
    await staff.press("استلام")
    sent = await noura._after()
    assert [m["template"]["name"] for m in sent if m["type"] == "template"] == ["mustafeed_status"]
    shown = noura.text(sent[-1])
    assert "رسالتك (الشكوى) رقم" in shown and match.group(0) in shown


async def test_the_survey_outside_the_window_is_its_template_and_a_score_answers_it(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    staff, card = await hand_over(noura, emu)
    await staff.say(
        "يبدأ التوزيع في الأسبوع الأول من رمضان.", reply_to_message_id=card["message_id"]
    )
    await noura._after()
    wa.world.advance(hours=30)
    await staff.say("/close", reply_to_message_id=card["message_id"])
    sent = await noura._after()
    names = [m["template"]["name"] for m in sent if m["type"] == "template"]
    assert names[-1] == "mustafeed_survey" and len(names) == len(sent), [
        noura.text(m) for m in sent
    ]
    survey = sent[-1]
    assert "السؤال ١ من ٤" in noura.text(survey) and "تقييمك حقٌّ لك" in noura.text(survey)
    scores = dict(wa.choices(survey))
    assert scores["٤"].startswith("sv:a:") and "sv:s:" in scores["⏭ تخطّي الاستبانة"]
    answered = await noura.choose("٤")  # the template's quick reply answers the first question
    assert "السؤال ٢ من ٤" in "\n".join(noura.text(m) for m in answered)
    assert all(m["type"] != "template" for m in answered)  # she wrote: the window is open
