"""Abuse cases end to end: what a person can learn or do with someone else's data or with
hostile input (issue #14), as those people and the staff group see it."""

from __future__ import annotations

import base64

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select

from bot.app import BotApp
from bot.channels.telegram import staff_auth
from bot.web.dashboard import make_dashboard_app
from bot.web.webhook import SECRET_HEADER, WEBHOOK_PATH, make_web_app, webhook_secret
from storage.models import Document
from tests.flows import VALID_ID, fill_form, open_service, submit
from tests.harness import OUTSIDER, STAFF, STAFF_CHAT, STAFF_PLAIN, Person, make_settings


async def test_a_strangers_national_id_reveals_no_reference(
    consented: Person, staff: Person, profile, emu, app: BotApp
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)

    other = Person(emu, app, OUTSIDER)
    await other.say("/start")
    await other.press("أوافق")
    await open_service(other, profile)
    await other.say("خالد سعد ناصر القحطاني")
    before = len(emu.messages(STAFF_CHAT))
    replies = await other.say(VALID_ID)
    told = "\n".join(m.get("text", "") for m in replies)
    assert reference not in told and "REQ-" not in told
    assert "تواصل مع الجمعية" in told and "/contact" in told
    assert "السؤال ٢" in replies[-1]["text"]  # asked again, as for any refused answer

    alerts = emu.messages(STAFF_CHAT)[before:]
    assert len(alerts) == 1, alerts
    alert = alerts[0]["text"]
    assert "1•••••••08" in alert and VALID_ID not in alert
    assert profile.service("food-support").title.ar in alert
    assert "محمد" not in alert and "خالد" not in alert and "سارة" not in alert

    # the owner of the request is told its reference
    await consented.say("/menu")
    await open_service(consented, profile)
    await consented.say("محمد عبدالله سعيد الحربي")
    before = len(emu.messages(STAFF_CHAT))
    replies = await consented.say(VALID_ID)
    assert reference in replies[0]["text"] and "طلبك رقم" in replies[0]["text"]
    assert len(emu.messages(STAFF_CHAT)) == before  # nothing for staff: it is their own request


async def test_signing_after_a_stranger_applied_with_the_same_id_reveals_no_reference(
    consented: Person, profile, emu, app: BotApp
) -> None:
    await open_service(consented, profile)
    await fill_form(consented, profile)  # a draft, not yet declared

    other = Person(emu, app, OUTSIDER)
    await other.say("/start")
    await other.press("أوافق")
    await open_service(other, profile)
    await fill_form(other, profile)
    reference = await submit(other)

    await consented.press("كل شيء صحيح")
    before = len(emu.messages(STAFF_CHAT))
    replies = await consented.press("أُقِرّ وأرسِل")
    told = (replies[-1] if replies else consented.last())["text"]
    assert reference not in told and "REQ-" not in told and "تواصل مع الجمعية" in told
    alerts = emu.messages(STAFF_CHAT)[before:]
    assert (
        len(alerts) == 1 and "1•••••••08" in alerts[0]["text"] and "محمد" not in alerts[0]["text"]
    )


# --------------------------------------------------------------------------------------------
# a file's contents must be what its name and type claim (item 8)
# --------------------------------------------------------------------------------------------

JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAP//////////////////////////////////////////////////////////"
    "////////////////////////////wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAA"
    "AAAAAAAAAAD/2gAIAQEAAD8AP//Z"
)
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 72 72]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PROGRAM = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    + b"\x00" * 48
    + b"This program cannot be run in DOS mode."
)


async def answer_until_documents(person: Person, profile) -> None:
    service = profile.service("food-support")
    for text in ("محمد عبدالله سعيد الحربي", VALID_ID):
        await person.say(text)
    await person.share_contact("966551234567")
    for text in ("١٥/٠٥/١٤٠٠", "٥", "3500"):
        await person.say(text)
    await person.press(service.fields[6].choices[1].label.ar)
    await person.press(service.fields[7].choices[0].label.ar)
    await person.share_location()
    assert "المستندات" in person.text() or "صورة" in person.text()


async def test_a_program_named_pdf_and_an_empty_file_are_refused(
    consented: Person, profile, app: BotApp, emu
) -> None:
    await open_service(consented, profile)
    await answer_until_documents(consented, profile)
    question = consented.text()

    replies = await consented.send_document(PROGRAM, "income.pdf", "application/pdf")
    assert "لا يطابق نوعه" in replies[0]["text"]
    assert replies[-1]["text"] == question  # asked again

    replies = await consented.send_document(b"", "id.pdf", "application/pdf")
    assert "فارغ" in replies[0]["text"] and replies[-1]["text"] == question

    await consented.send_document(JPEG, "id.jpg", "image/jpeg")  # a real photo, as a file
    asked = len(emu.calls_to("getFile"))
    await consented.send_photo(JPEG)  # the family record, as a photo
    # Telegram re-encodes photos itself: their bytes are not the sender's, and not fetched
    assert len(emu.calls_to("getFile")) == asked > 0
    replies = await consented.send_document(PDF, "income.pdf", "application/pdf")
    assert "لا يطابق" not in replies[0]["text"] and "السؤال ١٣" in replies[-1]["text"]

    async with app.db.read() as session:
        names = list(await session.scalars(select(Document.file_name)))
    assert sorted(n or "" for n in names) == ["", "id.jpg", "income.pdf"]


