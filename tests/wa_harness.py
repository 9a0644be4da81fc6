"""The WhatsApp side of the end-to-end harness: the bot with WhatsApp on, its ``/whatsapp``
served on a local port, and the emulator's Cloud API (``bot.emulator.wa_server``) sending signed
webhooks as a WhatsApp person would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.app import BotApp
from bot.emulator.server import Emulator
from bot.emulator.wa_server import WhatsAppEmulator
from bot.profile import Profile
from tests.harness import STAFF, STAFF_CHAT, Person, make_settings, start_app

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
    for kind in ("notice", "status", "reminder", "survey", "announcement"):
        template = getattr(profile.whatsapp.templates, kind)
        if template is not None and template.body:  # as Meta approved them
            wa.world.approve(template.name, template.language, template.body, template.buttons)
    app = await start_app(emu, settings, profile)
    assert app.whatsapp is not None
    app.whatsapp.clock = wa.world.now  # the bot reads the window on WhatsApp's clock
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
            return self.wa.world.rendered(message)
        return (message.get(kind) or {}).get("caption", "")

    def recent(self, n: int = 3) -> str:
        return "\n".join(self.text(m) for m in self.wa.world.messages(self.wa_id)[-n:])


async def consent(noura: WaUser) -> None:
    await noura.say("مرحبا")
    await noura.choose("أوافق")


QUESTION = "متى يبدأ توزيع السلال الغذائية لهذا الشهر؟"  # one the FAQ cannot answer


async def hand_over(noura: WaUser, emu: Emulator, question: str = QUESTION) -> tuple[Person, dict]:
    """Noura consents and hands a question over to staff: the staff member (a supervisor in the
    group) and the card her question made there."""
    await consent(noura)
    await noura.choose("استفسار")
    await noura.choose("التحدث مع فريق الجمعية")
    await noura.say(question)
    return Person(emu, noura.app, STAFF, chat_id=STAFF_CHAT), emu.last_message(STAFF_CHAT)


async def apply(noura: WaUser, profile: Profile) -> str:
    """A full application from WhatsApp (tests/flows.py's service), submitted: its reference."""
    import re

    from tests.flows import SERVICE

    await consent(noura)
    await noura.say("القائمة")
    await noura.choose("طلب خدمة")
    service = profile.service(SERVICE)
    assert service is not None
    await noura.choose(service.title.ar[:20])
    await noura.choose("ابدأ التقديم")
    await noura.say("محمد عبدالله سعيد الحربي")
    await noura.say("١٠٠٠٠٠٠٠٠٨")
    await noura.choose(noura.last()["interactive"]["action"]["buttons"][0]["reply"]["title"])
    await noura.say("١٥/٠٥/١٤٠٠")
    await noura.say("٥")
    await noura.say("3500")
    for index, choice in ((6, 1), (7, 0)):
        choices = service.fields[index].choices or ()
        await noura.choose(choices[choice].label.ar[:20])
    await noura.send_location()
    await noura.send_image(b"\xff\xd8\xff\xe0 family photo")
    await noura.send_document(b"%PDF-1.4 family", "family.pdf", "application/pdf")
    await noura.send_document(b"%PDF-1.4 income", "income.pdf", "application/pdf")
    await noura.choose("تخطٍّ")
    await noura.choose("تخطٍّ")
    await noura.choose("كل شيء صحيح")
    done = await noura.choose("أُقِرّ وأرسِل")
    match = re.search(r"REQ-\d{4}-\d{4}", "\n".join(noura.text(m) for m in done))
    assert match, [noura.text(m) for m in done]
    return match.group(0)


# -- fixtures (a test module imports the ones it uses) ----------------------------------------


@pytest.fixture
async def wa() -> AsyncIterator[WhatsAppEmulator]:
    emulator = WhatsAppEmulator()
    emulator.add_person(WA_ID, "نورة القحطاني")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def wa_app(
    emu: Emulator, wa: WhatsAppEmulator, database_url: str, profile: Profile
) -> AsyncIterator[BotApp]:
    app, runner = await start_whatsapp_app(emu, wa, database_url, profile)
    yield app
    await wa.drain()
    await runner.cleanup()
    await app.stop()


@pytest.fixture
def noura(wa: WhatsAppEmulator, wa_app: BotApp) -> WaUser:
    return WaUser(wa, wa_app)
