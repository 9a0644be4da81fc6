from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot import ROOT
from bot.emulator.server import Emulator
from bot.profile import Profile, load_profile
from storage.db import make_engine
from tests.harness import (
    BENEFICIARY,
    STAFF,
    STAFF_CHAT,
    Person,
    make_settings,
    populate,
    start_app,
    test_database_url,
)

ON_POSTGRES = bool(os.environ.get("MUSTAFEED_TEST_DATABASE_URL", "").startswith("postgresql"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: needs the SQLite file (backup, WAL)")


@pytest.fixture
def profile() -> Profile:
    return load_profile(ROOT / "profiles" / "khairat.yaml")


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    url = test_database_url(tmp_path)
    if url.startswith("postgresql"):
        engine = make_engine(url)
        async with engine.begin() as conn:  # a fresh schema for every test
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    yield url


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator()
    populate(emulator)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def app(emu: Emulator, database_url: str, profile: Profile):
    bot_app = await start_app(emu, make_settings(emu, database_url), profile)
    yield bot_app
    await bot_app.stop()


@pytest.fixture
def person(emu: Emulator, app) -> Person:
    return Person(emu, app, BENEFICIARY)


@pytest.fixture
def staff(emu: Emulator, app) -> Person:
    return Person(emu, app, STAFF, chat_id=STAFF_CHAT)


@pytest.fixture
async def consented(person: Person) -> Person:
    await person.say("/start")
    await person.press("أوافق")
    return person
