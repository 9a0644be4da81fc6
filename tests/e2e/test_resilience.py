"""Issue #6 "Nothing lost, nothing leaked": the bot survives kill -9, Bot API faults, people who
block it, and webhook delivery — no update lost, none processed twice, no message lost, every
message owed delivered once and in order per chat.

How "processed once" is told apart from "delivered at least once" (test a):

* Processing is exactly once: ``inbound_updates`` is the idempotency key and its ``pending → done``
  claim commits in the same transaction as the state change and the owed messages (outbox rows).
  So every update ends ``done`` exactly once, each of a person's N messages owes exactly N outbox
  rows, and the form advances once per answer (question 5, 6, 7 — never an answer applied twice).
* Delivery is at least once: a message Telegram took just before the kill, whose row was not yet
  marked ``sent``, is sent again after the restart. The sender sends one message at a time per
  chat and waits for its mark before the next, so a kill can repeat at most ONE message per chat,
  and the restarted sender starts with exactly that row. The check ties the chat's messages to
  the rows through ``result_message_id``: every row's recorded message is there, in row order;
  any other message must be an identical copy sent right before the recorded one, and there are
  at most as many copies in a chat as there were kills.
* Telegram's own at-least-once (an update re-delivered because the crash came between storing it
  and confirming the offset) is reproduced by pushing stored updates again: they change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy import text as sql_text
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.app import BotApp
from bot.emulator.server import Emulator
from bot.web.webhook import SECRET_HEADER, WEBHOOK_PATH, make_web_app, webhook_secret
from storage.db import Database, make_engine
from storage.models import Beneficiary, InboundUpdate, OutboxMessage, ServiceRequest
from tests.conftest import ON_POSTGRES
from tests.flows import SERVICE, fill_form, open_service, reference_in, submit
from tests.harness import BENEFICIARY, STAFF_CHAT, Person, make_settings, settle
from tests.subprocess_bot import BotProcess, ProcessApp, counts

BURST_USERS = (5001, 5002, 5003, 5004, 5005)
PER_USER = 10  # 50 text updates in the burst; under the per-person flood limit


def question_number(text: str) -> str:
    """ "السؤال ٥ من ١٣" → "٥" (the form's progress line)."""
    head = (text or "").split("\n", 1)[0]
    return head.split(" ")[1] if head.startswith("السؤال") else ""


def collapse_neighbour_repeats(texts: list[str]) -> tuple[list[str], int]:
    kept: list[str] = []
    for text in texts:
        if kept and kept[-1] == text:
            continue
        kept.append(text)
    return kept, len(texts) - len(kept)


async def assert_delivered_once_or_repeated_by_a_kill(
    db: Database,
    emu: Emulator,
    chat_id: int,
    before: dict[int, int],
    first_row: int,
    kills: int,
    owed: int,
) -> None:
    """``owed`` outbox rows for the chat since ``first_row``, all sent; every message the chat got
    is the one recorded for its row, except at most one per kill: a message Telegram took whose
    row was not yet marked sent, which must then be repeated right after, identical (a second
    kill in the same window repeats it once more)."""
    async with db.read() as session:
        rows = (
            await session.execute(
                select(OutboxMessage.status, OutboxMessage.result_message_id)
                .where(
                    OutboxMessage.chat_id == chat_id,
                    OutboxMessage.id >= first_row,
                    OutboxMessage.method == "sendMessage",
                )
                .order_by(OutboxMessage.id)
            )
        ).all()
    assert len(rows) == owed, (chat_id, rows)
    assert {r.status for r in rows} == {"sent"}
    recorded = [r.result_message_id for r in rows]
    got = emu.messages(chat_id)[before[chat_id] :]
    assert [m["message_id"] for m in got if m["message_id"] in recorded] == recorded, "order"
    orphans = [i for i, m in enumerate(got) if m["message_id"] not in recorded]
    assert len(orphans) <= kills, (chat_id, len(got), owed)
    for i in orphans:  # repeated (once more per later kill) up to the delivery that was recorded
        j = next((k for k in range(i + 1, len(got)) if got[k]["message_id"] in recorded), None)
        assert j is not None, (chat_id, "a message sent that no row owed")
        assert all(
            (got[k].get("text"), got[k].get("reply_markup"))
            == (got[j].get("text"), got[j].get("reply_markup"))
            for k in range(i, j)
        ), (chat_id, "a message sent that no row owed")


# -- a. kill -9 mid-form and mid-burst ---------------------------------------------------------
async def test_sigkill_mid_form_and_mid_burst(
    emu: Emulator, database_url: str, tmp_path, profile
) -> None:
    for uid in BURST_USERS:
        emu.add_user(uid, "مستفيد", str(uid), language_code="ar")
    bot = BotProcess(emu, tmp_path, database_url)
    db = Database(database_url).scoped(profile.association.id)
    kills = 0
    delivered: list[dict] = []  # what "Telegram" sent (stored encrypted, then stripped)
    push_numbered = emu.updates.push_numbered

    def record(update: dict) -> None:
        delivered.append(update)
        push_numbered(update)

    emu.updates.push_numbered = record  # type: ignore[method-assign]
    try:
        bot.start()
        proc_app = ProcessApp(emu, db, bot)
        person = Person(emu, proc_app, BENEFICIARY)  # type: ignore[arg-type]
        await person.say("/start")
        await person.press("أوافق")
        await open_service(person, profile)
        await person.say("محمد عبدالله سعيد الحربي")
        await person.say("1000000008")
        await person.share_contact("0551234567")
        assert question_number(person.text()) == "٤", person.text()
        for uid in BURST_USERS:  # the others consent first, so their messages change state
            other = Person(emu, proc_app, uid)  # type: ignore[arg-type]
            await other.say("/start")
            await other.press("أوافق")
        before = {uid: len(emu.messages(uid)) for uid in (*BURST_USERS, BENEFICIARY)}
        async with db.read() as session:
            first_row = (await session.scalar(select(func.max(OutboxMessage.id)))) + 1

        # the burst: 50 questions from five people, with two form answers among them
        for i in range(PER_USER):
            for uid in BURST_USERS:
                emu.send_text(uid, f"سؤال رقم {i} من {uid}: متى يفتح مقر الجمعية؟")
            if i == 3:
                emu.send_text(BENEFICIARY, "١٥/٠٥/١٤٠٠")  # question 4: birth date
            if i == 6:
                emu.send_text(BENEFICIARY, "٥")  # question 5: family size

        def answered() -> int:
            return sum(len(emu.messages(uid)) - before[uid] for uid in BURST_USERS)

        expected_total = len(BURST_USERS) * PER_USER
        await emu.wait_until(lambda: answered() >= 3, 30)
        bot.kill()  # 1st kill: in the middle of the burst
        kills += 1
        at_first_kill = answered()
        assert at_first_kill < expected_total, "the kill must land while answers are still owed"

        bot.start()
        await emu.wait_until(lambda: answered() >= at_first_kill + 3, 30)
        bot.kill()  # 2nd kill: while the restarted bot is catching up
        kills += 1
        assert answered() < expected_total, "the second kill must land while answers are still owed"

        bot.start()
        await proc_app.idle(60)

        # Telegram re-delivers what it was not told we received: stored updates, pushed again
        async with db.read() as session:
            stored = set((await session.scalars(select(InboundUpdate.update_id))).all())
        raws = [u for u in delivered if u["update_id"] in stored]
        for raw in random.Random(6).sample(raws, 12):
            emu.push_raw_update(dict(raw))
        # then one new message in every chat: a chat's updates are handled in order, so when its
        # answer is out, whatever the re-delivered ones caused is out too
        for uid in BURST_USERS:
            emu.send_text(uid, "شكرًا لكم")
        emu.send_text(BENEFICIARY, "3500")  # question 6, answered after all that
        await proc_app.idle(60)

        # every update stored once, and ended done (none pending, none failed, none missing)
        async with db.read() as session:
            rows = (
                await session.execute(select(InboundUpdate.update_id, InboundUpdate.status))
            ).all()
        assert len(rows) == len({r.update_id for r in rows})
        statuses = {r.status for r in rows}
        assert statuses == {"done"}, f"{await counts(db)}\n{bot.output()}"
        produced = {u for u in range(1, max(r.update_id for r in rows) + 1)}
        assert {r.update_id for r in rows} == produced, (
            "an update the emulator produced was never stored"
        )

        # each person's N messages: N answers owed (one outbox row each, processed once), and
        # delivered at least once, at most one repeat per kill (see the module's doc)
        for uid in (*BURST_USERS, BENEFICIARY):
            await assert_delivered_once_or_repeated_by_a_kill(
                db, emu, uid, before, first_row, kills, PER_USER + 1 if uid != BENEFICIARY else 3
            )
        # the form: answered once each, kept across both kills, resumed at the next question
        texts = [m.get("text") or "" for m in emu.messages(BENEFICIARY)[before[BENEFICIARY] :]]
        distinct, _ = collapse_neighbour_repeats(texts)
        assert [question_number(t) for t in distinct] == ["٥", "٦", "٧"], texts
        async with db.read() as session:
            draft = await session.scalar(select(ServiceRequest))
        fields = [f.id for f in profile.service(SERVICE).fields]
        assert set(draft.answers) == set(fields[:6]), draft.answers
        assert not [m for m in emu.messages(STAFF_CHAT) if "⚠️" in (m.get("text") or "")]
        bot.stop()
        output = bot.output(10**7)
        assert "Traceback" not in output, bot.output()
        assert "1000000008" not in output and "551234567" not in output  # and nothing personal
    finally:
        bot.stop()
        await db.dispose()


# -- b. 429, 502 and dropped connections ---------------------------------------------------------
async def test_faults_every_owed_message_once_and_in_order(emu: Emulator, app: BotApp) -> None:
    people = (6001, 6002, 6003, 6004)
    control = 6000
    for uid in (control, *people):
        emu.add_user(uid, "ريم", language_code="ar")  # one name: the same words owed to each
    script = ("/start", "/help", "/privacy", "/language")
    for text in script:  # the reference, without faults
        emu.send_text(control, text)
    await settle(emu, app)
    reference = [m["text"] for m in emu.messages(control)]
    assert len(reference) == len(script) and len(set(reference)) == len(script)

    emu.inject_fault("sendMessage", "429", count=3, retry_after=1)
    emu.inject_fault("sendMessage", "502", count=3)
    emu.inject_fault("sendMessage", "drop", count=3)
    for text in script:  # everybody at once, while Telegram misbehaves
        for uid in people:
            emu.send_text(uid, text)
    await settle(emu, app, timeout=60)

    failed = [c for c in emu.calls_to("sendMessage") if c.error]
    assert len(failed) == 9, "every injected fault was met"
    for uid in people:
        assert [m["text"] for m in emu.messages(uid)] == reference, uid
    async with app.db.read() as session:
        rows = (
            await session.execute(
                select(OutboxMessage.status, OutboxMessage.attempts).where(
                    OutboxMessage.chat_id.in_(people)
                )
            )
        ).all()
    assert len(rows) == len(people) * len(script) and {r.status for r in rows} == {"sent"}
    assert (
        sum(r.attempts for r in rows) >= len(rows) + 6
    )  # 502s and drops were retried (a 429 is waited out)
    assert not [m for m in emu.messages(STAFF_CHAT) if "⚠️" in (m.get("text") or "")]


# -- c. a beneficiary who blocked the bot ---------------------------------------------------------
async def test_blocked_beneficiary_is_marked_and_the_card_warns(
    consented: Person, staff: Person, profile, emu: Emulator, app: BotApp
) -> None:
    app.rt.flood_burst = 1000  # a whole form in a few seconds is not a flood here
    await open_service(consented, profile)
    await fill_form(consented, profile)
    reference = await submit(consented)
    warning = "لا يمكن الوصول إلى المستفيد"
    card = emu.messages(STAFF_CHAT)[0]
    assert reference in card["text"] and warning not in card["text"]

    # blocked, and the bot never hears of it (the my_chat_member update is lost): a 403 tells it
    emu.block(consented.user_id, notify=False)
    staff.seen = 0
    await staff.press("بدء الدراسة")
    async with app.db.read() as session:
        person = await session.scalar(
            select(Beneficiary).where(Beneficiary.telegram_user_id == consented.user_id)
        )
        refused = (
            await session.scalars(
                select(OutboxMessage.status).where(
                    OutboxMessage.chat_id == consented.user_id, OutboxMessage.status == "failed"
                )
            )
        ).all()
    assert person.unreachable_at is not None and refused
    await staff.press("قبول")  # the next refresh of the card carries the warning
    card = emu.message(STAFF_CHAT, card["message_id"])
    assert reference in card["text"] and warning in card["text"]

    # writing to the bot again means they unblocked it: the warning goes with the next refresh
    emu.unblock(consented.user_id)
    await consented.say("/status")
    async with app.db.read() as session:
        person = await session.scalar(
            select(Beneficiary).where(Beneficiary.telegram_user_id == consented.user_id)
        )
    assert person.unreachable_at is None


# -- d. webhook mode --------------------------------------------------------------------------------
@pytest.fixture
async def webhook_app(emu: Emulator, database_url: str, profile):
    bot_app = BotApp(make_settings(emu, database_url), profile, jobs_interval=0)
    await bot_app.prepare()
    runner = web.AppRunner(make_web_app(bot_app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    bot_app.webhook_url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    yield bot_app
    await runner.cleanup()
    await bot_app.stop()


async def stored(app: BotApp) -> dict[int, str]:
    async with app.db.read() as session:
        return dict(
            (await session.execute(select(InboundUpdate.update_id, InboundUpdate.status))).all()
        )


def text_update(update_id: int, user_id: int, text: str) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "text": text,
            "from": {"id": user_id, "is_bot": False, "first_name": "سارة"},
            "chat": {"id": user_id, "type": "private", "first_name": "سارة"},
        },
    }


async def test_webhook_secret_storage_and_once(emu: Emulator, webhook_app: BotApp) -> None:
    app = webhook_app
    url = app.webhook_url + WEBHOOK_PATH  # type: ignore[attr-defined]
    secret = webhook_secret(app.settings)
    update = text_update(900_001, BENEFICIARY, "/start")
    async with aiohttp.ClientSession() as http:
        # no secret, a wrong one, one that is only a prefix: 403, nothing stored
        for headers in (
            {},
            {SECRET_HEADER: "wrong"},
            {SECRET_HEADER: secret[:-1]},
            {SECRET_HEADER: secret + "x"},
        ):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        assert await stored(app) == {}

        # the right secret: the row exists when the 200 arrives (held back from processing here)
        held: list[dict] = []
        submit, app.intake.submit = app.intake.submit, held.append  # type: ignore[method-assign]
        try:
            async with http.post(url, json=update, headers={SECRET_HEADER: secret}) as response:
                assert response.status == 200
                assert await stored(app) == {900_001: "pending"}
        finally:
            app.intake.submit = submit  # type: ignore[method-assign]
        assert [u["update_id"] for u in held] == [900_001]
        submit(held[0])

        # Telegram posts it again (our 200 was lost), twice at once even: handled once
        results = await asyncio.gather(
            *[http.post(url, json=update, headers={SECRET_HEADER: secret}) for _ in range(3)]
        )
        assert [r.status for r in results] == [200, 200, 200]
        for r in results:
            r.release()
        await app.idle(10)
        assert await stored(app) == {900_001: "done"}
        assert len(emu.messages(BENEFICIARY)) == 1  # one greeting, not four

        async with http.get(app.webhook_url + "/healthz") as response:  # type: ignore[attr-defined]
            health = await response.json()
        assert response.status == 200 and health["ok"] is True
        assert health["updates_pending"] == 0 and health["outbox_pending"] == 0


async def test_emulator_webhook_delivery_with_wrong_then_right_secret(
    emu: Emulator, webhook_app: BotApp
) -> None:
    app = webhook_app
    from bot.channels.telegram.transport import call

    url = app.webhook_url + WEBHOOK_PATH  # type: ignore[attr-defined]
    await call(app.bot, "setWebhook", {"url": url, "secret_token": "not-our-secret"})
    emu.send_text(BENEFICIARY, "/start")
    await emu.wait_until(
        lambda: "403" in (emu.updates.webhook_info().get("last_error_message") or ""), 10
    )
    assert await stored(app) == {}  # refused, so Telegram keeps it and retries

    await call(app.bot, "setWebhook", {"url": url, "secret_token": webhook_secret(app.settings)})
    person = Person(emu, app, BENEFICIARY)
    await person.act(None)
    assert "خصوصيتك" in person.text()
    await person.press("أوافق")
    assert set((await stored(app)).values()) == {"done"} and len(await stored(app)) == 2


# -- the database fails for a moment ----------------------------------------------------------------
class FlakyDatabase:
    """The app's database, except that the next ``failures`` write transactions fail at once
    (a PostgreSQL restart, a locked SQLite file)."""

    def __init__(self, db: Database, failures: int) -> None:
        self._db, self.failures = db, failures

    def __getattr__(self, name: str):
        return getattr(self._db, name)

    def _fail_maybe(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise OperationalError("INSERT …", {}, Exception("database is locked"))

    @contextlib.asynccontextmanager
    async def write(self):
        self._fail_maybe()
        async with self._db.write() as session:
            yield session

    async def write_one(self, statement, params=None, **options):
        self._fail_maybe()
        return await self._db.write_one(statement, params, **options)


async def test_database_outage_while_storing_updates(emu: Emulator, app: BotApp) -> None:
    app.intake.db = FlakyDatabase(app.db, failures=2)  # type: ignore[assignment]
    person = Person(emu, app, BENEFICIARY)
    replies = await person.say("/start")  # fetched twice in vain, stored the third time
    assert replies and "خصوصيتك" in replies[-1]["text"]
    assert app.intake.db.failures == 0  # type: ignore[attr-defined]
    assert not [t for t in app._tasks if t.done()], "the poller must survive"
    replies = await person.say("/help")
    assert len(replies) == 1
    async with app.db.read() as session:
        assert (await session.scalars(select(InboundUpdate.status))).all() == ["done", "done"]


async def test_database_outage_while_recording_a_delivery(emu: Emulator, app: BotApp) -> None:
    app.sender.db = FlakyDatabase(app.db, failures=1)  # type: ignore[assignment]
    person = Person(emu, app, BENEFICIARY)
    replies = await person.say("/start")  # delivered; marking it sent fails once
    assert len(replies) == 1 and app.sender.db.failures == 0  # type: ignore[attr-defined]
    replies = await person.say("/help")  # the chat's queue goes on: not stuck, nothing repeated
    assert len(replies) == 1 and "/menu" in replies[0]["text"]
    assert len(emu.messages(BENEFICIARY)) == 2


def drop_after_commit(owner: object, name: str) -> list[object]:
    """From now on, the next call of ``owner.name`` (a unit of work, a ``write_one``) commits,
    then "loses its connection" before the answer (what ``retrying`` sees when the COMMIT
    reached the server and the link then broke); the list gets that first run's result."""
    real, dropped = getattr(owner, name), []

    async def committed_then_dropped(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = await real(*args, **kwargs)
        if not dropped:
            dropped.append(result)
            raise DBAPIError(
                "COMMIT",
                {},
                ConnectionError("server closed the connection"),
                connection_invalidated=True,
            )
        return result

    setattr(owner, name, committed_then_dropped)
    return dropped


async def test_commit_that_landed_before_its_connection_dropped_loses_no_answer(
    emu: Emulator, app: BotApp
) -> None:
    """The transaction is run again (``retrying``), finds the update handled and owes nothing
    itself; the answer the first run stored is sent all the same, once — not after a restart."""
    dropped = drop_after_commit(app.dispatcher, "_process")
    person = Person(emu, app, BENEFICIARY)
    replies = await person.say("/start")
    assert dropped and dropped[0] is not None  # the first run committed its answer
    assert replies and "خصوصيتك" in replies[-1]["text"]
    await settle(emu, app)
    assert len(emu.messages(BENEFICIARY)) == 1  # once, not twice
    async with app.db.read() as session:
        statuses = (await session.scalars(select(OutboxMessage.status))).all()
    assert statuses and set(statuses) == {"sent"}


async def test_updates_stored_before_the_drop_are_handled_at_once(
    emu: Emulator, app: BotApp
) -> None:
    """The intake's INSERT committed, then the connection dropped: run again, it finds the
    updates "seen before" — they are its own, and are handled now, once, not at a restart."""
    dropped = drop_after_commit(app.intake.db, "write_one")
    person = Person(emu, app, BENEFICIARY)
    replies = await person.say("/start")
    assert dropped and dropped[0]  # the first INSERT stored the update
    assert replies and "خصوصيتك" in replies[-1]["text"]
    await settle(emu, app)
    assert len(emu.messages(BENEFICIARY)) == 1
    async with app.db.read() as session:
        assert (await session.scalars(select(InboundUpdate.status))).all() == ["done"]


async def test_a_submission_whose_commit_landed_before_the_drop_reaches_staff_once(
    emu: Emulator, app: BotApp, profile
) -> None:
    """The same on the submission: the reference to the person and the case's card to the
    staff group (another chat than the update's), each once."""
    person = Person(emu, app, BENEFICIARY)
    await person.say("/start")
    await person.press("أوافق")
    await open_service(person, profile)
    await fill_form(person, profile)
    await person.press("كل شيء صحيح")
    dropped = drop_after_commit(app.dispatcher, "_process")
    replies = await person.press("أُقِرّ وأرسِل")
    assert dropped and dropped[0] is not None
    reference = reference_in((replies[-1] if replies else person.last())["text"], "REQ")
    await settle(emu, app)
    cards = [m for m in emu.messages(STAFF_CHAT) if reference in (m.get("text") or "")]
    assert len(cards) == 1
    told = [m for m in emu.messages(BENEFICIARY) if reference in (m.get("text") or "")]
    assert len(told) == 1
    async with app.db.read() as session:
        statuses = (await session.scalars(select(OutboxMessage.status))).all()
    assert "pending" not in statuses


# -- PostgreSQL restarted: the pooled connections are dead ---------------------------------------
async def drop_pooled_connections(app: BotApp) -> int:
    """End every server connection of the bot's pool (what a PostgreSQL restart does to them),
    keeping the cluster link's two (its chat locks and leases have their own recovery)."""
    link = app.db.database._link
    keep = [
        conn.get_server_pid()
        for conn in ((link._conn, link._lease_conn) if link else ())
        if conn is not None and not conn.is_closed()
    ]
    engine = make_engine(app.db.url)
    try:
        async with engine.connect() as conn:
            ended = await conn.execute(
                sql_text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND backend_type = 'client backend' AND NOT (pid = ANY(:keep))"
                ),
                {"keep": keep},
            )
            return len(ended.all())
    finally:
        await engine.dispose()


@pytest.mark.skipif(not ON_POSTGRES, reason="a pool of server connections: PostgreSQL")
async def test_dead_pooled_connections_cost_no_update(emu: Emulator, app: BotApp) -> None:
    """No pre-ping at checkout (a round trip per transaction): a transaction that finds its
    connection dead is run again on a new one, so the update is stored and handled, not failed."""
    person = Person(emu, app, BENEFICIARY)
    await person.say("/start")
    await person.press("أوافق")
    await settle(emu, app)
    sent = len(emu.messages(BENEFICIARY))
    assert await drop_pooled_connections(app) > 0
    update = text_update(900_101, BENEFICIARY, "/help")
    assert await app.intake.store([update]) == [update]  # stored on a new connection
    assert await drop_pooled_connections(app) > 0
    await app.dispatcher.handle(900_101, update)  # claimed and handled on a new one
    await settle(emu, app)
    assert (await stored(app))[900_101] == "done"
    replies = emu.messages(BENEFICIARY)[sent:]
    assert len(replies) == 1 and "/menu" in replies[0]["text"]


# -- SQLite locked by another process (a backup, a migration, a second tool) ----------------------
@pytest.mark.sqlite_only
async def test_a_lock_held_elsewhere_is_waited_out_off_the_event_loop(
    emu: Emulator, app: BotApp, database_url: str
) -> None:
    """Statements run inline on the loop with SQLite's busy timeout at 0 (storage/db.py); a lock
    held by another connection must send the statement to aiosqlite's thread to wait, never
    freeze the loop, and the person still gets the answer once the lock is gone."""
    import sqlite3
    import time

    person = Person(emu, app, BENEFICIARY)
    await person.say("/start")
    other = sqlite3.connect(database_url.split(":///", 1)[1], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held by someone else
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    try:
        emu.send_text(BENEFICIARY, "/help")
        await asyncio.sleep(1.5)
        assert len(emu.messages(BENEFICIARY)) == 1, "nothing can be written while the lock is held"
        other.execute("COMMIT")
        await settle(emu, app)
    finally:
        ticking.cancel()
        other.close()
    assert max(gaps) < 0.5, f"the event loop stood still for {max(gaps):.2f}s"
    assert len(emu.messages(BENEFICIARY)) == 2 and "/menu" in emu.messages(BENEFICIARY)[-1]["text"]
    async with app.db.read() as session:
        assert set((await session.scalars(select(InboundUpdate.status))).all()) == {"done"}
