"""Issue #6: every kind of update a bot can receive, sent to the running bot through the emulator.
Each gets a polite Arabic answer or is ignored on purpose — never a traceback, never silence where
a person expects an answer — and the one error handler never fires for a valid update."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import BotApp
from bot.domain.textutil import clean_input
from bot.emulator.server import Emulator
from storage.models import InboundUpdate, ServiceRequest
from tests.flows import open_service
from tests.harness import OUTSIDER, STAFF_CHAT, Person, settle, typing_faster_than_anyone

FOREIGN_GROUP = -100777
CHANNEL = -100888
ARABIC = range(0x0600, 0x0700)
RTL_AND_INVISIBLE = "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u200e\u200f\ufeff\u2060"


def arabic(text: str | None) -> bool:
    return any(ord(c) in ARABIC for c in text or "")


def words(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


@pytest.fixture(autouse=True)
def watch_errors(caplog: pytest.LogCaptureFixture):
    """The error handler and the intake's last resort log at ERROR: none may fire here."""
    caplog.set_level(logging.WARNING)
    yield caplog
    handled = [
        r
        for r in caplog.records
        if r.name.startswith("bot.")
        and r.levelno >= logging.ERROR
        and "FAQ matcher" not in r.getMessage()
    ]
    assert not handled, [r.getMessage() for r in handled]


@pytest.fixture(autouse=True)
def no_flood_limit(app: BotApp) -> None:
    app.rt.flood_burst = 100_000  # hundreds of odd updates from one person on purpose


async def assert_clean(app: BotApp, emu: Emulator, *, failed: int = 0) -> None:
    """Nothing pending, only the malformed updates failed, and no incident reached the staff."""
    await settle(emu, app)
    async with app.db.read() as session:
        statuses = (await session.scalars(select(InboundUpdate.status))).all()
    assert "pending" not in statuses
    assert statuses.count("failed") == failed, statuses
    assert not incidents(emu)


def incidents(emu: Emulator) -> list[str]:
    """The error handler's notes to the staff group ("⚠️ … رقم الحادثة: ABC123")."""
    return [
        words(m)
        for m in emu.messages(STAFF_CHAT)
        if words(m).startswith("⚠️") and "الحادثة" in words(m)
    ]


async def answered(person: Person, update: Any) -> list[dict[str, Any]]:
    replies = await person.act(update)
    assert replies, f"silence after {str(update)[:200]}"
    assert all(arabic(words(m)) for m in replies), [words(m) for m in replies]
    return replies


async def ignored(person: Person, update: Any, *chats: int) -> None:
    before = {chat: len(person.emu.messages(chat)) for chat in (person.chat, *chats)}
    await person.act(update)
    after = {chat: len(person.emu.messages(chat)) for chat in before}
    assert after == before, f"expected no answer to {str(update)[:200]}"


# -- messages a person sends outside a form ---------------------------------------------------------
async def test_media_and_odd_messages_get_polite_answers(
    consented: Person, emu: Emulator, app: BotApp
) -> None:
    uid = consented.user_id
    await answered(consented, emu.send_sticker(uid))
    await answered(consented, emu.send_voice(uid, b"OggS voice"))
    await answered(consented, emu.send_video_note(uid, b"video note"))
    await answered(consented, emu.send_animation(uid, b"GIF89a"))
    await answered(consented, emu.send_contact(uid, "+966551234567", "سارة", contact_user_id=uid))
    await answered(consented, emu.send_contact(uid, "+966501112223", "خالد", contact_user_id=4242))
    await answered(consented, emu.send_contact(uid, "0501112223", "رقم بلا حساب"))
    await answered(consented, emu.send_location(uid, 24.7, 46.7))
    await answered(consented, emu.send_venue(uid, 24.7, 46.7, "مقر الجمعية", "الرياض"))
    await answered(consented, emu.send_poll(uid, "أي يوم أنسب؟", ["الأحد", "الاثنين"]))
    await answered(consented, emu.send_dice(uid))
    await answered(consented, emu.send_photo(uid, b"\x89PNG photo"))
    await answered(consented, emu.send_document(uid, b"%PDF-1.4", "x.pdf", "application/pdf"))
    sent = emu.send_text(uid, "/help")
    await consented.act(sent)
    await answered(
        consented, emu.edit_text(uid, sent["message_id"], "/menu")
    )  # an edit: asked to send anew
    await answered(consented, emu.send_text(uid, "/nosuchcommand"))
    await answered(
        consented, emu.send_text(uid, "/start@someone_else_bot")
    )  # not ours: a plain text
    await answered(consented, emu.send_text(uid, "/START"))
    await assert_clean(app, emu)


