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

A call without files — nearly every one: ``getUpdates``, ``sendMessage``, ``editMessageText``,
``answerCallbackQuery`` — skips PTB's request layer AND aiohttp (:func:`call`): its body is one
``orjson.dumps`` of the payload, it goes over :mod:`bot.channels.telegram.http11` (our own
keep-alive connections, answers parsed by httptools), and :func:`result_of` maps the answer to
the result or to PTB's exception exactly as ``BaseRequest._request_wrapper`` does. Under load
the two layers were ~28% of the bot's CPU (issue #16); ``bench/http_bench.py`` measures one
``sendMessage`` at ~210 µs of client CPU through them and ~40 µs the lean way
(docs/benchmarks.md, Session 7). Uploads keep PTB's path (multipart over aiohttp).
"""

from __future__ import annotations

import functools
import logging
import ssl
import urllib.parse
import urllib.request
from http import HTTPStatus
from typing import Any

import aiohttp
import orjson
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from bot.channels.telegram.http11 import Http11Pool
from bot.settings import Settings

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25  # seconds a getUpdates long poll may wait
_JSON = {"Content-Type": "application/json"}
# values PTB encodes otherwise than orjson would (a datetime into a timestamp): sent
# through PTB's own path, as are files and PTB objects, which orjson cannot encode at all
_PLAIN_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


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

    :meth:`post_json` is the lean path's transport (see :func:`call`): an :class:`Http11Pool`
    per origin with the same pool size and timeouts, or this session where a proxy is set.
    """

    __slots__ = (
        "_connect",
        "_heads",
        "_pool",
        "_pool_size",
        "_pools",
        "_read",
        "_session",
        "_timeout",
        "_write",
        "use_pool",
    )

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
        # the JSON path over our own connections (http11); False: over aiohttp, as when a
        # proxy is set for the Bot API's host (bench/http_bench.py measures both)
        self.use_pool = True
        self._pools: dict[tuple[str, str, int], Http11Pool] = {}
        self._heads: dict[tuple[str, str], tuple[Http11Pool | None, str, bytes]] = {}
        self._timeout = aiohttp.ClientTimeout(
            connect=pool_timeout, sock_connect=connect_timeout, sock_read=read_timeout
        )

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
        pools, self._pools = list(self._pools.values()), {}
        self._heads.clear()
        for pool in pools:
            await pool.close()
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def post_json(
        self, base_url: str, method: str, body: bytes, read_timeout: float | None = None
    ) -> tuple[int, bytes]:
        """The lean path of :func:`call`: POST ``body`` (JSON, or empty) to
        ``{base_url}/{method}``; the answer's status and bytes. Over :mod:`http11` — or over
        aiohttp, with the same body, where a proxy is set (``use_pool`` False)."""
        target = self._heads.get((base_url, method))
        if target is None:
            target = self._heads[(base_url, method)] = self._target(base_url, method)
        pool, url, head = target
        timeout = self._read if read_timeout is None else read_timeout
        if pool is not None:
            return await pool.post(
                head + b"%d\r\n\r\n%b" % (len(body), body) if body else head + b"0\r\n\r\n",
                timeout,
            )
        return await self._over_aiohttp(
            "POST",
            url,
            body or None,
            _JSON if body else None,
            self._timeout
            if read_timeout is None
            else aiohttp.ClientTimeout(
                connect=self._pool, sock_connect=self._connect, sock_read=read_timeout
            ),
        )

    async def _over_aiohttp(
        self,
        method: str,
        url: str,
        body: Any,
        headers: dict[str, str] | None,
        timeout: aiohttp.ClientTimeout,
    ) -> tuple[int, bytes]:
        """One call over the aiohttp session (uploads, PTB's path, a proxied lean call): the
        answer's status and bytes; a timeout as ``TimedOut``, any other client error as
        ``NetworkError`` — the two exceptions the outbox retries."""
        if self._session is None:
            await self.initialize()
        assert self._session is not None
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _target(self, base_url: str, method: str) -> tuple[Http11Pool | None, str, bytes]:
        """The pool of the URL's origin and the request's head up to the body's length."""
        url = f"{base_url}/{method}"
        parts = urllib.parse.urlsplit(url)
        proxied = parts.scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(
            parts.netloc
        )
        if (
            not self.use_pool
            or proxied
            or parts.scheme not in ("http", "https")
            or not parts.hostname
        ):
            return None, url, b""
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        key = (parts.scheme, parts.hostname, port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = Http11Pool(
                parts.hostname,
                port,
                _tls_context() if tls else None,
                limit=self._pool_size,
                connect_timeout=self._connect,
                pool_timeout=self._pool,
            )
        host = parts.netloc.rpartition("@")[2]
        head = (
            f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {host}\r\n"
            f"User-Agent: {self.USER_AGENT}\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        )
        return pool, url, head.encode("latin-1")

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
            body, headers = orjson.dumps(parameters), _JSON
        return await self._over_aiohttp(method, url, body, headers, timeout)

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
    """Call a Bot API method with a JSON-ready payload; returns the raw ``result``.

    A payload of plain JSON values (nearly all: texts, buttons, ids) on our aiohttp client goes
    the lean way: one ``orjson.dumps``, :meth:`AiohttpRequest.post_json`, :func:`result_of` —
    what ``Bot._do_post`` → ``BaseRequest.post`` → ``_request_wrapper`` do, without building a
    ``RequestParameter`` per key and a ``RequestData`` (docs/benchmarks.md, Session 7). Files,
    PTB objects and datetimes, and the httpx client, take PTB's path as before."""
    request = bot._request[0] if method == "getUpdates" else bot._request[1]
    if isinstance(request, AiohttpRequest):
        if None in payload.values():  # PTB leaves out parameters that are None
            payload = {key: value for key, value in payload.items() if value is not None}
        try:
            body = orjson.dumps(payload, option=_PLAIN_JSON) if payload else b""
        except TypeError:  # orjson.JSONEncodeError: a file, a PTB object, a datetime
            pass
        else:
            # PTB's _do_post logs each call with its parameters; the method is enough
            log.debug("Bot API call %s", method)
            try:
                status, answer = await request.post_json(bot.base_url, method, body, read_timeout)
            except TelegramError:
                raise
            except Exception as exc:  # as BaseRequest._request_wrapper words it
                raise NetworkError(f"Unknown error in HTTP implementation: {exc!r}") from exc
            return result_of(status, answer)
    kwargs: dict[str, Any] = {}
    if read_timeout is not None:
        kwargs["read_timeout"] = read_timeout
    return await bot._do_post(method, dict(payload), **kwargs)


def result_of(status: int, answer: bytes) -> Any:
    """A Bot API answer's ``result``, or the exception PTB raises for it: exactly
    ``BaseRequest._request_wrapper`` and ``BaseRequest.post`` of python-telegram-bot 22
    (``tests/unit/test_transport_errors.py`` holds the two side by side)."""
    if 200 <= status <= 299:
        return AiohttpRequest.parse_json_payload(answer)["result"]
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"Unknown HTTPError ({status})"
    parsing_exception: TelegramError | None = None
    try:
        data = AiohttpRequest.parse_json_payload(answer)
    except TelegramError as exc:
        message += f". Parsing the server response {answer!r} failed"
        parsing_exception = exc
    else:
        message = data.get("description") or message
        parameters = data.get("parameters")
        if parameters:
            if migrate_to_chat_id := parameters.get("migrate_to_chat_id"):
                raise ChatMigrated(migrate_to_chat_id)
            if retry_after := parameters.get("retry_after"):
                raise RetryAfter(retry_after)
            message += f". The server response contained unknown parameters: {parameters}"
    exception: TelegramError
    if status == HTTPStatus.FORBIDDEN:
        exception = Forbidden(message)
    elif status in (HTTPStatus.NOT_FOUND, HTTPStatus.UNAUTHORIZED):
        exception = InvalidToken(message)
    elif status == HTTPStatus.BAD_REQUEST:
        exception = BadRequest(message)
    elif status == HTTPStatus.CONFLICT:
        exception = Conflict(message)
    else:  # 5xx, 429 without retry_after, anything else
        exception = NetworkError(message)
    if parsing_exception:
        raise exception from parsing_exception
    raise exception


def retry_seconds(exc: BaseException) -> float:
    """``RetryAfter.retry_after`` as seconds (an int or a timedelta, by PTB version)."""
    value: Any = getattr(
        exc, "_retry_after", None
    )  # a timedelta; the public property warns in PTB 22
    if value is None:
        value = getattr(exc, "retry_after", 1)
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
