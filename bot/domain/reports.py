"""Supervisor reports (policy clauses 6 and 7), Telegram-free: satisfaction, answer rate,
response and decision times, deadlines, open and overdue work — for a period.

Everything is aggregated in SQL. The survey answers (possibly millions of rows) are read by two
kinds of query, each served by a covering index of ``survey_answers`` alone:

* one ``GROUP BY service_id, channel, question_id, score`` — in the order of
  ``ix_survey_answers_groups``, so SQLite streams the groups without sorting a row; the
  overall figures and the breakdowns by service and by question are sums of these few
  hundred group rows;
* one plain aggregate per month over a ``created_at`` range of ``ix_survey_answers_report``.

Satisfaction is the mean score on a 1–5 scale (a question with another scale is brought to 1–5)
and the share of "satisfied" answers (4 or 5 of 5). A group counts *responses* (people who rated:
the answers to the overall question), and every group with fewer than :data:`MIN_GROUP` is
suppressed — shown as «—» with a note — together with as many more of the smallest groups as it
takes so that a hidden figure cannot be worked out from the total and the others (clause 7:
nobody can tell who gave which score). Each table is protected on its own, and the tables are
few on purpose (overall, by service, by month, by question; no channel table, whose "no service"
row would mirror the inquiries and complaints). The answers sheet of an export lists only the
services the by-service table shows. Reports carry no beneficiary id, name or message.

Open and overdue counts are a snapshot at the time of the report, not of the period.
"""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import String, and_, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cells import neutralise, neutralise_row
from bot.domain.dates import (GREGORIAN_MONTHS_AR, GREGORIAN_MONTHS_EN, HIJRI_YEAR_RANGE, RIYADH, format_date,
                       from_hijri, hijri_month_length, to_riyadh, today_riyadh)
from bot.i18n import N_, Translator, translator
from bot.domain.lifecycle import OPEN, Status
from bot.profile import Profile
from bot.domain.textutil import format_number, to_ascii_digits
from bot.domain.tickets import OPEN_STATUSES
from storage.models import ServiceRequest, SurveyAnswer, SurveyInvitation, Ticket, utcnow

MIN_GROUP = 5
"""Groups with fewer responses than this are never shown (policy clause 7)."""
DEFAULT_DAYS = 30
MAX_DAYS = 3660
SATISFIED_FROM = 4  # of 5
COMMENT = "comment"  # SurveyAnswer.question_id of a free comment (score NULL)
PENDING_DECISION = tuple(s.value for s in OPEN if s != Status.APPROVED)
TICKET_OPEN = tuple(s.value for s in OPEN_STATUSES)
DASH = "—"
XLSX_MAX_ROWS = 1_048_576

NO_SERVICE = N_("Inquiries and complaints (no service)")
SUPPRESSION_NOTE = N_("— : fewer than 5 answers (or hidden so that a small group cannot be worked out from the others), to protect the beneficiaries' privacy.")


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


class PeriodError(ValueError):
    """A period the reader typed that cannot be understood."""


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive (Riyadh)
    end: date  # last day, inclusive (Riyadh)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as UTC instants ``[from, to)``: Riyadh midnights."""
        return riyadh_midnight(self.start), riyadh_midnight(self.end + timedelta(days=1))

    def months(self) -> list[tuple[date, date, date]]:
        """Each calendar month the period touches: (month's first day, from, to inclusive)."""
        out = []
        first = self.start.replace(day=1)
        while first <= self.end:
            following = _next_month(first)
            out.append((first, max(first, self.start), min(following - timedelta(days=1), self.end)))
            first = following
        return out

    def label(self, locale: str = "ar") -> str:
        if self.start == self.end:
            return format_date(self.start, locale)
        return f"{format_date(self.start, locale)} — {format_date(self.end, locale)}"


def riyadh_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), RIYADH).astimezone(timezone.utc)


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


_MONTH_RE = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_DAY_RE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_YEAR_RE = re.compile(r"^(\d{4})$")


def _hijri(year: int) -> bool:
    return HIJRI_YEAR_RANGE[0] <= year <= HIJRI_YEAR_RANGE[1]