async def test_a_stranger_is_asked_for_consent_whatever_they_send(
    person: Person, emu: Emulator, app: BotApp
) -> None:
    uid = person.user_id
    for act in (
        lambda: emu.send_sticker(uid),
        lambda: emu.send_voice(uid, b"OggS"),
        lambda: emu.send_location(uid, 24.7, 46.7),
        lambda: emu.send_text(uid, "السلام عليكم"),
        lambda: emu.send_text(uid, "/status"),
    ):
        replies = await answered(person, act())
        assert "خصوصيتك" in words(replies[-1])
    await assert_clean(app, emu)


async def test_invisible_only_text_is_answered(
    consented: Person, emu: Emulator, app: BotApp
) -> None:
    await answered(consented, emu.send_text(consented.user_id, "\u200b\u200f\u2066"))


# -- chats that are not a private chat or the staff group -----------------------------------------
async def test_groups_channels_and_membership_changes(
    consented: Person, emu: Emulator, app: BotApp
) -> None:
    uid = consented.user_id
    emu.add_group(FOREIGN_GROUP, "مجموعة العائلة", members={uid: "member"}, bot_status="member")
    emu.add_channel(CHANNEL, "قناة الأخبار")
    in_group = Person(emu, app, uid, chat_id=FOREIGN_GROUP)
    for text in ("مرحبا بالجميع", "/start", "/start@mustafeed_bot", "/help"):
        await ignored(in_group, emu.send_text(uid, text, chat_id=FOREIGN_GROUP), uid)
    await ignored(in_group, emu.send_sticker(uid, chat_id=FOREIGN_GROUP), uid)
    await ignored(consented, emu.channel_post(CHANNEL, "خبر جديد"), CHANNEL)
    await ignored(
        consented,
        emu.push_raw_update(
            {
                "edited_channel_post": {
                    "message_id": 99,
                    "date": 1,
                    "chat": {"id": CHANNEL, "type": "channel", "title": "قناة"},
                    "text": "تعديل",
                }
            }
        ),
        CHANNEL,
    )

    # added to a foreign group: a polite word there, then it leaves
    newcomer = -100999
    added = Person(emu, app, OUTSIDER, chat_id=newcomer)
    replies = await added.act(
        emu.bot_added_to_group(OUTSIDER, newcomer, "مجموعة جديدة", status="member")
    )
    assert len(replies) == 1 and arabic(words(replies[0]))
    assert any(c.params.get("chat_id") == newcomer for c in emu.calls_to("leaveChat"))
    await ignored(in_group, emu.bot_removed(uid, FOREIGN_GROUP))

    # blocked and unblocked in private: nothing to say to someone who blocked us
    await ignored(consented, emu.block(uid))
    await ignored(consented, emu.unblock(uid))
    await answered(consented, emu.send_text(uid, "/help"))
    await assert_clean(app, emu)


