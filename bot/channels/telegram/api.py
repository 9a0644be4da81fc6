"""What the rest of the bot uses of python-telegram-bot, named in one place: the client, the
upload wrapper and the errors the outbox classifies and the command line explains (Telegram is the only delivery channel for now; a
second channel brings its own sender)."""

from __future__ import annotations

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
)

from bot.channels.telegram.transport import call, retry_seconds

__all__ = [
    "BadRequest",
    "Bot",
    "ChatMigrated",
    "Conflict",
    "Forbidden",
    "InputFile",
    "InvalidToken",
    "NetworkError",
    "RetryAfter",
    "TelegramError",
    "call",
    "retry_seconds",
]
