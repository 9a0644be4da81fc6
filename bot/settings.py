"""Configuration from the environment (and ``.env`` when present).

The names are a contract that tools, tests and deployments rely on:

TELEGRAM_BOT_TOKEN      the bot's token (required to run against Telegram or an emulator)
TELEGRAM_API_BASE_URL   python-telegram-bot's ``base_url`` (default Telegram's); the file base
                        URL follows from it (``…/bot`` → ``…/file/bot``)
STAFF_CHAT_ID           the staff group's chat id (a negative integer)
DATABASE_URL            SQLAlchemy URL; default ``sqlite+aiosqlite:///./data/mustafeed.db``;
                        PostgreSQL as ``postgresql+asyncpg://user@host/db``
MUSTAFEED_PROFILE       path of the association profile (YAML); default the bundled example
MUSTAFEED_SECRET_KEY    at least 32 characters; encrypts personal data at rest. When absent a
                        random key is made once and kept in ``./data/secret.key``
SUPERVISOR_IDS          comma-separated Telegram user ids of the supervisors
MUSTAFEED_HTTP_CLIENT   ``aiohttp`` (default) or ``httpx``: the library under python-telegram-bot's
                        request layer (see bot/channels/telegram/transport.py)
MUSTAFEED_OUTBOX_MAX_ATTEMPTS  tries of a message Telegram refuses for a passing reason (429,
                        5xx, timeouts, network) before it is given up (default 10)
MUSTAFEED_OUTBOX_MAX_AGE  seconds after which such a message is given up (default 21600, 6 h)
MUSTAFEED_JOURNAL_DAYS  days a handled update's row and a sent or failed message's row are kept
                        (``inbound_updates``, ``outbox``) before the daily prune deletes them
                        (default and least 7: a WhatsApp webhook may be redelivered for a week)
WHATSAPP_PHONE_NUMBER_ID  the WhatsApp Business phone number's id (Meta's app dashboard); when set,
                        WhatsApp is on and the four below are required (but the base URL)
WHATSAPP_ACCESS_TOKEN   the permanent (system user) token for the Graph API
WHATSAPP_APP_SECRET     the Meta app's secret: webhooks are signed with it (X-Hub-Signature-256)
WHATSAPP_VERIFY_TOKEN   the word Meta repeats when it verifies the webhook URL
WHATSAPP_API_BASE_URL   the Graph API (default ``https://graph.facebook.com/v21.0``; the demo
                        and the tests point it at the emulator)

A missing or malformed setting raises ``ConfigError`` with one line naming it; the command line
prints that line and exits with status 2.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

TELEGRAM_DEFAULT_BASE_URL = "https://api.telegram.org/bot"
WHATSAPP_DEFAULT_BASE_URL = "https://graph.facebook.com/v21.0"
DEFAULT_DATA_DIR = Path("data")
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/mustafeed.db"
MIN_SECRET_LENGTH = 32
HTTP_CLIENTS = ("aiohttp", "httpx")
JOURNAL_DAYS = 7  # days the journals keep a row (MUSTAFEED_JOURNAL_DAYS): the default and the least
log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line that names it."""


@dataclass(frozen=True)
class Settings:
    token: str | None = None
    api_base_url: str = TELEGRAM_DEFAULT_BASE_URL
    staff_chat_id: int | None = None
    database_url: str = DEFAULT_DATABASE_URL
    profile_path: Path | None = None
    secret_key: str = ""
    supervisor_ids: frozenset[int] = field(default_factory=frozenset)
    data_dir: Path = DEFAULT_DATA_DIR
    http_client: str = HTTP_CLIENTS[0]
    outbox_max_attempts: int = 10
    outbox_max_age: float = 6 * 3600.0
    journal_days: int = JOURNAL_DAYS
    whatsapp_phone_number_id: str | None = None
    whatsapp_access_token: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_api_base_url: str = WHATSAPP_DEFAULT_BASE_URL

    @property
    def whatsapp(self) -> bool:
        """WhatsApp is on when the phone number id is set (its companions are then checked)."""
        return bool(self.whatsapp_phone_number_id)

    @property
    def file_base_url(self) -> str:
        """``https://api.telegram.org/bot`` → ``https://api.telegram.org/file/bot``."""
        base = self.api_base_url.rstrip("/")
        head, sep, tail = base.rpartition("/")
        return f"{head}/file/{tail}" if sep else f"{base}/file/bot"

    def require_bot(self) -> Settings:
        """Check what talking to Telegram needs: a token and a staff chat."""
        if not self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set: put the token from @BotFather in it")
        if self.staff_chat_id is None:
            raise ConfigError(
                "STAFF_CHAT_ID is not set: the staff group's chat id, e.g. -1001234567890"
            )
        return self

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _parse_token(value: str) -> str:
    bot_id, sep, secret = value.partition(":")
    if not (sep and bot_id.isdigit() and secret and " " not in value):
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is malformed: expected '<digits>:<secret>' as given by @BotFather"
        )
    return value