# -- buttons: stale, forged, oversized, garbage -----------------------------------------------------
async def test_callbacks_stale_forged_oversized_and_garbage(
    consented: Person, emu: Emulator, app: BotApp, profile
) -> None:
    # someone else's draft request, to forge its ids
    other = Person(emu, app, OUTSIDER)
    await other.say("/start")
    await other.press("أوافق")
    await open_service(other, profile)
    await other.say("خالد محمد عبدالله القحطاني")
    async with app.db.read() as session:
        theirs = await session.scalar(select(ServiceRequest))
    before_answers = dict(theirs.answers)

    menu = consented.last()
    forged = [
        f"req:{action}:{theirs.id}"
        for action in ("resume", "restart", "pause", "declare", "sign", "review")
    ]
    forged += [
        f"req:edit:{theirs.id}:0",
        f"req:ch:{theirs.id}:6:rent",
        f"req:skip:{theirs.id}:12",
        f"rdoc:start:{theirs.id}",
        f"rdoc:done:{theirs.id}",
        f"sr:approve:{theirs.id}",
        "st:close:1",
        f"myreq:withdraw:{theirs.id}",
        f"myreq:show:{theirs.id}",
        "lang:set:xx",
    ]
    garbage = [
        "",
        ":",
        "::::",
        "menu:",
        "menu:nosuch",
        "req",
        "req::",
        "req:resume:",
        "req:resume:-1",
        "req:resume:99999999999999999999",
        "req:resume:²",
        "req:resume:١٢",
        "req:edit:1:٣٣",
        "req:ch:1:²:x",
        "x" * 64,
        "é" * 40,
        "\x00\x01\x02",
        "💥" * 16,
        "<b>x</b>",
        "../../etc/passwd",
    ]
    oversized = ["menu:main:" + "x" * 60, "req:resume:" + "9" * 80, "ا" * 65]
    stale = ["req:ch:424242:3:x", "faq:q:no-such-entry", "consent:maybe", "tk:old", "rate:5:424242"]
    for data in [*forged, *garbage, *oversized, *stale]:
        query = emu.press(consented.user_id, menu["message_id"], data, strict=False)
        await consented.act(query)
        answer = emu.callback_answer(query["id"])
        assert answer is not None, f"the button {data!r} was left spinning"
    async with app.db.read() as session:
        theirs = await session.scalar(select(ServiceRequest).where(ServiceRequest.id == theirs.id))
    assert theirs.answers == before_answers and theirs.status == "draft"
    assert "السؤال ٢" in other.text()  # their form, untouched, still at their question
    await assert_clean(app, emu)


# -- text: very long, invisible controls, markup ------------------------------------------------------
async def test_long_text_controls_and_markup(
    consented: Person, staff: Person, emu: Emulator, app: BotApp, profile
) -> None:
    uid = consented.user_id
    await answered(consented, emu.send_text(uid, "س" * 4096))
    await answered(consented, emu.send_text(uid, ("متى يفتح مقر الجمعية؟ " * 200)[:4096]))
    await answered(consented, emu.send_text(uid, "\u202eمتى\u200b يفتح\u200d المقر\u2066؟\u2069"))
    await answered(
        consented,
        emu.send_text(uid, "<b>عريض</b> *نجمة* _مائل_ [رابط](http://x.y) `كود` &amp; <script>"),
    )
    await answered(consented, emu.send_text(uid, "🙂" * 50))

    # a hand-over with markup in it: the staff card shows it as typed, not rendered
    await consented.press("استفسار")
    await consented.press("التحدث مع فريق")
    question = "سؤالي <b>مهم</b> & <i>عاجل</i> <a href='http://evil.example'>هنا</a> *نجمة* </code> <tg-spoiler>"
    await consented.say(question)
    card = emu.last_message(STAFF_CHAT)
    assert card is not None
    assert "<b>مهم</b>" in card["text"] and "<a href='http://evil.example'>هنا</a>" in card["text"]
    assert "&lt;b&gt;مهم&lt;/b&gt;" in card["raw_text"]  # sent escaped, shown as typed
    # the staff answer with markup in it reaches the person as typed, too
    await staff.say("الجواب <b>هنا</b> & <u>هناك</u>", reply_to_message_id=card["message_id"])
    assert "<b>هنا</b> & <u>هناك</u>" in consented.text()

    # in a form: a 4096-character name and a name full of controls are refused kindly
    await consented.say("/menu")
    await open_service(consented, profile)
    replies = await answered(consented, emu.send_text(uid, "ا" * 4096))
    assert "السؤال ١" in words(replies[-1])
    replies = await answered(consented, emu.send_text(uid, "\u202e\u200b\u200d\u2066"))
    assert "السؤال ١" in words(replies[-1])
    await assert_clean(app, emu)


