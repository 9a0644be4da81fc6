"""The Telegram Bot API emulator, driven through python-telegram-bot's real HTTP client."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaPhoto,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.channels.telegram.transport import AiohttpRequest
from bot.emulator import DEFAULT_TOKEN, Emulator

USER = 501
STAFF = 777
GROUP = -100555
ROOT = Path(__file__).resolve().parents[2]


def png(width: int = 64, height: int = 48, rgb: tuple[int, int, int] = (40, 140, 100)) -> bytes:
    """A valid solid-colour PNG."""
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator() as emulator:
        emulator.add_user(USER, "سارة", "القحطاني", username="sara")
        emulator.add_user(STAFF, "خالد")
        emulator.add_group(GROUP, "فريق الجمعية", {STAFF: "administrator", USER: "member"})
        yield emulator


@pytest.fixture
async def bot(emu: Emulator) -> AsyncIterator[Bot]:
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as b:
        yield b


def as_update(raw: dict[str, Any], bot: Bot) -> Update:
    update = Update.de_json(raw, bot)
    assert update is not None
    return update


# -- basics -----------------------------------------------------------------------------------


async def test_get_me(emu: Emulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123, "mustafeed_bot", True)
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/bot"
    assert emu.calls[-1].method == "getMe"


async def test_unknown_token_method_and_encodings(emu: Emulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.base_url}999:XYZ/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{emu.base_url}{DEFAULT_TOKEN}/frobnicate") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found: method not found"
        as_json = {
            "chat_id": USER,
            "text": "json",
            "reply_markup": {"inline_keyboard": [[{"text": "أ", "callback_data": "a"}]]},
        }
        async with http.post(f"{emu.base_url}{DEFAULT_TOKEN}/sendMessage", json=as_json) as r:
            assert (await r.json())["result"]["reply_markup"] == as_json["reply_markup"]
        form = {
            "chat_id": str(USER),
            "text": "form",
            "reply_markup": json.dumps({"keyboard": [["نعم", "لا"]], "resize_keyboard": True}),
        }
        async with http.post(f"{emu.base_url}{DEFAULT_TOKEN}/SENDMESSAGE", data=form) as r:
            assert (await r.json())["ok"] is True
        query = f"{emu.base_url}{DEFAULT_TOKEN}/sendMessage?chat_id={USER}&text=query"
        async with http.get(query) as r:
            assert (await r.json())["result"]["text"] == "query"
    assert [m["text"] for m in emu.messages(USER)] == ["json", "form", "query"]
    assert emu.reply_keyboard(USER)["keyboard"] == [[{"text": "نعم"}, {"text": "لا"}]]
    assert emu.calls[-2].params["chat_id"] == USER  # decoded from the form's "501"


async def test_send_message_with_inline_keyboard(emu: Emulator, bot: Bot) -> None:
    sent = await bot.send_message(
        USER,
        "<b>مرحباً</b> بك",
        parse_mode="HTML",
        reply_markup=keyboard([("نعم", "yes"), ("لا", "no")]),
    )
    assert sent.text == "مرحباً بك"
    assert sent.reply_markup == keyboard([("نعم", "yes"), ("لا", "no")])
    stored = emu.last_message(USER)
    assert stored is not None
    assert stored["raw_text"] == "<b>مرحباً</b> بك" and stored["parse_mode"] == "HTML"
    assert stored["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert emu.buttons(stored) == [("نعم", "yes"), ("لا", "no")]
    assert emu.button_data(stored, "لا") == "no"
    with pytest.raises(LookupError):
        emu.button_data(stored, "ربما")


async def test_html_validation_and_entities(bot: Bot) -> None:
    sent = await bot.send_message(
        USER,
        "  😀 <i>a<b>b</b></i> &lt;tag&gt; &amp; &copy; &#1575;"
        ' <a href="https://example.org/?a=1&amp;b=2">رابط</a>',
        parse_mode="HTML",
    )
    assert sent.text == "😀 ab <tag> & &copy; ا رابط"
    entities = [(e.type, e.offset, e.length) for e in sent.entities]
    assert entities == [("italic", 3, 2), ("bold", 4, 1), ("text_link", 23, 4)]
    assert sent.entities[2].url == "https://example.org/?a=1&b=2"
    bad = {
        "<b>bold": 'Can\'t find end tag corresponding to start tag "b"',
        "line<br>break": 'Unsupported start tag "br" at byte offset 4',
        "سطر<br/>": 'Unsupported start tag "br/" at byte offset 6',
        "<b><i>x</b></i>": 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        "1 < 2": 'Unsupported start tag "" at byte offset 2',
        "x</b>": "Unexpected end tag at byte offset 1",
        '<span class="x">s</span>': 'Tag "span" must have class "tg-spoiler" at byte offset 0',
    }
    for text, reason in bad.items():
        with pytest.raises(BadRequest) as caught:
            await bot.send_message(USER, text, parse_mode="HTML")
        assert caught.value.message.lower() == f"can't parse entities: {reason}".lower()


async def test_text_and_button_limits(emu: Emulator, bot: Bot) -> None:
    for text, reason in (
        ("", "Message text is empty"),
        ("<b> </b>", "Message text is empty"),
        ("ب" * 4097, "Message is too long"),
    ):
        with pytest.raises(BadRequest, match=reason):
            await bot.send_message(USER, text, parse_mode="HTML")
    await bot.send_message(USER, "ب" * 4096)
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(USER, "x", reply_markup=keyboard([("طويل", "ب" * 33)]))
    await bot.send_message(USER, "x", reply_markup=keyboard([("حد", "b" * 64)]))
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(424242, "x")


async def test_length_limits_count_utf16_units_of_the_shown_text(emu: Emulator, bot: Bot) -> None:
    """As Telegram: 4,096 UTF-16 units of the text after its HTML is parsed, 1,024 of a caption."""
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(
            USER, "😀" * 2049, parse_mode="HTML"
        )  # 2,049 characters, 4,098 units
    await bot.send_message(USER, "😀" * 2048, parse_mode="HTML")
    await bot.send_message(USER, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")  # 4,096 shown
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(USER, InputFile(b"%PDF", filename="a.pdf"), caption="😀" * 513)
    await bot.send_document(
        USER, InputFile(b"%PDF", filename="a.pdf"), caption="&lt;" * 1024, parse_mode="HTML"
    )


# -- updates ----------------------------------------------------------------------------------


async def test_get_updates_offset_semantics(emu: Emulator, bot: Bot) -> None:
    for word in ("واحد", "اثنان", "ثلاثة"):
        emu.send_text(USER, word)
    first = await bot.get_updates()
    assert [u.message.text for u in first] == ["واحد", "اثنان", "ثلاثة"]
    assert [u.message.text for u in await bot.get_updates()] == ["واحد", "اثنان", "ثلاثة"]
    ids = [u.update_id for u in first]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # the first was confirmed
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[1:2]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()


async def test_long_poll_wakes_and_conflicts(emu: Emulator, bot: Bot) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    loop.call_later(0.1, emu.send_text, USER, "مرحبا")
    updates = await bot.get_updates(timeout=5)
    assert updates[0].message.text == "مرحبا" and loop.time() - started < 2
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0.2) == ()
    first = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=5))
    await asyncio.sleep(0.1)
    async with aiohttp.ClientSession() as other_instance:  # PTB itself never polls twice
        async with other_instance.post(
            f"{emu.base_url}{DEFAULT_TOKEN}/getUpdates", json={"timeout": 0.2}
        ) as response:
            assert (await response.json())["result"] == []
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first


async def test_person_actions_are_valid_updates(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "/start ticket_42")
    emu.send_text(STAFF, "/close@mustafeed_bot 42", chat_id=GROUP)
    emu.send_contact(USER, "+966500000001", "سارة", contact_user_id=USER)
    emu.send_location(USER, 24.7, 46.7)
    emu.send_venue(USER, 24.7, 46.7, "مقر الجمعية", "الرياض")
    emu.send_voice(USER, b"OggS voice", duration=3)
    emu.send_sticker(USER)
    emu.send_dice(USER)
    emu.send_poll(USER, "هل الخدمة مفيدة؟", ["نعم", "لا"])
    emu.send_animation(USER, b"gif bytes")
    emu.send_video_note(USER, b"mp4 bytes")
    emu.send_document(USER, b"%PDF", "هوية.pdf", "application/pdf", caption="الهوية")
    photo = emu.send_photo(USER, png(1000, 500), caption="فاتورة")
    album = emu.send_album(USER, [png(), png()], caption="صور")
    emu.edit_text(USER, 1, "/start changed")
    emu.bot_added_to_group(STAFF, -100999, "مجموعة جديدة")
    updates = [
        as_update(raw, bot) for raw in [u.to_dict() for u in await bot.get_updates(limit=100)]
    ]
    start = updates[0].message
    assert start.text == "/start ticket_42" and start.entities[0].type == "bot_command"
    assert start.entities[0].length == len("/start")
    close = updates[1].message
    assert close.chat.type == "supergroup"
    assert close.entities[0].length == len("/close@mustafeed_bot")
    assert updates[2].message.contact.user_id == USER
    assert updates[3].message.location.latitude == 24.7
    assert updates[4].message.venue.title == "مقر الجمعية"
    assert updates[5].message.voice.file_id == emu.history(USER)[4]["voice"]["file_id"]
    assert updates[6].message.sticker.emoji == "👍"
    assert updates[7].message.dice.value == 6
    assert [o.text for o in updates[8].message.poll.options] == ["نعم", "لا"]
    assert updates[9].message.animation.file_id == updates[9].message.document.file_id
    assert updates[10].message.video_note.length == 240
    assert updates[11].message.document.file_name == "هوية.pdf"
    sizes = updates[12].message.photo
    assert [(s.width, s.height) for s in sizes] == [(90, 45), (320, 160), (800, 400), (1000, 500)]
    assert updates[12].message.caption == "فاتورة" and photo["caption"] == "فاتورة"
    assert {u.message.media_group_id for u in updates[13:15]} == {album[0]["media_group_id"]}
    assert updates[15].edited_message.text == "/start changed"
    change = updates[16].my_chat_member
    assert (change.old_chat_member.status, change.new_chat_member.status) == (
        "left",
        "administrator",
    )
    assert len(updates) == 17


async def test_channel_and_raw_updates(emu: Emulator, bot: Bot) -> None:
    emu.add_channel(-100777, "قناة الجمعية", username="albir")
    emu.channel_post(-100777, "إعلان")
    emu.push_raw_update({"update_id": 999, "unexpected": {"what": True}})
    emu.push_raw_update({"message": "not an object"})
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.base_url}{DEFAULT_TOKEN}/getUpdates") as response:
            raw = (await response.json())["result"]
    assert raw[0]["channel_post"]["sender_chat"]["title"] == "قناة الجمعية"
    assert raw[1] == {"update_id": 999, "unexpected": {"what": True}}
    assert raw[2]["message"] == "not an object"
    await bot.send_message("@albir", "منشور من البوت")
    assert emu.last_message(-100777)["sender_chat"]["id"] == -100777


async def test_callback_press_round_trip(emu: Emulator, bot: Bot) -> None:
    sent = await bot.send_message(USER, "اختر", reply_markup=keyboard([("طلب جديد", "new")]))
    query = emu.press(USER, sent.message_id, emu.button_data(emu.last_message(USER), "طلب"))
    (update,) = await bot.get_updates()
    assert update.callback_query.data == "new"
    assert update.callback_query.message.message_id == sent.message_id
    assert update.callback_query.id == query["id"]
    await update.callback_query.answer("تم", show_alert=True)
    answer = await emu.wait_for_callback_answer(query["id"])
    assert (answer["text"], answer["show_alert"], answer["chat_id"]) == ("تم", True, USER)
    with pytest.raises(BadRequest, match="Query is too old"):
        await update.callback_query.answer("مرة أخرى")
    with pytest.raises(LookupError):
        emu.press(USER, sent.message_id, "forged")
    emu.press(USER, sent.message_id, "forged", strict=False)


# -- changing messages ------------------------------------------------------------------------


async def test_edit_message_text(emu: Emulator, bot: Bot) -> None:
    sent = await bot.send_message(USER, "قيد المراجعة", reply_markup=keyboard([("إلغاء", "x")]))
    waiter = asyncio.create_task(emu.wait_for_edit(USER, sent.message_id))
    edited = await bot.edit_message_text(
        "<b>تم القبول</b>",
        USER,
        sent.message_id,
        parse_mode="HTML",
        reply_markup=keyboard([("تفاصيل", "d")]),
    )
    assert edited.text == "تم القبول" and edited.edit_date is not None
    view = await waiter
    assert view["text"] == "تم القبول" and view["edits"][0]["text"] == "قيد المراجعة"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "<b>تم القبول</b>",
            USER,
            sent.message_id,
            parse_mode="HTML",
            reply_markup=keyboard([("تفاصيل", "d")]),
        )
    # Like Telegram, an edit without reply_markup removes the inline keyboard.
    await bot.edit_message_text("تم القبول نهائياً", USER, sent.message_id)
    assert emu.message(USER, sent.message_id).get("reply_markup") is None
    await bot.edit_message_reply_markup(
        USER, sent.message_id, reply_markup=keyboard([("جديد", "n")])
    )
    assert emu.buttons(emu.last_message(USER)) == [("جديد", "n")]
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 9999)
    user_message = emu.send_text(USER, "نص المستخدم")
    with pytest.raises(BadRequest, match="can't be edited"):
        await bot.edit_message_text("x", USER, user_message["message_id"])
    assert await bot.delete_message(USER, sent.message_id)
    assert emu.message(USER, sent.message_id)["deleted"] is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


async def test_reply_keyboard_contact_and_replies(emu: Emulator, bot: Bot) -> None:
    ask = await bot.send_message(
        USER,
        "شارك رقمك",
        reply_markup=ReplyKeyboardMarkup(
            [
                [KeyboardButton("مشاركة الرقم", request_contact=True)],
                [KeyboardButton("الموقع", request_location=True), "إلغاء"],
            ]
        ),
    )
    assert ask.reply_markup is None  # Telegram echoes only inline keyboards
    assert emu.last_message(USER)["reply_markup"]["keyboard"][0][0]["request_contact"]
    contact = emu.share_contact_from_keyboard(USER)
    assert contact["contact"] == {
        "phone_number": "+966500000000",
        "first_name": "سارة",
        "last_name": "القحطاني",
        "user_id": USER,
    }
    location = emu.tap_keyboard(USER, "الموقع")
    assert location["location"] == {"latitude": 24.7136, "longitude": 46.6753}
    assert emu.tap_keyboard(USER, "إلغاء")["text"] == "إلغاء"
    reply = await bot.send_message(
        USER, "شكراً", reply_to_message_id=contact["message_id"], reply_markup=ReplyKeyboardRemove()
    )
    assert reply.reply_to_message.contact.phone_number == "+966500000000"
    assert emu.reply_keyboard(USER) is None
    with pytest.raises(LookupError):
        emu.tap_keyboard(USER, "إلغاء")
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(USER, "x", reply_to_message_id=4040)
    staff_reply = emu.send_text(
        STAFF,
        "سأتابع",
        chat_id=GROUP,
        reply_to_message_id=(await bot.send_message(GROUP, "طلب #1")).message_id,
    )
    assert staff_reply["reply_to_message"]["text"] == "طلب #1"


# -- files ------------------------------------------------------------------------------------


async def test_document_upload_get_file_and_download(emu: Emulator, bot: Bot) -> None:
    payload = os.urandom(300_000)
    sent = await bot.send_document(
        USER, InputFile(payload, filename="تقرير.bin"), caption="<i>التقرير</i>", parse_mode="HTML"
    )
    assert sent.document.file_name == "تقرير.bin" and sent.caption == "التقرير"
    assert sent.caption_entities[0].type == "italic"
    file = await bot.get_file(sent.document.file_id)
    assert file.file_size == len(payload)
    assert bytes(await file.download_as_bytearray()) == payload
    assert emu.download(sent.document.file_id) == payload
    again = await bot.send_document(GROUP, sent.document.file_id)
    assert again.document.file_unique_id == sent.document.file_unique_id
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_document(USER, "no-such-file-id")


async def test_photos_voice_and_media_group(emu: Emulator, bot: Bot) -> None:
    received = emu.send_photo(USER, png(640, 480))
    largest = received["photo"][-1]
    copy = await bot.send_photo(GROUP, largest["file_id"], caption="من المستفيد")
    assert copy.photo[-1].file_id == largest["file_id"]
    uploaded = await bot.send_photo(USER, png(100, 80))
    assert (uploaded.photo[-1].width, uploaded.photo[-1].height) == (100, 80)
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(USER, InputFile(b"not an image", filename="x.jpg"))
    with pytest.raises(BadRequest, match="Type of file mismatch"):
        await bot.send_photo(USER, (await bot.send_document(USER, b"doc")).document.file_id)
    await bot.send_voice(USER, b"OggS....", duration=4)
    assert emu.last_message(USER)["voice"]["duration"] == 4
    album = await bot.send_media_group(
        GROUP, [InputMediaPhoto(png(), caption="١"), InputMediaPhoto(largest["file_id"])]
    )
    assert len({m.media_group_id for m in album}) == 1 and album[0].caption == "١"
    audio = await bot.send_audio(USER, InputFile(b"ID3 audio", filename="درس.mp3"), title="درس")
    video = await bot.send_video(USER, b"mp4 video", width=640, height=360)
    assert (audio.audio.title, audio.audio.mime_type) == ("درس", "audio/mpeg")
    assert (video.video.width, video.video.height) == (640, 360)
    location = await bot.send_location(USER, 24.71, 46.67)
    contact = await bot.send_contact(USER, "+966112345678", "الجمعية")
    assert (location.location.latitude, contact.contact.first_name) == (24.71, "الجمعية")
    assert await bot.send_chat_action(USER, "upload_photo")


async def test_copy_and_forward(emu: Emulator, bot: Bot) -> None:
    source = emu.send_text(USER, "أحتاج مساعدة")
    copied = await bot.copy_message(
        GROUP, USER, source["message_id"], reply_markup=keyboard([("رد", "r")])
    )
    group_copy = emu.message(GROUP, copied.message_id)
    assert group_copy["text"] == "أحتاج مساعدة" and group_copy["from_bot"]
    forwarded = await bot.forward_message(GROUP, USER, source["message_id"])
    assert forwarded.forward_origin.sender_user.id == USER
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(GROUP, USER, 777)


# -- chats and members ------------------------------------------------------------------------


async def test_chats_members_and_commands(emu: Emulator, bot: Bot) -> None:
    chat = await bot.get_chat(GROUP)
    assert (chat.title, chat.type) == ("فريق الجمعية", "supergroup")
    assert (await bot.get_chat(USER)).first_name == "سارة"
    statuses = {uid: (await bot.get_chat_member(GROUP, uid)).status for uid in (STAFF, USER, 123)}
    assert statuses == {STAFF: "administrator", USER: "member", 123: "administrator"}
    emu.set_member(GROUP, USER, "kicked")
    assert (await bot.get_chat_member(GROUP, USER)).status == "kicked"
    admins = await bot.get_chat_administrators(GROUP)
    assert {a.user.id for a in admins} == {STAFF, 123}
    assert await bot.get_chat_member_count(GROUP) == 2
    await bot.set_my_commands([BotCommand("start", "البداية"), BotCommand("help", "مساعدة")])
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Start"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])
    assert await bot.set_chat_menu_button(USER)
    await bot.set_my_description("بوت جمعية")
    assert (await bot.get_my_description()).description == "بوت جمعية"
    assert await bot.leave_chat(GROUP)
    with pytest.raises(Forbidden, match="bot is not a member of the supergroup chat"):
        await bot.send_message(GROUP, "x")


async def test_forum_topics(emu: Emulator, bot: Bot) -> None:
    emu.add_group(-100321, "فروع الجمعية", {STAFF: "creator"}, is_forum=True)
    asked = emu.send_text(STAFF, "سؤال في موضوع", chat_id=-100321, message_thread_id=7)
    (update,) = await bot.get_updates()
    assert update.message.is_topic_message and update.message.message_thread_id == 7
    reply = await bot.send_message(
        -100321, "جواب", message_thread_id=7, reply_to_message_id=asked["message_id"]
    )
    assert reply.message_thread_id == 7 and reply.is_topic_message


async def test_blocked_user_forbidden(emu: Emulator, bot: Bot) -> None:
    emu.block(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "مرحبا")
    (update,) = await bot.get_updates()
    assert update.my_chat_member.new_chat_member.status == "kicked"
    emu.send_text(USER, "/start")  # writing to the bot again unblocks it
    await bot.send_message(USER, "أهلاً مجدداً")


async def test_several_bots_have_separate_worlds(emu: Emulator) -> None:
    other = emu.add_bot("456:DEF", "other_bot")
    other.add_user(USER, "مستخدم آخر")
    other.send_text(USER, "للبوت الثاني")
    async with Bot("456:DEF", base_url=emu.base_url) as second:
        assert (await second.get_me()).username == "other_bot"
        (update,) = await second.get_updates()
        assert update.message.chat.first_name == "مستخدم آخر"
        await second.send_message(USER, "رد")
    assert emu.bot("456:DEF") is other
    assert emu.messages(USER) == [] and other.last_message(USER)["text"] == "رد"


# -- faults -----------------------------------------------------------------------------------

# python-telegram-bot's request layer over either HTTP library (bot/channels/telegram/transport.py): the same
# errors for the same faults, so the outbox retries the same way whichever one runs
REQUESTS = {
    "httpx": lambda: HTTPXRequest(read_timeout=0.5),
    "aiohttp": lambda: AiohttpRequest(read_timeout=0.5),
}


@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")
@pytest.mark.parametrize("library", sorted(REQUESTS))
async def test_fault_injection(emu: Emulator, library: str) -> None:
    request = REQUESTS[library]()
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url, request=request) as bot:
        emu.inject_fault("sendMessage", "429", retry_after=7)
        with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
            await bot.send_message(USER, "x")
        emu.inject_fault("sendMessage", "502", count=2)
        for _ in range(2):
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(USER, "x")
        emu.inject_fault("sendMessage", "drop")
        with pytest.raises(NetworkError, match="disconnected"):
            await bot.send_message(USER, "x")
        emu.inject_fault(kind="timeout")
        with pytest.raises(TimedOut):
            await bot.get_me()
        await bot.send_message(USER, "وصلت")
    assert [m["text"] for m in emu.messages(USER)] == ["وصلت"]
    assert [c.error for c in emu.calls_to("sendMessage")][:4] == [
        "injected fault: 429",
        "injected fault: 502",
        "injected fault: 502",
        "injected fault: drop",
    ]


@pytest.mark.parametrize("library", sorted(REQUESTS))
async def test_uploads_and_plain_calls_through_either_library(emu: Emulator, library: str) -> None:
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url, request=REQUESTS[library]()) as bot:
        await bot.send_message(
            USER,
            "نص عربي <b>عريض</b>",
            parse_mode="HTML",
            reply_markup={"inline_keyboard": [[{"text": "نعم", "callback_data": "y"}]]},
        )
        await bot.send_document(
            USER, InputFile(b"%PDF-1.4 data", filename="طلب.pdf"), caption="مرفق"
        )
    text, document = emu.messages(USER)
    assert (
        text["text"] == "نص عربي عريض"
        and text["reply_markup"]["inline_keyboard"][0][0]["text"] == "نعم"
    )
    assert document["caption"] == "مرفق" and document["document"]["file_name"] == "طلب.pdf"
    assert emu.download(document["document"]["file_id"]) == b"%PDF-1.4 data"


# -- webhook ----------------------------------------------------------------------------------


async def test_webhook_delivery_with_secret_and_retry(emu: Emulator, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    failures = [500]

    async def hook(request: web.Request) -> web.Response:
        if failures:
            return web.Response(status=failures.pop())
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        emu.send_text(USER, "قبل الويبهوك")
        assert await bot.set_webhook(url, secret_token="s3cr3t-TOKEN")
        emu.send_text(USER, "بعد الويبهوك")
        await emu.wait_until(lambda: len(received) == 2)
        assert [(secret, body["message"]["text"]) for secret, body in received] == [
            ("s3cr3t-TOKEN", "قبل الويبهوك"),
            ("s3cr3t-TOKEN", "بعد الويبهوك"),
        ]
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        assert "500" in (info.last_error_message or "")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
    finally:
        await bot.delete_webhook()
        await runner.cleanup()
    emu.send_text(USER, "بعد الحذف")
    assert [u.message.text for u in await bot.get_updates()] == ["بعد الحذف"]


# -- observing and timing ---------------------------------------------------------------------


async def test_wait_for_message_and_latencies(emu: Emulator, bot: Bot) -> None:
    emu.send_text(USER, "/start")
    asyncio.get_running_loop().call_later(
        0.05, lambda: asyncio.ensure_future(bot.send_message(USER, "أهلاً"))
    )
    message = await emu.wait_for_message(USER, lambda m: "أهلاً" in m["text"], timeout=3)
    assert message["message_id"] == 2
    with pytest.raises(TimeoutError, match="no matching bot message"):
        await emu.wait_for_message(USER, timeout=0.1, after_message_id=message["message_id"])
    (latency,) = emu.latencies()
    assert latency.chat_id == USER and latency.update_kind == "message"
    assert 0.04 < latency.seconds < 2


async def test_ptb_application_end_to_end(emu: Emulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(
            f"أهلاً <b>{update.effective_user.first_name}</b>",  # type: ignore[union-attr]
            reply_markup=keyboard([("تقديم طلب", "apply")]),
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("تم")
        await query.edit_message_text("تم تقديم طلبك ✅")

    application = (
        Application.builder()
        .token(DEFAULT_TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(pressed))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=5)
        try:
            emu.send_text(USER, "/start")
            welcome = await emu.wait_for_message(USER, timeout=5)
            assert welcome["text"] == "أهلاً سارة"
            emu.press(USER, welcome["message_id"], emu.button_data(welcome, "تقديم"))
            edited = await emu.wait_for_edit(USER, welcome["message_id"], timeout=5)
            assert edited["text"] == "تم تقديم طلبك ✅"
            assert emu.callback_answers[0]["text"] == "تم"
        finally:
            await application.updater.stop()
            await application.stop()
    assert len(emu.latencies()) == 2


# -- standalone and demo ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_runs_standalone() -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        "--port",
        str(port),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), 20)
        assert f"127.0.0.1:{port}/bot" in banner.decode()
        async with Bot(DEFAULT_TOKEN, base_url=f"http://127.0.0.1:{port}/bot") as bot:
            assert (await bot.get_me()).username == "mustafeed_bot"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/") as response:
                assert response.status == 200
    finally:
        process.terminate()
        await process.wait()


@pytest.fixture
async def demo() -> AsyncIterator[Emulator]:
    async with Emulator(
        demo=True, demo_user_id=USER, staff_chat_id=GROUP, staff_user_id=STAFF
    ) as emulator:
        yield emulator


async def test_demo_api(demo: Emulator) -> None:
    async with aiohttp.ClientSession(demo.url) as http:
        async with http.get("/") as page:
            html = await page.text()
            assert '<html lang="ar" dir="rtl">' in html
            assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        async with http.get("/static/../server.py") as escape:
            assert escape.status == 404
        await http.post("/demo/api/send", json={"panel": "beneficiary", "text": "/start"})
        async with Bot(DEFAULT_TOKEN, base_url=demo.base_url) as bot:
            sent = await bot.send_message(USER, "اختر", reply_markup=keyboard([("قدّم", "apply")]))
            await bot.send_message(
                USER,
                "رقمك؟",
                reply_markup=ReplyKeyboardMarkup(
                    [[KeyboardButton("مشاركة الرقم", request_contact=True)]]
                ),
            )
        async with http.post(
            "/demo/api/press",
            json={"panel": "beneficiary", "message_id": sent.message_id, "data": "apply"},
        ) as pressed:
            assert (await pressed.json())["result"]["data"] == "apply"
        async with http.post(
            "/demo/api/press",
            json={"panel": "beneficiary", "message_id": sent.message_id, "data": "forged"},
        ) as forged:
            assert forged.status == 400
        form = aiohttp.FormData()
        form.add_field("panel", "staff")
        form.add_field("file", png(), filename="صورة.png", content_type="image/png")
        await http.post("/demo/api/upload", data=form)
        await http.post("/demo/api/keyboard", json={"panel": "beneficiary", "text": "مشاركة الرقم"})
        await http.post("/demo/api/send", json={"panel": "staff", "text": "تم", "reply_to": 1})
        async with http.get("/demo/api/state", params={"since": "-1"}) as response:
            state = await response.json()
    beneficiary, staff = state["panels"]
    assert (beneficiary["label"], staff["label"]) == (
        "المستفيد على تيليجرام",
        "مجموعة فريق الجمعية",
    )
    texts = [m["text"] for m in beneficiary["messages"]]
    assert texts[:3] == ["/start", "اختر", "رقمك؟"]
    assert beneficiary["messages"][-1]["card"]["lines"][1] == "+966500000000"
    assert staff["messages"][0]["media"]["kind"] == "photo"
    assert staff["messages"][1]["reply_to"]["id"] == 1
    assert demo.updates.pending_count == 5  # /start, press, photo, contact, staff reply


async def _send_demo_conversation(emulator: Emulator) -> None:
    """Fill the demo's two chats the way the bot would, through the real Bot API."""
    async with Bot(
        DEFAULT_TOKEN, base_url=emulator.base_url, base_file_url=emulator.base_file_url
    ) as bot:
        emulator.send_text(USER, "/start")
        await bot.send_message(
            USER,
            "أهلاً بك يا <b>سارة</b> في بوت <i>جمعية البر</i>\nاختر الخدمة:",
            parse_mode="HTML",
            reply_markup=keyboard(
                [("تقديم طلب مساعدة", "apply")],
                [("حالة طلبي", "status"), ("الأسئلة الشائعة", "faq")],
            ),
        )
        await bot.send_message(
            USER,
            "نحتاج رقم جوالك لإكمال الطلب.",
            reply_markup=ReplyKeyboardMarkup(
                [[KeyboardButton("مشاركة رقم الجوال", request_contact=True)], ["إلغاء"]],
                resize_keyboard=True,
            ),
        )
        emulator.share_contact_from_keyboard(USER)
        photo = emulator.send_photo(USER, png(480, 320), caption="صورة الفاتورة")
        await bot.send_message(
            USER, "تم استلام طلبك برقم <code>#1024</code> &lt;script&gt;", parse_mode="HTML"
        )
        ticket = await bot.send_message(
            GROUP,
            "<b>طلب جديد #1024</b>\nالاسم: سارة القحطاني",
            parse_mode="HTML",
            reply_markup=keyboard([("قبول", "ok"), ("رفض", "no")]),
        )
        await bot.copy_message(GROUP, USER, photo["message_id"])
        await bot.send_document(GROUP, InputFile(b"%PDF-1.4", filename="ملخص.pdf"))
        emulator.send_text(
            STAFF, "سأتولى الطلب", chat_id=GROUP, reply_to_message_id=ticket.message_id
        )
        await bot.edit_message_text(
            "<b>طلب جديد #1024</b> — قيد المراجعة", GROUP, ticket.message_id, parse_mode="HTML"
        )


