"""The foundation's contracts: catalogs, settings, schema, crypto, callback data, CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from bot import ROOT
from bot.engine.keyboards import cb, parse_cb
from bot.i18n import CatalogMissing, Text, translations, translator
from bot.settings import ConfigError, load_settings
from storage.crypto import Vault

sys.path.insert(0, str(ROOT / "scripts"))
import i18n as i18n_tool


def test_catalogs_are_complete_and_current() -> None:
    """Fails when code has a text the catalogs lack, or an Arabic translation is missing."""
    assert i18n_tool.problems() == []


def test_placeholders_match_in_arabic() -> None:
    import re

    catalog = i18n_tool.load("ar")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"{(\w+)}", ids[-1]))
        for s in strings:
            assert set(re.findall(r"{(\w+)}", s)) <= wanted, (message.id, s)


def test_arabic_plural_forms_and_fallback() -> None:
    ar = translator("ar")
    one = ar.ngettext(
        "The decision is due within {n} day of sending the request.",
        "The decision is due within {n} days of sending the request.",
        14,
    )
    assert "يومًا" in one  # 11–99 take the accusative singular
    assert "يومين" in ar.ngettext(
        "The decision is due within {n} day of sending the request.",
        "The decision is due within {n} days of sending the request.",
        2,
    )
    assert translator("fr-FR").locale == "ar" and translator("en-GB").locale == "en"
    assert Text("Status: {status}", status=Text("Closed")).render(ar) == "الحالة: مغلق"


def test_missing_catalog_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import bot.i18n as i18n

    translations.cache_clear()
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    try:
        with pytest.raises(CatalogMissing):
            translations("ar")
    finally:
        translations.cache_clear()


def test_settings_contract(tmp_path: Path) -> None:
    base = {"MUSTAFEED_DATA_DIR": str(tmp_path)}
    settings = load_settings(
        {
            **base,
            "TELEGRAM_BOT_TOKEN": "123:ABC",
            "STAFF_CHAT_ID": "-100123",
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
            "SUPERVISOR_IDS": "1, 2",
        },
        read_dotenv=False,
    )
    assert settings.file_base_url == "http://127.0.0.1:9/file/bot"
    assert settings.supervisor_ids == {1, 2} and settings.staff_chat_id == -100123
    assert len(settings.secret_key) >= 32 and (tmp_path / "secret.key").is_file()
    assert load_settings(base, read_dotenv=False).secret_key == settings.secret_key  # kept
    assert settings.http_client == "aiohttp"
    assert (
        load_settings({**base, "MUSTAFEED_HTTP_CLIENT": "HTTPX"}, read_dotenv=False).http_client
        == "httpx"
    )
    for env, name in [
        ({"TELEGRAM_BOT_TOKEN": "nonsense"}, "TELEGRAM_BOT_TOKEN"),
        ({"STAFF_CHAT_ID": "staff"}, "STAFF_CHAT_ID"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"MUSTAFEED_SECRET_KEY": "short"}, "MUSTAFEED_SECRET_KEY"),
        ({"SUPERVISOR_IDS": "1,x"}, "SUPERVISOR_IDS"),
        ({"MUSTAFEED_PROFILE": "/nope.yaml"}, "MUSTAFEED_PROFILE"),
        ({"MUSTAFEED_HTTP_CLIENT": "requests"}, "MUSTAFEED_HTTP_CLIENT"),
    ]:
        with pytest.raises(ConfigError, match=name):
            load_settings({**base, **env}, read_dotenv=False)
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        load_settings(base, read_dotenv=False).require_bot()


def test_cli_names_the_missing_setting(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "MUSTAFEED_DATA_DIR": str(tmp_path), "STAFF_CHAT_ID": "-1"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("mustafeed: configuration error: TELEGRAM_BOT_TOKEN")
    )
    assert "Traceback" not in result.stderr


def test_check_profile_cli(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "check-profile", str(ROOT / "profiles" / "maa.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "association: {id: x, name: جمعية}\nchannels: {phone: '0110000000'}\n"
        "services:\n  - id: s\n    title: خدمة\n    fields:\n      - {id: f, type: nid, label: رقم}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-profile", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "services[0].fields[0].type" in result.stdout


def test_vault_round_trip_context_and_rotation() -> None:
    vault = Vault("k" * 40)
    token = vault.encrypt("1000000008", "khairat/national_id")
    assert "1000000008" not in token and vault.decrypt(token, "khairat/national_id") == "1000000008"
    with pytest.raises(InvalidTag):
        vault.decrypt(token, "other/national_id")
    rotated = Vault("n" * 40, old_secrets=("k" * 40,))
    assert rotated.decrypt(token, "khairat/national_id") == "1000000008"
    assert vault.blind_index("1000000008") == Vault("k" * 40).blind_index("1000000008")
    assert vault.blind_index("1000000008") != rotated.blind_index("1000000008")


def test_callback_data_is_bounded_and_parsed() -> None:
    assert parse_cb(cb("req", "ch", 12, 3, "rented")).args == ("12", "3", "rented")
    with pytest.raises(ValueError):
        cb("x", "y" * 70)
    assert parse_cb("ز" * 40) is None  # 80 bytes: refused, never parsed
    assert parse_cb(None) is None and parse_cb("a:b:99999999999999").int_arg(0) is None
    # beyond PostgreSQL's INTEGER a forged id finds nothing (it used to fail the query there)
    assert parse_cb("a:b:3950343676").int_arg(0) is None
    assert parse_cb("a:b:2147483647").int_arg(0) == 2**31 - 1


async def test_migrations_match_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.db import Database
    from storage.models import Base

    db = Database(database_url)
    try:
        await db.migrate()
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
    finally:
        await db.dispose()
    assert diff == [], (
        "models changed without a migration: python scripts/new_migration.py 'what changed'"
    )


def test_arabic_keeps_the_html_tags_of_the_original() -> None:
    """Telegram refuses a message whose tags do not parse; a translation must keep them."""
    import re

    tag = re.compile(r"</?[a-z]+(?: [^>]*)?>")
    for message in i18n_tool.load("ar"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(tag.findall(ids[0]))
        for s in strings:
            assert sorted(tag.findall(s)) == wanted, (ids[0][:60], s[:80])


@pytest.mark.sqlite_only
async def test_sqlite_inline_and_offloaded_sessions_and_background_checkpoints(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """storage/db.py: short statements run on the loop's thread, long work (offload) in
    aiosqlite's, and WAL checkpoints happen in the background after writes."""
    import asyncio
    import threading

    from sqlalchemy import text

    import storage.db as storage_db
    from storage.db import Database

    checkpoints: list[str] = []
    real_checkpoint = storage_db._checkpoint
    monkeypatch.setattr(storage_db, "CHECKPOINT_EVERY", 0.05)
    monkeypatch.setattr(
        storage_db, "_checkpoint", lambda path: (checkpoints.append(path), real_checkpoint(path))
    )
    db = Database(database_url)
    try:
        await db.migrate()

        async def thread_of(session) -> int:
            raw = await (await session.connection()).get_raw_connection()
            driver = raw.driver_connection
            return await driver._execute(threading.get_ident)

        async with db.read(unscoped=True) as session:
            assert await thread_of(session) == threading.get_ident()
        async with db.read(unscoped=True, offload=True) as session:
            assert await thread_of(session) != threading.get_ident()
        async with db.write(unscoped=True) as session:
            await session.execute(
                text(
                    "INSERT INTO associations (id, name, created_at) VALUES ('x', 'x', '2026-01-01')"
                )
            )
        await asyncio.sleep(0.3)
        assert checkpoints, "a write is followed by a checkpoint off the loop"
    finally:
        await db.dispose()