async def test_nul_in_what_a_person_sends_is_stored_without_it(
    consented: Person, staff: Person, emu: Emulator, app: BotApp, profile
) -> None:
    """NUL is a valid character in a Telegram string, and no PostgreSQL text can hold one (CI
    found it through a command's arguments): every word a person sends that we keep goes in
    without it, in a form, a hand-over, a caption, a file name and a forged button."""
    uid = consented.user_id
    typing_faster_than_anyone(app)
    await answered(consented, emu.send_text(uid, "/ask متى\x00 يفتح المقر؟"))
    await answered(consented, emu.send_text(uid, "/menu\x00"))
    await consented.press("استفسار")
    await consented.press("التحدث مع فريق")
    await answered(consented, emu.send_text(uid, "سؤالي\x00 عن الدوام"))
    card = emu.last_message(STAFF_CHAT)
    assert card is not None and "سؤالي عن الدوام" in card["text"]
    await answered(consented, emu.send_text(uid, "وسؤال\x00 آخر"))  # a follow-up, as typed
    await consented.say("/menu")
    await answered(consented, emu.send_voice(uid, b"OggS"))  # a voice note opens a hand-over
    await answered(consented, emu.send_text(uid, "\x00وهذا ما قلته"))
    await answered(consented, emu.send_photo(uid, b"\x89PNG photo", caption="صورة\x00 الهوية"))
    await consented.act(emu.send_document(uid, b"%PDF-1.4", "عقد\x00.pdf", "application/pdf"))
    await consented.act(emu.press(uid, consented.last()["message_id"], "tk:x:\x00", strict=False))
    await consented.say("/menu")
    await open_service(consented, profile)
    replies = await answered(consented, emu.send_text(uid, "محمد\x00 عبدالله سعيد الحربي"))
    assert "السؤال ٢" in words(replies[-1])
    assert not incidents(emu)
    await assert_clean(app, emu)


# -- files in a form's document question ---------------------------------------------------------------
def document_update(
    uid: int, *, name: str, mime: str, size: int, kind: str = "document"
) -> dict[str, Any]:
    media: Any = {
        "file_id": f"BQAC-{name}-{size}",
        "file_unique_id": f"u-{name}-{size}",
        "file_size": size,
    }
    if kind == "document":
        media |= {"file_name": name, "mime_type": mime}
    elif kind == "photo":
        media = [media | {"width": 1280, "height": 960}]
    elif kind in ("video", "audio"):
        media |= {"duration": 3, "mime_type": mime} | (
            {"width": 1, "height": 1} if kind == "video" else {}
        )
    return {
        "message": {
            "message_id": 10_000 + size % 1000,
            "date": 1_700_000_000,
            "from": {"id": uid, "is_bot": False, "first_name": "سارة"},
            "chat": {"id": uid, "type": "private", "first_name": "سارة"},
            kind: media,
        }
    }


async def to_document_question(consented: Person, profile) -> None:
    uid, emu = consented.user_id, consented.emu
    service = profile.service("food-support")
    await open_service(consented, profile)
    await consented.say("محمد عبدالله سعيد الحربي")
    await consented.say("1000000008")
    replies = await answered(
        consented, emu.send_contact(uid, "0501112223", "خالد", contact_user_id=4242)
    )
    assert "السؤال ٣" in words(replies[-1])  # someone else's number is not theirs to give
    await consented.share_contact("0551234567")
    await consented.say("15/05/1400")
    await consented.say("5")
    await consented.say("3500")
    await consented.press(service.fields[6].choices[1].label.ar)
    await consented.press(service.fields[7].choices[0].label.ar)
    await consented.share_location()
    at_document = consented.text()
    assert "السؤال ١٠" in at_document, at_document


