"""``mustafeed demo``: the emulator, the bot against it, and the browser page — no token, no setup.

Open the printed address: the beneficiary's phone chat and the staff group side by side.
The demo keeps its own SQLite file (``./data/demo.db``) so it never touches real data.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.app import BotApp
from bot.emulator.demo import Demo
from bot.emulator.server import Emulator
from bot.profile import default_profile_path, load_profile
from bot.settings import DEFAULT_DATA_DIR, load_settings

log = logging.getLogger("mustafeed.demo")
DEMO_TOKEN = "123:DEMO"


async def start_demo(host: str = "127.0.0.1", port: int = 8080, *, data_dir: Path = DEFAULT_DATA_DIR,
                     profile_path: Path | None = None) -> tuple[Emulator, BotApp]:
    emu = Emulator(host, port, token=DEMO_TOKEN, username="mustafeed_demo_bot", demo=True)
    await emu.start()
    base = load_settings({"MUSTAFEED_DATA_DIR": str(data_dir)}, read_dotenv=False)
    settings = base.with_(token=DEMO_TOKEN, api_base_url=emu.base_url, staff_chat_id=Demo.STAFF_CHAT_ID,
                          database_url=f"sqlite+aiosqlite:///{data_dir}/demo.db",
                          supervisor_ids=frozenset({Demo.STAFF_USER_ID}))
    app = BotApp(settings, load_profile(profile_path or default_profile_path()))
    await app.start_polling()
    return emu, app


async def run_demo(host: str = "127.0.0.1", port: int = 8080) -> None:
    from bot.__main__ import _until_signalled

    emu, app = await start_demo(host, port)
    print(f"\n  Mustafeed demo is running: open http://{host}:{emu.port}/ in a browser\n"
          f"  (beneficiary chat on one side, the staff group on the other; Ctrl+C stops it)\n", flush=True)
    try:
        await _until_signalled()
    finally:
        await app.stop()
        await emu.stop()
