"""The SQLite file, its -wal and -shm are owner-only (0600) whatever the umask; an existing key
file or database readable by group or others is named in one warning at start (issue #14)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from sqlalchemy import text

from bot.settings import load_settings
from storage.db import Database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_database_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the common default: new files readable by everyone
    try:
        db = Database(f"sqlite+aiosqlite:///{tmp_path}/data/bot.db")
        async with db.write(unscoped=True) as session:
            await session.execute(text("CREATE TABLE t (x TEXT)"))
            await session.execute(text("INSERT INTO t VALUES ('1000000008')"))
        path = tmp_path / "data" / "bot.db"
        files = [path, path.with_name("bot.db-wal"), path.with_name("bot.db-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        assert mode(path.parent) == 0o700
        await db.dispose()
    finally:
        os.umask(old)


def test_exposed_key_and_database_are_named_once(tmp_path: Path, caplog) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_text("k" * 64 + "\n")
    (data / "bot.db").write_bytes(b"")
    os.chmod(data / "secret.key", 0o644)
    os.chmod(data / "bot.db", 0o640)
    env = {"MUSTAFEED_DATA_DIR": str(data), "DATABASE_URL": f"sqlite+aiosqlite:///{data}/bot.db"}
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        load_settings(env, read_dotenv=False)
        load_settings(env, read_dotenv=False)  # a second read at start: no second line
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.settings"]
    assert len(lines) == 1
    assert str(data / "secret.key") in lines[0] and str(data / "bot.db") in lines[0]


def test_owner_only_files_raise_no_warning(tmp_path: Path, caplog) -> None:
    data = tmp_path / "data"
    env = {"MUSTAFEED_DATA_DIR": str(data), "DATABASE_URL": f"sqlite+aiosqlite:///{data}/bot.db"}
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        load_settings(env, read_dotenv=False)  # makes the key file, 0600
        Database(env["DATABASE_URL"])  # makes the database file, 0600
        load_settings(env, read_dotenv=False)
    assert mode(data / "secret.key") == 0o600 and mode(data / "bot.db") == 0o600
    assert not [r for r in caplog.records if r.name == "bot.settings"]
