"""What every long-running command shares: logging without personal data, the profile from the
settings, the event loop, memory settling after start, and waiting for a signal to stop."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from pathlib import Path

from bot.settings import ConfigError, Settings


def setup_logging(verbose: bool = False) -> None:
    from bot.engine.logging_setup import install

    install()  # no personal data and no token in any log, at any level
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "telegram", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def profile_from_settings(settings: Settings, path: str | None = None):  # noqa: ANN202
    from bot.profile import ProfileError, default_profile_path, load_profile

    chosen = Path(path) if path else settings.profile_path or default_profile_path()
    try:
        return load_profile(chosen)
    except ProfileError as exc:
        raise ConfigError(f"MUSTAFEED_PROFILE is invalid ({chosen}):\n{exc}") from None


def run_service(coro) -> None:  # noqa: ANN001
    """Run a long-lived service (the bot, the webhook, the demo) on uvloop where it exists: a
    libuv event loop, about a fifth less CPU per update than asyncio's own under load
    (docs/benchmarks.md, *Load*). Everything else behaves the same; short commands keep
    ``asyncio.run``."""
    try:
        import uvloop
    except ImportError:  # e.g. Windows, where uvloop does not build
        asyncio.run(coro)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coro)


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
