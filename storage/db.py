"""Engine and session factories. Nothing is created at import time.

SQLite (the default) runs in WAL mode with foreign keys on, a busy timeout and
``synchronous=NORMAL`` (durable across a process crash; WAL keeps readers off the writer).
SQLite has one writer at a time: ``Database.write()`` serialises write transactions inside the
process so they queue in asyncio instead of spinning on the busy timeout. PostgreSQL needs no
such lock.

SQLite is reached through aiosqlite (its own thread, so the event loop never waits on the disk),
with one change for speed (``_FusedConnection``): SQLAlchemy's adapter makes four trips to that
thread per statement (new cursor, execute, fetch, close) and one more for the rollback that
resets every connection returned to the pool. Here a statement is ONE trip (the rows come back
with it), and a commit or rollback with no transaction open (a no-op in sqlite3) makes none.
Same statements, same transactions, same thread; measured in ``docs/benchmarks.md`` (Load).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

BUSY_TIMEOUT_MS = 10_000


def _run_statement(conn: sqlite3.Connection, many: bool, sql: str, parameters: Any) -> tuple[Any, int, Any, list[Any]]:
    """In aiosqlite's thread: execute, fetch every row, close — one trip for the whole statement."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class _FusedCursor:
    """What SQLAlchemy's aiosqlite adapter needs of an aiosqlite cursor; the statement's rows,
    description, rowcount and lastrowid arrive together, so reading them costs no trip."""

    arraysize = 1

    def __init__(self, connection: "_FusedConnection") -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: Any = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> "_FusedCursor":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, many: bool, sql: str, parameters: Any) -> "_FusedCursor":
        conn = self._connection
        self.description, self.rowcount, self.lastrowid, self._rows = await conn._execute(  # noqa: SLF001
            _run_statement, conn._conn, many, sql, parameters)  # noqa: SLF001
        return self

    async def execute(self, sql: str, parameters: Any = None) -> "_FusedCursor":
        return await self._run(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Any) -> "_FusedCursor":
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


class _FusedConnection(aiosqlite.Connection):
    """aiosqlite's connection (same worker thread) with one trip per statement."""

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


def _fused_creator(args: list[Any], kwargs: dict[str, Any]):  # noqa: ANN202 - an async factory
    async def connect() -> _FusedConnection:
        return await _FusedConnection(partial(sqlite3.connect, *args, **kwargs), 64)

    return connect


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 - DBAPI connection
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_MS / 1000}
        cargs: list[Any] = []
        ckwargs: dict[str, Any] = {}
        engine = create_async_engine(url, connect_args=connect_args, async_creator=_fused_creator(cargs, ckwargs))
        # the same arguments SQLAlchemy would give aiosqlite.connect (path, check_same_thread …)
        args, kwargs = engine.dialect.create_connect_args(parsed)
        cargs.extend(args)
        ckwargs.update(kwargs, **connect_args)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


class Database:
    """The engine, its session factory and the writer discipline, for one process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @contextlib.asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed on success, rolled back on error."""
        lock = self._write_lock or contextlib.nullcontext()
        async with lock:
            async with self.sessions() as session:
                async with session.begin():
                    yield session

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    async def migrate(self) -> None:
        from storage.migrate import upgrade

        await upgrade(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()