async def test_document_question_refuses_huge_and_wrong_files(
    consented: Person, emu: Emulator, app: BotApp, profile
) -> None:
    uid = consented.user_id
    await to_document_question(consented, profile)
    mb = 1024 * 1024
    refused = [
        document_update(uid, name="big.pdf", mime="application/pdf", size=25 * mb),
        document_update(uid, name="huge.jpg", mime="image/jpeg", size=21 * mb, kind="photo"),
        document_update(uid, name="setup.exe", mime="application/x-msdownload", size=1000),
        document_update(uid, name="id.pdf.exe", mime="application/octet-stream", size=1002),
        document_update(uid, name="clip.mp4", mime="video/mp4", size=1003, kind="video"),
        document_update(uid, name="song.mp3", mime="audio/mpeg", size=1004, kind="audio"),
        document_update(uid, name="nomime", mime="", size=1005),
    ]
    for update in refused:
        replies = await answered(consented, emu.push_raw_update(update))
        assert "السؤال ١٠" in words(replies[-1]), words(replies[-1])
    for act in (
        lambda: emu.send_sticker(uid),
        lambda: emu.send_voice(uid, b"OggS"),
        lambda: emu.send_animation(uid, b"GIF89a"),
        lambda: emu.send_text(uid, "سأرسلها لاحقًا"),
        lambda: emu.send_contact(uid, "0551234567", "سارة", uid),
    ):
        replies = await answered(consented, act())
        assert "السؤال ١٠" in words(replies[-1]), words(replies[-1])
    async with app.db.read() as session:
        draft = await session.scalar(select(ServiceRequest))
    assert "id_copy" not in draft.answers
    await consented.send_document(b"%PDF-1.4 id", "id.pdf", "application/pdf")
    assert "السؤال ١١" in consented.text()
    await assert_clean(app, emu)


async def test_document_whose_name_and_type_disagree_is_refused(
    consented: Person, emu: Emulator, app: BotApp, profile
) -> None:
    uid = consented.user_id
    await to_document_question(consented, profile)
    for update in (
        document_update(uid, name="id.pdf", mime="application/x-msdownload", size=1001),
        document_update(uid, name="scan.exe", mime="image/jpeg", size=1002),
    ):
        replies = await answered(consented, emu.push_raw_update(update))
        assert "السؤال ١٠" in words(replies[-1]), words(replies[-1])


# -- a malformed update --------------------------------------------------------------------------------
async def test_malformed_updates_are_recorded_failed_and_the_flow_goes_on(
    consented: Person, emu: Emulator, app: BotApp
) -> None:
    uid = consented.user_id
    sender = {"id": uid, "is_bot": False, "first_name": "سارة"}
    chat = {"id": uid, "type": "private", "first_name": "سارة"}
    broken = [
        {
            "message": {
                "message_id": 500,
                "date": 1,
                "from": sender,
                "chat": chat,  # a poll without options
                "poll": {"id": "1", "question": "؟", "total_voter_count": 0},
            }
        },
        {"poll": {"id": "2", "question": "بلا خيارات"}},  # a poll update missing required fields
        {"message": {"message_id": 501, "from": sender, "text": "بلا محادثة ولا تاريخ"}},
        {"callback_query": {"id": "q1", "data": "menu:main"}},  # no sender, no chat_instance
        {"message": "not an object"},
    ]
    for body in broken:
        emu.push_raw_update(body)
    replies = await answered(consented, emu.send_text(uid, "/help"))  # the next normal update
    assert "/menu" in words(replies[-1])
    async with app.db.read() as session:
        failed = (
            await session.scalars(
                select(InboundUpdate.error).where(InboundUpdate.status == "failed")
            )
        ).all()
    assert len(failed) == len(broken) and all(e.startswith("unparseable") for e in failed), failed
    # a future kind of update, valid but unknown to us: ignored on purpose, recorded done
    await ignored(consented, emu.push_raw_update({"some_future_update": {"id": 1, "chat": chat}}))
    await ignored(
        consented,
        emu.push_raw_update(
            {
                "message_reaction": {
                    "chat": chat,
                    "message_id": 1,
                    "date": 1,
                    "user": sender,
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                }
            }
        ),
    )
    await assert_clean(app, emu, failed=len(broken))


