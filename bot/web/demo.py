"""``mustafeed demo``: the emulator, the bot against it, and the browser page — no token, no setup.

Open the printed address: the beneficiary's phone chat and the staff group side by side.
The demo keeps its own SQLite file (``./data/demo.db``) so it never touches real data.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from aiohttp import web

from bot.app import BotApp
from bot.emulator.demo_page import Demo
from bot.emulator.server import Emulator
from bot.profile import default_profile_path, load_profile
from bot.settings import DEFAULT_DATA_DIR, load_settings
from bot.web.dashboard import ENV_URL, make_dashboard_app, make_link

log = logging.getLogger("mustafeed.demo")
DEMO_TOKEN = "123:DEMO"


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
) -> tuple[Emulator, BotApp]:
    emu = Emulator(host, port, token=DEMO_TOKEN, username="mustafeed_demo_bot", demo=True)
    await emu.start()
    base = load_settings({"MUSTAFEED_DATA_DIR": str(data_dir)}, read_dotenv=False)
    settings = base.with_(
        token=DEMO_TOKEN,
        api_base_url=emu.base_url,
        staff_chat_id=Demo.STAFF_CHAT_ID,
        database_url=f"sqlite+aiosqlite:///{data_dir}/demo.db",
        supervisor_ids=frozenset({Demo.STAFF_USER_ID}),
    )
    app = BotApp(settings, load_profile(profile_path or default_profile_path()))
    await app.start_polling()
    return emu, app


async def run_demo(host: str = "127.0.0.1", port: int = 8080) -> None:
    from bot.engine.service import until_signalled

    emu, app = await start_demo(host, port)
    dashboard = None
    try:  # the dashboard's port taken: the bot stops too (its database thread would hold the exit)
        dashboard = await start_dashboard(app, host, port + 1 if port else 0)
        link, _ = make_link(app.settings, app.rt.tenant, Demo.STAFF_USER_ID)
        print(
            f"\n  Mustafeed demo is running: open http://{host}:{emu.port}/ in a browser\n"
            f"  (beneficiary chat on one side, the staff group on the other; Ctrl+C stops it)\n"
            "  Supervisors' dashboard (type /stats in the staff group for the same figures):\n"
            f"  {link}\n",
            flush=True,
        )
        await until_signalled()
    finally:
        if dashboard is not None:
            await dashboard.cleanup()
        await app.stop()
        await emu.stop()
