"""The SQL of a report: every figure from the running totals (``storage.totals``: per-day
counters kept in the transaction of each answer, invitation, first reply and decision), the
open work from the live rows (see :mod:`bot.domain.reports`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dates import today_riyadh
from bot.domain.reports.figures import (
    PENDING_DECISION,
    TICKET_OPEN,
    Durations,
    Group,
    Report,
    Score,
    _satisfied,
    _scales,
    by_month_nonempty,
    month_label,
    primary_question,
    question_label,
    service_label,
    suppress,
)
from bot.domain.reports.period import Period
from bot.profile import Profile
from storage.models import (
    ServiceRequest,
    Ticket,
    TotalDuration,
    TotalInvitation,
    TotalScore,
    utcnow,
)
from storage.totals import DECISION, REPLY, bucket_bounds, segments

EXACT_MEDIAN_UP_TO = 1000
"""A period with at most this many durations gets its median from the rows (exact, an index
range: ``ix_tickets_created``, ``ix_service_requests_decided``); beyond, from the counters'
histogram (within 3 minutes under 48 hours, 1.2 hours beyond; the count and mean stay exact)."""

# --------------------------------------------------------------------------------------------
# SQL
# --------------------------------------------------------------------------------------------


def _hours(dialect: str, start: Any, end: Any) -> Any:
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return func.extract("epoch", end - start) / 3600.0


class _Tally:
    """Adds histogram rows (question, score, count) into Scores, normalising each question's
    scale to 1–5. It sums a few thousand *grouped* rows, never the answers themselves."""

    def __init__(self, profile: Profile) -> None:
        self.scales, self.primary = _scales(profile), primary_question(profile)

    def add(self, target: Score, question_id: str, score: int, count: int) -> None:
        scale = self.scales.get(question_id, 5)
        target.answers += count
        target.total += count * score * 5.0 / scale
        target.satisfied += count if _satisfied(score, scale) else 0
        target.responses += count if question_id == self.primary else 0


@dataclass
class _Query:
    tenant: str
    profile: Profile
    period: Period
    now: datetime
    locale: str
    lo: datetime = field(init=False)
    hi: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.lo, self.hi = self.period.bounds()


def _in_period(table: Any, period: Period, *key: Any) -> Any:
    """The counter rows of the period: month rows for its whole months, day rows at its ends.
    The key conditions (association, kind) are repeated in each term, so that SQLite reads each
    as a range of the primary key ("MULTI-INDEX OR"; without them it scans the association)."""
    return or_(
        *(
            and_(*key, table.grain == grain, table.day >= first, table.day <= last)
            for grain, first, last in segments(period.start, period.end)
        )
    )


def _month(dialect: str, day: Any) -> Any:
    """A counter's month as ``YYYY-MM`` text."""
    if dialect == "sqlite":
        return func.substr(day, 1, 7)  # SQLite keeps a date as ISO text
    return func.to_char(day, "YYYY-MM")


async def _by_day(session: AsyncSession, q: _Query) -> tuple[Score, list[Group], dict[str, Score]]:
    """Overall, per month and per question, from the counters: one GROUP BY month, question,
    score over the period's rows (ranges of the counters' primary key)."""
    S, tally = TotalScore, _Tally(q.profile)
    month = _month(session.get_bind().dialect.name, S.day)
    rows = (
        await session.execute(
            select(month, S.question_id, S.score, func.sum(S.n))
            .where(_in_period(S, q.period, S.association_id == q.tenant))
            .group_by(month, S.question_id, S.score)
        )
    ).all()
    month_of = {
        first: Group(first, month_label(first, q.locale), Score())
        for first, _, _ in q.period.months()
    }
    overall = Score()
    questions: dict[str, Score] = {}
    for key, question_id, score, count in rows:
        if not count:
            continue
        first = date.fromisoformat(f"{key}-01")
        month = month_of.get(first) or month_of.setdefault(
            first, Group(first, month_label(first, q.locale), Score())
        )
        tally.add(month.score, question_id, score, int(count))
        tally.add(overall, question_id, score, int(count))
        tally.add(questions.setdefault(question_id, Score()), question_id, score, int(count))
    for score in questions.values():  # every question is answered by every response
        score.responses = overall.responses
    return overall, sorted(month_of.values(), key=lambda g: g.key), questions


