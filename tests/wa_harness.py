"""The WhatsApp side of the end-to-end harness: the bot with WhatsApp on, its ``/whatsapp``
served on a local port, and the emulator's Cloud API (``bot.emulator.wa_server``) sending signed
webhooks as a WhatsApp person would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.app import BotApp
from bot.emulator.server import Emulator
from bot.emulator.wa_server import WhatsAppEmulator
from bot.profile import Profile
from tests.harness import make_settings, start_app

WA_ID = "966551234567"
VERIFY = "verify-me-please"


async def start_whatsapp_app(
    emu: Emulator, wa: WhatsAppEmulator, database_url: str, profile: Profile
) -> tuple[BotApp, web.AppRunner]:
    settings = make_settings(
        emu,
        database_url,
        whatsapp_phone_number_id=wa.world.phone_number_id,
        whatsapp_access_token=wa.world.access_token,
        whatsapp_app_secret=wa.world.app_secret,
        whatsapp_verify_token=VERIFY,
        whatsapp_api_base_url=wa.base_url,
    )
    app = await start_app(emu, settings, profile)
    runner = web.AppRunner(app.whatsapp_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    wa.webhook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/whatsapp"
    return app, runner


async def settle_wa(wa: WhatsAppEmulator, app: BotApp) -> None:
    for _ in range(3):
        await app.idle(10)
        await wa.drain()


@dataclass
class WaUser:
    wa: WhatsAppEmulator
    app: BotApp
    wa_id: str = WA_ID
    seen: int = field(default=0)

    async def _after(self, _: Any = None) -> list[dict[str, Any]]:
        await settle_wa(self.wa, self.app)
        mine = self.wa.world.messages(self.wa_id)
        fresh, self.seen = mine[self.seen :], len(mine)
        return fresh

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self._after(await self.wa.say(self.wa_id, text))

    async def choose(self, label: str) -> list[dict[str, Any]]:
        return await self._after(await self.wa.choose(self.wa_id, label))

    async def send_document(self, data: bytes, name: str, mime: str) -> list[dict[str, Any]]:
        return await self._after(await self.wa.send_media(self.wa_id, "document", data, mime, name))

    async def send_image(self, data: bytes) -> list[dict[str, Any]]:
        return await self._after(await self.wa.send_media(self.wa_id, "image", data, "image/jpeg"))

    async def send_location(self) -> list[dict[str, Any]]:
        return await self._after(await self.wa.send_location(self.wa_id))

    def last(self) -> dict[str, Any]:
        return self.wa.world.messages(self.wa_id)[-1]

    def text(self, message: dict[str, Any] | None = None) -> str:
        message = message or self.last()
        kind = message.get("type")
        if kind == "text":
            return message["text"]["body"]
        if kind == "interactive":
            return message["interactive"]["body"]["text"]
        if kind == "template":
            return " ".join(
                p["text"]
                for c in message["template"].get("components", [])
                for p in c.get("parameters", [])
            )
        return (message.get(kind) or {}).get("caption", "")

    def recent(self, n: int = 3) -> str:
        return "\n".join(self.text(m) for m in self.wa.world.messages(self.wa_id)[-n:])