class _DevTools:
    """Just enough of the Chrome DevTools protocol to load a page, evaluate and screenshot."""

    def __init__(self, socket_: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket_
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        await self.socket.send_json({"id": self.next_id, "method": method, "params": params})
        while True:
            message = await self.socket.receive_json(timeout=30)
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return dict(message["result"])

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
async def test_demo_page_renders_in_chromium(demo: Emulator, tmp_path: Path) -> None:
    await _send_demo_conversation(demo)
    profile = tempfile.mkdtemp()
    browser = subprocess.Popen(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--window-size=1400,900",
            "--remote-debugging-port=0",
            "--remote-allow-origins=*",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        for _ in range(200):
            if port_file.exists() and port_file.read_text().strip():
                break
            await asyncio.sleep(0.05)
        port = port_file.read_text().split()[0]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                target = next(t for t in await response.json() if t["type"] == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                tools = _DevTools(ws)
                await tools.call("Page.enable")
                await tools.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=1400,
                    height=900,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                await tools.call("Page.navigate", url=f"{demo.url}/")
                ready = (
                    "document.querySelectorAll('.msg').length === 10 && "
                    "[...document.images].every(i => i.complete && i.naturalWidth > 0)"
                )
                for _ in range(200):
                    if await tools.evaluate(ready):
                        break
                    await asyncio.sleep(0.05)
                else:
                    pytest.fail("the demo page did not render its 10 messages and images")
                page = await tools.evaluate("""({
                    dir: document.documentElement.dir,
                    lang: document.documentElement.lang,
                    labels: [...document.querySelectorAll('.label-text')].map(e => e.textContent),
                    bold: [...document.querySelectorAll('.bubble b')].map(e => e.textContent),
                    scripts: document.querySelectorAll('.bubble script').length,
                    text: document.body.innerText,
                    inlineButtons: document.querySelectorAll('.inline-kb button').length,
                    keyboard: [...document.querySelectorAll('.keyboard button')]
                        .map(e => e.textContent),
                    photos: document.querySelectorAll('img.photo').length,
                    documents: [...document.querySelectorAll('a.document')]
                        .map(a => a.getAttribute('href')),
                    status: document.getElementById('status').className,
                })""")
                shot = await tools.call("Page.captureScreenshot", format="png")
                (tmp_path / "demo.png").write_bytes(base64.b64decode(shot["data"]))
                pending = demo.updates.pending_count
                await tools.evaluate("document.querySelector('.inline-kb button').click()")
                await demo.wait_until(lambda: demo.updates.pending_count > pending, timeout=5)
    finally:
        browser.terminate()
        browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
    assert (page["dir"], page["lang"]) == ("rtl", "ar")
    assert page["labels"] == ["المستفيد على تيليجرام", "مجموعة فريق الجمعية"]
    assert "سارة" in page["bold"] and "طلب جديد #1024" in page["bold"]
    assert page["scripts"] == 0 and "<script>" in page["text"] and "<b>" not in page["text"]
    assert "قيد المراجعة" in page["text"] and "سأتولى الطلب" in page["text"]
    assert page["inlineButtons"] == 3  # the ticket's edit without reply_markup removed its two
    assert any("مشاركة رقم الجوال" in label for label in page["keyboard"])
    assert page["photos"] == 2
    assert page["documents"][0].startswith(f"/file/bot{DEFAULT_TOKEN}/documents/")
    assert page["status"] == "status online"
    assert (tmp_path / "demo.png").stat().st_size > 20_000
