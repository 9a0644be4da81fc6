"""The Bot API's JSON calls over our own HTTP/1.1 keep-alive connections (asyncio + httptools).

Why it exists: a Bot API call is one small JSON POST to one host, answered by one small JSON
body, yet ``aiohttp.ClientSession.request`` spent ~21% of the bot's CPU under load (issue #16):
per request it builds a ``yarl.URL``, merges headers into a ``CIMultiDict``, makes a timer
context, a ``ClientRequest``, a ``ClientResponse``, a ``StreamReader`` and runs trace hooks.
Here a request is one ``bytes`` (a head built once per method, the length, the body) written to
a pooled transport, and the answer is parsed by ``httptools`` (the C llhttp parser under
uvicorn) straight into a list of body chunks. ``bench/http_bench.py`` (docs/benchmarks.md,
*Session 7*), one ``sendMessage`` to the emulator, client CPU per call on uvloop: 211 µs through
PTB's layer and aiohttp, 178 µs with our lean call over aiohttp (176 µs with aiohttp trimmed:
a prebuilt URL, ``skip_auto_headers``), 37 µs over this module; the whole bot at a human pace
spends 14% less CPU per update (8.94 → 7.65 ms, ``bench.load --rate 20``).

What it does, and no more:

* HTTP/1.1 POST with ``Content-Length``; answers with ``Content-Length`` or chunked; an answer
  with neither (read until close) is treated as a broken connection: Telegram always sends one.
* Keep-alive: a connection goes back to the pool when the answer allows it (llhttp's
  ``should_keep_alive``), otherwise it is closed. Idle connections the server closed are
  noticed by ``connection_lost`` and never reused. A request that fails after its first byte
  was written is NOT retried (a ``sendMessage`` may have been delivered): it raises
  ``NetworkError`` / ``TimedOut`` and the outbox decides, as with any other client.
* TLS by the event loop with one ``ssl.SSLContext`` (the caller's, built once).
* At most ``limit`` connections; a caller waits ``pool_timeout`` for one, then ``TimedOut``.
* Timeouts: ``connect_timeout`` for TCP + TLS, ``read_timeout`` from the write to the end of the
  answer (the bodies are small: the whole answer is one read or a few).

Proxies are not handled here: ``AiohttpRequest`` keeps aiohttp when HTTP(S)_PROXY is set.
"""

from __future__ import annotations

import asyncio
import collections
import ssl

