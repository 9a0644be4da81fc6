"""The report as a workbook (xlsx) or CSV: summary, by service, by month, anonymised answers."""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.cells import neutralise, neutralise_row
from bot.domain.dates import RIYADH, format_date
from bot.domain.reports.figures import (
    COMMENT,
    DASH,
    SUPPRESSION_NOTE,
    XLSX_MAX_ROWS,
    Group,
    Report,
    question_label,
)
from bot.domain.reports.period import Period
from bot.domain.reports.queries import build_report
from bot.i18n import N_, Translator, translator
from bot.profile import Profile
from storage.models import SurveyAnswer

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
        [
            tr.gettext("First reply to inquiries and complaints (hours)"),
            tr.gettext("median"),
            _number(fr.median),
            tr.gettext("mean"),
            _number(fr.mean),
            tr.gettext("cases"),
            fr.count,
        ],
        [
            tr.gettext("Decision on requests (hours)"),
            tr.gettext("median"),
            _number(dec.median),
            tr.gettext("mean"),
            _number(dec.mean),
            tr.gettext("cases"),
            dec.count,
        ],
        [
            tr.gettext("Decided within the deadline"),
            _pct(report.in_time_share),
            report.decided_in_time,
            report.decided,
        ],
        [],
        [tr.gettext("Requests awaiting a decision (now)"), report.open_requests],
        [tr.gettext("of which overdue"), report.overdue_requests],
        [tr.gettext("Open inquiries and complaints (now)"), report.open_tickets],
        [tr.gettext("of which overdue"), report.overdue_tickets],
        [],
        [
            tr.gettext("By question"),
            tr.gettext("Responses"),
            tr.gettext("Mean satisfaction (of 5)"),
            tr.gettext("Share satisfied (4 or 5)"),
        ],
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
    header = [
        tr.gettext("Service"),
        tr.gettext("Responses"),
        tr.gettext("Mean satisfaction (of 5)"),
        tr.gettext("Share satisfied (4 or 5)"),
    ]
    return [header, *(_group_row(g) for g in report.by_service)]


def month_rows(report: Report, tr: Translator) -> list[list[Any]]:
    header = [
        tr.gettext("Month"),
        tr.gettext("Month name"),
        tr.gettext("Responses"),
        tr.gettext("Mean satisfaction (of 5)"),
        tr.gettext("Share satisfied (4 or 5)"),
    ]
    rows: list[list[Any]] = [header]
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


async def _answer_rows(
    session: AsyncSession, report: Report, profile: Profile, tr: Translator
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
        .where(A.created_at >= lo, A.created_at < hi)
        .order_by(A.service_id, A.channel, A.question_id, A.score)
        .execution_options(yield_per=20_000)
    )
    questions: dict[str, str] = {COMMENT: tr.gettext("Comment")}
    async for chunk in result.partitions(20_000):
        rows = []
        for service_id, question_id, score, comment in chunk:
            if service_id not in shown:
                continue
            if question_id not in questions:
                questions[question_id] = question_label(profile, question_id, tr.locale)
            rows.append([shown[service_id], questions[question_id], score, scrub(comment)])
        if rows:
            yield rows


def answer_header(tr: Translator) -> list[str]:
    return [
        tr.gettext("Service"),
        tr.gettext("Question"),
        tr.gettext("Score"),
        tr.gettext("Comment"),
    ]


SHEETS = (N_("Summary"), N_("By service"), N_("By month"), N_("Answers"))


@dataclass
class ExportResult:
    path: Path
    answers: int
    truncated: bool = False


async def export(
    session: AsyncSession,
    tenant: str,
    profile: Profile,
    period: Period,
    fmt: str,
    path: Path,
    *,
    now: datetime | None = None,
    locale: str = "ar",
) -> ExportResult:
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
                rows, truncated = rows[: room - written], True
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
        self.current: Any = None  # an openpyxl worksheet (untyped)

    def _cell(self, sheet: Any, value: Any, bold: bool = False) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        cell = WriteOnlyCell(
            sheet, value=float(value) if isinstance(value, Pct) else neutralise(value)
        )
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
            sheet.append(
                [
                    self._cell(sheet, v, bold=(i == 0) if index == 0 else n == 0)
                    for i, v in enumerate(row)
                ]
            )

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
