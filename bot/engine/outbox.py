"""The delivery outbox: every Bot API call the bot owes someone is a row, written in the same
transaction as the change that made it owed, then sent by ``bot.engine.sender.Sender``.

This module is the outbox's vocabulary: ``Out`` (one owed call), the payload keys units of work
put on it (``bot.engine.owed``), the verdicts a channel's ``Delivery`` gives a failure, and the
limits and policy the sender keeps.

Two payload keys shape delivery (both removed before the call):

* ``$merge`` marks a follow-up (``{"key", "head", "body"}``): it goes after the chat's other
  messages unless they belong to the same case, at most one per ``Limits.followup_interval``
  for its key, and the follow-ups of one key still waiting are merged into one message (the
  head once, then every body). Without a body, copies still waiting are sent once (a repeated
  "added ✓"); a ``single`` one, a photo or a file, waits behind cards and decisions but is
  neither merged nor spaced.
* ``$then`` holds the messages owed only once this one's fate is known (``{"sent": [...],
  "failed": [...]}``): "received ✓" is said only when the staff group has the message, and the
  person is told it could not be passed on when it failed. They become rows in the same
  transaction that records the outcome.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Protocol

from storage.models import OutboxMessage

FILES_KEY = "$files"  # payload key: {"document": "/path/to/file"} uploaded at send time
INLINE_KEY = (
    "$inline"  # payload key: {"document": {"name": "x.txt", "b64": "…"}} (small files we make)
)
MERGE_KEY = "$merge"  # payload key: a follow-up, see the module doc
THEN_KEY = "$then"  # payload key: messages owed once this one is sent or failed, see the module doc
BULK_KEY = "$bulk"  # payload key: one of many (an announcement): sent only when nothing else waits
REMOTE_KEY = "$remote"  # payload key: {"channel", "file_id", "kind"}: another channel's file
MAX_BACKOFF = 60.0


@dataclass
class Out:
    """A Bot API call to make: ``method`` with a JSON-ready ``payload`` (chat_id included)."""

    chat_id: int
    method: str
    payload: dict[str, Any]
    link_kind: str | None = None  # when sent, remember which case the new message belongs to
    link_id: int | None = None
    id: int | None = None  # the outbox row, once written
    channel: str = "telegram"  # the channel that rendered it; its Delivery sends it
    created: float = field(default_factory=time.time, compare=False)  # epoch seconds
    attempts: int = field(default=0, compare=False)
    done_parts: list[int] = field(default_factory=list, compare=False, repr=False)
    sent_with: list[Out] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def of_row(cls, r: Any) -> Out:
        """An owed message read back from its outbox row (a whole row, or the columns of one)."""
        return cls(
            r.chat_id,
            r.method,
            r.payload,
            r.link_kind,
            r.link_id,
            r.id,
            channel=r.channel or "telegram",
            created=epoch(r.created_at),
            attempts=r.attempts or 0,
        )

    def row(self, tenant: str) -> OutboxMessage:
        return OutboxMessage(
            association_id=tenant,
            chat_id=self.chat_id,
            method=self.method,
            payload=self.payload,
            link_kind=self.link_kind,
            link_id=self.link_id,
            channel=self.channel,
        )

    @property
    def merge(self) -> dict[str, Any] | None:
        return self.payload.get(MERGE_KEY)

    @property
    def case(self) -> tuple[str, int | None] | None:
        return (self.link_kind, self.link_id) if self.link_kind else None

    def spec(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "method": self.method,
            "payload": self.payload,
            "link_kind": self.link_kind,
            "link_id": self.link_id,
            "channel": self.channel,
        }


def _merge_kind(merge: dict[str, Any] | None) -> str:
    """``join`` (bodies merged), ``once`` (copies sent once) or ``single`` (paced, never merged)."""
    merge = merge or {}
    return "single" if merge.get("single") else "join" if "body" in merge else "once"


def _strip(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as the channel sees it: without the outbox's own keys."""
    return {k: v for k, v in payload.items() if k not in (MERGE_KEY, THEN_KEY, BULK_KEY)}


