"""Running totals of the supervisors' reports: per-day counters kept in the transaction of the
row they count, so a report reads a few thousand counter rows instead of every answer.

Three tables (``storage.models``), the smallest set that gives every figure of
``bot.domain.reports.build_report`` except the snapshot of open work (read from the live rows
through an index: its size is the open work, not the history):

* ``totals_scores`` — scored survey answers per (Riyadh) day × service × question × score;
  comments (no score) are not counted. Overall, by month, by question and by service are sums.
  Scores and durations are kept twice, per day and per month (``grain``): a period reads the
  month rows of the whole months it covers and the day rows of the days at its two ends
  (:func:`segments`), so a year reads about a twelfth of its day rows.
* ``totals_invitations`` — invitations per day sent: sent, finished, skipped (answer rate).
* ``totals_durations`` — first replies (``reply``, by the day the ticket was opened) and
  decisions (``decision``, by the day decided) per day × bucket of the duration: how many,
  their seconds (the mean), a histogram (the median of a long period), and for decisions how
  many had a deadline and were decided by it.

How they stay right. Every write of a counted row goes through the ORM (``session.add``, an
attribute set, ``session.delete``): after each flush, :func:`_after_flush` takes, for every new,
changed or deleted row of the four counted models, what it added to the counters before
(its committed values — the counted columns have ``active_history`` so the old value is known)
and what it adds now, and upserts the difference (``INSERT … ON CONFLICT DO UPDATE SET n = n +
excluded.n``, the same on SQLite and PostgreSQL) on the flush's own connection — the same
transaction. An ORM bulk ``delete(Model)`` of a counted model subtracts what the deleted rows
counted; an ORM bulk ``update(Model)`` that sets a counted column is refused (:class:`TotalsError`).
Core statements on the tables themselves (``Model.__table__``, raw SQL: the benchmark's bulk
load) are not seen: run :func:`rebuild` (``mustafeed rebuild-totals``) after them.

Erasure and retention (``bot.domain.privacy``) anonymise cases — they blank the answers, texts
and the link to the person — and never change a counted column (dates, service, scores);
survey answers carry no person and are never erased. So the counters, which are anonymous
aggregates, stay equal to a recount from the rows by design; ``tests/unit/test_totals.py``
checks it after random histories.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, inspect, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction, attributes

from storage.models import (
    ServiceRequest,
    SurveyAnswer,
    SurveyInvitation,
    Ticket,
    TotalDuration,
    TotalInvitation,
    TotalScore,
)
from storage.scope import TenantSession

NO_SERVICE = ""  # TotalScore.service_id of answers without a service (a key column is never NULL)
REPLY, DECISION = "reply", "decision"
RIYADH_OFFSET = timedelta(hours=3)  # Riyadh keeps UTC+3 all year

# Buckets of a duration: 6 minutes under 48 hours (what /stats shows there: 0.1 hour), 2.4
# hours beyond (0.1 day)
FINE, SPLIT, COARSE = 360, 48 * 3600, 8640
FINE_BUCKETS = SPLIT // FINE


class TotalsError(RuntimeError):
    """A write the running totals cannot follow."""


def riyadh_day(moment: datetime) -> date:
    """The Riyadh date of a stored instant (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment.astimezone(UTC) + RIYADH_OFFSET).date()


def bucket(seconds: int) -> int:
    if seconds < SPLIT:
        return seconds // FINE
    return FINE_BUCKETS + (seconds - SPLIT) // COARSE


def bucket_bounds(index: int) -> tuple[int, int]:
    """A bucket's seconds, ``[from, to)``."""
    if index < FINE_BUCKETS:
        return index * FINE, (index + 1) * FINE
    low = SPLIT + (index - FINE_BUCKETS) * COARSE
    return low, low + COARSE