def parse_period(text: str | None, today: date) -> Period:
    """``""`` → the last 30 days; ``2026-10`` → that month; ``2026`` → that year;
    ``2026-01-01 2026-06-30`` → those days (both included). A year from 1300 to 1500 is Hijri
    (Umm al-Qura): ``1448-09`` is Ramadan 1448, ``1448`` the Hijri year. Arabic-Indic digits are
    accepted."""
    parts = to_ascii_digits(text or "").replace("—", " ").replace("–", " ").split()
    try:
        if not parts:
            return Period(today - timedelta(days=DEFAULT_DAYS - 1), today)
        if len(parts) == 1 and (m := _MONTH_RE.match(parts[0])):
            year, month = int(m[1]), int(m[2])
            if _hijri(year):
                first = from_hijri(year, month, 1)
                return Period(first, first + timedelta(days=hijri_month_length(year, month) - 1))
            first = date(year, month, 1)
            return Period(first, _next_month(first) - timedelta(days=1))
        if len(parts) == 1 and (m := _YEAR_RE.match(parts[0])):
            year = int(m[1])
            if _hijri(year):
                return Period(from_hijri(year, 1, 1), from_hijri(year + 1, 1, 1) - timedelta(days=1))
            return Period(date(year, 1, 1), date(year, 12, 31))
        days = [_DAY_RE.match(p) for p in parts]
        if 1 <= len(parts) <= 2 and all(days):
            start, end = (date(int(d[1]), int(d[2]), int(d[3])) for d in (days[0], days[-1]))
            if end < start:
                raise PeriodError("the end comes before the start")
            if (end - start).days >= MAX_DAYS:
                raise PeriodError("the period is longer than ten years")
            return Period(start, end)
    except (ValueError, OverflowError) as exc:  # date(2026, 13, 1), Hijri out of range, ours
        raise PeriodError(str(exc)) from None
    raise PeriodError(f"not a period: {text!r}")


# --------------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------------


@dataclass
class Score:
    """Satisfaction of one group: responses, answers, the sum of the (1–5) scores, satisfied."""

    responses: int = 0
    answers: int = 0
    total: float = 0.0
    satisfied: int = 0
    hidden: bool = False  # suppressed: shown as «—»

    def add(self, other: Score) -> None:
        self.responses += other.responses
        self.answers += other.answers
        self.total += other.total
        self.satisfied += other.satisfied

    @property
    def mean(self) -> float | None:
        return None if self.hidden or not self.answers else self.total / self.answers

    @property
    def share(self) -> float | None:
        return None if self.hidden or not self.answers else self.satisfied / self.answers


@dataclass
class Group:
    key: Any  # service id (None: no service), month's first day, or question id
    label: str
    score: Score


@dataclass
class Durations:
    """Hours from one event to another: how many, the median and the mean."""

    count: int = 0
    median: float | None = None
    mean: float | None = None


@dataclass
class Report:
    tenant: str
    association: str
    period: Period
    generated_at: datetime
    overall: Score
    by_service: list[Group]
    by_month: list[Group]
    by_question: list[Group]
    sent: int = 0
    finished: int = 0
    skipped: int = 0
    first_response: Durations = field(default_factory=Durations)
    decision: Durations = field(default_factory=Durations)
    decided: int = 0
    decided_in_time: int = 0
    open_requests: int = 0
    overdue_requests: int = 0
    open_tickets: int = 0
    overdue_tickets: int = 0

    @property
    def answer_rate(self) -> float | None:
        return self.finished / self.sent if self.sent else None

    @property
    def in_time_share(self) -> float | None:
        return self.decided_in_time / self.decided if self.decided else None

    @property
    def any_hidden(self) -> bool:
        groups = [self.overall, *(g.score for g in self.by_service + self.by_month)]
        return any(s.hidden for s in groups)


def suppress(scores: Sequence[Score], *, with_total: bool = True) -> None:
    """Hide every group under :data:`MIN_GROUP` responses; when a total is shown beside them,
    hide the smallest others too until the hidden ones add up to at least MIN_GROUP, so that no
    small group can be recovered by subtraction."""
    for score in scores:
        score.hidden = score.responses < MIN_GROUP
    if not with_total:
        return
    hidden = [s for s in scores if s.hidden]
    if not hidden:
        return
    visible = sorted((s for s in scores if not s.hidden), key=lambda s: s.responses)
    while visible and sum(s.responses for s in hidden) < MIN_GROUP:
        extra = visible.pop(0)
        extra.hidden = True
        hidden.append(extra)


def primary_question(profile: Profile) -> str:
    """The question whose answers count responses, and whose low score opens a follow-up."""
    ids = [q.id for q in profile.survey.questions]
    return "overall" if "overall" in ids else ids[0]


def _scales(profile: Profile) -> dict[str, int]:
    return {q.id: q.scale for q in profile.survey.questions}


def _satisfied(score: int, scale: int) -> bool:
    return score * 5 >= SATISFIED_FROM * scale


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