import httptools
from telegram.error import NetworkError, TimedOut


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight (no pipelining)."""

    __slots__ = ("body", "closed", "keep", "parser", "pool", "status", "transport", "waiter")

    def __init__(self, pool: Http11Pool) -> None:
        self.pool = pool
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[bytes] | None = None
        self.body: list[bytes] = []
        self.status = 0
        self.keep = False
        self.closed = False

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:  # bytes nobody asked for (e.g. a 408 on an idle connection)
            self.abort()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(NetworkError(f"http11: malformed answer ({exc})"))
            self.abort()

    def eof_received(self) -> bool:
        return False  # the server is done with this connection: close our side too

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.closed:
            self.closed = True
            self.pool._lost(self)
        self._fail(NetworkError(f"http11: the connection was lost before the answer ({exc!r})"))

    # -- httptools callbacks ------------------------------------------------------------------

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if self.status < 200:  # an interim answer (1xx): the real one follows
            self.body = []
            return
        self.keep = self.parser.should_keep_alive()
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(b"".join(self.body))

    # -- ours ---------------------------------------------------------------------------------

    def _fail(self, exc: Exception) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _time_out(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():  # not answered in this very iteration
            waiter.set_exception(TimedOut("http11: no answer in time"))
            self.abort()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()  # connection_lost follows, on the next loop iteration

    async def exchange(self, request: bytes, timeout: float | None) -> tuple[int, bytes]:
        loop = self.pool.loop
        waiter = self.waiter = loop.create_future()
        self.body = []
        assert self.transport is not None
        self.transport.write(request)
        timer = loop.call_later(timeout, self._time_out) if timeout is not None else None
        done = False
        try:
            answer = await waiter
            done = True
            return self.status, answer
        finally:
            if timer is not None:
                timer.cancel()
            self.waiter = None
            if done and self.keep:
                self.pool._release(self)
            else:  # failed, cancelled, or ``Connection: close``: this connection is spent
                self.abort()


class Http11Pool:
    """Keep-alive connections to ONE origin (``host``, ``port``, TLS or not)."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        *,
        limit: int,
        connect_timeout: float | None,
        pool_timeout: float | None,
    ) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.limit = limit
        self.connect_timeout, self.pool_timeout = connect_timeout, pool_timeout
        self.loop = asyncio.get_running_loop()
        self._idle: list[_Connection] = []  # LIFO: the most recently used is the likeliest alive
        self._open = 0  # connections open or being opened
        self._waiting: collections.deque[asyncio.Future[_Connection | None]] = collections.deque()
        self._closing = False

    async def post(self, request: bytes, read_timeout: float | None) -> tuple[int, bytes]:
        """Send one whole request (head and body); the answer's status and body."""
        conn = await self._acquire()
        return await conn.exchange(request, read_timeout)

    async def _acquire(self) -> _Connection:
        if self._closing:
            raise NetworkError("http11: the pool is closed")
        idle = self._idle
        while idle:
            conn = idle.pop()
            # one the server closed since its release is dropped here, before a byte is sent
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                return conn
        if self._open < self.limit:
            self._open += 1
            return await self._connect()
        slot: asyncio.Future[_Connection | None] = self.loop.create_future()
        self._waiting.append(slot)
        try:
            handed = await asyncio.wait_for(slot, self.pool_timeout)
        except TimeoutError:
            raise TimedOut("http11: all connections of the pool are busy") from None
        except asyncio.CancelledError:
            if slot.done() and not slot.cancelled():  # handed to us as we were cancelled
                given = slot.result()
                if given is None:
                    self._open -= 1
                    self._hand_on(None)
                else:
                    self._release(given)
            raise
        # a connection, or the right to open one (``_open`` already counts it)
        return handed if handed is not None else await self._connect()

    async def _connect(self) -> _Connection:
        """Open a connection for a slot already counted in ``_open``."""
        conn = _Connection(self)
        try:
            await asyncio.wait_for(
                self.loop.create_connection(
                    lambda: conn,
                    self.host,
                    self.port,
                    ssl=self.tls,
                    server_hostname=self.host if self.tls is not None else None,
                ),
                self.connect_timeout,
            )
        except BaseException as exc:
            conn.closed = True
            self._open -= 1
            self._hand_on(None)
            conn.abort()
            if isinstance(exc, TimeoutError):
                raise TimedOut("http11: connect timed out") from exc
            if isinstance(exc, OSError):
                raise NetworkError(f"http11: {type(exc).__name__}: {exc}") from exc
            raise
        return conn

    def _release(self, conn: _Connection) -> None:
        if conn.closed:
            return
        if self._closing:
            conn.abort()
        elif not self._hand_on(conn):
            self._idle.append(conn)

    def _lost(self, conn: _Connection) -> None:
        self._open -= 1
        if conn in self._idle:
            self._idle.remove(conn)
        self._hand_on(None)  # a free slot: a waiter may open a new connection

    def _hand_on(self, conn: _Connection | None) -> bool:
        """Give a connection, or with None the right to open one (counted in ``_open`` here),
        to the first caller still waiting."""
        while self._waiting:
            slot = self._waiting.popleft()
            if not slot.done():
                if conn is None:
                    self._open += 1
                slot.set_result(conn)
                return True
        return False

    async def close(self) -> None:
        self._closing = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.abort()
        await asyncio.sleep(0)  # let the transports run connection_lost
