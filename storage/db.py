"""Engine and session factories. Nothing is created at import time.

SQLite (the default) runs in WAL mode with foreign keys on and ``synchronous=NORMAL`` (durable
across a process crash; WAL keeps readers off the writer). SQLite has one writer at a time:
``Database.write()`` serialises write transactions inside the process so they queue in asyncio
instead of spinning on a busy timeout. PostgreSQL needs no such lock.

SQLite is reached through aiosqlite, with two changes for speed (``_FusedConnection``), measured
in ``docs/benchmarks.md`` (Load):

* **One statement, one call.** SQLAlchemy's adapter makes four calls per statement (new cursor,
  execute, fetch, close) and one more for the rollback that resets every connection returned to
  the pool. Here a statement is ONE call (the rows come back with it), and a commit or rollback
  with no transaction open (a no-op in sqlite3) makes none. On the inline engine, opening and
  closing SQLAlchemy's cursor is not awaited either (``_InlineCursor``): one ``await_`` (two
  greenlet switches) per statement instead of three.
* **Short statements run on the event loop's thread.** An indexed read or write on a local
  SQLite file takes 5–20 µs; handing it to aiosqlite's worker thread and back costs 50–75 µs of
  CPU (a queue, a future, a self-pipe wake-up and two GIL hand-overs). So a statement runs
  inline, with SQLite's busy timeout at 0: if another *process* holds the write lock (a backup,
  a migration), SQLite answers "busy" at once, and that statement is handed to the worker thread,
  which waits out the lock with the usual timeout while the loop goes on. Long work — reports,
  exports, the dashboard, periodic jobs — asks for ``Database.read(offload=True)`` (or
  ``write(offload=True)``): a second engine whose statements always run in the worker thread.
  WAL checkpoints (an fsync) are taken off the loop too: automatic checkpoints are off on the
  inline connections and a background task checkpoints from a thread after commits.

**Every session is bound to one association** (``storage.scope``): ``read(tenant=…)`` /
``write(tenant=…)``, or the :class:`ScopedDatabase` a runtime holds (``db.scoped(tenant)``),
limit every ORM SELECT, UPDATE and DELETE to that association's rows and stamp new rows with it.
A session over every association must be asked for with ``unscoped=True``: migrations, the
``audit`` command (it lists several associations). Neither is a ``TypeError``.

The deliberate exceptions are the hot path's prebuilt statements, most of them run on the
driver's connection (``storage.prepared``), which loader criteria do not reach; each carries the
tenant (or a key that is unique across associations) itself:

* ``bot.engine.dispatch``: ``_CLAIM`` (``association_id = :tenant``), the person and their
  dialog (``_USER_BY_TELEGRAM_ID``, ``_CLAIM_AND_USER``: ``association_id = :tenant``) and
  ``_OWE`` (an outbox INSERT whose rows name the tenant);
* ``bot.engine.intake``: ``_STORE_SQLITE`` / ``_STORE_PG`` (inbound INSERTs naming the tenant);
* ``bot.engine.outcomes``: the delivery UPDATEs by outbox id and tenant;
* ``bot.engine.dialogs``: ``_READ`` and ``WRITES`` by beneficiary id (ids are global, and the
  beneficiary was found by the tenant's key); ``bot.engine.dispatch`` writes the dialog as a CTE
  of an outbox INSERT (``_OWE_WITH``) on PostgreSQL;
* ``bot.features.requests``: the caller's own draft read (``_OWN_DRAFT``) and its answers
  written (``_SET_ANSWERS``), both by id and tenant.

``storage.claims`` (PostgreSQL, a cluster's own connection) runs plain SQL whose every
statement names the tenant as its first parameter.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite
import orjson
from sqlalchemy import Executable, event, text
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import EMPTY_DICT

from storage import totals as _totals  # noqa: F401 - registers the running totals (flush events)
from storage.prepared import Prepared, committed_alone, run_alone, run_statement
from storage.scope import TENANT, TenantSession

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000
MIGRATION_LOCK = 0x6D75_7374_6166  # PostgreSQL advisory lock key held while one process migrates
CHECKPOINT_EVERY = 1.0  # seconds between background WAL checkpoints (when something was written)


class _FusedCursor:
    """What SQLAlchemy's aiosqlite adapter needs of an aiosqlite cursor; the statement's rows,
    description, rowcount and lastrowid arrive together, so reading them costs no trip."""

    arraysize = 1

    def __init__(self, connection: _FusedConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: Any = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> _FusedCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, many: bool, sql: str, parameters: Any) -> _FusedCursor:
        conn = self._connection
        self.description, self.rowcount, self.lastrowid, self._rows = await conn._execute(
            run_statement, conn._conn, many, sql, parameters
        )
        return self

    async def execute(self, sql: str, parameters: Any = None) -> _FusedCursor:
        return await self._run(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Any) -> _FusedCursor:
        return await self._run(True, sql, parameters)

    async def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        size = size or self.arraysize
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def close(self) -> None:
        self._rows = []

    async def nextset(self) -> None:
        return None

    async def setinputsizes(self, *sizes: Any) -> None:
        return None


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return (
        getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        or "locked" in str(exc)
        or "busy" in str(exc)
    )


def _waiting_out_the_lock(
    conn: sqlite3.Connection, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """In the worker thread: the same call, with the busy timeout that the loop cannot afford."""
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        return fn(*args, **kwargs)
    finally:
        conn.execute("PRAGMA busy_timeout=0")


class _FusedConnection(aiosqlite.Connection):
    """aiosqlite's connection with one call per statement, run inline unless ``offload``."""

    offload = False  # set on the connections of the long-work engine

    async def _execute(self, fn, *args, **kwargs):
        if self.offload or self._connection is None:
            return await super()._execute(fn, *args, **kwargs)
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
        # another process holds the write lock: nothing was done; wait for it off the loop
        return await super()._execute(_waiting_out_the_lock, self._connection, fn, args, kwargs)

    def cursor(self) -> _FusedCursor:  # type: ignore[override]
        return _FusedCursor(self)

    async def commit(self) -> None:
        # sqlite3 commits nothing when no transaction is open; ``in_transaction`` only reads a
        # flag, and SQLAlchemy never commits while a statement of this connection runs.
        if self._connection is not None and self._connection.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self._connection is not None and self._connection.in_transaction:
            await super().rollback()


