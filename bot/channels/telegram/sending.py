"""How the outbox's sender makes one stored Bot API call (``bot.engine.outbox.Delivery``):
files uploaded from disk or from the row, and what a failure means for its message."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from typing import Any

import aiohttp

from bot.channels.telegram.api import (
    BadRequest,
    Bot,
    ChatMigrated,
    Conflict,
    Forbidden,
    InputFile,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    call,
    retry_seconds,
)
from bot.channels.telegram.fitting import render
from bot.engine.outbox import BLOCKED, FILES_KEY, INLINE_KEY, PERMANENT, RETRY, UNCHANGED, WAIT


def classify(exc: BaseException, chat_id: int) -> str:
    """What a failed call means for its message: ``wait`` (429: Telegram says how long),
    ``retry`` (5xx, timeouts, dropped connections), ``blocked`` (a person blocked the bot),
    ``unchanged`` (an edit to what is already shown) or ``permanent`` (it will never go)."""
    if isinstance(exc, RetryAfter):
        return WAIT
    if isinstance(exc, Forbidden):
        return BLOCKED if chat_id > 0 else PERMANENT
    if isinstance(exc, BadRequest):  # before NetworkError: PTB derives it from NetworkError
        return UNCHANGED if "not modified" in str(exc).lower() else PERMANENT
    if isinstance(exc, (InvalidToken, Conflict, ChatMigrated)):  # 401/404, 409, a moved group
        return PERMANENT
    if isinstance(exc, (NetworkError, TelegramError, OSError, asyncio.TimeoutError)):
        return RETRY
    return PERMANENT  # a payload we cannot even encode


class TelegramDelivery:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def parts(self, method: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        return render(method, payload)

    async def call(self, method: str, payload: dict[str, Any]) -> Any:
        payload = dict(payload)
        files = payload.pop(FILES_KEY, None) or {}
        for key, spec in (payload.pop(INLINE_KEY, None) or {}).items():
            payload[key] = InputFile(base64.b64decode(spec["b64"]), filename=spec["name"])
        handles = []
        try:
            for key, path in files.items():
                fh = Path(path).open("rb")  # noqa: ASYNC230 - a local file, read by the upload
                handles.append(fh)
                payload[key] = InputFile(fh, filename=Path(path).name)
            return await call(self.bot, method, payload)
        finally:
            for fh in handles:
                fh.close()

    def classify(self, exc: BaseException, chat_id: int) -> str:
        return classify(exc, chat_id)

    async def fetch(self, file_id: str) -> tuple[bytes, str]:
        """A file sent to the bot, to pass on through another channel: its bytes and a name."""
        info = await call(self.bot, "getFile", {"file_id": file_id})
        path = info.get("file_path") if isinstance(info, dict) else None
        if not path:
            raise BadRequest("file not found")
        url = (
            path if path.startswith(("http://", "https://")) else f"{self.bot.base_file_url}/{path}"
        )
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            async with session.get(url) as response:
                if response.status != 200:
                    raise NetworkError(f"file download answered {response.status}")
                return await response.read(), Path(path).name

    def retry_seconds(self, exc: BaseException) -> float:
        return retry_seconds(exc)
