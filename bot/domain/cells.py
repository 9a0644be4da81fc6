"""Spreadsheet cells that stay data: text from people is never a formula.

A comment typed as ``=HYPERLINK("http://…")`` or ``+cmd|' /c calc'!A1`` becomes a live formula
when a spreadsheet opens the export (CSV injection, OWASP). Every text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with a single quote, as OWASP
advises; numbers, dates and empty cells are left as they are.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell's value, with text that a spreadsheet would read as a formula made literal."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row: list[Any]) -> list[Any]:
    return [neutralise(v) for v in row]
