"""What an operator sees when something outside the code is wrong (issue #14, items 10 and 13).

Each failure ends ``python -m bot …`` with ONE line on stderr naming the cause and the fix, a
non-zero exit status and no traceback; the bot token appears nowhere in the output. The Bot API
out of reach at start-up is not such a failure: ``run`` waits for it, one log line per attempt,
and serves as soon as it answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import ROOT
from bot.emulator.server import Emulator
from storage.db import Database
from tests.harness import BENEFICIARY, SECRET, STAFF_CHAT, Person, populate
from tests.subprocess_bot import BotProcess, ProcessApp

# a token of the real shape (bot id, 35 characters), which the emulator does not know: 401
REJECTED_TOKEN = "7412589630:AAF-rejected0token0never0printedXYZ"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_listening() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


def cli_env(workdir: Path, **settings: str) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TMPDIR")
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MUSTAFEED_DATA_DIR": str(workdir),
            "MUSTAFEED_SECRET_KEY": SECRET,
            "STAFF_CHAT_ID": str(STAFF_CHAT),
            "TELEGRAM_BOT_TOKEN": REJECTED_TOKEN,
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/bot.db",
        }
    )
    env.update(settings)
    return env


async def mustafeed(workdir: Path, *args: str, **settings: str) -> tuple[int, str, str]:
    """Run ``python -m bot ARGS`` in ``workdir``; its exit status, stdout and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=workdir,
        env=cli_env(workdir, **settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"still running after 60 s:\n{err.decode()}") from None
    return proc.returncode or 0, out.decode(), err.decode()


def one_line(status: int, out: str, err: str, *expected: str) -> str:
    """The failure was told in one line on stderr, with a non-zero status and no traceback."""
    lines = err.strip().splitlines()
    assert status != 0, (out, err)
    assert len(lines) == 1, err
    assert "Traceback" not in out + err
    assert REJECTED_TOKEN not in out + err and REJECTED_TOKEN.split(":")[1] not in out + err
    for part in expected:
        assert part in lines[0], lines[0]
    return lines[0]


async def test_rejected_token_is_one_line_and_never_printed(tmp_path: Path) -> None:
    async with Emulator() as emu:  # knows only its own token: answers 401 to any other
        for command in (["run"], ["webhook", "--host", "127.0.0.1", "--port", str(free_port())]):
            status, out, err = await mustafeed(
                tmp_path, *command, TELEGRAM_API_BASE_URL=emu.base_url
            )
            line = one_line(status, out, err, "TELEGRAM_BOT_TOKEN", "rejected", "@BotFather")
            assert status == 2, line