async def _durations(session: AsyncSession, expr: Any, where: Any, *extra: Any
                     ) -> tuple[Durations, tuple[Any, ...]]:
    """Count, mean and median of ``expr`` over the rows matching ``where`` — in SQL (the median
    is the middle row(s) of an ORDER BY, which works the same on SQLite and PostgreSQL); the
    ``extra`` aggregates ride along on the first query."""
    count, mean, *more = (await session.execute(
        select(func.count(expr), func.avg(expr), *extra).where(where))).one()
    if not count:
        return Durations(), tuple(more)
    middle = (await session.scalars(select(expr).where(where, expr.is_not(None)).order_by(expr)
                                    .offset((count - 1) // 2).limit(1 if count % 2 else 2))).all()
    return Durations(count=count, median=float(sum(middle) / len(middle)), mean=float(mean)), tuple(more)


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
    as_utc = (lambda d: d if d.tzinfo else d.replace(tzinfo=timezone.utc))  # noqa: E731 - SQLite is naive
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
    rows = (await session.execute(
        select(type_coerce(A.created_at, String), A.question_id, A.score, func.count())
        .where(A.association_id == q.tenant, A.created_at >= q.lo, A.created_at < q.hi, A.score.is_not(None))
        .group_by(A.created_at, A.question_id, A.score))).all()
    first_of: dict[Any, date] = {}  # a few hundred distinct days
    per_month: dict[tuple[date, str, int], int] = {}
    for day, question_id, score, count in rows:
        first = first_of.get(day)
        if first is None:
            first = first_of[day] = _month_of(day)
        key = (first, question_id, score)
        per_month[key] = per_month.get(key, 0) + count
    month_of = {first: Group(first, month_label(first, q.locale), Score()) for first, _, _ in q.period.months()}
    overall = Score()
    questions: dict[str, Score] = {}
    for (first, question_id, score), count in per_month.items():
        month = month_of.get(first) or month_of.setdefault(first, Group(first, month_label(first, q.locale), Score()))
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
    for service_id, question_id, score, count in (await session.execute(
            select(A.service_id, A.question_id, A.score, func.count()).where(*where)
            .group_by(A.service_id, A.question_id, A.score))).all():
        tally.add(services.setdefault(service_id, Score()), question_id, score, count)
    return services


async def _answer_rate(session: AsyncSession, q: _Query) -> tuple[int, int, int]:
    Inv = SurveyInvitation
    sent, finished, skipped = (await session.execute(
        select(func.count(), func.count(Inv.finished_at), func.sum(case((Inv.skipped.is_(True), 1), else_=0)))
        .where(Inv.association_id == q.tenant, Inv.sent_at >= q.lo, Inv.sent_at < q.hi))).one()
    return int(sent or 0), int(finished or 0), int(skipped or 0)


async def _first_replies(session: AsyncSession, q: _Query) -> Durations:
    """First reply to the tickets opened in the period."""
    T, dialect = Ticket, session.get_bind().dialect.name
    durations, _ = await _durations(
        session, _hours(dialect, T.created_at, T.first_response_at),
        and_(T.association_id == q.tenant, T.created_at >= q.lo, T.created_at < q.hi,
             T.first_response_at.is_not(None)))
    return durations


async def _decisions(session: AsyncSession, q: _Query) -> tuple[Durations, int, int]:
    """Submission to decision for the requests decided in the period, and how many of them (of
    those with a deadline) were decided by it."""
    R, dialect = ServiceRequest, session.get_bind().dialect.name
    in_time = case((and_(R.due_date.is_not(None), _riyadh_date(dialect, R.decided_at) <= R.due_date), 1), else_=0)
    durations, (on_time, with_due) = await _durations(
        session, _hours(dialect, R.submitted_at, R.decided_at),
        and_(R.association_id == q.tenant, R.decided_at >= q.lo, R.decided_at < q.hi,
             R.submitted_at.is_not(None)),
        func.sum(in_time), func.count(R.due_date))
    return durations, int(with_due or 0), int(on_time or 0)


async def _open_work(session: AsyncSession, q: _Query) -> tuple[int, int, int, int]:
    """Requests awaiting a decision and open tickets, with the overdue among them — now."""
    R, T = ServiceRequest, Ticket
    today = today_riyadh(q.now)
    requests, late = (await session.execute(
        select(func.count(), func.sum(case((R.due_date < today, 1), else_=0)))
        .where(R.association_id == q.tenant, R.status.in_(PENDING_DECISION)))).one()
    late_ticket = and_(T.due_at < q.now, ~and_(T.kind == "inquiry", T.first_response_at.is_not(None)))
    tickets, late_tickets = (await session.execute(
        select(func.count(), func.sum(case((late_ticket, 1), else_=0)))
        .where(T.association_id == q.tenant, T.status.in_(TICKET_OPEN)))).one()
    return int(requests or 0), int(late or 0), int(tickets or 0), int(late_tickets or 0)


async def build_report(source: AsyncSession | Any, tenant: str, profile: Profile, period: Period,
                       now: datetime | None = None, locale: str = "ar") -> Report:
    """Every figure of the period, aggregated in SQL; small groups already suppressed.

    ``source`` is a session (the queries run one after another in it) or a
    ``storage.db.Database``: then the six independent queries run at once, each on its own
    connection — SQLite's reader connections work in parallel (WAL), as PostgreSQL's do."""
    q = _Query(tenant, profile, period, now or utcnow(), locale)
    parts = (_by_day, _by_service, _answer_rate, _first_replies, _decisions, _open_work)
    if isinstance(source, AsyncSession):
        results = [await part(source, q) for part in parts]
    else:
        async def alone(part):  # noqa: ANN001, ANN202
            async with source.read(offload=True) as session:  # long scans: never on the loop
                return await part(session, q)

        results = await asyncio.gather(*(alone(part) for part in parts))
    (overall, months, questions), services, rate, first_replies, decisions, open_work = results

    suppress([overall], with_total=False)
    by_service = [Group(sid, service_label(profile, sid, locale), s) for sid, s in services.items()]
    order = {question.id: i for i, question in enumerate(profile.survey.questions)}
    by_question = sorted((Group(qid, question_label(profile, qid, locale), s) for qid, s in questions.items()),
                         key=lambda g: (order.get(g.key, len(order)), g.key))
    for groups in (by_service, by_month_nonempty(months)):
        suppress([g.score for g in groups])
    # the biggest first; the hidden last, by name, so their place says nothing of their size
    by_service.sort(key=lambda g: (g.score.hidden, -g.score.responses if not g.score.hidden else 0, g.label))
    for group in by_question:
        group.score.hidden = overall.hidden
    report = Report(tenant=tenant, association=profile.association.name.get(locale), period=period,
                    generated_at=q.now, overall=overall, by_service=by_service, by_month=months,
                    by_question=by_question)
    report.sent, report.finished, report.skipped = rate
    report.first_response = first_replies
    report.decision, report.decided, report.decided_in_time = decisions
    report.open_requests, report.overdue_requests, report.open_tickets, report.overdue_tickets = open_work
    return report


def by_month_nonempty(months: list[Group]) -> list[Group]:
    """Months with answers (an empty month is shown as empty, not as suppressed)."""
    return [g for g in months if g.score.answers]


# --------------------------------------------------------------------------------------------
# Labels and numbers
# --------------------------------------------------------------------------------------------


def service_label(profile: Profile, service_id: str | None, locale: str = "ar") -> str:
    if service_id is None:
        return translator(locale).gettext(NO_SERVICE)
    service = profile.service(service_id)
    return service.title.get(locale) if service else service_id


def question_label(profile: Profile, question_id: str, locale: str = "ar") -> str:
    question = profile.survey.question(question_id)
    return question.text.get(locale) if question else question_id


def month_label(first: date, locale: str = "ar") -> str:
    if locale == "ar":
        return f"{GREGORIAN_MONTHS_AR[first.month - 1]} {format_number(first.year, 'ar', grouping=False)}م"
    return f"{GREGORIAN_MONTHS_EN[first.month - 1]} {first.year}"


def fmt_mean(value: float | None, locale: str = "ar") -> str:
    return DASH if value is None else format_number(round(value, 1), locale, decimals=1)


def fmt_share(value: float | None, locale: str = "ar") -> str:
    if value is None:
        return DASH
    number = format_number(round(value * 100), locale)
    return f"{number}٪" if locale == "ar" else f"{number}%"


def fmt_count(value: int, locale: str = "ar") -> str:
    return format_number(value, locale)


def fmt_hours(value: float | None, tr: Translator) -> str:
    """Hours as hours under two days, as days beyond."""
    if value is None:
        return DASH
    if value < 48:
        return tr.gettext("{value} hours").format(value=format_number(round(value, 1), tr.locale, decimals=1))
    return tr.gettext("{value} days").format(value=format_number(round(value / 24, 1), tr.locale, decimals=1))


# --------------------------------------------------------------------------------------------
# The text of /stats (Telegram HTML)
# --------------------------------------------------------------------------------------------


def _score_line(label: str, score: Score, tr: Translator) -> str:
    loc = tr.locale
    if score.hidden:
        return tr.gettext("• {label}: —").format(label=label)
    return tr.gettext("• {label}: {mean} of 5 · {share} satisfied · {count} responses").format(
        label=label, mean=fmt_mean(score.mean, loc), share=fmt_share(score.share, loc),
        count=fmt_count(score.responses, loc))


def stats_text(report: Report, tr: Translator, *, max_rows: int = 12) -> str:
    from html import escape

    loc = tr.locale
    o = report.overall
    lines = [tr.gettext("📊 <b>Beneficiary satisfaction report</b> — {association}").format(
                 association=escape(report.association)),
             tr.gettext("Period: {period}").format(period=report.period.label(loc)), ""]
    lines.append(tr.gettext("<b>Surveys</b>: {sent} sent · {finished} answered · answer rate {rate}").format(
        sent=fmt_count(report.sent, loc), finished=fmt_count(report.finished, loc),
        rate=fmt_share(report.answer_rate, loc)))
    if o.hidden:
        lines.append(tr.gettext("<b>Satisfaction</b>: — (fewer than 5 responses in this period)"))
    else:
        lines.append(tr.gettext("<b>Satisfaction</b>: {mean} of 5 · {share} satisfied · {count} responses").format(
            mean=fmt_mean(o.mean, loc), share=fmt_share(o.share, loc), count=fmt_count(o.responses, loc)))
    sections = ((N_("By service"), report.by_service), (N_("By month"), by_month_nonempty(report.by_month)))
    for title, groups in sections:
        if not groups:
            continue
        lines += ["", f"<b>{escape(tr.gettext(title))}</b>"]
        lines += [_score_line(escape(g.label), g.score, tr) for g in groups[:max_rows]]
        if len(groups) > max_rows:
            lines.append(tr.gettext("… and {count} more in the workbook (/export).").format(
                count=fmt_count(len(groups) - max_rows, loc)))
    fr, dec = report.first_response, report.decision
    lines += ["", tr.gettext("<b>Times</b>"),
              tr.gettext("• First reply to inquiries and complaints: median {median}, mean {mean} ({count} cases)").format(
                  median=fmt_hours(fr.median, tr), mean=fmt_hours(fr.mean, tr), count=fmt_count(fr.count, loc)),
              tr.gettext("• Decision on requests: median {median}, mean {mean} ({count} requests)").format(
                  median=fmt_hours(dec.median, tr), mean=fmt_hours(dec.mean, tr), count=fmt_count(dec.count, loc)),
              tr.gettext("• Decided within the deadline: {share}").format(share=fmt_share(report.in_time_share, loc)),
              "", tr.gettext("<b>Now</b>: {requests} requests awaiting a decision ({late} overdue) · {tickets} open cases ({late_tickets} overdue)").format(
                  requests=fmt_count(report.open_requests, loc), late=fmt_count(report.overdue_requests, loc),
                  tickets=fmt_count(report.open_tickets, loc), late_tickets=fmt_count(report.overdue_tickets, loc))]
    if report.any_hidden:
        lines += ["", f"<i>{escape(tr.gettext(SUPPRESSION_NOTE))}</i>"]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Chart (PNG): monthly trend and per service, Arabic shaped right to left
# --------------------------------------------------------------------------------------------


def arabic_font_path() -> Path:
    """Noto Sans Arabic (SIL OFL), installed from PyPI by the ``fontpkg-noto-sans-arabic``
    dependency — matplotlib's own fonts have no Arabic."""
    import fontpkg

    return Path(fontpkg.path("Noto Sans Arabic"))


_FONT_NAME: str | None = None


def _font_family() -> list[str]:
    global _FONT_NAME
    if _FONT_NAME is None:
        from matplotlib import font_manager

        path = arabic_font_path()
        font_manager.fontManager.addfont(str(path))
        _FONT_NAME = font_manager.FontProperties(fname=str(path)).get_name()
    return [_FONT_NAME, "DejaVu Sans"]


def chart_series(report: Report) -> tuple[list[tuple[str, float | None, bool]], list[tuple[str, float | None, bool]]]:
    """(label, share satisfied, hidden) per month and per service; an empty month has no share
    and is not hidden."""
    months = [(g.label, g.score.share, g.score.hidden) for g in report.by_month]
    services = [(g.label, g.score.share, g.score.hidden) for g in report.by_service]
    return months, services


def render_chart(report: Report, tr: Translator) -> bytes:
    """A PNG with two panels, laid out right to left: the share of satisfied answers per month
    (earliest on the right) and per service (labels on the right, bars growing leftwards).

    matplotlib (≥ 3.11) shapes Arabic and orders it right to left itself (libraqm), so the
    labels are given as plain logical text."""
    import io
    import textwrap

    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    loc = tr.locale
    rtl = "\u200f" if loc == "ar" else ""  # RLM: a lone «٧٧٪» is laid out right to left too

    def share(value: float | None) -> str:
        return rtl + fmt_share(value, loc)

    months, services = chart_series(report)
    services = services[:12]
    height = max(4.6, 1.6 + 0.42 * len(services))
    with rc_context({"font.family": _font_family(), "font.size": 10, "axes.unicode_minus": False}):
        fig = Figure(figsize=(11, height), dpi=100)  # margins set by hand: a layout engine doubles the drawing
        FigureCanvasAgg(fig)
        ax_services, ax_months = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.15)})
        fig.subplots_adjust(left=0.02, right=0.94, top=1 - 0.75 / height, bottom=1.0 / height, wspace=0.62)
        fig.suptitle(f"{report.association} — {report.period.label(loc)}", fontsize=12, x=0.94, ha="right")
        color, muted, stub = "#1f7a5c", "#b9c4bf", 3.0

        def height_of(value: float | None, hidden: bool) -> float:
            return stub if hidden else (value or 0) * 100

        def note(value: float | None, hidden: bool) -> str:
            return "—" if hidden else "" if value is None else share(value)

        # per month: bars, time running right to left
        xs = list(range(len(months)))
        ax_months.bar(xs, [height_of(v, h) for _, v, h in months], width=0.65,
                      color=[muted if h else color for _, _, h in months])
        for x, (_, v, h) in zip(xs, months):
            ax_months.text(x, height_of(v, h) + 2, note(v, h), ha="center", fontsize=9)
        ax_months.set_xticks(xs, [textwrap.fill(label, 12) for label, _, _ in months],
                             fontsize=8 if len(months) > 6 else 9, rotation=0 if len(months) <= 8 else 60)
        ax_months.set_xlim(len(months) - 0.5, -0.5)  # right to left
        ax_months.set_ylim(0, 110)
        ax_months.yaxis.tick_right()
        ax_months.set_yticks([0, 25, 50, 75, 100], [share(v / 100) for v in (0, 25, 50, 75, 100)])
        ax_months.set_title(tr.gettext("Satisfied answers by month"), loc="right", fontsize=11)

        # per service: horizontal bars from the right
        ys = list(range(len(services)))
        ax_services.barh(ys, [height_of(v, h) for _, v, h in services], height=0.6,
                         color=[muted if h else color for _, _, h in services])
        for y, (_, v, h) in zip(ys, services):
            ax_services.text(height_of(v, h) + 2, y, note(v, h), va="center", ha="right", fontsize=9)
        ax_services.set_yticks(ys, [textwrap.fill(label, 28) for label, _, _ in services], fontsize=9,
                               multialignment="right")
        ax_services.yaxis.tick_right()
        ax_services.set_xlim(112, 0)  # bars grow leftwards from the labels
        ax_services.set_ylim(len(services) - 0.5 if services else 0.5, -0.5)
        ax_services.set_xticks([0, 50, 100], [share(v / 100) for v in (0, 50, 100)])
        ax_services.set_title(tr.gettext("Satisfied answers by service"), loc="right", fontsize=11)
        for ax, series in ((ax_months, months), (ax_services, services)):
            ax.spines[["top", "left"]].set_visible(False)
            if not any(value is not None or hidden for _, value, hidden in series):
                ax.text(0.5, 0.5, tr.gettext("No answers in this period"), transform=ax.transAxes,
                        ha="center", va="center", color="#667")
        if report.any_hidden:
            fig.text(0.94, 0.01, tr.gettext(SUPPRESSION_NOTE), ha="right", fontsize=8, color="#667")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Workbook and CSV