def _parse_int(name: str, value: str, hint: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ConfigError(f"{name} is malformed: {value!r} is not an integer ({hint})") from None


def _parse_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    if not value.startswith(schemes):
        raise ConfigError(
            f"{name} is malformed: {value!r} should start with one of {', '.join(schemes)}"
        )
    return value


def _load_or_make_secret(data_dir: Path) -> str:
    """A key made once for this installation, so a demo or a first run needs no setup."""
    path = data_dir / "secret.key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def sqlite_file(database_url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.partition(":///")[2].partition("?")[0]
    return Path(path) if path and path != ":memory:" else None


def exposed_files(settings: Settings) -> list[Path]:
    """The secret key file and the SQLite database (with its -wal and -shm) when they exist and
    group or others may read them (or more)."""
    candidates = [settings.data_dir / "secret.key"]
    if (db := sqlite_file(settings.database_url)) is not None:
        candidates += [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return [p for p in candidates if p.is_file() and p.stat().st_mode & 0o077]


_warned: set[Path] = set()


def warn_exposed_files(settings: Settings) -> None:
    """One log line, once per process, naming the files others can read."""
    exposed = [p for p in exposed_files(settings) if p not in _warned]
    if exposed:
        _warned.update(exposed)
        names = " ".join(str(p) for p in exposed)
        log.warning(
            "readable by group or others (personal data or its key): %s; "
            "make them owner-only: chmod 600 %s",
            names,
            names,
        )


_WHATSAPP_COMPANIONS = (
    (
        "WHATSAPP_ACCESS_TOKEN",
        "whatsapp_access_token",
        "the permanent token of the Meta app's system user",
    ),
    ("WHATSAPP_APP_SECRET", "whatsapp_app_secret", "the Meta app's secret (App settings > Basic)"),
    (
        "WHATSAPP_VERIFY_TOKEN",
        "whatsapp_verify_token",
        "a word of your choice, given to Meta with the webhook URL",
    ),
)


def whatsapp_settings(get: Callable[[str], str | None], prefix: str = "") -> dict[str, Any]:
    """The WhatsApp settings: none when WHATSAPP_PHONE_NUMBER_ID is unset; otherwise all of them,
    or ``ConfigError`` naming the first one missing (``prefix``: a profile's own variables)."""
    phone_number_id = get("WHATSAPP_PHONE_NUMBER_ID")
    base_url = get("WHATSAPP_API_BASE_URL")
    found: dict[str, object] = {
        "whatsapp_api_base_url": _parse_url(
            prefix + "WHATSAPP_API_BASE_URL", base_url, ("http://", "https://")
        ).rstrip("/")
        if base_url
        else WHATSAPP_DEFAULT_BASE_URL
    }
    if phone_number_id is None:
        return found
    if not phone_number_id.isdigit():
        raise ConfigError(
            f"{prefix}WHATSAPP_PHONE_NUMBER_ID is malformed: {phone_number_id!r} is "
            "not the phone number's id (digits, from the app's WhatsApp > API setup "
            "page)"
        )
    found["whatsapp_phone_number_id"] = phone_number_id
    for name, attr, hint in _WHATSAPP_COMPANIONS:
        value = get(name)
        if value is None:
            raise ConfigError(
                f"{prefix}{name} is not set: WhatsApp is on "
                f"({prefix}WHATSAPP_PHONE_NUMBER_ID) and needs it: {hint}"
            )
        found[attr] = value
    return found


def load_settings(env: Mapping[str, str] | None = None, *, read_dotenv: bool = True) -> Settings:
    """Read the settings; ``env`` defaults to ``os.environ`` (after loading ``./.env``)."""
    if env is None:
        if read_dotenv and Path(".env").is_file():
            from dotenv import load_dotenv

            load_dotenv(".env", override=False)
        env = os.environ

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if value and value.strip() else None

    data_dir = Path(get("MUSTAFEED_DATA_DIR") or DEFAULT_DATA_DIR)
    token = get("TELEGRAM_BOT_TOKEN")
    base_url = get("TELEGRAM_API_BASE_URL")
    staff = get("STAFF_CHAT_ID")
    db_url = get("DATABASE_URL")
    profile = get("MUSTAFEED_PROFILE")
    secret = get("MUSTAFEED_SECRET_KEY")
    supervisors = get("SUPERVISOR_IDS")
    http_client = (get("MUSTAFEED_HTTP_CLIENT") or HTTP_CLIENTS[0]).lower()
    max_attempts = get("MUSTAFEED_OUTBOX_MAX_ATTEMPTS")
    max_age = get("MUSTAFEED_OUTBOX_MAX_AGE")
    journal = get("MUSTAFEED_JOURNAL_DAYS")

    if profile is not None and not Path(profile).is_file():
        raise ConfigError(f"MUSTAFEED_PROFILE is malformed: no file at {profile!r}")
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"MUSTAFEED_SECRET_KEY is malformed: {len(secret)} characters, at least {MIN_SECRET_LENGTH} needed"
        )
    if http_client not in HTTP_CLIENTS:
        raise ConfigError(
            f"MUSTAFEED_HTTP_CLIENT is malformed: {http_client!r} is not one of {', '.join(HTTP_CLIENTS)}"
        )
    staff_chat_id = (
        _parse_int("STAFF_CHAT_ID", staff, "the staff group's chat id, e.g. -1001234567890")
        if staff
        else None
    )
    if staff_chat_id is not None and staff_chat_id > 0:
        raise ConfigError(
            f"STAFF_CHAT_ID is malformed: {staff_chat_id} is not a group: a Telegram "
            "group's chat id is negative (e.g. -1001234567890); copy it with its minus sign"
        )
    supervisor_ids: set[int] = set()
    for part in (supervisors or "").split(","):
        if part.strip():
            supervisor_ids.add(
                _parse_int("SUPERVISOR_IDS", part, "comma-separated Telegram user ids")
            )

    outbox_max_attempts = (
        _parse_int("MUSTAFEED_OUTBOX_MAX_ATTEMPTS", max_attempts, "a count, e.g. 10")
        if max_attempts
        else 10
    )
    outbox_max_age = (
        _parse_int("MUSTAFEED_OUTBOX_MAX_AGE", max_age, "seconds, e.g. 21600") if max_age else 21600
    )
    whatsapp = whatsapp_settings(get)
    if outbox_max_attempts < 1 or outbox_max_age < 1:
        raise ConfigError(
            "MUSTAFEED_OUTBOX_MAX_ATTEMPTS and MUSTAFEED_OUTBOX_MAX_AGE must be at least 1"
        )
    journal_days = (
        _parse_int("MUSTAFEED_JOURNAL_DAYS", journal, "days, e.g. 30") if journal else JOURNAL_DAYS
    )
    if journal_days < JOURNAL_DAYS:
        raise ConfigError(
            f"MUSTAFEED_JOURNAL_DAYS must be at least {JOURNAL_DAYS}: an update id is kept that "
            "long against redeliveries (a WhatsApp webhook is retried for up to a week)"
        )

    settings = Settings(
        token=_parse_token(token) if token else None,
        api_base_url=_parse_url("TELEGRAM_API_BASE_URL", base_url, ("http://", "https://")).rstrip(
            "/"
        )
        if base_url
        else TELEGRAM_DEFAULT_BASE_URL,
        staff_chat_id=staff_chat_id,
        database_url=_parse_url(
            "DATABASE_URL",
            db_url,
            ("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://"),
        ).replace("postgresql://", "postgresql+asyncpg://", 1)
        if db_url
        else DEFAULT_DATABASE_URL,
        profile_path=Path(profile) if profile else None,
        secret_key=secret or _load_or_make_secret(data_dir),
        supervisor_ids=frozenset(supervisor_ids),
        data_dir=data_dir,
        http_client=http_client,
        outbox_max_attempts=outbox_max_attempts,
        outbox_max_age=float(outbox_max_age),
        journal_days=journal_days,
        **whatsapp,
    )
    warn_exposed_files(settings)
    return settings
