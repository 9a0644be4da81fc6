"""Flood control per beneficiary: a token bucket per person, in the process's memory. A person
who sends a burst of messages is answered once, calmly, and the excess is recorded (the update
row stays) but not acted on. Buttons and commands count too; the bucket refills at a human pace.

Why memory and not the database: the check runs on every update, and two statements for it were
a tenth of the bot's work (docs/benchmarks.md, *Load*). Nothing in a bucket is worth keeping —
after a restart everyone starts with a full one, which only forgives. A person's updates are
handled by one process at a time — the one process, or in a cluster the holder of their chat's
lock (``bot.engine.cluster``) — so no bucket is split across processes; a hand-over of the chat
starts a full one, which again only forgives. (A group's 20 messages a minute, which must not
be forgiven, are counted in the database when clustered: ``cluster.SharedBudget``.)
Memory stays bounded: buckets that have refilled are dropped (they equal a new one).
"""

from __future__ import annotations

import time

BURST = 30.0  # updates a person may send at once
REFILL_PER_SECOND = 1.0
WARN_EVERY = 60.0  # seconds between two calm answers to the same burst
PRUNE_ABOVE = 10_000  # buckets kept before the full ones are dropped


class FloodGate:
    def __init__(self, *, rate: float = REFILL_PER_SECOND, clock=time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: dict[int, list[float]] = {}  # user → [tokens, at, warned_at]

    def admit(self, user_id: int, *, burst: float = BURST) -> tuple[bool, bool]:
        """Take a token. Returns (allowed, warn_now): when not allowed, warn at most once a minute."""
        now = self._clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= PRUNE_ABOVE:
                self._prune(now, burst)
            self._buckets[user_id] = [burst - 1, now, float("-inf")]
            return True, False
        tokens = min(burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1:
            bucket[0] = tokens - 1
            return True, False
        bucket[0] = tokens
        if now - bucket[2] >= WARN_EVERY:
            bucket[2] = now
            return False, True
        return False, False

    def forget(self, user_id: int) -> None:
        self._buckets.pop(user_id, None)

    def _prune(self, now: float, burst: float) -> None:
        full = [
            user
            for user, (tokens, at, _) in self._buckets.items()
            if tokens + (now - at) * self.rate >= burst
        ]
        for user in full:
            del self._buckets[user]

    def __len__(self) -> int:
        return len(self._buckets)