def is_message(method: str) -> bool:
    """A call that makes a new message (not an edit, a deletion or an answer)."""
    return method.startswith("send") or method in ("copyMessage", "forwardMessage")


def _message_ids(result: Any) -> list[int]:
    if isinstance(result, dict) and isinstance(result.get("message_id"), int):
        return [result["message_id"]]
    if isinstance(result, list):
        return [m["message_id"] for m in result if isinstance(m, dict) and "message_id" in m]
    return []


# -- errors ---------------------------------------------------------------------------------------

RETRY, WAIT, BLOCKED, PERMANENT, UNCHANGED = "retry", "wait", "blocked", "permanent", "unchanged"


class Delivery(Protocol):
    """How a channel makes one stored call (``bot.channels.telegram.sending``): the call itself,
    what a failure means for its message (``classify``: one of the verdicts above), and how long
    the channel asked us to wait (``retry_seconds``, for ``wait``)."""

    def parts(self, method: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """The calls that deliver one row within the channel's limits (usually the row itself)."""

    async def call(self, method: str, payload: dict[str, Any]) -> Any: ...

    def classify(self, exc: BaseException, chat_id: int) -> str: ...

    def retry_seconds(self, exc: BaseException) -> float: ...


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def delay(self) -> float:
        """Take a token; return how long to wait before using it."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def take_if_free(self) -> float:
        """Take a token if one is free now (0.0); else take none and say how long to wait."""
        if not self.delay():
            return 0.0
        self.tokens += 1  # not taken after all
        return (1 - self.tokens) / self.rate


class SlidingWindow:
    """At most ``limit`` uses in any ``period`` seconds, exactly: Telegram's 20 messages a
    minute to a group. A token bucket of 20 lets 40 through in its first minute, and one made
    anew whenever a chat's queue empties would let a burst through each time."""

    def __init__(
        self, limit: float, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.period, self.clock = max(1, int(limit)), period, clock
        self.times: deque[float] = deque(maxlen=self.limit)  # when the last uses were due

    def delay(self) -> float:
        """Take the next free use; return how long to wait before it."""
        now = self.clock()
        while self.times and self.times[0] <= now - self.period:  # memory: one period's uses
            self.times.popleft()
        due = now if len(self.times) < self.limit else max(now, self.times[0] + self.period)
        self.times.append(due)
        return due - now

    def stamp(self) -> None:
        """The last use ended now: it counts from here (Telegram counts a message when it
        arrives, some time before its answer)."""
        if self.times:
            self.times[-1] = max(self.times[-1], self.clock())


@dataclass
class Limits:
    per_second: float = 30.0
    group_per_minute: float = 20.0
    group_window: float = 60.0  # seconds: Telegram's minute for group_per_minute (tests shorten it)
    private_burst: float = 5.0
    private_per_second: float = 1.0
    followup_interval: float = 15.0  # seconds between two messages of one case's follow-ups


@dataclass
class Policy:
    """When to give up on a message, and whom to tell."""

    max_attempts: int = 10
    max_age: float = 6 * 3600.0  # seconds since the message was owed
    staff_chats: frozenset[int] = frozenset()
    supervisors: frozenset[int] = frozenset()


def then_owed(item: Out, status: str) -> list[Out]:
    """The messages ``item``'s ``$then`` owes now that it was ``status`` (sent or failed)."""
    specs = (item.payload.get(THEN_KEY) or {}).get("sent" if status == "sent" else "failed") or []
    return [
        Out(
            s["chat_id"],
            s["method"],
            dict(s["payload"]),
            s.get("link_kind"),
            s.get("link_id"),
            channel=s.get("channel") or "telegram",
        )
        for s in specs
    ]


def epoch(value: Any) -> float:
    """A stored timestamp (naive ones are UTC) in epoch seconds."""
    if value is None:
        return time.time()
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