# --------------------------------------------------------------------------------------------
# dashboard links (item 9 b, c)
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def dashboard_server(app, monkeypatch: pytest.MonkeyPatch):
    runner = web.AppRunner(make_dashboard_app(app.rt))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    monkeypatch.setenv("MUSTAFEED_DASHBOARD_URL", url)
    yield url
    await runner.cleanup()


async def dashboard_link(staff: Person, emu) -> str:
    await staff.say("/dashboard")
    private = emu.last_message(STAFF)
    return next(e["url"] for e in private.get("entities", []) if e.get("type") == "text_link")


async def status_of(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_dashboard_links_can_be_revoked(
    staff: Person, emu, app: BotApp, dashboard_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await dashboard_link(staff, emu)
    assert (await status_of(first))[0] == 200

    replies = await staff.say("/dashboard revoke")
    assert "لم يعد يعمل" in replies[0]["text"]
    status, page = await status_of(first)
    assert status == 403 and "أُلغي هذا الرابط" in page
    second = await dashboard_link(staff, emu)
    assert second != first and (await status_of(second))[0] == 200


async def test_dashboard_links_die_when_their_holder_leaves_the_staff_group(
    staff: Person, emu, app: BotApp, dashboard_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = await dashboard_link(staff, emu)
    assert (await status_of(second))[0] == 200
    monkeypatch.setattr(staff_auth, "CACHE_SECONDS", 0.0)  # membership asked anew, not cached
    emu.set_member(STAFF_CHAT, STAFF, "left")
    status, page = await status_of(second)
    assert status == 403 and "أعضاء مجموعة فريق الجمعية" in page
    emu.set_member(STAFF_CHAT, STAFF, "creator")
    assert (await status_of(second))[0] == 200


async def test_dashboard_refuses_odd_digits_with_400(app: BotApp, dashboard_server: str) -> None:
    for query in (
        "?u=²&g=0&exp=1&sig=x",
        "?u=1&g=٣&exp=1&sig=x",
        "?u=1&g=0&exp=¹²&sig=x",
        "?u=1&exp=1&sig=é",
    ):
        status, page = await status_of(dashboard_server + query)
        assert status == 400 and "غير صالح" in page, query


# --------------------------------------------------------------------------------------------
# a webhook body nested too deeply (item 9 d)
# --------------------------------------------------------------------------------------------


@pytest.fixture
async def webhook_url(emu, database_url: str, profile):
    bot_app = BotApp(make_settings(emu, database_url), profile, jobs_interval=0)
    await bot_app.prepare()
    runner = web.AppRunner(make_web_app(bot_app), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield (
        f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}",
        webhook_secret(bot_app.settings),
    )
    await runner.cleanup()
    await bot_app.stop()


async def test_a_webhook_body_nested_too_deeply_is_a_400(webhook_url) -> None:
    url, secret = webhook_url
    deep = b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    middling = b'{"update_id": 2, "message": ' + b'{"a":' * 200 + b"1" + b"}" * 200 + b"}"
    async with aiohttp.ClientSession() as http:
        for body in (deep, middling):
            async with http.post(
                url, data=body, headers={SECRET_HEADER: secret, "Content-Type": "application/json"}
            ) as response:
                assert response.status == 400


# --------------------------------------------------------------------------------------------
# captions and staff replies (item 9 e, f)
# --------------------------------------------------------------------------------------------

BIDI = "\u202e\u2066\u200f\u061c"


async def open_inquiry(person: Person, emu) -> dict:
    await person.press("استفسار")
    await person.press("التحدث مع فريق الجمعية")
    await person.say("أحتاج إلى نقل السلة الغذائية إلى بيتي")
    return emu.last_message(STAFF_CHAT)


async def test_bidi_controls_are_stripped_from_captions(
    consented: Person, staff: Person, emu
) -> None:
    card = await open_inquiry(consented, emu)
    await consented.send_photo(JPEG, caption=f"فاتورة {BIDI}REQ-1448-0001{BIDI}")
    relayed = emu.last_message(STAFF_CHAT)
    assert (
        relayed.get("photo")
        and "فاتورة" in relayed["caption"]
        and "REQ-1448-0001" in relayed["caption"]
    )
    assert not set(BIDI) & set(relayed["caption"])

    await staff.act(
        emu.send_photo(
            STAFF,
            JPEG,
            caption=f"خريطة {BIDI}الموقع",
            chat_id=STAFF_CHAT,
            reply_to_message_id=card["message_id"],
        )
    )
    answer = consented.last()
    assert (
        answer.get("photo")
        and "خريطة" in answer["caption"]
        and not set(BIDI) & set(answer["caption"])
    )


async def test_only_current_staff_members_reply_to_beneficiaries(consented: Person, emu) -> None:
    card = await open_inquiry(consented, emu)
    told = len(emu.messages(consented.chat))
    colleague = Person(emu, consented.app, STAFF_PLAIN, chat_id=STAFF_CHAT)
    emu.inject_fault("getChatMember", "502", count=50)  # Telegram cannot confirm the membership
    replies = await colleague.say("سنرسل السلة غدًا", reply_to_message_id=card["message_id"])
    assert "لأعضاء مجموعة فريق الجمعية فقط" in replies[-1]["text"]
    assert len(emu.messages(consented.chat)) == told  # nothing reached the beneficiary