async def test_webhook_port_in_use(emu: Emulator, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = await mustafeed(
            tmp_path,
            "webhook",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            TELEGRAM_BOT_TOKEN="123:ABC",
            TELEGRAM_API_BASE_URL=emu.base_url,
        )
    one_line(status, out, err, f"127.0.0.1:{port}", "already in use", "--port")


async def test_postgres_on_a_closed_port(tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://mustafeed:pa55word@127.0.0.1:{free_port()}/mustafeed"
    report = [
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--out",
        str(tmp_path / "r.csv"),
    ]
    for command in (["run"], report):
        status, out, err = await mustafeed(tmp_path, *command, DATABASE_URL=url)
        line = one_line(status, out, err, "DATABASE_URL", "cannot be reached", "start the server")
        assert "pa55word" not in line


@pytest.mark.skipif(not postgres_listening(), reason="no PostgreSQL on 127.0.0.1:5432")
async def test_postgres_with_an_unknown_role_or_database(tmp_path: Path) -> None:
    role = "postgresql+asyncpg://no_such_role_mustafeed@127.0.0.1:5432/test"
    status, out, err = await mustafeed(tmp_path, "run", DATABASE_URL=role)
    assert status == 2
    one_line(status, out, err, "DATABASE_URL", "no_such_role_mustafeed", "role")

    database = "postgresql+asyncpg://127.0.0.1:5432/no_such_database_mustafeed"
    status, out, err = await mustafeed(tmp_path, "migrate", DATABASE_URL=database)
    one_line(status, out, err, "DATABASE_URL", "no_such_database_mustafeed", "createdb")


async def test_demo_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = await mustafeed(tmp_path, "demo", "--port", str(port))
        one_line(status, out, err, f"127.0.0.1:{port}", "already in use", "--port")

        # the page's port is free but the dashboard's (the next one) is not: the bot, already
        # started, is stopped again (its database thread used to keep the process from ending)
        with socket.socket() as free:
            try:
                free.bind(("127.0.0.1", port - 1))
            except OSError:
                pytest.skip("the port before the taken one is not free either")
        status, out, err = await mustafeed(tmp_path, "demo", "--port", str(port - 1))
        one_line(status, out, err, f"127.0.0.1:{port}", "already in use", "--port")


async def test_report_on_a_database_never_made_or_never_migrated(tmp_path: Path) -> None:
    report = [
        "report",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--out",
        str(tmp_path / "r.csv"),
        "--format",
        "csv",
    ]
    missing = tmp_path / "nowhere" / "mustafeed.db"
    status, out, err = await mustafeed(
        tmp_path, *report, DATABASE_URL=f"sqlite+aiosqlite:///{missing}"
    )
    one_line(status, out, err, str(missing), "does not exist", "mustafeed migrate")
    assert not missing.exists() and not missing.parent.exists()  # nothing left behind

    empty = tmp_path / "empty.db"
    empty.touch(mode=0o600)  # owner-only, as the bot makes it (else a warning line too)
    for command in (report, ["audit"]):
        status, out, err = await mustafeed(
            tmp_path, *command, DATABASE_URL=f"sqlite+aiosqlite:///{empty}"
        )
        one_line(status, out, err, "never migrated", "mustafeed migrate")
    assert not (tmp_path / "r.csv").exists()

    status, out, err = await mustafeed(
        tmp_path, "migrate", DATABASE_URL=f"sqlite+aiosqlite:///{empty}"
    )
    assert status == 0, err
    status, out, err = await mustafeed(
        tmp_path, *report, DATABASE_URL=f"sqlite+aiosqlite:///{empty}"
    )
    assert status == 0 and (tmp_path / "r.csv").is_file(), err


async def test_run_waits_for_the_bot_api_then_serves(tmp_path: Path, database_url: str) -> None:
    """Started while nothing listens where the Bot API should be: ``run`` logs one line per
    attempt (no traceback, no token) and answers /start once the server comes up."""
    port = free_port()
    api = SimpleNamespace(base_url=f"http://127.0.0.1:{port}/bot")
    bot = BotProcess(api, tmp_path, database_url)  # type: ignore[arg-type]
    db = Database(database_url)
    emu = Emulator(port=port)
    populate(emu)
    try:
        bot.start()
        log = tmp_path / "bot-1.log"

        async def waiting_lines() -> list[str]:
            text = log.read_text(errors="replace") if log.exists() else ""
            return [line for line in text.splitlines() if "cannot be reached" in line]

        for _ in range(600):  # two attempts failed: the bot is waiting, not dead
            if len(await waiting_lines()) >= 2 or bot.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert bot.proc.poll() is None, "the bot gave up:\n" + bot.output()
        lines = await waiting_lines()
        assert len(lines) >= 2, bot.output()
        assert all(
            f"127.0.0.1:{port}" in line and "TELEGRAM_API_BASE_URL" in line for line in lines
        )
        assert "Traceback" not in bot.output()

        await emu.start()
        person = Person(emu, ProcessApp(emu, db, bot), BENEFICIARY)  # type: ignore[arg-type]
        await person.say("/start")
        assert person.last()["chat"]["id"] == BENEFICIARY and person.text(), bot.output()
    finally:
        bot.stop()
        with contextlib.suppress(Exception):
            await emu.stop()
        await db.dispose()
    assert "Traceback" not in bot.output()


async def test_a_token_revoked_while_running_ends_run_in_one_line(
    emu: Emulator, tmp_path: Path, database_url: str
) -> None:
    """Today the poller stops without a word and the process idles; now ``run`` ends, naming
    the token (a supervisor restarts it and start-up says the same)."""
    bot = BotProcess(emu, tmp_path, database_url)
    db = Database(database_url)
    try:
        bot.start()
        person = Person(emu, ProcessApp(emu, db, bot), BENEFICIARY)
        await person.say("/start")
        emu._bots.clear()
        emu.send_text(BENEFICIARY, "مرحبا")  # ends the long poll under way
        for _ in range(600):
            if bot.proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert bot.proc.poll() == 2, bot.output()
    finally:
        bot.stop()
        await db.dispose()
    output = bot.output()
    assert "Traceback" not in output, output
    last = output.strip().splitlines()[-1]
    assert last.startswith(
        "mustafeed: configuration error: TELEGRAM_BOT_TOKEN is no longer accepted"
    )
