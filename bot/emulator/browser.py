"""Headless Chromium through the DevTools protocol: load a page, wait until it is ready, read
it, click, take a screenshot. Used by the demo screenshots and the browser tests (Debian's
``chromium`` package; nothing is downloaded)."""

from __future__ import annotations

import asyncio
import base64
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
    "--remote-allow-origins=*",
)


def available() -> bool:
    return shutil.which("chromium") is not None


class Chromium:
    def __init__(self, width: int = 1400, height: int = 900) -> None:
        self.width, self.height = width, height
        self._profile = tempfile.mkdtemp()
        self._proc: subprocess.Popen[bytes] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._next = 0

    async def __aenter__(self) -> Chromium:
        # started once per browser session (demo screenshots, tests); Popen returns at once
        self._proc = subprocess.Popen(  # noqa: ASYNC220
            [
                "chromium",
                *FLAGS,
                f"--user-data-dir={self._profile}",
                f"--window-size={self.width},{self.height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile) / "DevToolsActivePort"
        for _ in range(400):
            if port_file.exists() and port_file.read_text().strip():
                break
            await asyncio.sleep(0.05)
        port = port_file.read_text().split()[0]
        self._http = aiohttp.ClientSession()
        async with self._http.get(f"http://127.0.0.1:{port}/json/list") as response:
            target = next(t for t in await response.json() if t["type"] == "page")
        self._ws = await self._http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        await self.call("Page.enable")
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
        shutil.rmtree(self._profile, ignore_errors=True)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self._ws is not None
        self._next += 1
        await self._ws.send_json({"id": self._next, "method": method, "params": params})
        while True:
            message = await self._ws.receive_json(timeout=30)
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message["result"])

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        return result["result"].get("value")

    async def open(
        self, url: str, ready: str = "document.readyState === 'complete'", timeout: float = 15.0
    ) -> None:
        """Navigate and wait until the JavaScript expression ``ready`` is true."""
        await self.call("Page.navigate", url=url)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await self.evaluate(ready):
            if loop.time() > deadline:
                raise TimeoutError(f"page not ready: {ready}")
            await asyncio.sleep(0.05)

    async def screenshot(self, out: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        shot = await self.call("Page.captureScreenshot", **params)
        out.write_bytes(base64.b64decode(shot["data"]))  # noqa: ASYNC240 (screenshots, off the bot's path)
        return out