# --------------------------------------------------------------------------------------------


class Pct(float):
    """A share (0–1) that a workbook shows as a percentage."""


def _number(value: float | None, digits: int = 2) -> float | str:
    return DASH if value is None else round(value, digits)


def _pct(value: float | None) -> Pct | str:
    return DASH if value is None else Pct(round(value, 4))


def summary_rows(report: Report, tr: Translator) -> list[list[Any]]:
    """The summary sheet as rows of cells (numbers stay numbers)."""
    o, dec = report.overall, report.decision
    p = report.period
    rows: list[list[Any]] = [
        [tr.gettext("Association"), report.association],
        [tr.gettext("From"), p.start, format_date(p.start, tr.locale)],
        [tr.gettext("To"), p.end, format_date(p.end, tr.locale)],
        [tr.gettext("Generated at"), report.generated_at.astimezone(RIYADH).replace(tzinfo=None)],
        [],
        [tr.gettext("Surveys sent"), report.sent],
        [tr.gettext("Surveys answered"), report.finished],
        [tr.gettext("Surveys skipped"), report.skipped],
        [tr.gettext("Answer rate"), _pct(report.answer_rate)],
        [tr.gettext("Responses"), DASH if o.hidden else o.responses],
        [tr.gettext("Mean satisfaction (of 5)"), _number(o.mean)],
        [tr.gettext("Share satisfied (4 or 5)"), _pct(o.share)],
        [],
    ]
    fr = report.first_response
    rows += [
        [tr.gettext("First reply to inquiries and complaints (hours)"), tr.gettext("median"), _number(fr.median),
         tr.gettext("mean"), _number(fr.mean), tr.gettext("cases"), fr.count],
        [tr.gettext("Decision on requests (hours)"), tr.gettext("median"), _number(dec.median),
         tr.gettext("mean"), _number(dec.mean), tr.gettext("cases"), dec.count],
        [tr.gettext("Decided within the deadline"), _pct(report.in_time_share), report.decided_in_time,
         report.decided],
        [],
        [tr.gettext("Requests awaiting a decision (now)"), report.open_requests],
        [tr.gettext("of which overdue"), report.overdue_requests],
        [tr.gettext("Open inquiries and complaints (now)"), report.open_tickets],
        [tr.gettext("of which overdue"), report.overdue_tickets],
        [],
        [tr.gettext("By question"), tr.gettext("Responses"), tr.gettext("Mean satisfaction (of 5)"),
         tr.gettext("Share satisfied (4 or 5)")],
        *(_group_row(g) for g in report.by_question),
        [],
        [tr.gettext(SUPPRESSION_NOTE)],
    ]
    return rows


