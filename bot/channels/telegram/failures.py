"""What the Telegram side of an operator's mistake looks like, in one line (a rejected token,
the Bot API out of reach): ``bot.engine.service.explain`` asks each channel."""

from __future__ import annotations

from bot.channels.telegram.api import InvalidToken, NetworkError
from bot.engine.service import STATUS_CONFIG, OperatorError, first_line


def explain_telegram(cause: BaseException) -> OperatorError | None:
    if isinstance(cause, InvalidToken):  # the message holds the token: never shown
        return OperatorError(
            "configuration error: TELEGRAM_BOT_TOKEN was rejected by the Bot "
            "API: copy the token again from @BotFather",
            STATUS_CONFIG,
        )
    if isinstance(cause, NetworkError):
        return OperatorError(
            f"the Bot API cannot be reached ({first_line(cause)}): check "
            "the network (or proxy) and TELEGRAM_API_BASE_URL"
        )
    return None
