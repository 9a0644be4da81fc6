"""What every long-running command shares: logging without personal data, the profile from the
settings, the event loop, memory settling after start, and waiting for a signal to stop; and what
every command shares when something outside the code stops it: ``explain`` turns the failures an
operator can cause (a rejected token, the Bot API or PostgreSQL out of reach, an unknown role or
database, a port in use, a database never migrated) into one line naming the cause and the fix."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import re
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from bot.settings import ConfigError, Settings

STATUS_CONFIG = 2
"""Exit status when a setting is wrong (``ConfigError``: correct it, then start again)."""
STATUS_UNAVAILABLE = 1
"""Exit status when something the command needs is not there (a server down, a port taken)."""


class OperatorError(RuntimeError):
    """Something outside the code stops a command; the message is one line naming the cause and
    the fix. ``mustafeed`` prints it and exits with ``status`` — no traceback."""

    def __init__(self, message: str, status: int = STATUS_UNAVAILABLE) -> None:
        super().__init__(message)
        self.status = status


def setup_logging(verbose: bool = False) -> None:
    from bot.engine.logging_setup import install

    install()  # no personal data and no token in any log, at any level
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "telegram", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def profile_from_settings(settings: Settings, path: str | None = None):
    from bot.profile import ProfileError, default_profile_path, load_profile

    chosen = Path(path) if path else settings.profile_path or default_profile_path()
    try:
        return load_profile(chosen)
    except ProfileError as exc:
        raise ConfigError(f"MUSTAFEED_PROFILE is invalid ({chosen}):\n{exc}") from None


def run_service(coro) -> None:
    """Run a long-lived service (the bot, the webhook, the demo) on uvloop where it exists: a
    libuv event loop, about a fifth less CPU per update than asyncio's own under load
    (docs/benchmarks.md, *Load*). Everything else behaves the same; short commands keep
    ``asyncio.run``. SIGTERM or Ctrl+C while the service is still starting (waiting for the Bot
    API, say) ends it quietly; once it runs, ``until_signalled`` takes the signals over."""
    try:
        import uvloop
    except ImportError:  # e.g. Windows, where uvloop does not build
        asyncio.run(_stoppable(coro))
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(_stoppable(coro))


async def _stoppable(coro) -> None:
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(coro)
    signalled = False

    def stop() -> None:
        nonlocal signalled
        signalled = True
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no signal handlers
            loop.add_signal_handler(sig, stop)
    try:
        await task
    except asyncio.CancelledError:
        if not signalled:
            raise


def settle_memory() -> None:
    """Once a long-running service is up: what start-up loaded (modules, the profile, the FAQ
    index) is moved out of the cyclic collector's sight (``gc.freeze``), and the youngest
    generation is collected every 20,000 allocations instead of 700. The collector was 4% of
    the CPU per update, scanning the same start-up objects again and again (bench/load.py);
    reference counting still frees almost everything at once."""
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)


async def until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


# --------------------------------------------------------------------------------------------
# Failures an operator can cause, in one line each.


def where(database_url: str) -> str:
    """The database for a message: ``PostgreSQL at host:port/db`` or the SQLite file; never the
    password."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _database_failure(exc: BaseException, database_url: str) -> OperatorError | None:
    """The line for a failure to reach or enter the database, or None when ``exc`` is another."""
    place = where(database_url)
    for cause in _chain(exc):
        name = type(cause).__name__
        if name in ("InvalidAuthorizationSpecificationError", "InvalidPasswordError"):
            return OperatorError(
                f"DATABASE_URL: {place} refused the login ({first_line(cause)}): "
                "create the role, or put an existing user (and password) in "
                "DATABASE_URL",
                STATUS_CONFIG,
            )
        if name == "InvalidCatalogNameError":
            return OperatorError(
                f"DATABASE_URL: {place}: {first_line(cause)}: create it "
                "(createdb) or correct the name in DATABASE_URL",
                STATUS_CONFIG,
            )
        if isinstance(cause, (ConnectionError, TimeoutError, OSError)) and not isinstance(
            cause, FileNotFoundError
        ):
            return OperatorError(
                f"DATABASE_URL: {place} cannot be reached ({_reason(cause)}): "
                "start the server, or correct host and port in DATABASE_URL"
            )
        if name == "OperationalError" and "unable to open database file" in str(cause):
            return OperatorError(
                f"DATABASE_URL: {place} cannot be opened: check that its "
                "folder exists and can be written",
                STATUS_CONFIG,
            )
    return None


@contextlib.asynccontextmanager
async def database_errors(database_url: str) -> AsyncIterator[None]:
    """Inside: a failure to reach the database becomes an ``OperatorError`` naming it."""
    try:
        yield
    except OperatorError:
        raise
    except Exception as exc:
        failure = _database_failure(exc, database_url)
        if failure is None:
            raise
        raise failure from None


async def require_schema(database_url: str) -> None:
    """For commands that only read (report, audit, dashboard): the database exists and is
    migrated to this version's schema; otherwise one line saying so. A SQLite file that does
    not exist is not created (an empty file would hide the wrong path)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.engine import make_url

    from storage.migrate import alembic_config

    url = make_url(database_url)
    if (
        url.get_backend_name() == "sqlite"
        and url.database not in (None, "", ":memory:")
        and not Path(url.database).is_file()  # noqa: ASYNC240 (one stat at start-up)
    ):
        raise OperatorError(
            f"DATABASE_URL: {where(database_url)} does not exist: check "
            "DATABASE_URL and the working folder, or create it with "
            "`mustafeed migrate`",
            STATUS_CONFIG,
        )
    from storage.db import make_engine

    engine = make_engine(database_url)
    try:
        async with database_errors(database_url):
            async with engine.connect() as conn:
                current = await conn.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
    finally:
        await engine.dispose()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if current is None:
        raise OperatorError(
            f"DATABASE_URL: {where(database_url)} has no Mustafeed tables (never "
            "migrated): check DATABASE_URL, or create them with "
            "`mustafeed migrate`",
            STATUS_CONFIG,
        )
    if current != head:
        raise OperatorError(
            f"DATABASE_URL: {where(database_url)} is at schema {current}, this "
            f"version needs {head}: run `mustafeed migrate`",
            STATUS_CONFIG,
        )


_BIND_ADDRESS = re.compile(r"\('([^']*)', (\d+)")


def explain(
    exc: BaseException, *channels: Callable[[BaseException], OperatorError | None]
) -> OperatorError | None:
    """The one line for a failure an operator can cause, or None for anything else (a bug).
    ``channels``: each channel's own explanations (a rejected token, its API out of reach),
    e.g. ``bot.channels.telegram.failures.explain_telegram``."""
    for cause in _chain(exc):
        if isinstance(cause, OperatorError):
            return cause
        if isinstance(cause, ConfigError):
            return OperatorError(f"configuration error: {cause}", STATUS_CONFIG)
        for channel in channels:
            found = channel(cause)
            if found is not None:
                return found
        if isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE:
            found_address = _BIND_ADDRESS.search(str(cause))
            address = (
                f"{found_address.group(1)}:{found_address.group(2)}"
                if found_address
                else "the address"
            )
            return OperatorError(
                f"{address} is already in use by another program: stop it, or "
                "choose another port with --port"
            )
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and what caused it, outermost first (SQLAlchemy keeps the driver's in ``orig``)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [getattr(item, "orig", None), item.__cause__, item.__context__]
    return seen


def first_line(exc: BaseException) -> str:
    from bot.engine.logging_setup import redact

    text = str(exc).strip().splitlines()
    return redact(text[0]) if text else type(exc).__name__


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "no answer"
    return first_line(exc)