def _group_row(group: Group, key: Any = None) -> list[Any]:
    s = group.score
    head = [group.label] if key is None else [key, group.label]
    if s.hidden:
        return [*head, DASH, DASH, DASH]
    return [*head, s.responses, _number(s.mean), _pct(s.share)]


def service_rows(report: Report, tr: Translator) -> list[list[Any]]:
    header = [tr.gettext("Service"), tr.gettext("Responses"), tr.gettext("Mean satisfaction (of 5)"),
              tr.gettext("Share satisfied (4 or 5)")]
    return [header, *(_group_row(g) for g in report.by_service)]


def month_rows(report: Report, tr: Translator) -> list[list[Any]]:
    header = [tr.gettext("Month"), tr.gettext("Month name"), tr.gettext("Responses"),
              tr.gettext("Mean satisfaction (of 5)"), tr.gettext("Share satisfied (4 or 5)")]
    rows = [header]
    for g in report.by_month:
        if not g.score.answers:
            rows.append([g.key.strftime("%Y-%m"), g.label, 0, "", ""])
        else:
            rows.append(_group_row(g, g.key.strftime("%Y-%m")))
    return rows


_DIGITS_RE = re.compile(r"[0-9٠-٩۰-۹][0-9٠-٩۰-۹ \-]{3,}[0-9٠-٩۰-۹]")
_HANDLE_RE = re.compile(r"(?:[\w.+-]+@[\w-]+\.[\w.]+|@\w{3,}|https?://\S+)")


