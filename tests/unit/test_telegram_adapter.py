"""The Telegram adapter: raw Bot API updates parsed into Events, neutral messages rendered into
Bot API calls."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.telegram.adapter import Malformed, parse_update, render, render_markup
from bot.engine.events import Kind
from bot.engine.keyboards import FORCE_REPLY, REMOVE_KEYBOARD, ask_for, button, cb, inline, url_button
from bot.engine.messages import Copy, Edit, Leave, Say, SendFile
from bot.engine.outbox import FILES_KEY, INLINE_KEY

USER = {"id": 501, "is_bot": False, "first_name": "Sara", "last_name": "Ali", "language_code": "en"}
PRIVATE = {"id": 501, "type": "private", "first_name": "Sara"}
GROUP = {"id": -1001, "type": "supergroup", "title": "Staff"}


def message(**fields):  # noqa: ANN003, ANN201
    return {"message_id": 7, "date": 1, "chat": PRIVATE, "from": USER, **fields}


def test_text() -> None:
    event = parse_update({"update_id": 1, "message": message(text="hello")})
    assert event.kind is Kind.TEXT and event.text == "hello" and event.update_id == 1
    assert (event.chat_id, event.chat_type, event.user_id, event.message_id) == (501, "private", 501, 7)
    assert (event.first_name, event.user_name, event.language_code) == ("Sara", "Sara Ali", "en")
    assert event.callback_id is None and event.file is None and event.command is None


def test_command_addressed_to_us_or_another_bot() -> None:
    event = parse_update({"update_id": 2, "message": message(text="/Start@MustafeedBot req_5")}, "mustafeedbot")
    assert event.kind is Kind.COMMAND and (event.command, event.command_args) == ("start", "req_5")
    other = parse_update({"update_id": 3, "message": message(text="/start@OtherBot")}, "MustafeedBot")
    assert other.kind is Kind.TEXT and other.command is None


def test_button_press() -> None:
    raw = {"update_id": 4, "callback_query": {
        "id": "cq1", "from": USER, "chat_instance": "x", "data": cb("req", "yn", 12, 3, 1),
        "message": message(message_id=40, text="Question?", **{"from": {"id": 1, "is_bot": True, "first_name": "B"}})}}
    event = parse_update(raw)
    assert event.kind is Kind.ACTION and event.is_action and event.callback_id == "cq1"
    assert event.action is not None and (event.action.namespace, event.action.action) == ("req", "yn")
    assert event.action.args == ("12", "3", "1")
    assert (event.chat_id, event.message_id, event.message_has_text, event.user_id) == (501, 40, True, 501)
    assert event.text is None  # the button's message is not something the person wrote


def test_forged_button_data_has_no_action() -> None:
    raw = {"update_id": 5, "callback_query": {"id": "cq2", "from": USER, "chat_instance": "x", "data": "رقم:١"}}
    event = parse_update(raw)
    assert event.kind is Kind.ACTION and event.action is None and event.chat_id is None


def test_photo_is_its_largest_size() -> None:
    sizes = [{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90, "file_size": 100},
             {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900, "file_size": 9000}]
    event = parse_update({"update_id": 6, "message": message(photo=sizes, caption="id", media_group_id="g1")})
    assert event.kind is Kind.FILE and event.caption == "id" and event.media_group_id == "g1"
    assert event.attached_file() == {"kind": "photo", "file_id": "big", "file_unique_id": "b",
                                     "file_size": 9000, "mime_type": "image/jpeg", "file_name": None}


def test_document() -> None:
    doc = {"file_id": "d1", "file_unique_id": "u1", "file_name": "id.pdf", "mime_type": "application/pdf",
           "file_size": 2048}
    event = parse_update({"update_id": 7, "message": message(document=doc)})
    assert event.kind is Kind.FILE
    assert event.attached_file() == {"kind": "document", "file_id": "d1", "file_unique_id": "u1",
                                     "file_size": 2048, "mime_type": "application/pdf", "file_name": "id.pdf"}


def test_voice_is_not_an_attached_file() -> None:
    voice = {"file_id": "v1", "file_unique_id": "vu", "duration": 3, "mime_type": "audio/ogg"}
    event = parse_update({"update_id": 8, "message": message(voice=voice)})
    assert event.kind is Kind.VOICE and event.file is not None and event.file.kind == "voice"
    assert event.attached_file() is None


def test_location_and_venue() -> None:
    event = parse_update({"update_id": 9, "message": message(location={"latitude": 24.7, "longitude": 46.6})})
    assert event.kind is Kind.LOCATION and event.location == (24.7, 46.6)
    venue = {"location": {"latitude": 21.5, "longitude": 39.2}, "title": "T", "address": "A"}
    assert parse_update({"update_id": 10, "message": message(venue=venue)}).location == (21.5, 39.2)


def test_contact() -> None:
    contact = {"phone_number": "+966551234567", "first_name": "Sara", "user_id": 501}
    event = parse_update({"update_id": 11, "message": message(contact=contact)})
    assert event.kind is Kind.CONTACT
    assert event.contact is not None and (event.contact.phone_number, event.contact.user_id) == ("+966551234567", 501)


def test_reply_in_the_staff_group() -> None:
    colleague = {"id": 777, "is_bot": False, "first_name": "Omar"}
    replied = {"message_id": 90, "date": 1, "chat": GROUP, "from": colleague, "text": "hi"}
    event = parse_update({"update_id": 12, "message": message(chat=GROUP, text="/grant researcher",
                                                             reply_to_message=replied)}, "bot")
    assert event.kind is Kind.COMMAND and event.command == "grant" and event.command_args == "researcher"
    assert (event.chat_id, event.chat_type) == (-1001, "supergroup")
    assert (event.reply_to_message_id, event.reply_to_user_id, event.reply_to_is_bot) == (90, 777, False)


def test_edited_message() -> None:
    event = parse_update({"update_id": 13, "edited_message": message(text="/start", edit_date=2)}, "bot")
    assert event.kind is Kind.EDITED and event.text == "/start" and event.command is None


def test_my_chat_member() -> None:
    raw = {"update_id": 14, "my_chat_member": {
        "chat": PRIVATE, "from": USER, "date": 1,
        "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "B"}},
        "new_chat_member": {"status": "kicked", "until_date": 0, "user": {"id": 1, "is_bot": True, "first_name": "B"}}}}
    event = parse_update(raw)
    assert event.kind is Kind.MEMBER and event.member_status == "kicked" and event.is_private
    assert event.chat_id == 501


def test_nothing_to_read() -> None:
    event = parse_update({"update_id": 15, "poll_answer": {"poll_id": "p", "option_ids": [0], "user": USER}})
    assert event.kind is Kind.OTHER and event.chat_id is None and event.message_id is None


@pytest.mark.parametrize("raw", [
    {"update_id": 16, "message": "not an object"},
    {"update_id": 17, "message": {"message_id": 1, "from": USER, "text": "no chat, no date"}},
    {"update_id": 18, "callback_query": {"id": "q", "data": "menu:main"}},
    {"update_id": 19, "poll": {"id": "2", "question": "?"}},
    {"update_id": 20, "message": message(poll={"id": "1", "question": "?", "total_voter_count": 0})},
])
def test_malformed_updates_raise(raw) -> None:  # noqa: ANN001
    with pytest.raises(Malformed):
        parse_update(raw)


# -- render ------------------------------------------------------------------------------------
def test_buttons() -> None:
    keyboard = inline([[button("Yes", cb("req", "yn", 1, 0, 1)), button("No", cb("req", "yn", 1, 0, 0))],
                       [], [url_button("Open", "https://example.org")]])
    method, payload = render(Say(501, "Question?", keyboard))
    assert method == "sendMessage"
    assert payload == {"chat_id": 501, "text": "Question?", "parse_mode": "HTML",
                       "link_preview_options": {"is_disabled": True},
                       "reply_markup": {"inline_keyboard": [
                           [{"text": "Yes", "callback_data": "req:yn:1:0:1"},
                            {"text": "No", "callback_data": "req:yn:1:0:0"}],
                           [{"text": "Open", "url": "https://example.org"}]]}}


def test_contact_and_location_requests() -> None:
    assert render_markup(ask_for("contact", "Share my number", placeholder="or type it")) == {
        "keyboard": [[{"text": "Share my number", "request_contact": True}]], "resize_keyboard": True,
        "one_time_keyboard": True, "input_field_placeholder": "or type it"}
    assert render_markup(ask_for("location", "Share my location"))["keyboard"] == [
        [{"text": "Share my location", "request_location": True}]]
    assert render(Say(501, "Received", REMOVE_KEYBOARD))[1]["reply_markup"] == {"remove_keyboard": True}


def test_force_reply_quoting_a_message() -> None:
    method, payload = render(Say(-1001, "Reply with the details", FORCE_REPLY, quote=40))
    assert method == "sendMessage"
    assert payload["reply_markup"] == {"force_reply": True, "selective": True}
    assert payload["reply_parameters"] == {"message_id": 40, "allow_sending_without_reply": True}


def test_edit_in_place() -> None:
    method, payload = render(Edit(501, 40, "Updated", inline([[button("Menu", cb("menu", "main"))]])))
    assert method == "editMessageText"
    assert payload["chat_id"] == 501 and payload["message_id"] == 40 and payload["text"] == "Updated"
    assert payload["reply_markup"] == {"inline_keyboard": [[{"text": "Menu", "callback_data": "menu:main"}]]}
    assert "reply_markup" not in render(Edit(501, 40, "No buttons"))[1]
    assert render(Edit(501, 40, None)) == ("editMessageReplyMarkup", {
        "chat_id": 501, "message_id": 40, "reply_markup": {"inline_keyboard": []}})


def test_files_copies_and_leaving() -> None:
    assert render(SendFile(5, "photo", path=Path("/tmp/chart.png"), caption="Chart")) == (
        "sendPhoto", {"chat_id": 5, FILES_KEY: {"photo": "/tmp/chart.png"}, "caption": "Chart", "parse_mode": "HTML"})
    method, payload = render(SendFile(5, "document", data=b"hi", name="mydata.txt"))
    assert method == "sendDocument" and payload[INLINE_KEY] == {"document": {"name": "mydata.txt", "b64": "aGk="}}
    assert render(SendFile(5, "document", file_id="d1"))[1] == {"chat_id": 5, "document": "d1"}
    assert render(Copy(-1001, 501, 7, "From Sara", quote=90)) == ("copyMessage", {
        "chat_id": -1001, "from_chat_id": 501, "message_id": 7, "caption": "From Sara", "parse_mode": "HTML",
        "reply_parameters": {"message_id": 90, "allow_sending_without_reply": True}})
    assert render(Leave(-5)) == ("leaveChat", {"chat_id": -5})