# -- random valid updates (property) ------------------------------------------------------------------
TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),  # Arabic
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji
        st.sampled_from(list(RTL_AND_INVISIBLE + "٠١٢٣٤٥٦٧٨٩<>&*_`[]()#/\\")),
    ),
    min_size=1,
    max_size=300,
).filter(clean_input)  # see test_invisible_only_text_is_answered
COMMAND = st.builds(
    lambda name, rest: f"/{name} {rest}".strip(),
    st.sampled_from(
        [
            "start",
            "menu",
            "help",
            "cancel",
            "status",
            "language",
            "privacy",
            "ask",
            "apply",
            "mydata",
            "x",
            "START",
            "start@mustafeed_bot",
            "ابدأ",
        ]
    ),
    st.text(max_size=40),
)
DIGITISH = st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=4)  # "١٢", "²", "߂"
CALLBACK = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda ns, action, args: ":".join([ns, action, *args]),
        st.sampled_from(
            [
                "req",
                "req",
                "rdoc",
                "myreq",
                "cmp",
                "menu",
                "lang",
                "faq",
                "tk",
                "sr",
                "st",
                "rate",
                "svc",
                "about",
                "x",
            ]
        ),  # not erase/consent: they end the session
        st.sampled_from(
            [
                "main",
                "apply",
                "ask",
                "resume",
                "sign",
                "edit",
                "ch",
                "yes",
                "no",
                "set",
                "start",
                "q",
                "cat",
                "person",
                "new",
                "show",
                "withdraw",
                "export",
                "",
            ]
        ),
        st.lists(
            st.one_of(st.integers(-5, 10**13).map(str), DIGITISH, st.text(max_size=8)), max_size=4
        ),
    ),
)
MEDIA = st.sampled_from(
    [
        "sticker",
        "voice",
        "video_note",
        "animation",
        "photo",
        "document",
        "location",
        "venue",
        "contact",
        "dice",
        "poll",
    ]
)
ACTION = st.one_of(
    st.tuples(st.just("text"), TEXT),
    st.tuples(st.just("text"), COMMAND),
    st.tuples(st.just("press"), CALLBACK),
    st.tuples(st.just("press"), CALLBACK),
    st.tuples(st.just("media"), MEDIA),
)


def perform(emu: Emulator, uid: int, kind: str, value: str, message_id: int) -> dict[str, Any]:
    if kind == "text":
        return emu.send_text(uid, value[:4096])
    if kind == "press":
        return emu.press(uid, message_id, value, strict=False)
    return {
        "sticker": lambda: emu.send_sticker(uid),
        "voice": lambda: emu.send_voice(uid, b"OggS"),
        "video_note": lambda: emu.send_video_note(uid, b"vn"),
        "animation": lambda: emu.send_animation(uid, b"GIF"),
        "photo": lambda: emu.send_photo(uid, b"\x89PNG"),
        "document": lambda: emu.send_document(uid, b"%PDF-1.4", "a.pdf", "application/pdf"),
        "location": lambda: emu.send_location(uid, 21.4, 39.8),
        "venue": lambda: emu.send_venue(uid, 21.4, 39.8, "مكان", "جدة"),
        "contact": lambda: emu.send_contact(uid, "0551234567", "سارة", uid),
        "dice": lambda: emu.send_dice(uid),
        "poll": lambda: emu.send_poll(uid, "؟", ["أ", "ب"]),
    }[value]()


async def test_random_updates_are_answered_or_ignored_never_an_error(
    consented: Person, emu: Emulator, app: BotApp
) -> None:
    loop = asyncio.get_running_loop()
    uid = consented.user_id
    # issue 12: a voice note, photo or file opens a hand-over, after which texts are a case's
    # follow-ups, each also a message in the staff group
    typing_faster_than_anyone(app)

    async def one(kind: str, value: str) -> None:
        anchor = consented.last()
        answers_before = len(emu.callback_answers)
        edits_before = sum(len(m["edits"]) for m in emu.messages(uid))
        update = perform(emu, uid, kind, value, anchor["message_id"])
        replies = await consented.act(update)
        edited = sum(len(m["edits"]) for m in emu.messages(uid)) > edits_before
        if kind == "press":
            assert emu.callback_answer(update["id"]) is not None, f"button {value!r} left spinning"
        else:
            assert replies or edited, f"silence after {kind} {value!r}"
        assert len(emu.callback_answers) >= answers_before
        for m in replies:
            assert words(m).strip(), f"an empty message after {kind} {value!r}"
        assert not incidents(emu), (
            f"the error handler fired after {kind} {value!r}: {incidents(emu)}"
        )

    @settings(
        max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=False
    )
    @given(ACTION)
    def check(action: tuple[str, str]) -> None:
        asyncio.run_coroutine_threadsafe(one(*action), loop).result(60)

    await asyncio.to_thread(check)
    await assert_clean(app, emu)