def scrub(comment: str | None) -> str:
    """A comment without what could identify its writer: numbers (IDs, phones), handles, links."""
    if not comment:
        return ""
    return _HANDLE_RE.sub("•••", _DIGITS_RE.sub("•••", comment))


async def _answer_rows(session: AsyncSession, report: Report, profile: Profile, tr: Translator
                       ) -> AsyncIterator[list[list[Any]]]:
    """The period's answers, anonymised, in chunks: service, question, score, comment — no time,
    no channel, no id, no beneficiary, in the order of an index (not the order they were given),
    and only for the services the by-service table shows, so nothing hidden there can be
    rebuilt from here."""
    A = SurveyAnswer
    lo, hi = report.period.bounds()
    shown = {g.key: g.label for g in report.by_service if not g.score.hidden}
    if not shown:
        return
    result = await session.stream(
        select(A.service_id, A.question_id, A.score, A.comment)
        .where(A.association_id == report.tenant, A.created_at >= lo, A.created_at < hi)
        .order_by(A.service_id, A.channel, A.question_id, A.score)
        .execution_options(yield_per=20_000))
    questions: dict[str, str] = {COMMENT: tr.gettext("Comment")}
    async for chunk in result.partitions(20_000):
        rows = []
        for service_id, question_id, score, comment in chunk:
            if service_id not in shown:
                continue
            if question_id not in questions:
                questions[question_id] = question_label(profile, question_id, tr.locale)
            rows.append([shown[service_id], questions[question_id], score,
                         scrub(comment)])
        if rows:
            yield rows


