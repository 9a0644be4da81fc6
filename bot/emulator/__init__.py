"""A local Telegram Bot API emulator for end-to-end tests, the browser demo and benchmarks.

``Emulator`` is an aiohttp server speaking the Bot API (python-telegram-bot's real HTTP client
talks to it through ``base_url`` / ``base_file_url``) and the world of its default bot: tests
add people and groups, act as them (``send_text``, ``press``, ``send_photo`` ...) and observe
what the bot did (``messages``, ``wait_for_message``, ``calls`` ...). ``add_bot`` serves more
bot tokens from the same server, each with its own ``BotHandle`` world.

Run it standalone (with the demo page) with ``python -m bot.emulator --port 8081``.
"""

from .markup import button_data, buttons
from .protocol import ApiError
from .server import DEFAULT_TOKEN, Emulator
from .state import ApiCall, Latency
from .world import BotHandle

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "BotHandle",
    "Emulator",
    "Latency",
    "button_data",
    "buttons",
]
