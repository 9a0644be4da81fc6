"""The lean Bot API call (``transport.call`` over ``http11``) against a real HTTP server on
127.0.0.1: every answer Telegram can give maps to the SAME result or exception as PTB's own path
(``Bot._do_post`` → ``BaseRequest._request_wrapper``), side by side, so the outbox classifies a
failure the same whichever path made the call; and the connection handling that PTB and aiohttp
did for us: chunked answers, keep-alive, a connection closed mid-answer or while idle, timeouts,
the pool's limit, TLS."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import ipaddress
import json
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile
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

from bot.channels.telegram.http11 import Http11Pool
from bot.channels.telegram.transport import AiohttpRequest, call, retry_seconds

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*")
TOKEN = "123:ABC"


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


def _error(status: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return _json(status, body)


# Telegram's answers, by the method name the test calls (the path's last part)
ANSWERS: dict[str, Callable[[], web.Response]] = {
    "ok": lambda: _json(200, {"ok": True, "result": {"message_id": 7}}),
    "true": lambda: _json(200, {"ok": True, "result": True}),
    "flood": lambda: _error(429, "Too Many Requests: retry after 7", retry_after=7),
    "flood_bare": lambda: _error(429, "Too Many Requests"),
    "blocked": lambda: _error(403, "Forbidden: bot was blocked by the user"),
    "unchanged": lambda: _error(400, "Bad Request: message is not modified"),
    "migrated": lambda: _error(400, "Bad Request: group upgraded", migrate_to_chat_id=-1009),
    "odd_parameters": lambda: _error(400, "Bad Request: odd", colour="blue"),
    "unauthorized": lambda: _error(401, "Unauthorized"),
    "not_found": lambda: _error(404, "Not Found"),
    "conflict": lambda: _error(409, "Conflict: terminated by other getUpdates request"),
    "server_error": lambda: _error(500, "Internal Server Error"),
    "no_description": lambda: _json(500, {"ok": False}),
    "bad_gateway": lambda: web.Response(
        status=502, text="<html>502 Bad Gateway</html>", content_type="text/html"
    ),
    "unknown_status": lambda: web.Response(status=599, text="?"),
    "not_json": lambda: web.Response(status=200, text="<html>hello</html>"),
}


class Server:
    """An aiohttp server answering ``ANSWERS``, plus a few that need a handler of their own;
    it records each request's body and the client port it came from (one port: one
    connection)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.content_types: list[str] = []
        self.ports: list[int] = []
        self.base_url = ""
        self.runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.read())
        self.content_types.append(request.content_type)
        assert request.transport is not None
        self.ports.append(request.transport.get_extra_info("peername")[1])
        method = request.match_info["method"]
        if method == "echo":  # the parsed body back, as the result
            return _json(200, {"ok": True, "result": json.loads(self.bodies[-1] or b"{}")})
        if method == "chunked":
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for piece in (b'{"ok": true, ', b'"result": {"text": "', "سلام".encode(), b'"}}'):
                await response.write(piece)
                await asyncio.sleep(0.01)
            await response.write_eof()
            return response
        if method == "close":  # an answer that ends the connection
            return web.json_response({"ok": True, "result": 1}, headers={"Connection": "close"})
        if method == "slow":
            await asyncio.sleep(1)
            return _json(200, {"ok": True, "result": "late"})
        if method == "cut":  # the head and half the body, then the connection drops
            assert request.transport is not None
            request.transport.write(
                b'HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{"ok": true, "res'
            )
            request.transport.abort()
            raise asyncio.CancelledError
        return ANSWERS[method]()

    async def start(self, keepalive_timeout: float = 75.0, tls: ssl.SSLContext | None = None):
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self.runner = web.AppRunner(app, keepalive_timeout=keepalive_timeout)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        port = self.runner.addresses[0][1]
        self.base_url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/bot"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    served = await Server().start()
    yield served
    await served.stop()


@contextlib.asynccontextmanager
async def _bot(base_url: str, **options: Any) -> AsyncIterator[Bot]:
    """A bot on our aiohttp request (not initialized: that would call getMe)."""
    request = AiohttpRequest(**{"read_timeout": 0.5, **options})
    try:
        yield Bot(TOKEN, base_url=base_url, request=request, get_updates_request=request)
    finally:
        await request.shutdown()


