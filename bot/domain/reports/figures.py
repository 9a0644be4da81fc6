"""The figures of a report (scores, groups, durations), small-group suppression, labels and numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.domain.dates import GREGORIAN_MONTHS_AR, GREGORIAN_MONTHS_EN
from bot.domain.lifecycle import OPEN, Status
from bot.domain.reports.period import Period
from bot.domain.textutil import format_number
from bot.domain.tickets import OPEN_STATUSES
from bot.i18n import N_, Translator, translator
from bot.profile import Profile

MIN_GROUP = 5
"""Groups with fewer responses than this are never shown (policy clause 7)."""
SATISFIED_FROM = 4  # of 5
COMMENT = "comment"  # SurveyAnswer.question_id of a free comment (score NULL)
PENDING_DECISION = tuple(s.value for s in OPEN if s != Status.APPROVED)
TICKET_OPEN = tuple(s.value for s in OPEN_STATUSES)
DASH = "—"
XLSX_MAX_ROWS = 1_048_576

NO_SERVICE = N_("Inquiries and complaints (no service)")
SUPPRESSION_NOTE = N_(
    "— : fewer than 5 answers (or hidden so that a small group cannot be worked out from the others), to protect the beneficiaries' privacy."
)

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
        return tr.gettext("{value} hours").format(
            value=format_number(round(value, 1), tr.locale, decimals=1)
        )
    return tr.gettext("{value} days").format(
        value=format_number(round(value / 24, 1), tr.locale, decimals=1)
    )