def answer_header(tr: Translator) -> list[str]:
    return [tr.gettext("Service"), tr.gettext("Question"), tr.gettext("Score"), tr.gettext("Comment")]


SHEETS = (N_("Summary"), N_("By service"), N_("By month"), N_("Answers"))


@dataclass
class ExportResult:
    path: Path
    answers: int
    truncated: bool = False


async def export(session: AsyncSession, tenant: str, profile: Profile, period: Period, fmt: str,
                 path: Path, *, now: datetime | None = None, locale: str = "ar") -> ExportResult:
    """Write the report as an XLSX workbook (four sheets) or one CSV file (the same four tables
    one after another). Heavy writing runs in worker threads, a chunk at a time, so the event
    loop keeps serving while a large export is written."""
    tr = translator(locale)
    report = await build_report(session, tenant, profile, period, now, locale)
    tables = [summary_rows(report, tr), service_rows(report, tr), month_rows(report, tr)]
    names = [tr.gettext(s) for s in SHEETS]
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        writer: _Writer = _XlsxWriter(path, names, rtl=locale == "ar")
    elif fmt == "csv":
        writer = _CsvWriter(path, names)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    written, truncated = 0, False
    try:
        for index, rows in enumerate(tables):
            await asyncio.to_thread(writer.table, index, rows)
        await asyncio.to_thread(writer.table, 3, [answer_header(tr)])
        room = XLSX_MAX_ROWS - 1 if fmt == "xlsx" else None
        async for rows in _answer_rows(session, report, profile, tr):
            if room is not None and written + len(rows) > room:
                rows, truncated = rows[:room - written], True
            await asyncio.to_thread(writer.append, rows)
            written += len(rows)
            if truncated:
                break
        await asyncio.to_thread(writer.close)
    except BaseException:
        await asyncio.to_thread(writer.abort)
        raise
    return ExportResult(path, written, truncated)