async def _outcome(make: Callable[[], Awaitable[Any]]) -> tuple[str, Any]:
    try:
        return "result", await make()
    except TelegramError as exc:
        extra = retry_seconds(exc) if isinstance(exc, RetryAfter) else None
        if isinstance(exc, ChatMigrated):
            extra = exc.new_chat_id
        cause = type(exc.__cause__).__name__ if exc.__cause__ else None
        return type(exc).__name__, (str(exc), extra, cause)


@pytest.mark.parametrize("method", sorted(ANSWERS))
async def test_the_same_outcome_as_ptbs_path(server: Server, method: str) -> None:
    expected = {
        "flood": RetryAfter,
        "flood_bare": NetworkError,
        "blocked": Forbidden,
        "unchanged": BadRequest,
        "migrated": ChatMigrated,
        "odd_parameters": BadRequest,
        "unauthorized": InvalidToken,
        "not_found": InvalidToken,
        "conflict": Conflict,
        "server_error": NetworkError,
        "no_description": NetworkError,
        "bad_gateway": NetworkError,
        "unknown_status": NetworkError,
        "not_json": TelegramError,
    }
    payload = {"chat_id": 5, "text": "مرحبا", "reply_markup": {"inline_keyboard": []}}
    for use_pool in (True, False):  # http11, and aiohttp (where a proxy is set)
        async with _bot(server.base_url) as bot:
            bot.request.use_pool = use_pool  # type: ignore[attr-defined]
            ptb = await _outcome(lambda: bot._do_post(method, dict(payload)))
            lean = await _outcome(lambda: call(bot, method, payload))
        assert lean == ptb, (use_pool, lean, ptb)
        if method in expected:
            assert lean[0] == expected[method].__name__
        else:
            assert lean[0] == "result"
    assert server.content_types == ["application/json"] * 4
    assert len({*server.bodies}) == 1  # the same JSON body either way


async def test_retry_after_and_messages_as_the_outbox_reads_them(server: Server) -> None:
    async with _bot(server.base_url) as bot:
        with pytest.raises(RetryAfter) as flood:
            await call(bot, "flood", {"chat_id": 5})
        assert retry_seconds(flood.value) == 7
        with pytest.raises(BadRequest, match=r"^Message is not modified$"):
            await call(bot, "unchanged", {"chat_id": 5})
        with pytest.raises(ChatMigrated) as moved:
            await call(bot, "migrated", {"chat_id": 5})
        assert moved.value.new_chat_id == -1009
        with pytest.raises(NetworkError, match=r"^Bad Gateway \(502\)\. Parsing the server"):
            await call(bot, "bad_gateway", {})


async def test_payloads_as_ptb_sends_them(server: Server) -> None:
    """None values are left out; a file, or a datetime (PTB sends a timestamp), takes PTB's
    own path; an empty payload is an empty body."""
    async with _bot(server.base_url) as bot:
        sent = await call(bot, "echo", {"chat_id": 5, "text": "نص", "reply_markup": None})
        assert sent == {"chat_id": 5, "text": "نص"}
        when = dtm.datetime(2026, 3, 1, tzinfo=dtm.UTC)
        assert await call(bot, "echo", {"chat_id": 5, "until_date": when}) == {
            "chat_id": 5,
            "until_date": int(when.timestamp()),
        }
        assert await call(bot, "echo", {}) == {}
        assert await call(bot, "ok", {"document": InputFile(b"%PDF", filename="a.pdf")}) == {
            "message_id": 7
        }
    assert server.bodies[2] == b"" and server.content_types[3] == "multipart/form-data"


async def test_keep_alive_chunked_and_connection_close(server: Server) -> None:
    async with _bot(server.base_url) as bot:
        for _ in range(3):
            assert await call(bot, "true", {"chat_id": 5}) is True
        assert await call(bot, "chunked", {}) == {"text": "سلام"}
        assert await call(bot, "true", {}) is True
        assert len(set(server.ports)) == 1  # one connection for all five
        assert await call(bot, "close", {}) == 1
        assert await call(bot, "true", {}) is True
    assert len(set(server.ports)) == 2  # the server's close was honoured, a new one opened