class _InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor over ``_FusedCursor``, whose opening and closing do nothing:
    they are not awaited (each ``await_`` is two greenlet switches). The statement itself is
    still awaited once (``AsyncConnection.execute`` insists on one), and runs inline."""

    __slots__ = ()
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = cast(Any, _FusedCursor(cast(Any, self._connection)))
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    def close(self) -> None:
        self._rows.clear()


class _InlineAdaptedConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection for the inline engine: its cursors are ``_InlineCursor``
    and a commit or rollback runs at once (none at all with no transaction open)."""

    __slots__ = ()
    _cursor_cls = _InlineCursor

    def _end(self, how: str) -> None:
        conn = self._connection._connection
        if conn is None or not conn.in_transaction:
            return
        try:
            getattr(conn, how)()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                self._handle_exception(exc)
            getattr(super(), how)()  # waits the lock out in the worker thread
        except Exception as exc:
            self._handle_exception(exc)

    def commit(self) -> None:
        self._end("commit")

    def rollback(self) -> None:
        self._end("rollback")


def _fused_creator(args: list[Any], kwargs: dict[str, Any], offload: bool):
    async def connect() -> aiosqlite.Connection:
        connection = _FusedConnection(partial(sqlite3.connect, *args, **kwargs), 64)
        connection.offload = offload
        return await connection

    return connect


def _sqlite_pragmas(offload: bool):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # inline connections never wait on the loop, nor checkpoint there (see the module doc)
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS if offload else 0}")
        if not offload:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()
        if not offload:  # same slots, other methods: its statements run without an await
            dbapi_connection.__class__ = _InlineAdaptedConnection

    return on_connect


def _json_dumps(value: Any) -> str:
    """JSON columns (raw updates, outbox payloads, dialogs …) through orjson: several times
    faster than ``json.dumps``; non-string keys become strings, as ``json`` made them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


JSON_OPTIONS: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


def create_private(path: Path) -> None:
    """Create the SQLite file owner-only (0600) before SQLite does (it would follow the umask,
    often 0644: readable by every local account). SQLite gives the ``-wal`` and ``-shm`` files
    it makes the database file's mode. An O_EXCL create, not a umask change: the umask belongs
    to the whole process and its threads. An existing file is left as it is (the settings warn
    once when it is readable by others)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def make_engine(url: str, *, offload: bool = False) -> AsyncEngine:
    """An engine for ``url``; for SQLite, ``offload`` runs every statement in aiosqlite's thread
    (long work) instead of inline (see the module doc). PostgreSQL ignores it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            create_private(Path(parsed.database))
        # the loop's thread uses the connection too (inline statements); only one of the two
        # touches it at a time, since each statement is awaited before the next
        connect_args: dict[str, Any] = {
            "timeout": BUSY_TIMEOUT_MS / 1000 if offload else 0,
            "check_same_thread": False,
        }
        cargs: list[Any] = []
        ckwargs: dict[str, Any] = {}
        engine = create_async_engine(
            url,
            connect_args=connect_args,
            async_creator=_fused_creator(cargs, ckwargs, offload),
            **JSON_OPTIONS,
        )
        # the same arguments SQLAlchemy would give aiosqlite.connect (path, check_same_thread …)
        args, kwargs = engine.dialect.create_connect_args(parsed)
        cargs.extend(args)
        ckwargs.update(kwargs, **connect_args)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(offload))
        return engine
    # No pre-ping (a round trip at every checkout, i.e. per transaction): a connection found
    # dead by its first statement invalidates the pool (every connection older than it is
    # replaced at its next checkout), and the hot path runs its work again once (``retrying``).
    return create_async_engine(url, pool_size=10, max_overflow=10, **JSON_OPTIONS)


def dropped(exc: BaseException) -> bool:
    """A statement failed because its connection was gone (PostgreSQL restarted, a network
    cut): nothing of the transaction was kept, and a fresh connection can do it again."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


