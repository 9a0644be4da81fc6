"""MUSTAFEED_OUTBOX_MAX_ATTEMPTS / MUSTAFEED_OUTBOX_MAX_AGE (issue #14 item 12), MUSTAFEED_JOURNAL_DAYS."""

from __future__ import annotations

import pytest

from bot.settings import ConfigError, load_settings

BASE = {"MUSTAFEED_SECRET_KEY": "k" * 40}


def test_defaults_and_values() -> None:
    settings = load_settings(BASE, read_dotenv=False)
    assert (settings.outbox_max_attempts, settings.outbox_max_age) == (10, 21600.0)
    settings = load_settings(
        {**BASE, "MUSTAFEED_OUTBOX_MAX_ATTEMPTS": "3", "MUSTAFEED_OUTBOX_MAX_AGE": "600"},
        read_dotenv=False,
    )
    assert (settings.outbox_max_attempts, settings.outbox_max_age) == (3, 600.0)


@pytest.mark.parametrize(
    "name,value", [("MUSTAFEED_OUTBOX_MAX_ATTEMPTS", "many"), ("MUSTAFEED_OUTBOX_MAX_AGE", "0")]
)
def test_malformed_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match="MUSTAFEED_OUTBOX_MAX"):
        load_settings({**BASE, name: value}, read_dotenv=False)


def test_journal_days_default_value_and_floor() -> None:
    assert load_settings(BASE, read_dotenv=False).journal_days == 7
    settings = load_settings({**BASE, "MUSTAFEED_JOURNAL_DAYS": "30"}, read_dotenv=False)
    assert settings.journal_days == 30
    for value in ("3", "a month"):  # under a week: a redelivered webhook would be new again
        with pytest.raises(ConfigError, match="MUSTAFEED_JOURNAL_DAYS"):
            load_settings({**BASE, "MUSTAFEED_JOURNAL_DAYS": value}, read_dotenv=False)
