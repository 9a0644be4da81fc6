"""The report as it was built before the running totals (issue #16 §2): every figure aggregated
from the rows — kept here, verbatim, only so that ``bench.reports_bench`` measures before and
after in the same run. The bot never imports it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import String, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.dates import to_riyadh, today_riyadh
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
from storage.models import ServiceRequest, SurveyAnswer, SurveyInvitation, Ticket, utcnow

# --------------------------------------------------------------------------------------------
# SQL
# --------------------------------------------------------------------------------------------


def _hours(dialect: str, start: Any, end: Any) -> Any:
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 24.0
    return func.extract("epoch", end - start) / 3600.0


def _riyadh_date(dialect: str, column: Any) -> Any:
    if dialect == "sqlite":
        return func.date(column, "+3 hours")  # Riyadh keeps UTC+3 all year
    return func.date(func.timezone("Asia/Riyadh", column))


async def _durations(
    session: AsyncSession, expr: Any, where: Any, *extra: Any
) -> tuple[Durations, tuple[Any, ...]]:
    """Count, mean and median of ``expr`` over the rows matching ``where`` — in SQL (the median
    is the middle row(s) of an ORDER BY, which works the same on SQLite and PostgreSQL); the
    ``extra`` aggregates ride along on the first query."""
    count, mean, *more = (
        await session.execute(select(func.count(expr), func.avg(expr), *extra).where(where))
    ).one()
    if not count:
        return Durations(), tuple(more)
    middle = (
        await session.scalars(
            select(expr)
            .where(where, expr.is_not(None))
            .order_by(expr)
            .offset((count - 1) // 2)
            .limit(1 if count % 2 else 2)
        )
    ).all()
    return Durations(count=count, median=float(sum(middle) / len(middle)), mean=float(mean)), tuple(
        more
    )


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


def _month_of(stamp: str | datetime) -> date:
    """The first day of a stored time's Riyadh month (SQLite hands back the stored text)."""
    if isinstance(stamp, str):
        stamp = datetime.fromisoformat(stamp)
    return to_riyadh(stamp).date().replace(day=1)


async def _within(session: AsyncSession, tenant: str, lo: datetime, hi: datetime) -> bool:
    """Whether every answer of the association falls in ``[lo, hi)`` (two index seeks): then the
    by-service pass needs no date test on each row."""
    A = SurveyAnswer
    first = select(func.min(A.created_at)).where(A.association_id == tenant).scalar_subquery()
    last = select(func.max(A.created_at)).where(A.association_id == tenant).scalar_subquery()
    low, high = (await session.execute(select(first, last))).one()
    if low is None:
        return True
    as_utc = lambda d: d if d.tzinfo else d.replace(tzinfo=UTC)  # noqa: E731 - SQLite is naive
    return as_utc(low) >= lo and as_utc(high) < hi


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


async def _by_day(session: AsyncSession, q: _Query) -> tuple[Score, list[Group], dict[str, Score]]:
    """Overall, per month and per question, from one GROUP BY day, question, score (answers are
    kept to the day) in the order of ``ix_survey_answers_report``."""
    A, tally = SurveyAnswer, _Tally(q.profile)
    rows = (
        await session.execute(
            select(type_coerce(A.created_at, String), A.question_id, A.score, func.count())
            .where(
                A.association_id == q.tenant,
                A.created_at >= q.lo,
                A.created_at < q.hi,
                A.score.is_not(None),
            )
            .group_by(A.created_at, A.question_id, A.score)
        )
    ).all()
    first_of: dict[Any, date] = {}  # a few hundred distinct days
    per_month: dict[tuple[date, str, int], int] = {}
    for day, question_id, score, count in rows:
        first = first_of.get(day)
        if first is None:
            first = first_of[day] = _month_of(day)
        key = (first, question_id, score)
        per_month[key] = per_month.get(key, 0) + count
    month_of = {
        first: Group(first, month_label(first, q.locale), Score())
        for first, _, _ in q.period.months()
    }
    overall = Score()
    questions: dict[str, Score] = {}
    for (first, question_id, score), count in per_month.items():
        month = month_of.get(first) or month_of.setdefault(
            first, Group(first, month_label(first, q.locale), Score())
        )
        tally.add(month.score, question_id, score, count)
        tally.add(overall, question_id, score, count)
        tally.add(questions.setdefault(question_id, Score()), question_id, score, count)
    for score in questions.values():  # every question is answered by every response
        score.responses = overall.responses
    return overall, sorted(month_of.values(), key=lambda g: g.key), questions


async def _by_service(session: AsyncSession, q: _Query) -> dict[str | None, Score]:
    """Per service, from one GROUP BY service, question, score in the order of
    ``ix_survey_answers_services`` (the date test is left out when every answer is in the period)."""
    A, tally = SurveyAnswer, _Tally(q.profile)
    where = [A.association_id == q.tenant, A.score.is_not(None)]
    if not await _within(session, q.tenant, q.lo, q.hi):
        where += [A.created_at >= q.lo, A.created_at < q.hi]
    services: dict[str | None, Score] = {}
    for service_id, question_id, score, count in (
        await session.execute(
            select(A.service_id, A.question_id, A.score, func.count())
            .where(*where)
            .group_by(A.service_id, A.question_id, A.score)
        )
    ).all():
        tally.add(services.setdefault(service_id, Score()), question_id, score, count)
    return services


async def _answer_rate(session: AsyncSession, q: _Query) -> tuple[int, int, int]:
    Inv = SurveyInvitation
    sent, finished, skipped = (
        await session.execute(
            select(
                func.count(),
                func.count(Inv.finished_at),
                func.sum(case((Inv.skipped.is_(True), 1), else_=0)),
            ).where(Inv.association_id == q.tenant, Inv.sent_at >= q.lo, Inv.sent_at < q.hi)
        )
    ).one()
    return int(sent or 0), int(finished or 0), int(skipped or 0)


async def _first_replies(session: AsyncSession, q: _Query) -> Durations:
    """First reply to the tickets opened in the period."""
    T, dialect = Ticket, session.get_bind().dialect.name
    durations, _ = await _durations(
        session,
        _hours(dialect, T.created_at, T.first_response_at),
        and_(
            T.association_id == q.tenant,
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
    in_time = case(
        (and_(R.due_date.is_not(None), _riyadh_date(dialect, R.decided_at) <= R.due_date), 1),
        else_=0,
    )
    durations, (on_time, with_due) = await _durations(
        session,
        _hours(dialect, R.submitted_at, R.decided_at),
        and_(
            R.association_id == q.tenant,
            R.decided_at >= q.lo,
            R.decided_at < q.hi,
            R.submitted_at.is_not(None),
        ),
        func.sum(in_time),
        func.count(R.due_date),
    )
    return durations, int(with_due or 0), int(on_time or 0)


async def _open_work(session: AsyncSession, q: _Query) -> tuple[int, int, int, int]:
    """Requests awaiting a decision and open tickets, with the overdue among them — now."""
    R, T = ServiceRequest, Ticket
    today = today_riyadh(q.now)
    requests, late = (
        await session.execute(
            select(func.count(), func.sum(case((R.due_date < today, 1), else_=0))).where(
                R.association_id == q.tenant, R.status.in_(PENDING_DECISION)
            )
        )
    ).one()
    late_ticket = and_(
        T.due_at < q.now, ~and_(T.kind == "inquiry", T.first_response_at.is_not(None))
    )
    tickets, late_tickets = (
        await session.execute(
            select(func.count(), func.sum(case((late_ticket, 1), else_=0))).where(
                T.association_id == q.tenant, T.status.in_(TICKET_OPEN)
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
