"""``mustafeed demo``: the emulator, the bot against it, and the browser page — no token, no setup.

Open the printed address: a beneficiary's Telegram chat, another's WhatsApp chat, and the staff
group where their cases arrive. The bot runs with WhatsApp on against the emulator's Cloud API
side (``bot.emulator.wa_server``), its ``/whatsapp`` webhook on a local port. The demo keeps its
own SQLite file (``./data/demo.db``) so it never touches real data, and starts it afresh each
time: the emulator's chats live in memory and its update and message ids start again at 1, which
a database from an earlier run would take for redeliveries and drop.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.app import BotApp
from bot.emulator.demo_page import Demo
from bot.emulator.server import Emulator
from bot.emulator.wa_server import WhatsAppEmulator
from bot.profile import default_profile_path, load_profile
from bot.settings import DEFAULT_DATA_DIR, load_settings
from bot.web.dashboard import ENV_URL, make_dashboard_app, make_link

log = logging.getLogger("mustafeed.demo")
DEMO_TOKEN = "123:DEMO"
DEMO_VERIFY_TOKEN = "demo-verify-token"


@dataclass
class DemoRun:
    """The running demo: the Telegram emulator (and the page), its WhatsApp side, the bot."""

    emu: Emulator
    wa: WhatsAppEmulator
    app: BotApp
    webhook: web.AppRunner

    async def stop(self) -> None:
        await self.wa.drain()
        await self.app.stop()
        await self.webhook.cleanup()
        await self.wa.stop()
        await self.emu.stop()


async def start_dashboard(app: BotApp, host: str, port: int) -> web.AppRunner:
    """The supervisors' dashboard beside the demo; ``/dashboard`` links point at it."""
    runner = web.AppRunner(make_dashboard_app(app.rt), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    os.environ[ENV_URL] = f"http://{host}:{runner.addresses[0][1]}/"
    return runner


async def start_demo(
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    data_dir: Path = DEFAULT_DATA_DIR,
    profile_path: Path | None = None,
) -> DemoRun:
    emu = Emulator(host, port, token=DEMO_TOKEN, username="mustafeed_demo_bot", demo=True)
    await emu.start()
    for stale in ("demo.db", "demo.db-wal", "demo.db-shm", "demo.db-journal"):
        (data_dir / stale).unlink(missing_ok=True)
    wa = await WhatsAppEmulator("127.0.0.1").start()
    profile = load_profile(profile_path or default_profile_path())
    base = load_settings({"MUSTAFEED_DATA_DIR": str(data_dir)}, read_dotenv=False)
    settings = base.with_(
        token=DEMO_TOKEN,
        api_base_url=emu.base_url,
        staff_chat_id=Demo.STAFF_CHAT_ID,
        database_url=f"sqlite+aiosqlite:///{data_dir}/demo.db",
        supervisor_ids=frozenset({Demo.STAFF_USER_ID}),
        whatsapp_phone_number_id=wa.world.phone_number_id,
        whatsapp_access_token=wa.world.access_token,
        whatsapp_app_secret=wa.world.app_secret,
        whatsapp_verify_token=DEMO_VERIFY_TOKEN,
        whatsapp_api_base_url=wa.base_url,
    )
    app = BotApp(settings, profile)
    await app.start_polling()
    webhook = web.AppRunner(app.whatsapp_app(), access_log=None)
    await webhook.setup()
    await web.TCPSite(webhook, "127.0.0.1", 0).start()
    wa.webhook_url = f"http://127.0.0.1:{webhook.addresses[0][1]}/whatsapp"
    assert emu.demo is not None
    emu.demo.attach_whatsapp(wa, business=profile.association.name.get("ar") or "")
    return DemoRun(emu, wa, app, webhook)


async def run_demo(host: str = "127.0.0.1", port: int = 8080) -> None:
    from bot.engine.service import until_signalled

    run = await start_demo(host, port)
    dashboard = None
    try:  # the dashboard's port taken: the bot stops too (its database thread would hold the exit)
        dashboard = await start_dashboard(run.app, host, port + 1 if port else 0)
        link, _ = make_link(run.app.settings, run.app.rt.tenant, Demo.STAFF_USER_ID)
        print(
            f"\n  Mustafeed demo is running: open http://{host}:{run.emu.port}/ in a browser\n"
            "  (a beneficiary on Telegram, another on WhatsApp, and the staff group where their\n"
            "  cases arrive; on a phone, tabs switch between them; Ctrl+C stops it)\n"
            "  Supervisors' dashboard (type /stats in the staff group for the same figures):\n"
            f"  {link}\n",
            flush=True,
        )
        await until_signalled()
    finally:
        if dashboard is not None:
            await dashboard.cleanup()
        await run.stop()