def segments(start: date, end: date) -> list[tuple[str, date, date]]:
    """The rows that make up the days ``start``–``end`` (both included): ``(grain, first,
    last)`` — day rows for the days before the first whole month and after the last one,
    month rows (keyed by their first day) for the whole months between."""

    def next_month(first: date) -> date:
        return date(first.year + first.month // 12, first.month % 12 + 1, 1)

    first_whole = start if start.day == 1 else next_month(start.replace(day=1))
    after_whole = (
        next_month(end.replace(day=1))
        if next_month(end.replace(day=1)) - timedelta(days=1) == end
        else end.replace(day=1)
    )
    if first_whole >= after_whole:
        return [(DAY, start, end)]
    out = []
    if start < first_whole:
        out.append((DAY, start, first_whole - timedelta(days=1)))
    out.append((MONTH, first_whole, after_whole - timedelta(days=1)))
    if after_whole <= end:
        out.append((DAY, after_whole, end))
    return out


def seconds_between(start: datetime, end: datetime) -> int:
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = (m if m.tzinfo else m.replace(tzinfo=UTC) for m in (start, end))
    return round((end - start).total_seconds())


# --------------------------------------------------------------------------------------------
# What one row counts
# --------------------------------------------------------------------------------------------

Key = tuple[Any, tuple[Any, ...]]  # (counter table, its key)
Deltas = dict[Key, dict[str, int]]

COUNTED: dict[type, tuple[str, ...]] = {
    SurveyAnswer: ("association_id", "created_at", "service_id", "question_id", "score"),
    SurveyInvitation: ("association_id", "sent_at", "finished_at", "skipped"),
    Ticket: ("association_id", "created_at", "first_response_at"),
    ServiceRequest: ("association_id", "submitted_at", "decided_at", "due_date"),
}
_SCORES, _INVITATIONS, _DURATIONS = (
    TotalScore.__table__,
    TotalInvitation.__table__,
    TotalDuration.__table__,
)
_KEYS: dict[Any, tuple[str, ...]] = {
    _SCORES: ("association_id", "grain", "day", "question_id", "score", "service_id"),
    _INVITATIONS: ("association_id", "day"),
    _DURATIONS: ("association_id", "kind", "grain", "day", "bucket"),
}
DAY, MONTH = "d", "m"


def _grains(day: date) -> tuple[tuple[str, date], tuple[str, date]]:
    """A counted event goes in its day's row and its month's (keyed by the month's first day)."""
    return (DAY, day), (MONTH, day.replace(day=1))


def counts(model: type, v: dict[str, Any]) -> Iterator[tuple[Key, dict[str, int]]]:
    """What a row with the counted values ``v`` adds to the counters."""
    tenant = v["association_id"]
    if tenant is None:
        return
    if model is SurveyAnswer:
        if v["score"] is not None and v["created_at"] is not None:
            for grain, day in _grains(riyadh_day(v["created_at"])):
                yield (
                    (
                        _SCORES,
                        (
                            tenant,
                            grain,
                            day,
                            v["question_id"],
                            v["score"],
                            v["service_id"] or NO_SERVICE,
                        ),
                    ),
                    {"n": 1},
                )
    elif model is SurveyInvitation:
        if v["sent_at"] is not None:
            yield (
                (_INVITATIONS, (tenant, riyadh_day(v["sent_at"]))),
                {
                    "sent": 1,
                    "finished": int(v["finished_at"] is not None),
                    "skipped": int(bool(v["skipped"])),
                },
            )
    elif model is Ticket:
        if v["created_at"] is not None and v["first_response_at"] is not None:
            s = seconds_between(v["created_at"], v["first_response_at"])
            for grain, day in _grains(riyadh_day(v["created_at"])):
                yield (
                    (_DURATIONS, (tenant, REPLY, grain, day, bucket(s))),
                    {"n": 1, "seconds": s, "with_due": 0, "in_time": 0},
                )
    elif model is ServiceRequest:
        if v["submitted_at"] is not None and v["decided_at"] is not None:
            s, decided, due = (
                seconds_between(v["submitted_at"], v["decided_at"]),
                riyadh_day(v["decided_at"]),
                v["due_date"],
            )
            for grain, day in _grains(decided):
                yield (
                    (_DURATIONS, (tenant, DECISION, grain, day, bucket(s))),
                    {
                        "n": 1,
                        "seconds": s,
                        "with_due": int(due is not None),
                        "in_time": int(due is not None and decided <= due),
                    },
                )


def _add(into: Deltas, items: Iterable[tuple[Key, dict[str, int]]], sign: int = 1) -> None:
    for key, values in items:
        target = into.setdefault(key, defaultdict(int))
        for column, value in values.items():
            target[column] += sign * value


def _now_values(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _old_values(obj: Any, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The values the row had when loaded (before this flush); None if any is unknown."""
    out = {}
    for name in names:
        history = attributes.get_history(obj, name, passive=attributes.PASSIVE_NO_INITIALIZE)
        if history.deleted:
            out[name] = history.deleted[0]
        elif history.unchanged:
            out[name] = history.unchanged[0]
        elif history.added:  # set without a loaded old value: active_history prevents this
            return None
        else:
            out[name] = inspect(obj).dict.get(name)
    return out


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    return any(
        attributes.get_history(obj, name, passive=attributes.PASSIVE_NO_INITIALIZE).has_changes()
        for name in names
    )


def upsert(connection: Any, deltas: Deltas) -> None:
    """Add the deltas to the counters (one executemany per table)."""
    insert = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    per_table: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for (table, key), values in deltas.items():
        if any(values.values()):
            per_table[table].append({**dict(zip(_KEYS[table], key, strict=True)), **values})
    for table, rows in per_table.items():
        columns = [c for c in rows[0] if c not in _KEYS[table]]
        stmt = insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_KEYS[table]),
            set_={c: table.c[c] + stmt.excluded[c] for c in columns},
        )
        connection.execute(stmt, rows)


# --------------------------------------------------------------------------------------------
# Kept in the flush that writes the rows
# --------------------------------------------------------------------------------------------


@event.listens_for(TenantSession, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    deltas: Deltas = {}
    for obj in session.new:
        names = COUNTED.get(type(obj))
        if names:
            _add(deltas, counts(type(obj), _now_values(obj, names)))
    for obj in session.dirty:
        names = COUNTED.get(type(obj))
        if not names or not _changed(obj, names):
            continue
        old = _old_values(obj, names)
        if old is None:
            raise TotalsError(
                f"{type(obj).__name__}: a counted column changed from an unknown value"
            )
        _add(deltas, counts(type(obj), old), -1)
        _add(deltas, counts(type(obj), _now_values(obj, names)))
    for obj in session.deleted:
        names = COUNTED.get(type(obj))
        if names:
            old = _old_values(obj, names)
            if old is None:
                raise TotalsError(f"{type(obj).__name__}: deleted with an unknown counted value")
            _add(deltas, counts(type(obj), old), -1)
    if deltas:
        upsert(session.connection(), deltas)


@event.listens_for(TenantSession, "do_orm_execute")
def _bulk_writes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    model = mapper.class_ if mapper is not None else None
    names = COUNTED.get(model)  # type: ignore[arg-type]
    if not names:
        return
    stmt = state.statement
    if state.is_update:
        values = getattr(stmt, "_values", None) or {}  # the SET clause (no public accessor)
        keys = {getattr(k, "key", k) for k in values}
        keys |= {getattr(k, "key", k) for k, _ in (getattr(stmt, "_ordered_values", None) or ())}
        touched = keys & set(names)
        if touched:
            raise TotalsError(
                f"bulk update of {model.__name__}.{sorted(touched)}: the running totals "  # type: ignore[union-attr]
                "cannot follow it; change the objects instead"
            )
        return
    # a bulk delete: subtract what the rows it deletes counted, in the same transaction
    columns = [getattr(model, name) for name in names]
    rows = state.session.execute(select(*columns).where(stmt.whereclause)).all()  # type: ignore[attr-defined]
    deltas: Deltas = {}
    for row in rows:
        _add(deltas, counts(model, dict(zip(names, row, strict=True))), -1)  # type: ignore[arg-type]
    if deltas:
        upsert(state.session.connection(), deltas)


# --------------------------------------------------------------------------------------------
# Recount from the rows
# --------------------------------------------------------------------------------------------


def recount(connection: Any, tenant: str) -> Deltas:
    """The counters of one association as its rows give them (reads only; a sync connection)."""
    deltas: Deltas = {}
    A = SurveyAnswer
    # answers: grouped in SQL first (they are kept to the day, so few distinct rows)
    for created_at, service_id, question_id, score, n in connection.execute(
        select(A.created_at, A.service_id, A.question_id, A.score, func.count())
        .where(A.association_id == tenant, A.score.is_not(None))
        .group_by(A.created_at, A.service_id, A.question_id, A.score)
    ):
        values = {
            "association_id": tenant,
            "created_at": created_at,
            "service_id": service_id,
            "question_id": question_id,
            "score": score,
        }
        _add(deltas, ((key, {"n": n}) for key, _ in counts(A, values)))
    for model in (SurveyInvitation, Ticket, ServiceRequest):
        names = COUNTED[model]
        for row in connection.execute(
            select(*(getattr(model, n) for n in names)).where(model.association_id == tenant)
        ):
            _add(deltas, counts(model, dict(zip(names, row, strict=True))))
    return nonzero(deltas)


def stored(connection: Any, tenant: str) -> Deltas:
    """The counters as stored (rows of zeros left out)."""
    out: Deltas = {}
    for table, keys in _KEYS.items():
        values = [c.name for c in table.columns if c.name not in keys]
        for row in connection.execute(
            select(table).where(table.c.association_id == tenant)
        ).mappings():
            counted = {v: int(row[v]) for v in values}
            if any(counted.values()):
                out[(table, tuple(row[k] for k in keys))] = counted
    return out


def nonzero(deltas: Deltas) -> Deltas:
    return {key: dict(values) for key, values in deltas.items() if any(values.values())}


def rebuild(connection: Any, tenant: str) -> int:
    """Recompute one association's counters from its rows (idempotent): its counters are
    deleted and the recount written, in the connection's transaction. Returns the rows written.
    Async callers: ``await session.run_sync(lambda s: rebuild(s.connection(), tenant))``."""
    fresh = recount(connection, tenant)
    for table in _KEYS:
        connection.execute(delete(table).where(table.c.association_id == tenant))
    upsert(connection, fresh)
    return len(fresh)


def rebuild_all(connection: Any) -> dict[str, int]:
    """:func:`rebuild` for every association (the migration that adds the tables uses it)."""
    from storage.models import Association

    tenants = connection.execute(select(Association.id).order_by(Association.id)).scalars().all()
    return {tenant: rebuild(connection, tenant) for tenant in tenants}
