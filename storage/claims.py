"""What the processes of a cluster share in PostgreSQL: chat locks, leases, the send budget.

Several ``mustafeed run`` / ``webhook`` processes on one PostgreSQL database form one service
(``bot.engine.cluster``). They agree through one dedicated connection per process
(:class:`ClusterLink`, plain asyncpg, autocommit):

* **Chat locks** — a session-level advisory lock per (association, chat), keyed
  ``hashtextextended('<tenant>:<chat>', 0)``. The process holding a chat's lock handles its
  stored updates and sends its owed messages, one at a time and in order; nobody else does.
  Session locks belong to the connection: when a process dies (SIGKILL included) its
  connection closes and PostgreSQL releases every lock it held at once — no expiry to wait for.
* **Notifications** — ``NOTIFY mustafeed, '<tenant>|<chats>'`` tells the holder of a chat (or,
  when nobody holds it, every process) that rows are waiting for it.
* **Leases** (``leases``) — a row with a holder and an expiry, for what must run in one process
  even while the others are alive: long polling an association's bot, its scheduled jobs
  (``bot.engine.lease``). Every lease a process wants is taken or renewed in one statement,
  and one sweep looks for every association's waiting work: two statements a round per
  process, whatever the number of associations.
* **The send budget** (the ``send`` row of ``leases``) — a token bucket in one row, so Telegram's ~30
  messages a second hold for the bot as a whole; each send reserves a token (one trip) and
  waits out the debt the bucket is in. A group's 20 a minute are counted from the outbox's
  ``sent_at`` (``group_sent``), so a new holder of the chat continues the old one's minute.

SQLite never comes here: one process, today's code path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "mustafeed"
APPLICATION = "mustafeed-cluster"  # the link's name in pg_stat_activity: how peers are counted
_KEY = "hashtextextended($1::text || ':' || c::text, 0)"
_LOCK = f"SELECT c FROM unnest($2::bigint[]) AS c WHERE pg_try_advisory_lock({_KEY})"
_UNLOCK = f"SELECT count(*) FROM unnest($2::bigint[]) AS c WHERE pg_advisory_unlock({_KEY})"
_UNLOCK_PAIRS = (
    "SELECT count(*) FROM unnest($1::text[], $2::bigint[]) AS k(t, c)"
    " WHERE pg_advisory_unlock(hashtextextended(t || ':' || c::text, 0))"
)
# every association's chats with work waiting that this process does not hold (``$2``, as
# '<tenant>:<chat>'): locked here when free; and, first, how many processes serve (one trip)
_SWEEP = """
SELECT NULL::text, count(*) FROM pg_stat_activity
 WHERE application_name = $4 AND datname = current_database()
UNION ALL
SELECT t, c FROM (
    SELECT DISTINCT association_id AS t, coalesce(chat_id, 0) AS c FROM inbound_updates
     WHERE association_id = ANY($1::text[]) AND status = 'pending'
       AND received_at < clock_timestamp() - make_interval(secs => $3)
    UNION
    SELECT DISTINCT association_id, chat_id FROM outbox
     WHERE association_id = ANY($1::text[]) AND status = 'pending'
       AND created_at < clock_timestamp() - make_interval(secs => $3)
) AS waiting
WHERE CASE WHEN t || ':' || c::text = ANY($2::text[]) THEN false
           ELSE pg_try_advisory_lock(hashtextextended(t || ':' || c::text, 0)) END
"""
# every lease this process wants, taken or renewed in one statement: rows in key order, so
# two processes renewing overlapping sets lock them in the same order (no deadlock)
_LEASES = """
INSERT INTO leases (association_id, name, holder, expires_at)
SELECT t, n, h, clock_timestamp() + make_interval(secs => s)
  FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[]) AS wanted(t, n, h, s)
 ORDER BY t, n
ON CONFLICT (association_id, name) DO UPDATE
   SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
 WHERE leases.holder = EXCLUDED.holder OR leases.expires_at < clock_timestamp()
RETURNING association_id, name, holder
"""
# a group's latest messages (newest first): the holder of the chat counts its minute from them
# (``ix_outbox_groups``: only the rows of groups are in that index)
_GROUP_SENT = """
SELECT sent_at FROM outbox
 WHERE association_id = $1 AND chat_id = $2 AND chat_id < 0 AND status = 'sent'
   AND sent_at > $3
 ORDER BY sent_at DESC LIMIT $4
"""
_DROP_LEASE = "DELETE FROM leases WHERE association_id = $1 AND name = $2 AND holder = $3"
# a reservation: one token taken now, the bucket may go into debt; the caller waits that debt
_TOKEN = """
INSERT INTO leases AS b (association_id, name, holder, expires_at, tokens)
VALUES ($1, 'send', '', clock_timestamp(), $3::float8 - 1)
ON CONFLICT (association_id, name) DO UPDATE
   SET tokens = least($3::float8, b.tokens
                    + extract(epoch FROM clock_timestamp() - b.expires_at)::float8 * $2::float8) - 1,
       expires_at = clock_timestamp()