async def retrying(
    work: Callable[[], Awaitable[T]], *, unsure: Callable[[], object] | None = None
) -> T:
    """Run ``work`` (one whole transaction) again, once, when it failed on a dropped connection
    (``dropped``): the first statement after a restart finds the pooled connection dead, and
    the pool has then replaced every older one. Any other failure is the caller's.

    The first run may still have committed (its COMMIT reached the server, the answer did not
    come back): ``unsure`` is called before the second, for a caller whose second run would
    then find its own rows as someone else's (an update handled, rows "seen before")."""
    try:
        return await work()
    except DBAPIError as exc:
        if not dropped(exc):
            raise
        logging.getLogger(__name__).warning(
            "database connection lost (%s); trying again on a new one", type(exc.orig).__name__
        )
    if unsure is not None:
        unsure()
    return await work()


def _checkpoint(path: str) -> None:
    """In a thread: fold the WAL into the database file (PASSIVE: never waits for readers)."""
    with contextlib.closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)) as conn:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose scope events (``storage.scope``) apply once ``info`` names a tenant."""
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=True, sync_session_class=TenantSession
    )


def _scope_info(tenant: str | None, unscoped: bool) -> dict[str, Any]:
    if tenant is not None and not unscoped:
        return {TENANT: tenant}
    if tenant is None and unscoped:
        return {}
    raise TypeError(
        "a session is bound to one association: pass tenant=..., "
        "or unscoped=True for work across associations (migrations, maintenance)"
    )


class Database:
    """The engine, its session factory and the writer discipline, for one process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._offload_engine: AsyncEngine | None = None
        self._offload_sessions: async_sessionmaker[AsyncSession] | None = None
        self._sqlite_path = make_url(url).database if self.is_sqlite else None
        self._dirty = False  # written since the last checkpoint
        self._checkpointer: asyncio.Task[None] | None = None
        self._link: Any = None  # storage.claims.ClusterLink, PostgreSQL only, made on first use
        self._autocommit: AsyncEngine | None = None  # write_one's, PostgreSQL only
        self._own: AsyncConnection | None = None  # write_one's, SQLite only (kept open)

    def cluster_link(self) -> Any:
        """This process's connection for the cluster's chat locks, leases and send budget
        (``storage.claims.ClusterLink``); None on SQLite (one process, no cluster)."""
        if self.is_sqlite:
            return None
        if self._link is None:
            from storage.claims import ClusterLink  # asyncpg: installed with PostgreSQL only

            self._link = ClusterLink(self.url)
        return self._link

    def _sessions_for(self, offload: bool) -> async_sessionmaker[AsyncSession]:
        if not (offload and self.is_sqlite):
            return self.sessions
        if self._offload_sessions is None:  # made on first use: most processes never need it
            self._offload_engine = make_engine(self.url, offload=True)
            self._offload_sessions = make_sessionmaker(self._offload_engine)
        return self._offload_sessions

    def scoped(self, tenant: str) -> ScopedDatabase:
        """This database as one association sees it (what a runtime holds)."""
        return ScopedDatabase(self, tenant)

    @contextlib.asynccontextmanager
    async def write(
        self, *, tenant: str | None = None, unscoped: bool = False, offload: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """One write transaction of ``tenant`` (or ``unscoped``): committed on success, rolled
        back on error."""
        info = _scope_info(tenant, unscoped)
        lock = self._write_lock or contextlib.nullcontext()
        async with lock:
            session = self._sessions_for(offload)(info=info)  # begins with its first statement
            try:
                yield session
                await session.commit()
            finally:  # after an error, the rollback; either way its connection goes back to the
                await session.close()  # pool here, in this task (one task less per update)
        if self.is_sqlite:
            self._note_write()

    async def write_one(
        self, statement: Executable | Prepared, params: Any = None, *, each: bool = False
    ) -> Sequence[Any]:
        """One statement that needs nothing around it (an INSERT or UPDATE and its RETURNING
        rows, e.g. a batch of updates stored, a message marked sent), committed at once. On
        PostgreSQL in autocommit: one round trip instead of three (BEGIN, the statement,
        COMMIT); on SQLite under the writer lock, without a session's bookkeeping. No scope
        applies (no session): the statement names its association itself.

        A :class:`storage.prepared.Prepared` runs on the driver's connection: with a list of
        ``params``, as an executemany (no rows back), or with ``each``, one by one, every
        statement's rows kept."""
        if self._write_lock is not None:  # SQLite
            async with self._write_lock:
                if isinstance(statement, Prepared):  # on a connection of its own, kept open:
                    rows = await self._own_write(statement, params, each)  # no pool, no begin
                else:
                    async with self.engine.begin() as conn:
                        rows = await run_alone(conn, statement, params, each)
            self._note_write()
            return rows
        if self._autocommit is None:
            self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        async with self._autocommit.connect() as conn:
            return await run_alone(conn, statement, params, each)

    async def _own_write(self, statement: Prepared, params: Any, each: bool) -> Sequence[Any]:
        """SQLite, under the writer lock: on write_one's own connection, kept open."""
        if self._own is None or self._own.closed:
            self._own = await self.engine.connect()
        return await committed_alone(self._own, statement, params, each)

    @contextlib.asynccontextmanager
    async def read(
        self, *, tenant: str | None = None, unscoped: bool = False, offload: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A read session of ``tenant`` (or ``unscoped``); ``offload`` for long queries
        (reports), which must not hold the loop."""
        info = _scope_info(tenant, unscoped)
        session = self._sessions_for(offload)(info=info)
        try:
            yield session
        finally:  # as in ``write``: closed in the caller's task
            await session.close()

    # -- WAL checkpoints off the loop (SQLite) ------------------------------------------------
    def _note_write(self) -> None:
        self._dirty = True
        if (self._checkpointer is None or self._checkpointer.done()) and self._sqlite_path not in (
            None,
            "",
            ":memory:",
        ):
            self._checkpointer = asyncio.get_running_loop().create_task(self._checkpoint_loop())

    async def _checkpoint_loop(self) -> None:
        while self._dirty:
            await asyncio.sleep(CHECKPOINT_EVERY)
            self._dirty = False
            try:
                await asyncio.to_thread(_checkpoint, self._sqlite_path)  # type: ignore[arg-type]  # a file: see _note_write
            except sqlite3.Error as exc:  # the next round tries again; the WAL only grows meanwhile
                logging.getLogger(__name__).warning(
                    "WAL checkpoint failed (%s)", type(exc).__name__
                )
                self._dirty = True

    async def migrate(self) -> None:
        """Bring the schema up to date. On PostgreSQL the processes of a cluster may start
        together: one migrates while the others wait (an advisory lock), then find it done."""
        from storage.migrate import upgrade

        if self.is_sqlite:
            await upgrade(self.engine)
            return
        async with self.engine.connect() as conn:
            await conn.execute(text(f"SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            try:
                await upgrade(self.engine)
            finally:
                await conn.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})"))

    async def dispose(self) -> None:
        own, self._own = self._own, None
        if own is not None:
            await own.close()
        link, self._link = self._link, None
        if link is not None:
            await link.close()
        checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None and not checkpointer.done():
            checkpointer.cancel()
            await asyncio.gather(checkpointer, return_exceptions=True)
        if self._offload_engine is not None:
            await self._offload_engine.dispose()
        await self.engine.dispose()
        if self._dirty and self._sqlite_path not in (None, "", ":memory:"):
            await asyncio.to_thread(_checkpoint, self._sqlite_path)


class ScopedDatabase:
    """A :class:`Database` bound to one association: every session it opens is scoped to it.

    The runtime of each association holds one (``rt.db``), so every session the bot opens sees
    only that association's rows. Migrating and disposing act on the shared database."""

    def __init__(self, database: Database, tenant: str) -> None:
        if not tenant:
            raise ValueError("a scoped database needs an association id")
        self.database = database
        self.tenant = tenant

    @property
    def url(self) -> str:
        return self.database.url

    @property
    def engine(self) -> AsyncEngine:
        return self.database.engine

    @property
    def is_sqlite(self) -> bool:
        return self.database.is_sqlite

    def write(
        self, *, offload: bool = False
    ) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        return self.database.write(tenant=self.tenant, offload=offload)

    def read(
        self, *, offload: bool = False
    ) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        return self.database.read(tenant=self.tenant, offload=offload)

    async def write_one(
        self, statement: Executable | Prepared, params: Any = None, *, each: bool = False
    ) -> Sequence[Any]:
        return await self.database.write_one(statement, params, each=each)

    async def migrate(self) -> None:
        await self.database.migrate()

    async def dispose(self) -> None:
        await self.database.dispose()
