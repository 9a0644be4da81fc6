"""The first bytes of a file a person sent: ``getFile``, then a ranged download of its start.

Called by the dispatcher BEFORE the update's transaction (an HTTP call must never run while the
database's writer lock is held); the verdict on the bytes is ``bot.domain.filetypes``'.
"""

from __future__ import annotations

import logging
import urllib.request

import aiohttp
from telegram import Bot

from bot.channels.telegram.transport import _tls_context, call
from bot.domain.filetypes import HEAD_BYTES

log = logging.getLogger(__name__)
TIMEOUT = 10.0  # seconds for the whole fetch; a person waits for the answer


class FileHeads:
    """Reads the first bytes of files people send, over ONE connection pool kept for the
    bot's life (a new pool per file cost a TCP and TLS handshake on every photo)."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _pool(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=_tls_context()),
                trust_env=bool(urllib.request.getproxies()),
                timeout=aiohttp.ClientTimeout(total=TIMEOUT),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def fetch(self, bot: Bot, file_id: str, limit: int = HEAD_BYTES) -> bytes | None:
        """Up to ``limit`` first bytes of the file, or None when they could not be read."""
        try:
            info = await call(bot, "getFile", {"file_id": file_id})
            path = info.get("file_path") if isinstance(info, dict) else None
            if not path:
                return None
            url = (
                path if path.startswith(("http://", "https://")) else f"{bot.base_file_url}/{path}"
            )
            headers = {"Range": f"bytes=0-{limit - 1}"}
            async with self._pool().get(url, headers=headers) as response:
                if response.status not in (200, 206):
                    log.info("file download answered %s", response.status)
                    return None
                data = bytearray()
                async for chunk in response.content.iter_chunked(limit):
                    data += chunk
                    if len(data) >= limit:
                        break  # a server that ignores Range: stop reading
                return bytes(data[:limit])
        except Exception as exc:
            log.info("could not read a file's first bytes: %s", type(exc).__name__)
            return None
