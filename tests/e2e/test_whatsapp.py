"""WhatsApp through the emulator's Cloud API: the same flows as on Telegram (issue #13)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from sqlalchemy import func, select, update

from bot.emulator.server import Emulator
from bot.emulator.wa_server import WhatsAppEmulator
from bot.profile import Profile
from storage.models import Beneficiary, InboundUpdate, OutboxMessage
from tests import wa_harness
from tests.wa_harness import VERIFY, WA_ID, WaUser, settle_wa

wa, wa_app, noura = wa_harness.wa, wa_harness.wa_app, wa_harness.noura  # the fixtures


async def _count(app, model) -> int:
    async with app.db.read() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_verification_challenge(wa: WhatsAppEmulator, wa_app) -> None:
    async with aiohttp.ClientSession() as http:
        ok = {"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
        async with http.get(wa.webhook_url, params=ok) as answer:
            assert answer.status == 200
            assert await answer.text() == "1158201444"
            assert answer.content_type == "text/plain"
        for wrong in ({**ok, "hub.verify_token": "guess"}, {**ok, "hub.mode": "unsubscribe"}, {}):
            async with http.get(wa.webhook_url, params=wrong) as answer:
                assert answer.status == 403


async def test_bad_signature_is_refused_and_nothing_stored(wa: WhatsAppEmulator, wa_app) -> None:
    note = wa.inbound(WA_ID, "text", {"text": {"body": "مرحبا"}})
    assert await wa.post(note, secret="not-the-app-secret") == 401
    async with aiohttp.ClientSession() as http:  # no signature at all
        async with http.post(wa.webhook_url, data=json.dumps(note).encode()) as answer:
            assert answer.status == 401
    await settle_wa(wa, wa_app)
    assert await _count(wa_app, InboundUpdate) == 0
    assert wa.world.messages(WA_ID) == []


async def test_first_hello_consent_then_menu_as_list(noura: WaUser, wa: WhatsAppEmulator) -> None:
    welcome = await noura.say("مرحبا")
    assert welcome, "a first message of any kind starts"
    assert all("<b>" not in noura.text(m) for m in welcome)  # no HTML on WhatsApp
    await noura.choose("أوافق")
    menu = await noura.say("القائمة")
    lists = [
        m for m in menu if m.get("type") == "interactive" and m["interactive"]["type"] == "list"
    ]
    assert lists, [noura.text(m) for m in menu]
    rows = [r for m in lists for s in m["interactive"]["action"]["sections"] for r in s["rows"]]
    assert all(len(r["title"]) <= 24 for r in rows) and len(rows) >= 4
    # the number is kept only encrypted, found by keyed hash
    async with noura.app.db.read() as session:
        person = (await session.scalars(select(Beneficiary))).one()
    assert person.channel == "whatsapp"
    assert WA_ID not in (person.address_enc or "") and WA_ID not in str(person.telegram_user_id)
    assert (
        noura.app.rt.vault.blind_index(WA_ID, "whatsapp")[:14]
        == f"{person.telegram_user_id - (1 << 60):014x}"
    )


async def test_redelivered_webhook_is_answered_once(noura: WaUser, wa: WhatsAppEmulator) -> None:
    note = wa.inbound(WA_ID, "text", {"text": {"body": "مرحبا"}})
    assert await wa.post(note) == 200
    first = await noura._after()
    assert await wa.post(note) == 200  # Meta redelivers the same message
    again = await noura._after()
    assert first and again == []


async def test_statuses_are_recorded_on_the_outbox_row(noura: WaUser, wa: WhatsAppEmulator) -> None:
    await noura.say("مرحبا")
    receipts: list[str | None] = []
    for _ in range(30):  # a status that outran the sender's bookkeeping is recorded a moment later
        async with noura.app.db.read() as session:
            receipts = list(
                (
                    await session.scalars(
                        select(OutboxMessage.receipt).where(OutboxMessage.channel == "whatsapp")
                    )
                ).all()
            )
        if receipts and set(receipts) == {"delivered"}:
            break
        await asyncio.sleep(0.1)
    assert receipts and set(receipts) == {"delivered"}


async def test_a_status_that_outruns_the_senders_bookkeeping_is_recorded_a_moment_later(
    noura: WaUser, wa: WhatsAppEmulator
) -> None:
    """Meta's webhook may report "delivered" before the sender has stored which message it was
    (CI saw it under load): the status is tried again a moment later, and a receipt only moves
    forward — a late "sent" does not undo "delivered"."""
    from bot.channels.whatsapp.wa_identity import message_id_for

    (sent,) = await noura.say("مرحبا")
    mid = message_id_for(sent["id"])
    row = OutboxMessage.result_message_id == mid
    async with noura.app.db.write() as session:  # as if the send's bookkeeping were not in yet
        await session.execute(
            update(OutboxMessage).where(row).values(result_message_id=None, receipt=None)
        )

    def status(state: str) -> dict:
        return wa.notification(
            {
                "statuses": [
                    {"id": sent["id"], "status": state, "timestamp": "1", "recipient_id": WA_ID}
                ]
            }
        )

    assert await wa.post(status("delivered")) == 200
    async with noura.app.db.write() as session:  # … and now it is
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.channel == "whatsapp")
            .values(result_message_id=mid)
        )
    receipt = None
    for _ in range(50):  # the webhook's retry: 0.2 s, then 1 s
        async with noura.app.db.read() as session:
            receipt = await session.scalar(select(OutboxMessage.receipt).where(row))
        if receipt == "delivered":
            break
        await asyncio.sleep(0.1)
    assert receipt == "delivered"
    assert await wa.post(status("sent")) == 200  # a redelivered, older status
    async with noura.app.db.read() as session:
        assert await session.scalar(select(OutboxMessage.receipt).where(row)) == "delivered"


async def _consent(noura: WaUser) -> None:
    await noura.say("مرحبا")
    await noura.choose("أوافق")


async def test_hand_over_and_staff_reply_reach_whatsapp(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    from tests.harness import STAFF, STAFF_CHAT, Person

    await _consent(noura)
    await noura.choose("استفسار")
    await noura.choose("التحدث مع فريق الجمعية")
    await noura.say("هل يمكنني استعارة سيارة الجمعية لنقل أثاث بيتي الجديد؟")
    card = emu.last_message(STAFF_CHAT)
    assert card is not None and "سيارة الجمعية" in card["text"]
    assert "واتساب" in card["text"]  # the card shows the channel
    assert WA_ID not in card["text"] and "4567" in card["text"]  # the number masked
    await noura.send_image(b"\xff\xd8\xff\xe0 a photo of the letter")  # relayed to the team
    relayed = emu.last_message(STAFF_CHAT)
    assert relayed.get("photo") or relayed.get("document"), relayed
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    await staff.say(
        "نعتذر، لا تتوفر لدينا هذه الخدمة حاليًا.", reply_to_message_id=card["message_id"]
    )
    answer = await noura._after()
    assert any("لا تتوفر لدينا هذه الخدمة" in noura.text(m) for m in answer), [
        noura.text(m) for m in answer
    ]
    assert all("<b>" not in noura.text(m) for m in answer)


async def _hand_over(noura: WaUser, emu: Emulator) -> dict:
    from tests.harness import STAFF_CHAT

    await _consent(noura)
    await noura.choose("استفسار")
    await noura.choose("التحدث مع فريق الجمعية")
    await noura.say("متى يبدأ توزيع السلال الغذائية لهذا الشهر؟")
    return emu.last_message(STAFF_CHAT)


async def test_outside_the_window_the_reply_goes_as_the_template(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    from tests.harness import STAFF, STAFF_CHAT, Person

    card = await _hand_over(noura, emu)
    wa.world.advance(hours=25)  # the person has not written for more than a day
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    await staff.say(
        "يبدأ التوزيع يوم الأحد القادم بإذن الله.", reply_to_message_id=card["message_id"]
    )
    sent = await noura._after()
    templates = [m for m in sent if m["type"] == "template"]
    assert templates and all(m["type"] == "template" for m in sent)
    notice = profile.whatsapp.templates.notice
    assert templates[0]["template"]["name"] == notice.name
    assert "يوم الأحد القادم" in noura.text(templates[0])
    assert 131047 not in wa.world.refused  # the bot knew the window had closed


async def test_rate_limit_is_retried_and_unreachable_is_marked(
    noura: WaUser, wa: WhatsAppEmulator
) -> None:
    noura.app.whatsapp.rate_limit_pause = 0.05
    wa.world.fail_next(130429, to=WA_ID)
    wa.world.fail_next(500, status=503, to=WA_ID)
    first = await noura.say("مرحبا")
    assert first, "delivered after a rate limit and a 5xx"
    wa.world.fail_next(131026, to=WA_ID)
    assert await noura.say("مرحبا مرة أخرى") == []
    async with noura.app.db.read() as session:
        person = (await session.scalars(select(Beneficiary))).one()
        failed = (
            await session.scalars(
                select(OutboxMessage.status).where(
                    OutboxMessage.channel == "whatsapp", OutboxMessage.status == "failed"
                )
            )
        ).all()
    assert person.unreachable_at is not None and failed
    assert wa.world.refused[:3] == [130429, 500, 131026]


async def test_my_data_and_erasure_on_whatsapp(noura: WaUser, wa: WhatsAppEmulator) -> None:
    await _consent(noura)
    sent = await noura.say("/mydata")
    files = [m for m in sent if m["type"] == "document"]
    assert files, [noura.text(m) for m in sent]
    content = wa.world.media[files[0]["document"]["id"]].data.decode("utf-8")
    assert "رقم الواتساب" in content and "966551234567" in content  # their own number, to them
    await noura.say("/deletemydata")
    await noura.choose("نعم، احذف بياناتي")
    assert "تم حذف بياناتك" in noura.recent()
    async with noura.app.db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Beneficiary)) == 0
        addresses = (await session.scalars(select(InboundUpdate.raw))).all()
    assert not any(WA_ID in str(raw) for raw in addresses)


async def test_the_number_is_never_logged(
    noura: WaUser, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    await _hand_over(noura, emu)
    await noura.wa.send_sticker(WA_ID)
    await noura._after()
    assert WA_ID not in caplog.text and "551234567" not in caplog.text


async def test_full_application_with_a_document_and_the_declaration(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator, profile: Profile
) -> None:
    import re

    from tests.flows import SERVICE
    from tests.harness import STAFF_CHAT

    await _consent(noura)
    await noura.say("القائمة")
    await noura.choose("طلب خدمة")
    service = profile.service(SERVICE)
    await noura.choose(service.title.ar[:20])
    assert "المستندات المطلوبة" in noura.recent(4)
    await noura.choose("ابدأ التقديم")
    await noura.say("محمد عبدالله سعيد الحربي")
    await noura.say("١٠٠٠٠٠٠٠٠٨")
    asked = noura.last()  # the mobile: their own WhatsApp number offered, one tap
    assert asked["type"] == "interactive", noura.text(asked)
    assert "0551234567" in noura.text(asked)  # their own number offered: nothing asked twice
    await noura.choose(asked["interactive"]["action"]["buttons"][0]["reply"]["title"])
    await noura.say("١٥/٠٥/١٤٠٠")
    await noura.say("٥")
    await noura.say("3500")
    await noura.choose(service.fields[6].choices[1].label.ar[:20])
    await noura.choose(service.fields[7].choices[0].label.ar[:20])
    await noura.send_location()
    await noura.send_image(b"\xff\xd8\xff\xe0 family photo")
    await noura.send_document(b"%PDF-1.4 family", "family.pdf", "application/pdf")
    await noura.send_document(b"%PDF-1.4 income", "income.pdf", "application/pdf")
    await noura.choose("تخطٍّ")
    await noura.choose("تخطٍّ")
    await noura.choose("كل شيء صحيح")
    assert "أُقِرّ" in noura.recent(2) or "الإقرار" in noura.recent(2)
    done = await noura.choose("أُقِرّ وأرسِل")
    text = "\n".join(noura.text(m) for m in done)
    match = re.search(r"REQ-\d{4}-\d{4}", text)
    assert match and "لجنة البحث" in text, text
    card = [m for m in emu.messages(STAFF_CHAT) if match.group(0) in (m.get("text") or "")]
    assert card and "واتساب" in card[0]["text"] and WA_ID not in card[0]["text"]

    # a supervisor on Telegram sees the documents sent from WhatsApp (fetched, then uploaded)
    from tests.harness import STAFF, Person

    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    await staff.press("البيانات الكاملة")
    await settle_wa(wa, noura.app)
    private = emu.messages(STAFF)
    files = [m for m in private if m.get("photo") or m.get("document")]
    assert len(files) == 3, [m.get("text") for m in private]
    assert any(
        emu.download(m["document"]["file_id"]) == b"%PDF-1.4 income"
        for m in files
        if m.get("document")
    )


async def test_the_survey_with_choices_on_whatsapp(
    noura: WaUser, emu: Emulator, profile: Profile
) -> None:
    from tests.harness import STAFF, STAFF_CHAT, Person

    card = await _hand_over(noura, emu)
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    await staff.say(
        "يبدأ التوزيع في الأسبوع الأول من رمضان.", reply_to_message_id=card["message_id"]
    )
    await staff.say("/close", reply_to_message_id=card["message_id"])
    await noura._after()
    assert "استبانة قياس الرضا" in noura.recent(4) and "السؤال ١ من ٤" in noura.recent(4)
    for score in ("٥", "٤", "٤", "٥"):
        await noura.choose(score)
    assert "تعليق أو مقترح" in noura.recent(2)
    replies = await noura.say("شكرًا لكم")
    assert "وصلنا تعليقك" in noura.text(replies[-1])


async def test_a_staff_photo_reply_reaches_whatsapp_as_a_photo(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    from tests.harness import STAFF, STAFF_CHAT, Person

    card = await _hand_over(noura, emu)
    staff = Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT)
    await staff.act(
        emu.send_photo(
            STAFF,
            b"\x89PNG map of the site",
            caption="خريطة الموقع",
            chat_id=STAFF_CHAT,
            reply_to_message_id=card["message_id"],
        )
    )
    sent = await noura._after()
    media = [m for m in sent if m["type"] in ("image", "document")]
    assert media, [noura.text(m) for m in sent]
    kind = media[0]["type"]
    assert wa.world.media[media[0][kind]["id"]].data == b"\x89PNG map of the site"
    assert "خريطة الموقع" in media[0][kind].get("caption", "")


async def test_a_failed_status_fails_the_row_and_a_sticker_gets_a_polite_answer(
    noura: WaUser, wa: WhatsAppEmulator, emu: Emulator
) -> None:
    await _consent(noura)
    sticker = await noura._after(await wa.send_sticker(WA_ID))
    assert sticker and noura.text(sticker[-1])  # a polite answer, not silence
    last = wa.world.messages(WA_ID)[-1]
    assert (
        await wa.post(
            wa.notification(
                {
                    "statuses": [
                        {
                            "id": last["id"],
                            "status": "failed",
                            "recipient_id": WA_ID,
                            "errors": [{"code": 131026, "title": "Message undeliverable"}],
                        }
                    ]
                }
            )
        )
        == 200
    )
    async with noura.app.db.read() as session:
        rows = (
            await session.execute(
                select(OutboxMessage.status, OutboxMessage.receipt)
                .where(OutboxMessage.channel == "whatsapp")
                .order_by(OutboxMessage.id)
            )
        ).all()
    assert rows[-1] == ("failed", "failed") and rows[0][1] == "delivered"


async def test_a_file_too_large_is_refused_as_on_telegram(noura: WaUser, profile: Profile) -> None:
    await _consent(noura)
    await noura.say("القائمة")
    await noura.choose("طلب خدمة")
    from tests.flows import SERVICE

    service = profile.service(SERVICE)
    await noura.choose(service.title.ar[:20])
    await noura.choose("ابدأ التقديم")
    await noura.say("محمد عبدالله سعيد الحربي")
    await noura.say("١٠٠٠٠٠٠٠٠٨")
    await noura.choose(noura.last()["interactive"]["action"]["buttons"][0]["reply"]["title"])
    await noura.say("١٥/٠٥/١٤٠٠")
    await noura.say("٥")
    await noura.say("3500")
    await noura.choose(service.fields[6].choices[1].label.ar[:20])
    await noura.choose(service.fields[7].choices[0].label.ar[:20])
    await noura.send_location()
    replies = await noura.send_document(
        b"%PDF-1.4 " + b"0" * (21 * 1024 * 1024), "big.pdf", "application/pdf"
    )
    assert "والحد الأقصى ٢٠ ميجابايت" in noura.text(replies[0]), noura.text(replies[0])


async def test_forged_choices_change_nothing(noura: WaUser, wa: WhatsAppEmulator) -> None:
    await _consent(noura)

    async def choose_id(data: str) -> list[dict]:
        last = wa.world.messages(WA_ID)[-1]
        await wa.post(
            wa.inbound(
                WA_ID,
                "interactive",
                {"interactive": {"type": "list_reply", "list_reply": {"id": data, "title": "x"}}},
                context=last["id"],
            )
        )
        return await noura._after()

    unknown = await choose_id("zz:nothing")
    assert "من رسالة سابقة" in "\n".join(noura.text(m) for m in unknown)
    someone_else = await choose_id("rq:submit:999")  # another person's request id
    assert "لا توجد لديك طلبات" in "\n".join(noura.text(m) for m in someone_else)
