"""The emulator's HTTP server: Telegram's Bot API routes for one or more bot tokens.

``POST|GET /bot{token}/{method}`` runs a method of ``methods.METHODS`` against the bot's
world; ``GET /file/bot{token}/{file_path}`` downloads a stored file. Injected faults are
applied before the method runs. With the demo on, the same app serves the demo page at ``/``.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from aiohttp import web

from .demo_page import Demo
from .methods import METHODS
from .params import MAX_UPLOAD_BYTES, read_params
from .protocol import ApiError, error_response, ok_response
from .state import Fault
from .world import BotHandle

DEFAULT_TOKEN = "123:ABC"
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class Emulator(BotHandle):
    """A local Telegram Bot API server. It is also the handle of its default bot (token
    ``123:ABC`` unless given); ``add_bot`` registers more bots, each with its own world.

    Use ``async with Emulator() as emu:`` or ``await start()`` / ``await stop()``; point
    python-telegram-bot at ``base_url`` and ``base_file_url``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        token: str = DEFAULT_TOKEN,
        username: str = "mustafeed_bot",
        first_name: str = "مُستفيد",
        demo: bool = False,
        demo_user_id: int = Demo.USER_ID,
        staff_chat_id: int = Demo.STAFF_CHAT_ID,
        staff_user_id: int = Demo.STAFF_USER_ID,
    ) -> None:
        super().__init__(token, username, first_name)
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        self._bots: dict[str, BotHandle] = {token: self}
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.demo: Demo | None = None
        if demo:
            self.enable_demo(demo_user_id, staff_chat_id, staff_user_id)

    # -- bots ---------------------------------------------------------------------------------

    def add_bot(self, token: str, username: str, first_name: str = "مُستفيد") -> BotHandle:
        """Serve one more bot token, with a world of its own."""
        if token in self._bots:
            raise ValueError(f"bot {token!r} is already registered")
        handle = BotHandle(token, username, first_name)
        self._bots[token] = handle
        return handle

    def bot(self, token: str) -> BotHandle:
        """The handle of a registered bot."""
        return self._bots[token]

    def enable_demo(
        self,
        demo_user_id: int = Demo.USER_ID,
        staff_chat_id: int = Demo.STAFF_CHAT_ID,
        staff_user_id: int = Demo.STAFF_USER_ID,
    ) -> Demo:
        """Serve the demo page at ``/`` (call before ``start``): the default bot's chat with
        ``demo_user_id`` beside the staff group ``staff_chat_id``."""
        if self._runner is not None:
            raise RuntimeError("enable_demo() must be called before start()")
        self.demo = Demo(self, demo_user_id, staff_chat_id, staff_user_id)
        return self.demo

    # -- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:8081`` (the demo page with the demo on)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """python-telegram-bot's ``base_url`` (it appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """python-telegram-bot's ``base_file_url`` (it appends the token)."""
        return f"{self.url}/file/bot"

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> Emulator:
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._download)
        if self.demo is not None:
            app.router.add_routes(self.demo.routes())
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Stop serving: waiting polls return, hung calls end, webhooks stop."""
        self._closing.set()
        for handle in self._bots.values():
            await handle.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- HTTP ---------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        handle = self._bots.get(request.match_info["token"])
        if handle is None:
            return error_response(ApiError(401, "Unauthorized"))
        name = request.match_info["method"]
        try:
            params = await read_params(request)
        except ApiError as error:
            return error_response(error)
        call = handle.record_call(name, params.values)
        fault = handle.take_fault(name, params.values.get("chat_id"))
        if fault is not None:
            call.error = f"injected fault: {fault.kind}"
            return await self._fail(request, fault)
        method = METHODS.get(name.lower())
        try:
            if method is None:
                raise ApiError(404, "Not Found: method not found")
            call.result = await method(handle, params)
        except ApiError as error:
            call.error = error.description
            return error_response(error)
        finally:
            call.params = params.logged()
        return ok_response(call.result)

    async def _fail(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "429":
            return error_response(
                ApiError(
                    429,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                )
            )
        refusals = {
            "400": (400, "Bad Request: injected refusal"),
            "403": (403, "Forbidden: injected refusal"),
            "404": (404, "Not Found: injected refusal"),
            "500": (500, "Internal Server Error: injected"),
        }
        if fault.kind in refusals:
            return error_response(ApiError(*refusals[fault.kind]))
        if fault.kind == "502":
            return web.Response(status=502, text=_NGINX_502, content_type="text/html")
        if fault.kind == "timeout":
            await self._closing.wait()
        elif request.transport is not None:
            request.transport.abort()
        # aiohttp takes a cancelled handler for a client that went away: it closes the
        # connection without writing any response.
        raise asyncio.CancelledError

    async def _download(self, request: web.Request) -> web.StreamResponse:
        handle = self._bots.get(request.match_info["token"])
        if handle is None:
            return error_response(ApiError(401, "Unauthorized"))
        stored = handle.files.by_path(request.match_info["file_path"])
        if stored is None:
            return error_response(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type)
