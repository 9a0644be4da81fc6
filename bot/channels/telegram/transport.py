"""python-telegram-bot's real client, used raw.

We keep PTB for what it does well — ``Bot`` and its request layer (``BaseRequest.post``:
parameter encoding, multipart uploads, error mapping to ``RetryAfter``, ``Forbidden``,
``BadRequest``, ``NetworkError``) and the typed ``Update`` objects — but call the API with plain
dicts, so that:

* ``getUpdates`` results are stored raw and parsed one update at a time (PTB's poller fails a
  whole batch when one update does not parse, and retries it forever);
* every owed message is a row in the outbox whose payload is the API call itself.

The bytes go over the wire through :class:`AiohttpRequest`, an implementation of PTB's own
extension point for HTTP libraries (``telegram.request.BaseRequest``) on aiohttp, which the
project already uses for the emulator and the webhook. PTB's default, ``HTTPXRequest``, cost
about 1 ms of CPU per API call under load — a quarter of the bot's time (docs/benchmarks.md,
*Load*); aiohttp does the same call for a fraction of that. ``MUSTAFEED_HTTP_CLIENT=httpx``
switches back to PTB's default (the tests run both).
"""

from __future__ import annotations

import functools
import ssl
import urllib.request
from typing import Any

import aiohttp
import orjson
from telegram import Bot
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.settings import Settings

POLL_TIMEOUT = 25  # seconds a getUpdates long poll may wait


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The TLS context of every connection to the Bot API, built once: loading the CA bundle
    costs ~17 ms of CPU, and a file's head is fetched over a new connector for every photo or
    document a person sends (``file_head``) — built per fetch it doubled the bot's CPU
    per update under load (docs/benchmarks.md, Session 3). One context serves any number of
    connections."""
    try:
        import certifi  # installed with python-telegram-bot (httpx depends on it)
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """``telegram.request.BaseRequest`` over one ``aiohttp.ClientSession``.

    Plain calls are sent as a JSON body (what the Bot API documents first) made by orjson from
    ``RequestData.parameters`` in one pass, as PTB's docs suggest for a faster JSON library
    (PTB's own ``json_payload`` encodes every nested value, then the whole again); answers are
    parsed by orjson too. Calls with files go as multipart, the other parameters as form fields
    encoded by PTB. Timeouts: ``read`` → ``sock_read``, ``connect`` → ``sock_connect``, ``pool``
    → waiting for a free connection (aiohttp's ``connect``); ``write`` has no aiohttp
    equivalent and bounds the whole call of an upload instead. A timeout raises ``TimedOut``, any other client error
    ``NetworkError`` — the two exceptions the outbox retries.
    """

    __slots__ = ("_connect", "_pool", "_pool_size", "_read", "_session", "_write")

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 15.0,
        write_timeout: float | None = 20.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 5.0,
    ) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._pool_size = connection_pool_size
        self._read, self._write = read_timeout, write_timeout
        self._connect, self._pool = connect_timeout, pool_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                # as PTB's httpx client does: certifi's CA bundle (a slim image may have no system
                # CAs) and the HTTP(S)_PROXY variables — read only when some are set: aiohttp's
                # trust_env re-reads the environment on every request (+0.4 ms of CPU a call)
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=_tls_context()),
                trust_env=bool(urllib.request.getproxies()),
                headers={"User-Agent": self.USER_AGENT},
                timeout=aiohttp.ClientTimeout(total=None),
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets no cookies: skip the jar
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            await self.initialize()
        assert self._session is not None

        def chosen(value: Any, default: float | None) -> float | None:
            return default if value is BaseRequest.DEFAULT_NONE else value

        files = request_data is not None and request_data.contains_files
        timeout = aiohttp.ClientTimeout(
            total=chosen(write_timeout, self._write) if files else None,
            connect=chosen(pool_timeout, self._pool),
            sock_connect=chosen(connect_timeout, self._connect),
            sock_read=chosen(read_timeout, self._read),
        )
        body: Any = None
        headers: dict[str, str] | None = None
        if files:
            assert request_data is not None
            # quote_fields=False: file names go as UTF-8, as Telegram (and httpx) expect them,
            # not percent-encoded (`طلب.pdf` would arrive as `%D8%B7…`)
            body = aiohttp.FormData(request_data.json_parameters, quote_fields=False)
            for name, (filename, content, mime) in request_data.multipart_data.items():
                body.add_field(name, content, filename=filename, content_type=mime)
        elif request_data is not None and (parameters := request_data.parameters):
            body, headers = orjson.dumps(parameters), {"Content-Type": "application/json"}
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise TelegramError("Invalid server response") from exc


def _request(settings: Settings, pool_size: int, read_timeout: float) -> BaseRequest:
    if settings.http_client == "httpx":
        return HTTPXRequest(
            connection_pool_size=pool_size,
            read_timeout=read_timeout,
            write_timeout=20,
            connect_timeout=5,
            pool_timeout=5,
        )
    return AiohttpRequest(connection_pool_size=pool_size, read_timeout=read_timeout)


def make_bot(settings: Settings, token: str | None = None, *, pool_size: int = 256) -> Bot:
    """The bot; ``pool_size`` connections for the outbox's concurrent sends (PTB's own default
    for ``Application``). With 64, 200 busy chats queued for a connection, and the waiting
    cost more CPU than the calls: 3.3 → 2.4 ms per update at 200 beneficiaries (bench/load.py)."""
    token = token or settings.token
    if not token:
        raise ValueError("a bot needs a token")
    return Bot(
        token,
        base_url=settings.api_base_url,
        base_file_url=settings.file_base_url,
        request=_request(settings, pool_size, 15),
        get_updates_request=_request(settings, 2, POLL_TIMEOUT + 10),
    )


async def call(
    bot: Bot, method: str, payload: dict[str, Any], *, read_timeout: float | None = None
) -> Any:
    """Call a Bot API method with a JSON-ready payload; returns the raw ``result``."""
    kwargs: dict[str, Any] = {}
    if read_timeout is not None:
        kwargs["read_timeout"] = read_timeout
    return await bot._do_post(method, dict(payload), **kwargs)


def retry_seconds(exc: BaseException) -> float:
    """``RetryAfter.retry_after`` as seconds (an int or a timedelta, by PTB version)."""
    value: Any = getattr(
        exc, "_retry_after", None
    )  # a timedelta; the public property warns in PTB 22
    if value is None:
        value = getattr(exc, "retry_after", 1)
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