RETURNING tokens
"""


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL (``postgresql+asyncpg://…``) as a DSN asyncpg takes."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


T = TypeVar("T")


class ClusterLink:
    """This process's own connection for chat locks, leases, notifications and the budget.

    One per database (``storage.db.Database.cluster_link``), shared by every association the
    process runs; statements go one at a time (a connection runs one at a time anyway)."""

    def __init__(self, url: str) -> None:
        self.dsn = asyncpg_dsn(url)
        self._conn: asyncpg.Connection | None = None
        self._turn = asyncio.Lock()
        self._listeners: dict[str, Callable[[list[int]], None]] = {}
        self.lost = False  # the connection broke: every lock it held is gone
        self._closing = False
        self._on_lost: list[Callable[[], None]] = []
        self._lease_conn: asyncpg.Connection | None = None
        self._lease_turn = asyncio.Lock()
        self._shared: dict[Callable[..., Any], Any] = {}

    def shared(self, make: Callable[[ClusterLink], T]) -> T:
        """The one ``make(self)`` of this link, made on first use: the process's single lease
        ``Renewal`` and chat ``Sweeper``, whatever the number of associations it runs."""
        if make not in self._shared:
            self._shared[make] = make(self)
        return self._shared[make]

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            if self._conn is not None:
                self._lose()
            self._conn = await asyncpg.connect(
                self.dsn, server_settings={"application_name": APPLICATION}
            )
            self.lost = False
            self._conn.add_termination_listener(lambda _conn: self._lose())
            await self._conn.add_listener(CHANNEL, self._on_notify)
        return self._conn

    def _lose(self) -> None:
        if not self.lost and not self._closing:
            log.error("cluster: the lock connection was lost; its chat locks are released")
        self.lost = True
        for forget in self._on_lost:  # what was held is held no more: take it again
            forget()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        tenant, _, chats = payload.partition("|")
        listener = self._listeners.get(tenant)
        if listener is not None:
            listener([int(c) for c in chats.split(",") if c])

    def listen(
        self, tenant: str, callback: Callable[[list[int]], None], lost: Callable[[], None]
    ) -> None:
        """``callback(chats)`` whenever someone says rows wait for these chats of ``tenant``;
        ``lost()`` when the connection, and with it every lock, is gone."""
        self._listeners[tenant] = callback
        self._on_lost.append(lost)

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        async with self._turn:
            conn = await self._connection()
            return list(await conn.fetch(sql, *args))

    async def lock(self, tenant: str, chats: list[int]) -> list[int]:
        """The chats of ``chats`` now locked by this process (never ask for one it holds:
        session locks count, and one unlock would not free it)."""
        if not chats:
            return []
        return [row[0] for row in await self.fetch(_LOCK, tenant, chats)]

    async def unlock(self, tenant: str, chats: list[int]) -> None:
        if chats:
            await self.fetch(_UNLOCK, tenant, chats)

    async def unlock_pairs(self, pairs: list[tuple[str, int]]) -> None:
        """Give back the locks of (tenant, chat) ``pairs``, of any associations, in one trip."""
        if pairs:
            await self.fetch(_UNLOCK_PAIRS, [t for t, _ in pairs], [c for _, c in pairs])

    async def sweep(
        self, tenants: list[str], held: list[str], older: float = 0.0
    ) -> tuple[int, list[tuple[str, int]]]:
        """Lock every free chat of ``tenants`` with work waiting for over ``older`` seconds
        (fresh work is taken by whoever stores it, or is told of it), except the ``held`` ones
        ('<tenant>:<chat>'); returns how many processes serve now (this one included) and the
        (tenant, chat) pairs locked. One statement whatever the number of associations."""
        rows = await self.fetch(_SWEEP, tenants, held, float(older), APPLICATION)
        peers = next((int(r[1]) for r in rows if r[0] is None), 1)
        return peers, [(r[0], int(r[1])) for r in rows if r[0] is not None]

    async def notify(self, tenant: str, chats: list[int]) -> None:
        if chats:
            payload = f"{tenant}|{','.join(map(str, sorted(set(chats))))}"
            await self.fetch("SELECT pg_notify($1, $2)", CHANNEL, payload[:7900])

    async def leases(self, wanted: list[tuple[str, str, str, float]]) -> set[tuple[str, str, str]]:
        """Take or renew every lease of ``wanted`` (tenant, name, holder, seconds it lasts) in
        one statement; returns the (tenant, name, holder) of those the holders have now. On a connection
        of its own: a renewal never waits behind the chat locks' traffic."""
        if not wanted:
            return set()
        tenants, names, holders, ttls = (list(column) for column in zip(*wanted, strict=True))
        async with self._lease_turn:
            if self._lease_conn is None or self._lease_conn.is_closed():
                self._lease_conn = await asyncpg.connect(self.dsn)
            rows = await self._lease_conn.fetch(_LEASES, tenants, names, holders, ttls)
        return {(r[0], r[1], r[2]) for r in rows}

    async def drop_lease(self, tenant: str, name: str, holder: str) -> None:
        async with self._lease_turn:
            if self._lease_conn is not None and not self._lease_conn.is_closed():
                await self._lease_conn.execute(_DROP_LEASE, tenant, name, holder)

    async def reserve(self, tenant: str, rate: float, burst: float) -> float:
        """Reserve one token of the bot's shared budget (``rate`` a second, ``burst`` at most);
        returns how long to wait before using it."""
        rows = await self.fetch(_TOKEN, tenant, float(rate), float(burst))
        debt = -float(rows[0][0]) if rows else 0.0
        return debt / rate if debt > 0 else 0.0

    async def group_sent(
        self, tenant: str, chat: int, since: datetime, limit: int
    ) -> list[datetime]:
        """When the last ``limit`` messages to the group ``chat`` were sent since ``since``
        (newest first), as the outbox recorded them."""
        return [row[0] for row in await self.fetch(_GROUP_SENT, tenant, chat, since, limit)]

    async def close(self) -> None:
        self._closing = True
        for conn in (self._conn, self._lease_conn):
            if conn is not None and not conn.is_closed():
                await conn.close()
        self._conn = self._lease_conn = None
