"""Who may act in the staff group: members of the staff chat, asked of Telegram with
``getChatMember`` and cached briefly. Their role (staff, researcher, supervisor) is the
domain's: ``bot.domain.roles``.

The Telegram check runs BEFORE the update's transaction, so no HTTP call ever holds the
database's writer lock.
"""

from __future__ import annotations

import logging
import time

from telegram import Bot

from bot.channels.telegram.transport import call

log = logging.getLogger(__name__)
CACHE_SECONDS = 60.0
ACTIVE = {"creator", "administrator", "member", "restricted"}


class MembershipCache:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._cache: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_member(self, chat_id: int, user_id: int) -> bool:
        key = (chat_id, user_id)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        try:
            member = await call(self.bot, "getChatMember", {"chat_id": chat_id, "user_id": user_id})
            ok = isinstance(member, dict) and member.get("status") in ACTIVE
        except Exception as exc:  # not a member, or Telegram unreachable: refuse (fail closed)
            log.info("getChatMember failed: %s", type(exc).__name__)
            ok = False
        self._cache[key] = (now, ok)
        return ok
