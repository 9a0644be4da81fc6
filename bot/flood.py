"""Flood control per beneficiary, persisted (a token bucket in ``rate_states``): a person who
sends a burst of messages is answered once, calmly, and the excess is recorded but not acted
on. Buttons and commands count too; the bucket refills at a human pace."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RateState, utcnow

BURST = 30.0  # updates a person may send at once
REFILL_PER_SECOND = 1.0
WARN_EVERY = timedelta(minutes=1)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=utcnow().tzinfo)


async def admit(session: AsyncSession, tenant: str, user_id: int, now: datetime | None = None, *,
                burst: float = BURST, rate: float = REFILL_PER_SECOND) -> tuple[bool, bool]:
    """Take a token. Returns (allowed, warn_now): when not allowed, warn at most once a minute."""
    now = now or utcnow()
    state = await session.get(RateState, (tenant, user_id))
    if state is None:
        session.add(RateState(association_id=tenant, telegram_user_id=user_id, tokens=burst - 1, updated_at=now))
        return True, False
    elapsed = max(0.0, (now - _aware(state.updated_at)).total_seconds())
    tokens = min(burst, state.tokens + elapsed * rate)
    state.updated_at = now
    if tokens >= 1:
        state.tokens = tokens - 1
        return True, False
    state.tokens = tokens
    if state.warned_at is None or now - _aware(state.warned_at) >= WARN_EVERY:
        state.warned_at = now
        return False, True
    return False, False