async def _by_service(session: AsyncSession, q: _Query) -> dict[str | None, Score]:
    """Per service, from the counters: one GROUP BY service, question, score."""
    S, tally = TotalScore, _Tally(q.profile)
    services: dict[str | None, Score] = {}
    for service_id, question_id, score, count in (
        await session.execute(
            select(S.service_id, S.question_id, S.score, func.sum(S.n))
            .where(_in_period(S, q.period, S.association_id == q.tenant))
            .group_by(S.service_id, S.question_id, S.score)
        )
    ).all():
        if count:
            tally.add(
                services.setdefault(service_id or None, Score()), question_id, score, int(count)
            )
    return {k: v for k, v in services.items() if v.answers}


async def _answer_rate(session: AsyncSession, q: _Query) -> tuple[int, int, int]:
    I = TotalInvitation  # noqa: E741
    sent, finished, skipped = (
        await session.execute(
            select(func.sum(I.sent), func.sum(I.finished), func.sum(I.skipped)).where(
                I.day >= q.period.start, I.day <= q.period.end
            )
        )
    ).one()
    return int(sent or 0), int(finished or 0), int(skipped or 0)


def _histogram_median(buckets: list[tuple[int, int]], count: int) -> float:
    """The median (hours) of a histogram [(bucket, n)] in bucket order: the middle rank(s)
    placed evenly inside their bucket (within 3 minutes under 48 hours, 1.2 hours beyond)."""

    def at(rank: int) -> float:
        seen = 0
        for index, n in buckets:
            if rank < seen + n:
                low, high = bucket_bounds(index)
                return low + (high - low) * (rank - seen + 0.5) / n
            seen += n
        raise AssertionError("rank beyond the histogram")

    middle = [at((count - 1) // 2)] if count % 2 else [at(count // 2 - 1), at(count // 2)]
    return sum(middle) / len(middle) / 3600.0


async def _exact_median(session: AsyncSession, expr: Any, where: Any, count: int) -> float:
    """The middle row(s) of an ORDER BY — a short period's median, exact, from the rows."""
    middle = (
        await session.scalars(
            select(expr)
            .where(where, expr.is_not(None))
            .order_by(expr)
            .offset((count - 1) // 2)
            .limit(1 if count % 2 else 2)
        )
    ).all()
    return float(sum(middle) / len(middle))


async def _duration_totals(
    session: AsyncSession, q: _Query, kind: str
) -> tuple[int, int, int, int, list[tuple[int, int]]]:
    """count, seconds, with a deadline, in time and the histogram of one kind over the period:
    one GROUP BY bucket over ranges of the counters' primary key."""
    D = TotalDuration
    rows = (
        await session.execute(
            select(
                D.bucket,
                func.sum(D.n),
                func.sum(D.seconds),
                func.sum(D.with_due),
                func.sum(D.in_time),
            )
            .where(_in_period(D, q.period, D.association_id == q.tenant, D.kind == kind))
            .group_by(D.bucket)
            .order_by(D.bucket)
        )
    ).all()
    buckets = [(int(b), int(n)) for b, n, *_ in rows if n]
    return (
        sum(int(r[1]) for r in rows),
        sum(int(r[2]) for r in rows),
        sum(int(r[3]) for r in rows),
        sum(int(r[4]) for r in rows),
        buckets,
    )


async def _durations_of(
    session: AsyncSession, q: _Query, kind: str, expr: Any, where: Any
) -> tuple[Durations, int, int]:
    count, seconds, with_due, in_time, buckets = await _duration_totals(session, q, kind)
    if not count:
        return Durations(), with_due, in_time
    if count <= EXACT_MEDIAN_UP_TO:
        median = await _exact_median(session, expr, where, count)
    else:
        median = _histogram_median(buckets, count)
    return Durations(count=count, median=median, mean=seconds / count / 3600.0), with_due, in_time


async def _first_replies(session: AsyncSession, q: _Query) -> Durations:
    """First reply to the tickets opened in the period."""
    T, dialect = Ticket, session.get_bind().dialect.name
    durations, _, _ = await _durations_of(
        session,
        q,
        REPLY,
        _hours(dialect, T.created_at, T.first_response_at),
        and_(
            T.created_at >= q.lo,
            T.created_at < q.hi,
            T.first_response_at.is_not(None),
        ),
    )
    return durations


async def _decisions(session: AsyncSession, q: _Query) -> tuple[Durations, int, int]:
    """Submission to decision for the requests decided in the period, and how many of them (of
    those with a deadline) were decided by it."""
    R, dialect = ServiceRequest, session.get_bind().dialect.name
    return await _durations_of(
        session,
        q,
        DECISION,
        _hours(dialect, R.submitted_at, R.decided_at),
        and_(
            R.decided_at >= q.lo,
            R.decided_at < q.hi,
            R.submitted_at.is_not(None),
        ),
    )


async def _open_work(session: AsyncSession, q: _Query) -> tuple[int, int, int, int]:
    """Requests awaiting a decision and open tickets, with the overdue among them — now."""
    R, T = ServiceRequest, Ticket
    today = today_riyadh(q.now)
    requests, late = (
        await session.execute(
            select(func.count(), func.sum(case((R.due_date < today, 1), else_=0))).where(
                R.status.in_(PENDING_DECISION)
            )
        )
    ).one()
    late_ticket = and_(
        T.due_at < q.now, ~and_(T.kind == "inquiry", T.first_response_at.is_not(None))
    )
    tickets, late_tickets = (
        await session.execute(
            select(func.count(), func.sum(case((late_ticket, 1), else_=0))).where(
                T.status.in_(TICKET_OPEN)
            )
        )
    ).one()
    return int(requests or 0), int(late or 0), int(tickets or 0), int(late_tickets or 0)


async def build_report(
    source: AsyncSession | Any,
    tenant: str,
    profile: Profile,
    period: Period,
    now: datetime | None = None,
    locale: str = "ar",
) -> Report:
    """Every figure of the period, aggregated in SQL; small groups already suppressed.

    ``source`` is a session (the queries run one after another in it) or a
    ``storage.db.Database``: then the six independent queries run at once, each on its own
    connection — SQLite's reader connections work in parallel (WAL), as PostgreSQL's do."""
    q = _Query(tenant, profile, period, now or utcnow(), locale)
    parts = (_by_day, _by_service, _answer_rate, _first_replies, _decisions, _open_work)
    results: list[Any]  # one per part, each of its own type
    if isinstance(source, AsyncSession):
        results = [await part(source, q) for part in parts]
    else:

        async def alone(part):
            async with source.read(offload=True) as session:  # long scans: never on the loop
                return await part(session, q)

        results = await asyncio.gather(*(alone(part) for part in parts))
    (overall, months, questions), services, rate, first_replies, decisions, open_work = results

    suppress([overall], with_total=False)
    by_service = [Group(sid, service_label(profile, sid, locale), s) for sid, s in services.items()]
    order = {question.id: i for i, question in enumerate(profile.survey.questions)}
    by_question = sorted(
        (Group(qid, question_label(profile, qid, locale), s) for qid, s in questions.items()),
        key=lambda g: (order.get(g.key, len(order)), g.key),
    )
    for groups in (by_service, by_month_nonempty(months)):
        suppress([g.score for g in groups])
    # the biggest first; the hidden last, by name, so their place says nothing of their size
    by_service.sort(
        key=lambda g: (g.score.hidden, -g.score.responses if not g.score.hidden else 0, g.label)
    )
    for group in by_question:
        group.score.hidden = overall.hidden
    report = Report(
        tenant=tenant,
        association=profile.association.name.get(locale),
        period=period,
        generated_at=q.now,
        overall=overall,
        by_service=by_service,
        by_month=months,
        by_question=by_question,
    )
    report.sent, report.finished, report.skipped = rate
    report.first_response = first_replies
    report.decision, report.decided, report.decided_in_time = decisions
    report.open_requests, report.overdue_requests, report.open_tickets, report.overdue_tickets = (
        open_work
    )
    return report