async def test_a_connection_cut_mid_answer_then_the_next_call(server: Server) -> None:
    async with _bot(server.base_url) as bot:
        with pytest.raises(NetworkError) as cut:
            await call(bot, "cut", {"chat_id": 5, "text": "x"})
        assert not isinstance(cut.value, TimedOut)
        assert await call(bot, "true", {}) is True


async def test_timeouts_and_a_cancelled_call(server: Server) -> None:
    async with _bot(server.base_url) as bot:
        with pytest.raises(TimedOut):
            await call(bot, "slow", {})
        assert await call(bot, "slow", {}, read_timeout=3) == "late"
        pending = asyncio.ensure_future(call(bot, "slow", {}, read_timeout=3))
        await asyncio.sleep(0.1)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        assert await call(bot, "true", {}) is True  # not on the cancelled call's connection
    # the timed-out call's connection and the cancelled one's were closed, the answered one's
    # reused: three connections for four calls
    assert len(set(server.ports)) == 3 and server.ports[1] == server.ports[2]


async def test_an_idle_connection_the_server_closed_is_not_used() -> None:
    served = await Server().start(keepalive_timeout=0.1)
    try:
        async with _bot(served.base_url) as bot:
            assert await call(bot, "true", {}) is True
            await asyncio.sleep(0.4)  # the server drops the idle connection
            assert await call(bot, "echo", {"text": "بعد"}) == {"text": "بعد"}
        assert len(set(served.ports)) == 2 and len(served.bodies) == 2
    finally:
        await served.stop()


async def test_a_refused_connection_is_a_network_error() -> None:
    async with _bot("http://127.0.0.1:9/bot") as bot:
        with pytest.raises(NetworkError) as refused:
            await call(bot, "true", {})
    assert "ConnectionRefusedError" in str(refused.value)


async def test_the_pools_limit(server: Server) -> None:
    async with _bot(server.base_url, connection_pool_size=1, pool_timeout=0.2) as bot:
        results = await asyncio.gather(*(call(bot, "echo", {"n": n}) for n in range(5)))
        assert [r["n"] for r in results] == list(range(5))
        assert len(set(server.ports)) == 1
        slow = asyncio.ensure_future(call(bot, "slow", {}, read_timeout=3))
        await asyncio.sleep(0.05)
        with pytest.raises(TimedOut, match="busy"):
            await call(bot, "true", {})
        assert await slow == "late"
        assert await call(bot, "true", {}) is True


def _self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1, and a client context trusting it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dtm.datetime.now(dtm.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dtm.timedelta(minutes=5))
        .not_valid_after(now + dtm.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert_file, key_file)
    return server_side, ssl.create_default_context(cafile=str(cert_file))


async def test_tls_with_the_context_given(tmp_path: Path, monkeypatch) -> None:
    server_side, client_side = _self_signed(tmp_path)
    served = await Server().start(tls=server_side)
    try:
        port = int(served.base_url.split(":")[2].split("/")[0])
        pool = Http11Pool(
            "127.0.0.1", port, client_side, limit=2, connect_timeout=2, pool_timeout=2
        )
        head = f"POST /bot{TOKEN}/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode()
        body = json.dumps({"text": "آمن"}).encode()
        request = head + b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%b" % (
            len(body),
            body,
        )
        for _ in range(2):
            status, answer = await pool.post(request, 2)
            assert status == 200 and json.loads(answer)["result"] == {"text": "آمن"}
        await pool.close()
        assert len(set(served.ports)) == 1
        # the bot's own path takes https URLs to its pool with the process's TLS context
        from bot.channels.telegram import transport

        monkeypatch.setattr(transport, "_tls_context", lambda: client_side)
        async with _bot(served.base_url) as bot:
            assert await call(bot, "echo", {"text": "آمن"}) == {"text": "آمن"}
        strict = Http11Pool(
            "127.0.0.1",
            port,
            transport.ssl.create_default_context(),
            limit=1,
            connect_timeout=2,
            pool_timeout=2,
        )
        with pytest.raises(NetworkError, match="SSL"):  # an unknown certificate is refused
            await strict.post(request, 2)
        await strict.close()
    finally:
        await served.stop()
