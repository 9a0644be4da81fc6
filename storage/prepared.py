"""The hot path's statements, run on the driver's own connection.

Every update runs a handful of prebuilt Core statements (the claim, the dialog's write, the
outbox rows, the intake's store, a delivery's outcome). Through SQLAlchemy's ``execute`` each
cost 56 µs of CPU on SQLite and 111 µs on PostgreSQL — keying the compiled cache, building an
execution context, processing parameters and results, two greenlet switches — against 7.5 and
38 µs run here (``bench/statement_bench.py``, docs/benchmarks.md, "Session 7: the hot path
on the driver's connection"). :class:`Prepared` compiles its statement once per dialect into
the driver's SQL, the order of its parameters, the type processors SQLAlchemy itself would
apply (JSON written by orjson, datetimes as SQLite stores them) and the Python-side column
defaults of an INSERT or UPDATE (``utcnow``), and runs it directly:

* **SQLite**: on the session's ``sqlite3`` connection, inline on the event loop like every
  other inline statement (``storage.db._FusedConnection._execute``: a write lock held by
  another process hands the call to the worker thread, which waits it out);
* **PostgreSQL**: on the session's asyncpg connection, whose prepared-statement cache keeps it
  parsed; the session's transaction is begun first when no statement has begun it yet.

It runs in the session's transaction, so it commits and rolls back with the rest of the unit
of work. What SQLAlchemy would add is kept where it matters: driver errors become SQLAlchemy's
(``IntegrityError`` …), and a connection found dead is invalidated as SQLAlchemy does —
``DBAPIError.connection_invalidated`` set, the pool's older connections replaced — so
``storage.db.retrying`` works the same. No ORM event fires (none does for Core statements
either), and no scope applies: like every hot Core statement, a prepared one names its
association itself (``storage.db``'s module doc lists them). The engine's
``before_cursor_execute`` event still fires (with no cursor and no context), so what counts
statements — tests, ``bench.replay --count`` — counts these too.

Every other value a statement writes must be a bind parameter (``bindparam``) or a literal in
the statement: a Python-side default this path cannot compute (one that is neither a value nor a
callable) is refused when the statement is first compiled.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Executable, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # the bind parameters, in the driver's positional order
    binds: tuple[Callable[[Any], Any] | None, ...]  # each one's processor (None: as it is)
    results: tuple[Callable[[Any], Any] | None, ...]  # each result column's processor
    literals: Mapping[str, Any]  # values the statement fixes itself (``status == 'pending'``)
    defaults: Mapping[str, Callable[[Any], Any]]  # Python-side column defaults (``utcnow``)

    def args(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, bind in zip(self.names, self.binds, strict=True):
            if name in params:
                value = params[name]
            elif name in self.defaults:
                value = self.defaults[name](None)
            else:
                value = self.literals[name]
            out.append(bind(value) if bind is not None and value is not None else value)
        return tuple(out)

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not any(self.results):
            return [tuple(row) for row in raw]
        return [
            tuple(
                p(v) if p is not None and v is not None else v
                for p, v in zip(self.results, row, strict=True)
            )
            for row in raw
        ]


def _plan(statement: Executable, dialect: Dialect) -> _Plan:
    compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    names = tuple(compiled.positiontup or ())
    processors = compiled._bind_processors
    required = {name for name, bind in compiled.binds.items() if bind.required}
    literals = {
        name: value
        for name, value in compiled.construct_params(_check=False).items()
        if name not in required
    }
    defaults = {}  # an INSERT's or UPDATE's columns whose default Python computes
    for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
        default = column.default if column in compiled.insert_prefetch else column.onupdate
        if default is None or (not default.is_scalar and not default.is_callable):
            raise TypeError(f"{column}: a default this path cannot compute; bind it instead")
        defaults[column.key] = default.arg if default.is_callable else (lambda _, v=default.arg: v)
    results = tuple(  # (key, name, objects, type) each
        column[3].dialect_impl(dialect).result_processor(dialect, None)
        for column in compiled._result_columns
    )
    return _Plan(
        compiled.string,
        names,
        tuple(processors.get(n) for n in names),
        results,
        literals,
        defaults,
    )


def run_statement(
    conn: sqlite3.Connection, many: bool, sql: str, parameters: Any
) -> tuple[Any, int, Any, list[Any]]:
    """One sqlite3 statement whole: execute, fetch every row, close (its description, row
    count, last row id and rows). Inline here; in aiosqlite's thread for ``storage.db``'s
    offloaded connections (one trip for the whole statement)."""
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


class Prepared:
    """A Core statement compiled once per dialect and run on the driver's connection."""

    __slots__ = ("_plans", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _plan(self.statement, dialect)
        return plan

    async def run(self, where: AsyncSession | AsyncConnection, params: Mapping[str, Any]) -> Result:
        """Run with ``params`` in ``where``'s transaction; the rows and the row count."""
        return await self._go(where, [params], many=False)

    async def run_each(
        self, where: AsyncSession | AsyncConnection, params: Sequence[Mapping[str, Any]]
    ) -> Result:
        """Run once per item of ``params``, each statement's rows kept (an ``INSERT …
        RETURNING`` of several rows, on SQLite: a statement costs microseconds there)."""
        rows: list[tuple[Any, ...]] = []
        count = 0
        for item in params:
            result = await self._go(where, [item], many=False)
            rows += result.rows
            count += max(result.rowcount, 0)
        return Result(rows, count)

    async def run_many(
        self, where: AsyncSession | AsyncConnection, params: Sequence[Mapping[str, Any]]
    ) -> Result:
        """Run once per item of ``params`` (an executemany; no rows come back)."""
        return await self._go(where, params, many=True)

    async def _go(
        self,
        where: AsyncSession | AsyncConnection,
        params: Sequence[Mapping[str, Any]],
        *,
        many: bool,
    ) -> Result:
        conn = await where.connection() if isinstance(where, AsyncSession) else where
        sync = conn.sync_connection
        assert sync is not None, "a prepared statement needs a connection that is open"
        dialect = sync.dialect
        plan = self.plan(dialect)
        args = [plan.args(p) for p in params]
        if sync._has_events or sync.engine._has_events:  # those who count statements see these
            sync.dispatch.before_cursor_execute(
                sync, None, plan.sql, args if many else args[0], None, many
            )
        adapter: Any = sync.connection.dbapi_connection
        try:
            if dialect.name == "sqlite":
                fused = adapter._connection  # storage.db._FusedConnection (aiosqlite)
                _, count, _, rows = await fused._execute(
                    run_statement, fused._connection, many, plan.sql, args if many else args[0]
                )
            else:
                rows, count = await _asyncpg_run(adapter, plan, args, many)
        except Exception as exc:
            raise await _as_sqlalchemy(conn, adapter, plan.sql, args, exc) from exc
        return Result(plan.rows(rows), count)


async def _asyncpg_run(
    adapter: Any, plan: _Plan, args: list[tuple[Any, ...]], many: bool
) -> tuple[list[Any], int]:
    """On SQLAlchemy's asyncpg adapter: its transaction begun first (as its own cursor does),
    one statement at a time on the connection (its mutex). A statement with rows to return
    counts them; one without reads its count from the command tag (``UPDATE 1``)."""
    async with adapter._execute_mutex:
        if adapter._transaction is None:
            await adapter._start_transaction()
        connection = adapter._connection
        if many:
            await connection.executemany(plan.sql, args)
            return [], len(args)
        if plan.results:
            rows = await connection.fetch(plan.sql, *args[0])
            return rows, len(rows)
        tail = (await connection.execute(plan.sql, *args[0])).rsplit(" ", 1)[-1]
        return [], int(tail) if tail.isdigit() else -1


async def _as_sqlalchemy(
    conn: AsyncConnection, adapter: Any, sql: str, args: Any, exc: Exception
) -> Exception:
    """``exc`` as SQLAlchemy would have raised it; a dead connection invalidated, and the
    pool's other connections with it (they died with the server)."""
    if isinstance(exc, DBAPIError):
        return exc
    sync: Any = conn.sync_connection
    dialect = sync.dialect
    orig: Exception = exc
    if dialect.name != "sqlite":
        try:
            adapter._handle_exception(exc)  # raises the adapter's DB-API form of it
        except Exception as translated:
            orig = translated
    invalidated = bool(dialect.is_disconnect(orig, adapter, None))
    error = DBAPIError.instance(
        sql, args, orig, dialect.loaded_dbapi.Error, connection_invalidated=invalidated
    )
    if invalidated:
        await conn.invalidate(orig)
        await conn.engine.dispose(close=False)
    return error


@dataclass(slots=True)
class Result:
    rows: list[tuple[Any, ...]]
    rowcount: int

    def scalar_one(self) -> Any:
        (row,) = self.rows
        return row[0]

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


async def run_alone(
    conn: AsyncConnection, statement: Executable | Prepared, params: Any, each: bool
) -> Sequence[Any]:
    """``storage.db.Database.write_one``'s statement: a :class:`Prepared` with a list of
    ``params`` as an executemany (no rows back), or with ``each`` one by one, rows kept; any
    other statement through SQLAlchemy."""
    if not isinstance(statement, Prepared):
        result = await conn.execute(statement, params)
        return result.all() if result.returns_rows else ()
    if each:
        return (await statement.run_each(conn, params)).rows
    if isinstance(params, list):
        await statement.run_many(conn, params)
        return ()
    return (await statement.run(conn, params)).rows


async def committed_alone(
    conn: AsyncConnection, statement: Prepared, params: Any, each: bool
) -> Sequence[Any]:
    """SQLite: the statement, then its commit, both on the driver, inline (a lock held by
    another process is waited out in the worker thread); a failure rolls back. No pool
    checkout, no SQLAlchemy transaction: ``conn`` is kept open for these."""
    sync = conn.sync_connection
    assert sync is not None
    fused: Any = sync.connection.dbapi_connection._connection  # type: ignore[union-attr]
    try:
        rows = await run_alone(conn, statement, params, each)
        await fused._execute(fused._connection.commit)
    except BaseException:
        if fused._connection is not None and fused._connection.in_transaction:
            await fused._execute(fused._connection.rollback)
        raise
    return rows


def adopt(session: AsyncSession, cls: type[T], values: Mapping[str, Any]) -> T:
    """An ORM object of ``cls`` for a row read with a prepared statement (``values``: every
    mapped column), persistent in ``session`` as if the ORM had loaded it: changing it later
    is flushed as an UPDATE, as usual. For the rows nearly every update reads (the person who
    wrote, the draft they are filling in): an ORM SELECT's loading machinery costs several
    times the statement. An object the session already holds is returned as it is, as the ORM
    would (its state in this transaction may be newer than the row read)."""
    mapper: Any = inspect(cls)
    key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    held = session.sync_session.identity_map.get(key)
    if held is not None:
        return held
    instance = mapper.class_manager.new_instance()
    instance_dict(instance).update(values)  # committed as loaded by the next call
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
