"""Supervisor reports (policy clauses 6 and 7), Telegram-free: satisfaction, answer rate,
response and decision times, deadlines, open and overdue work — for a period.

Every figure but the open work comes from running totals (``storage.totals``): per-day and
per-month counters of scores, invitations, first replies and decisions, kept in the same
transaction as the row they count; a year's report reads a few thousand counter rows, however
many answers there are. ``mustafeed rebuild-totals`` recomputes them from the rows. The open
work is a snapshot of the live rows, read through indexes (its size is the open work). Medians
of more than :data:`~bot.domain.reports.queries.EXACT_MEDIAN_UP_TO` durations come from the
counters' histogram (within 3 minutes under 48 hours, 1.2 hours beyond); fewer, from the rows,
exact. The export's answers sheet still reads the rows (listing them is its point).

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

from bot.domain.reports.chart import (
    arabic_font_path,
    chart_series,
    render_chart,
)
from bot.domain.reports.figures import (
    COMMENT,
    DASH,
    MIN_GROUP,
    NO_SERVICE,
    PENDING_DECISION,
    SATISFIED_FROM,
    SUPPRESSION_NOTE,
    TICKET_OPEN,
    XLSX_MAX_ROWS,
    Durations,
    Group,
    Report,
    Score,
    by_month_nonempty,
    fmt_count,
    fmt_hours,
    fmt_mean,
    fmt_share,
    month_label,
    primary_question,
    question_label,
    service_label,
    suppress,
)
from bot.domain.reports.period import (
    DEFAULT_DAYS,
    MAX_DAYS,
    Period,
    PeriodError,
    parse_period,
    riyadh_midnight,
)
from bot.domain.reports.queries import (
    build_report,
)
from bot.domain.reports.render import (
    stats_text,
)
from bot.domain.reports.workbook import (
    SHEETS,
    ExportResult,
    Pct,
    answer_header,
    export,
    month_rows,
    scrub,
    service_rows,
    summary_rows,
)

__all__ = [
    "COMMENT",
    "DASH",
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "MIN_GROUP",
    "NO_SERVICE",
    "PENDING_DECISION",
    "SATISFIED_FROM",
    "SHEETS",
    "SUPPRESSION_NOTE",
    "TICKET_OPEN",
    "XLSX_MAX_ROWS",
    "Durations",
    "ExportResult",
    "Group",
    "Pct",
    "Period",
    "PeriodError",
    "Report",
    "Score",
    "answer_header",
    "arabic_font_path",
    "build_report",
    "by_month_nonempty",
    "chart_series",
    "export",
    "fmt_count",
    "fmt_hours",
    "fmt_mean",
    "fmt_share",
    "month_label",
    "month_rows",
    "parse_period",
    "primary_question",
    "question_label",
    "render_chart",
    "riyadh_midnight",
    "scrub",
    "service_label",
    "service_rows",
    "stats_text",
    "summary_rows",
    "suppress",
]
