"""The Telegram adapter: raw Bot API updates parsed into Events, neutral messages rendered into
Bot API calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.telegram.adapter import Malformed, parse_update, render, render_markup
from bot.engine.events import Kind
from bot.engine.keyboards import (
    FORCE_REPLY,
    REMOVE_KEYBOARD,
    ask_for,
    button,
    cb,
    inline,
    url_button,
)
from bot.engine.messages import Copy, Edit, Leave, Say, SendFile
from bot.engine.outbox import FILES_KEY, INLINE_KEY

USER = {"id": 501, "is_bot": False, "first_name": "Sara", "last_name": "Ali", "language_code": "en"}
BOT = {"id": 1, "is_bot": True, "first_name": "Bot"}
PRIVATE = {"id": 501, "type": "private", "first_name": "Sara"}
GROUP = {"id": -1001, "type": "supergroup", "title": "Staff"}
QUOTE = {"message_id": 40, "allow_sending_without_reply": True}


def message(**fields):
    return {"message_id": 7, "date": 1, "chat": PRIVATE, "from": USER, **fields}


def update(update_id: int, username: str = "", **body):
    return parse_update({"update_id": update_id, **body}, username)


# -- parse -------------------------------------------------------------------------------------
def test_text() -> None:
    event = update(1, message=message(text="hello"))
    assert event.kind is Kind.TEXT and event.text == "hello" and event.update_id == 1
    assert (event.chat_id, event.chat_type, event.user_id) == (501, "private", 501)
    assert event.message_id == 7
    assert (event.first_name, event.user_name, event.language_code) == ("Sara", "Sara Ali", "en")
    assert event.callback_id is None and event.file is None and event.command is None


def test_command_addressed_to_us_or_another_bot() -> None:
    event = update(2, "mustafeedbot", message=message(text="/Start@MustafeedBot req_5"))
    assert event.kind is Kind.COMMAND and (event.command, event.command_args) == ("start", "req_5")
    other = update(3, "MustafeedBot", message=message(text="/start@OtherBot"))
    assert other.kind is Kind.TEXT and other.command is None


def test_button_press() -> None:
    pressed = message(message_id=40, text="Question?", **{"from": BOT})
    event = update(
        4,
        callback_query={
            "id": "cq1",
            "from": USER,
            "chat_instance": "x",
            "data": cb("req", "yn", 12, 3, 1),
            "message": pressed,
        },
    )
    assert event.kind is Kind.ACTION and event.is_action and event.callback_id == "cq1"
    assert event.action is not None
    assert (event.action.namespace, event.action.action, event.action.args) == (
        "req",
        "yn",
        ("12", "3", "1"),
    )
    assert (event.chat_id, event.message_id, event.message_has_text) == (501, 40, True)
    assert event.user_id == 501
    assert event.text is None  # the button's message is not something the person wrote


def test_forged_button_data_has_no_action() -> None:
    event = update(
        5, callback_query={"id": "cq2", "from": USER, "chat_instance": "x", "data": "رقم:١"}
    )
    assert event.kind is Kind.ACTION and event.action is None and event.chat_id is None


def test_photo_is_its_largest_size() -> None:
    sizes = [
        {"file_id": "small", "file_unique_id": "s", "width": 9, "height": 9, "file_size": 10},
        {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900, "file_size": 9000},
    ]
    event = update(6, message=message(photo=sizes, caption="id", media_group_id="g1"))
    assert event.kind is Kind.FILE and event.caption == "id" and event.media_group_id == "g1"
    assert event.attached_file() == {
        "kind": "photo",
        "file_id": "big",
        "file_unique_id": "b",
        "file_size": 9000,
        "mime_type": "image/jpeg",
        "file_name": None,
    }


def test_document() -> None:
    doc = {
        "file_id": "d1",
        "file_unique_id": "u1",
        "file_name": "id.pdf",
        "mime_type": "application/pdf",
        "file_size": 2048,
    }
    event = update(7, message=message(document=doc))
    assert event.kind is Kind.FILE
    assert event.attached_file() == {
        "kind": "document",
        "file_id": "d1",
        "file_unique_id": "u1",
        "file_size": 2048,
        "mime_type": "application/pdf",
        "file_name": "id.pdf",
    }


def test_voice_is_not_an_attached_file() -> None:
    voice = {"file_id": "v1", "file_unique_id": "vu", "duration": 3, "mime_type": "audio/ogg"}
    event = update(8, message=message(voice=voice))
    assert event.kind is Kind.VOICE and event.file is not None and event.file.kind == "voice"
    assert event.attached_file() is None


def test_location_and_venue() -> None:
    event = update(9, message=message(location={"latitude": 24.7, "longitude": 46.6}))
    assert event.kind is Kind.LOCATION and event.location == (24.7, 46.6)
    venue = {"location": {"latitude": 21.5, "longitude": 39.2}, "title": "T", "address": "A"}
    assert update(10, message=message(venue=venue)).location == (21.5, 39.2)


def test_contact() -> None:
    contact = {"phone_number": "+966551234567", "first_name": "Sara", "user_id": 501}
    event = update(11, message=message(contact=contact))
    assert event.kind is Kind.CONTACT and event.contact is not None
    assert (event.contact.phone_number, event.contact.user_id) == ("+966551234567", 501)


def test_reply_in_the_staff_group() -> None:
    colleague = {"id": 777, "is_bot": False, "first_name": "Omar"}
    replied = {"message_id": 90, "date": 1, "chat": GROUP, "from": colleague, "text": "hi"}
    event = update(
        12, "bot", message=message(chat=GROUP, text="/grant researcher", reply_to_message=replied)
    )
    assert event.kind is Kind.COMMAND and (event.command, event.command_args) == (
        "grant",
        "researcher",
    )
    assert (event.chat_id, event.chat_type) == (-1001, "supergroup")
    assert (event.reply_to_message_id, event.reply_to_user_id) == (90, 777)
    assert event.reply_to_is_bot is False


def test_edited_message() -> None:
    event = update(13, "bot", edited_message=message(text="/start", edit_date=2))
    assert event.kind is Kind.EDITED and event.text == "/start" and event.command is None


def test_my_chat_member() -> None:
    event = update(
        14,
        my_chat_member={
            "chat": PRIVATE,
            "from": USER,
            "date": 1,
            "old_chat_member": {"status": "member", "user": BOT},
            "new_chat_member": {"status": "kicked", "until_date": 0, "user": BOT},
        },
    )
    assert event.kind is Kind.MEMBER and event.member_status == "kicked" and event.is_private
    assert event.chat_id == 501


def test_nothing_to_read() -> None:
    event = update(15, poll_answer={"poll_id": "p", "option_ids": [0], "user": USER})
    assert event.kind is Kind.OTHER and event.chat_id is None and event.message_id is None


@pytest.mark.parametrize(
    "body",
    [
        {"message": "not an object"},
        {"message": {"message_id": 1, "from": USER, "text": "no chat, no date"}},
        {"callback_query": {"id": "q", "data": "menu:main"}},
        {"poll": {"id": "2", "question": "?"}},
        {"message": message(poll={"id": "1", "question": "?", "total_voter_count": 0})},
    ],
)
def test_malformed_updates_raise(body) -> None:
    with pytest.raises(Malformed):
        update(16, **body)


# -- render ------------------------------------------------------------------------------------
def test_buttons() -> None:
    keyboard = inline(
        [
            [button("Yes", cb("req", "yn", 1, 0, 1)), button("No", cb("req", "yn", 1, 0, 0))],
            [],
            [url_button("Open", "https://example.org")],
        ]
    )
    method, payload = render(Say(501, "Question?", keyboard))
    assert method == "sendMessage"
    assert payload == {
        "chat_id": 501,
        "text": "Question?",
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "Yes", "callback_data": "req:yn:1:0:1"},
                    {"text": "No", "callback_data": "req:yn:1:0:0"},
                ],
                [{"text": "Open", "url": "https://example.org"}],
            ]
        },
    }


def test_contact_and_location_requests() -> None:
    assert render_markup(ask_for("contact", "Share my number", placeholder="or type it")) == {
        "keyboard": [[{"text": "Share my number", "request_contact": True}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
        "input_field_placeholder": "or type it",
    }
    assert render_markup(ask_for("location", "Share my location"))["keyboard"] == [
        [{"text": "Share my location", "request_location": True}]
    ]
    removed = render(Say(501, "Received", REMOVE_KEYBOARD))[1]["reply_markup"]
    assert removed == {"remove_keyboard": True}


def test_force_reply_quoting_a_message() -> None:
    method, payload = render(Say(-1001, "Reply with the details", FORCE_REPLY, quote=40))
    assert method == "sendMessage"
    assert payload["reply_markup"] == {"force_reply": True, "selective": True}
    assert payload["reply_parameters"] == QUOTE


def test_edit_in_place() -> None:
    keyboard = inline([[button("Menu", cb("menu", "main"))]])
    method, payload = render(Edit(501, 40, "Updated", keyboard))
    assert method == "editMessageText"
    assert (payload["chat_id"], payload["message_id"], payload["text"]) == (501, 40, "Updated")
    assert payload["reply_markup"] == {
        "inline_keyboard": [[{"text": "Menu", "callback_data": "menu:main"}]]
    }
    assert "reply_markup" not in render(Edit(501, 40, "No buttons"))[1]
    assert render(Edit(501, 40, None)) == (
        "editMessageReplyMarkup",
        {"chat_id": 501, "message_id": 40, "reply_markup": {"inline_keyboard": []}},
    )


def test_files_copies_and_leaving() -> None:
    assert render(SendFile(5, "photo", path=Path("/tmp/chart.png"), caption="Chart")) == (
        "sendPhoto",
        {
            "chat_id": 5,
            FILES_KEY: {"photo": "/tmp/chart.png"},
            "caption": "Chart",
            "parse_mode": "HTML",
        },
    )
    method, payload = render(SendFile(5, "document", data=b"hi", name="mydata.txt"))
    assert method == "sendDocument"
    assert payload[INLINE_KEY] == {"document": {"name": "mydata.txt", "b64": "aGk="}}
    assert render(SendFile(5, "document", file_id="d1"))[1] == {"chat_id": 5, "document": "d1"}
    assert render(Copy(-1001, 501, 7, "From Sara", quote=40)) == (
        "copyMessage",
        {
            "chat_id": -1001,
            "from_chat_id": 501,
            "message_id": 7,
            "caption": "From Sara",
            "parse_mode": "HTML",
            "reply_parameters": QUOTE,
        },
    )
    assert render(Leave(-5)) == ("leaveChat", {"chat_id": -5})
