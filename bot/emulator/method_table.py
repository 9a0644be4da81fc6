"""The table of the emulated Bot API methods: ``METHODS`` and the ``@method`` that fills it.

Each method is ``async (bot, params) -> result`` registered under its lower-case name (Telegram's
method names are case-insensitive): :mod:`bot.emulator.methods` (sending and changing messages)
and :mod:`bot.emulator.chat_methods` (updates, the bot's profile, files and chats).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .params import Params
from .world import BotHandle

Method = Callable[[BotHandle, Params], Awaitable[Any]]
METHODS: dict[str, Method] = {}


def method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name.lower()] = function
        return function

    return register
