"""python-telegram-bot's real HTTP client, used raw.

We keep PTB for what it does well — the httpx client, request encoding (JSON fields, multipart
uploads), error mapping (``RetryAfter``, ``Forbidden``, ``BadRequest``, ``NetworkError``) and
the typed ``Update`` objects — but call the API with plain dicts, so that:

* ``getUpdates`` results are stored raw and parsed one update at a time (PTB's poller fails a
  whole batch when one update does not parse, and retries it forever);
* every owed message is a row in the outbox whose payload is the API call itself.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot
from telegram.request import HTTPXRequest

from bot.settings import Settings

POLL_TIMEOUT = 25  # seconds a getUpdates long poll may wait


def make_bot(settings: Settings, token: str | None = None, *, pool_size: int = 64) -> Bot:
    token = token or settings.token
    if not token:
        raise ValueError("a bot needs a token")
    return Bot(
        token,
        base_url=settings.api_base_url,
        base_file_url=settings.file_base_url,
        request=HTTPXRequest(connection_pool_size=pool_size, read_timeout=15, write_timeout=20,
                             connect_timeout=5, pool_timeout=5),
        get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=POLL_TIMEOUT + 10,
                                         connect_timeout=5),
    )


async def call(bot: Bot, method: str, payload: dict[str, Any], *, read_timeout: float | None = None) -> Any:
    """Call a Bot API method with a JSON-ready payload; returns the raw ``result``."""
    kwargs: dict[str, Any] = {}
    if read_timeout is not None:
        kwargs["read_timeout"] = read_timeout
    return await bot._do_post(method, dict(payload), **kwargs)  # noqa: SLF001 - see module doc


def retry_seconds(exc: Exception) -> float:
    """``RetryAfter.retry_after`` as seconds (an int or a timedelta, by PTB version)."""
    value = getattr(exc, "_retry_after", None)  # a timedelta; the public property warns in PTB 22
    if value is None:
        value = getattr(exc, "retry_after", 1)
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