class _Writer:
    def table(self, index: int, rows: list[list[Any]]) -> None: ...
    def append(self, rows: list[list[Any]]) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


class _XlsxWriter(_Writer):
    def __init__(self, path: Path, names: list[str], *, rtl: bool) -> None:
        from openpyxl import Workbook

        self.path = path
        self.book = Workbook(write_only=True)
        self.sheets = []
        for name in names:
            sheet = self.book.create_sheet(name[:31])
            sheet.sheet_view.rightToLeft = rtl
            self.sheets.append(sheet)
        self.current = None

    def _cell(self, sheet: Any, value: Any, bold: bool = False) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        cell = WriteOnlyCell(sheet, value=float(value) if isinstance(value, Pct) else neutralise(value))
        if bold:
            cell.font = Font(bold=True)
        if isinstance(value, Pct):
            cell.number_format = "0.0%"
        elif isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        return cell

    def table(self, index: int, rows: list[list[Any]]) -> None:
        """A small table: the summary's first column in bold, the other sheets' header row."""
        from openpyxl.utils import get_column_letter

        sheet = self.sheets[index]
        self.current = sheet
        columns = max((len(r) for r in rows), default=0)
        for i in range(columns):
            longest = max((len(str(r[i])) for r in rows if len(r) > i), default=10)
            sheet.column_dimensions[get_column_letter(i + 1)].width = min(60, max(12, longest + 2))
        for n, row in enumerate(rows):
            sheet.append([self._cell(sheet, v, bold=(i == 0) if index == 0 else n == 0)
                          for i, v in enumerate(row)])

    def append(self, rows: list[list[Any]]) -> None:
        for row in rows:
            self.current.append(neutralise_row(row))

    def close(self) -> None:
        self.book.save(self.path)

    def abort(self) -> None:
        self.path.unlink(missing_ok=True)


class _CsvWriter(_Writer):
    def __init__(self, path: Path, names: list[str]) -> None:
        self.path = path
        self.names = names
        self.fh = path.open("w", encoding="utf-8-sig", newline="")  # the BOM lets Excel read Arabic
        self.out = csv.writer(self.fh)

    @staticmethod
    def _plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return neutralise(value)

    def table(self, index: int, rows: list[list[Any]]) -> None:
        if index:
            self.out.writerow([])
        self.out.writerow([f"# {self.names[index]}"])
        self.out.writerows([[self._plain(v) for v in row] for row in rows])

    def append(self, rows: list[list[Any]]) -> None:
        self.out.writerows(neutralise_row(row) for row in rows)

    def close(self) -> None:
        self.fh.close()

    def abort(self) -> None:
        self.fh.close()
        self.path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# Command line: mustafeed report --from … --to … --format xlsx|csv --out FILE
# --------------------------------------------------------------------------------------------


def run_cli(database_url: str, profile: Profile, date_from: str, date_to: str, fmt: str, out: str) -> int:
    from storage.db import Database

    try:
        period = parse_period(f"{date_from} {date_to}", today_riyadh())
    except PeriodError as exc:
        print(f"mustafeed report: {exc}; use --from YYYY-MM-DD --to YYYY-MM-DD")
        return 2

    async def go() -> ExportResult:
        db = Database(database_url)
        try:
            async with db.read() as session:
                return await export(session, profile.association.id, profile, period, fmt, Path(out))
        finally:
            await db.dispose()

    result = asyncio.run(go())
    note = " (cut at the sheet's limit)" if result.truncated else ""
    print(f"report written to {result.path}: {result.answers} anonymised answers{note}")
    return 0

