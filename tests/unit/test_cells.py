"""Spreadsheet formula injection (OWASP "CSV injection"): text that a spreadsheet would run as
a formula is made literal in the XLSX and CSV exports; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from bot.domain import reports
from bot.domain.cells import FORMULA_STARTS, neutralise, neutralise_row
from bot.domain.reports import Period
from storage.db import Database
from storage.models import Association, SurveyAnswer

HOSTILE = [
    '=HYPERLINK("http://evil","click")',
    "+SUM(A1:A2)",
    "-2+3*cmd",
    "@ SUM(A1)",
    "\t=1+1",
    "\r=1+1",
]


def test_neutralise() -> None:
    for text in HOSTILE:
        assert neutralise(text) == "'" + text
    assert neutralise("شكرًا =") == "شكرًا ="
    assert neutralise(-5) == -5 and neutralise(3.5) == 3.5 and neutralise(None) is None
    assert neutralise("") == ""
    assert neutralise_row(["=1", 2, "ok"]) == ["'=1", 2, "ok"]


def _unsafe(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


async def test_exports_carry_no_live_formula(database_url: str, profile, tmp_path: Path) -> None:
    tenant = profile.association.id
    db = Database(database_url)
    await db.migrate()
    day = datetime(2026, 10, 5, 6, tzinfo=UTC)
    async with db.write(tenant=tenant) as session:
        session.add(Association(id=tenant, name="جمعية"))
        for _ in range(6):  # enough answers for the service to be shown
            session.add(
                SurveyAnswer(
                    association_id=tenant,
                    service_id="food-support",
                    channel="request",
                    question_id="overall",
                    score=4,
                    created_at=day,
                )
            )
        for text in HOSTILE:
            session.add(
                SurveyAnswer(
                    association_id=tenant,
                    service_id="food-support",
                    channel="request",
                    question_id="comment",
                    score=None,
                    comment=text,
                    created_at=day,
                )
            )
    period = Period(date(2026, 9, 1), date(2026, 10, 31))
    try:
        async with db.read(tenant=tenant) as session:
            xlsx = await reports.export(
                session, tenant, profile, period, "xlsx", tmp_path / "r.xlsx"
            )
            plain = await reports.export(
                session, tenant, profile, period, "csv", tmp_path / "r.csv"
            )
    finally:
        await db.dispose()

    book = load_workbook(xlsx.path)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.value for c in cells if c.data_type == "f" or _unsafe(c.value)]
    comments = [c.value for c in cells if isinstance(c.value, str) and c.value.startswith("'")]
    assert len(comments) == len(HOSTILE)  # kept, readable, inert
    assert any(isinstance(c.value, int) and c.value == 4 for c in cells)  # numbers stay numbers

    rows = list(csv.reader(io.StringIO(plain.path.read_text(encoding="utf-8-sig"), newline="")))
    assert not [v for row in rows for v in row if _unsafe(v)]
    assert sum(v.startswith("'") for row in rows for v in row) == len(HOSTILE)
