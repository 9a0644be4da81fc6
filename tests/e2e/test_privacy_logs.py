"""Issue #6: nothing personal in the logs. A full flow — an application with a national ID and a
mobile, a hand-over question that repeats them, a staff reply, the supervisor's view of the full
data — runs with every logger at DEBUG (python-telegram-bot, httpx, httpcore, aiosqlite and
SQLAlchemy included) into a file; neither the national ID nor the mobile, in any of their forms,
may appear in it. The logging is set up the way ``mustafeed`` sets it up (``setup_logging``)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from bot.app import BotApp
from bot.emulator.server import Emulator
from bot.engine.service import setup_logging
from tests.flows import fill_form, open_service, submit
from tests.harness import STAFF_CHAT, TOKEN, Person

NATIONAL_ID = "1000000008"  # fill_form types it in Arabic-Indic digits: ١٠٠٠٠٠٠٠٠٨
MOBILE = "551234567"  # 0551234567, +966551234567, 966551234567 …
NOISY = (
    "httpx",
    "httpcore",
    "telegram",
    "telegram.Bot",
    "telegram.ext",
    "aiosqlite",
    "asyncpg",
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiohttp",
    "bot",
    "storage",
    "mustafeed",
)


def forms_of(digits: str) -> list[str]:
    arabic = digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    escaped = json.dumps(arabic)[1:-1]  # \u0661\u0660… as a JSON dump writes them
    return [digits, arabic, escaped, escaped.replace("\\", "\\\\")]


def leaks(text: str) -> list[str]:
    found = []
    needles = [
        *forms_of(NATIONAL_ID),
        *forms_of(MOBILE),
        *forms_of("0" + MOBILE),
        "+966" + MOBILE,
        "966" + MOBILE,
        "055 123 4567",
        "+966 55 123 4567",
    ]
    for needle in needles:
        for match in re.finditer(re.escape(needle), text):
            line_start = text.rfind("\n", 0, match.start()) + 1
            line_end = text.find("\n", match.end())
            found.append(text[line_start : line_end if line_end != -1 else None][:300])
    return found


@pytest.fixture
def debug_log(tmp_path: Path) -> Iterator[Path]:
    """Logging as ``mustafeed -v`` sets it up, then every logger forced down to DEBUG, into a file."""
    root = logging.getLogger()
    saved_factory, saved_handlers = logging.getLogRecordFactory(), list(root.handlers)
    saved_levels = {
        name: logging.getLogger(name).level for name in ("", *NOISY, "aiohttp.access", "alembic")
    }
    setup_logging(verbose=True)
    path = tmp_path / "debug.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        handler.close()
        for extra in [h for h in root.handlers if h not in saved_handlers]:  # basicConfig's, if any
            root.removeHandler(extra)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        logging.setLogRecordFactory(saved_factory)


async def test_no_national_id_or_mobile_in_debug_logs(
    debug_log: Path, consented: Person, staff: Person, emu: Emulator, app: BotApp, profile
) -> None:
    app.rt.flood_burst = 1000
    await open_service(consented, profile)
    await fill_form(consented, profile)  # ID ١٠٠٠٠٠٠٠٠٨, mobile 966551234567 (and wrong ones first)
    reference = await submit(consented)

    # a hand-over question that repeats both, in other formats
    await consented.press("القائمة")
    await consented.press("استفسار")
    await consented.press("التحدث مع فريق")
    await consented.say(
        f"رقم هويتي {NATIONAL_ID} وجوالي 0{MOBILE} أو +966{MOBILE} أو 055 123 4567، "
        f"هل وصل طلبي {reference}؟"
    )
    card = emu.last_message(STAFF_CHAT)
    # the group sees the question with its personal numbers masked, however they were typed
    assert "هل وصل طلبي" in card["text"] and NATIONAL_ID not in card["text"]
    assert "055 123 4567" not in card["text"] and MOBILE not in card["text"]
    await staff.say(
        f"وصلنا طلبك، وسنتصل بك على +966 55 123 4567 بخصوص الهوية {NATIONAL_ID}",
        reply_to_message_id=card["message_id"],
    )
    assert "سنتصل بك" in consented.text()
    staff.seen = 0
    await staff.press("البيانات الكاملة")  # the supervisor's private view of the full data
    assert any(NATIONAL_ID in (m.get("text") or "") for m in emu.messages(staff.user_id))

    for handler in logging.getLogger().handlers:
        handler.flush()
    text = debug_log.read_text(encoding="utf-8")
    assert "sendMessage" in text and "getUpdates" in text, "the debug log is not capturing the bot"
    assert not leaks(text), "\n".join(leaks(text)[:20])
    assert TOKEN not in text, "the bot token is in the log"


def test_redaction_net_catches_every_form(debug_log: Path) -> None:
    """What the payload-free loggers cannot promise (an exception's message, a careless log
    line), the scrubbing of every record catches — tracebacks included."""
    log = logging.getLogger("bot.test_privacy_logs")
    log.warning("answer %s from %s", NATIONAL_ID, "+966" + MOBILE)
    log.warning("escaped %s", json.dumps({"id": "١٠٠٠٠٠٠٠٠٨", "m": "٠٥٥١٢٣٤٥٦٧"}))
    log.warning("spaced 055 123 4567 and +966 55 123 4567 and 00966%s", MOBILE)
    log.warning("url http://127.0.0.1:1/bot%s/sendMessage", TOKEN)
    try:
        int(f"{NATIONAL_ID}x")
    except ValueError:
        log.exception("failed on 0%s", MOBILE)
    error = IntegrityError(
        "INSERT INTO dialogs (data) VALUES (?)", {"q": "اسمي سارة العتيبي"}, Exception("UNIQUE")
    )
    try:
        raise error  # (the traceback quotes this line, not the one above)
    except IntegrityError:
        log.exception("could not record")
    log.info("update 123456 (incident ABC123) took 0.25s")  # ordinary numbers stay
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = debug_log.read_text(encoding="utf-8")
    assert not leaks(text), "\n".join(leaks(text))
    assert TOKEN not in text and "bot<token>/sendMessage" in text
    assert "ValueError" in text and "<national-id>" in text and "<mobile>" in text
    assert "update 123456 (incident ABC123) took 0.25s" in text
    assert "IntegrityError" in text and "INSERT INTO dialogs" in text and "سارة العتيبي" not in text
