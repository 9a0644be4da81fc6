"""The beneficiary's current conversation (flow, step, answers), kept in the database.

A dialog is read at most once per update (with the person's row, by the dispatcher's first
statement — ``known`` — or else by the first ``current()``), changed in memory by
``begin``/``save``/``end``, and written once, with the update's other changes, by
``write(ctx)`` at the end of the unit of work (``bot.engine.dispatch.finish``) — one plain statement,
in the same transaction (on PostgreSQL, a CTE of the update's first outbox INSERT: ``change``),
so a restart or a crash loses no answer already given. It is a small
record, not an ORM object: every update of a form reads and writes it, and the ORM's identity
map and unit of work cost several times the statements themselves (docs/benchmarks.md, *Load*).
Nothing else reads the ``dialogs`` table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.sql.dml import Delete, Insert, Update

from bot.engine.context import UnitOfWork
from storage.models import Dialog as DialogRow
from storage.models import table_of, utcnow
from storage.prepared import Prepared

_T = table_of(DialogRow)
_READ = Prepared(
    select(_T.c.flow, _T.c.step, _T.c.data).where(_T.c.beneficiary_id == bindparam("b"))
)
# The three ways a dialog is written, with parameters of their own names (``d_…``): on
# PostgreSQL the dispatcher runs them as a CTE of the update's first outbox INSERT (one trip).
_BY_ID = _T.c.beneficiary_id == bindparam("d_b")
_VALUES = {
    "flow": bindparam("d_flow"),
    "step": bindparam("d_step"),
    "data": bindparam("d_data", type_=_T.c.data.type),
    "updated_at": bindparam("d_at", type_=_T.c.updated_at.type),
}
WRITES: dict[str, Insert | Update | Delete] = {
    "insert": insert(_T).values(
        beneficiary_id=bindparam("d_b"), association_id=bindparam("d_tenant"), **_VALUES
    ),
    "update": update(_T).where(_BY_ID).values(**_VALUES),
    "delete": delete(_T).where(_BY_ID),
}
_WRITE = {how: Prepared(statement) for how, statement in WRITES.items()}


@dataclass
class Dialog:
    beneficiary_id: int
    flow: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)

    def snapshot(self) -> tuple[str, str, dict[str, Any]]:
        """What the row holds: a copy, so even an in-place change of ``data`` shows against it."""
        return self.flow, self.step, dict(self.data)


@dataclass
class _State:
    """The person's dialog row as the database holds it, and as this update leaves it."""

    beneficiary_id: int
    stored: tuple[str, str, dict[str, Any]] | None  # Dialog.snapshot() of the row; None: no row
    dialog: Dialog | None


def known(
    ctx: UnitOfWork, beneficiary_id: int, row: tuple[str, str, dict[str, Any] | None] | None
) -> None:
    """The person's dialog as the unit of work's first statement already read it (its
    ``flow``, ``step`` and ``data``; ``None`` when they have none): no second read."""
    dialog = Dialog(beneficiary_id, row[0], row[1], dict(row[2] or {})) if row else None
    ctx.dialog_state = _State(beneficiary_id, dialog.snapshot() if dialog else None, dialog)


async def _state(ctx: UnitOfWork) -> _State | None:
    if ctx.user is None:
        return None
    state = ctx.dialog_state
    if state is None:
        row = (await _READ.run(await ctx.connection(), {"b": ctx.user.id})).first()
        dialog = Dialog(ctx.user.id, row[0], row[1], dict(row[2] or {})) if row else None
        state = ctx.dialog_state = _State(
            ctx.user.id, dialog.snapshot() if dialog else None, dialog
        )
    return state


async def current(ctx: UnitOfWork) -> Dialog | None:
    state = await _state(ctx)
    return state.dialog if state else None


async def begin(
    ctx: UnitOfWork, flow: str, step: str, data: dict[str, Any] | None = None
) -> Dialog:
    state = await _state(ctx)
    assert state is not None and ctx.user is not None
    state.dialog = Dialog(ctx.user.id, flow, step, dict(data or {}))
    return state.dialog


def save(dialog: Dialog, step: str | None = None, **data: Any) -> None:
    """Move to ``step`` and merge ``data``; written with the rest of the update."""
    if step is not None:
        dialog.step = step
    if data:
        dialog.data = {**dialog.data, **data}


async def end(ctx: UnitOfWork) -> None:
    state = await _state(ctx)
    if state is not None:
        state.dialog = None


def change(ctx: UnitOfWork) -> tuple[str, dict[str, Any]] | None:
    """How the dialog must be written (a key of ``WRITES`` and its parameters), None when this
    update left it as it was read. Taken as written: call once, at the end of the unit of work
    (``write``, or the dispatcher's folded statement)."""
    state = ctx.dialog_state
    if state is None:
        return None
    dialog = state.dialog
    wanted = dialog.snapshot() if dialog else None
    if wanted == state.stored:
        return None
    had_row, state.stored = state.stored is not None, wanted
    if dialog is None:
        return "delete", {"d_b": state.beneficiary_id}
    params = {
        "d_b": dialog.beneficiary_id,
        "d_flow": dialog.flow,
        "d_step": dialog.step,
        "d_data": dialog.data,
        "d_at": utcnow(),
    }
    if had_row:
        return "update", params
    return "insert", {**params, "d_tenant": ctx.tenant}


async def write(ctx: UnitOfWork) -> None:
    """Store the dialog as this update left it, if that differs from what was read (called once,
    at the end of the unit of work)."""
    todo = change(ctx)
    if todo is not None:
        await _WRITE[todo[0]].run(await ctx.connection(), todo[1])
