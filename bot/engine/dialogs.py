"""The beneficiary's current conversation (flow, step, answers), kept in the database.

A dialog is read at most once per update (with the person's row, by the dispatcher's first
statement — ``known`` — or else by the first ``current()``), changed in memory by
``begin``/``save``/``end``, and written once, with the update's other changes, by
``write(ctx)`` at the end of the unit of work (``bot.engine.dispatch.finish``) — one plain statement,
in the same transaction, so a restart or a crash loses no answer already given. It is a small
record, not an ORM object: every update of a form reads and writes it, and the ORM's identity
map and unit of work cost several times the statements themselves (docs/benchmarks.md, *Load*).
Nothing else reads the ``dialogs`` table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update

from bot.engine.context import UnitOfWork
from storage.models import Dialog as DialogRow
from storage.models import utcnow

_T = cast(Table, DialogRow.__table__)  # typed as the FromClause it may be in general
_READ = select(_T.c.flow, _T.c.step, _T.c.data).where(_T.c.beneficiary_id == bindparam("b"))
_INSERT = insert(_T)
_UPDATE = (
    update(_T)
    .where(_T.c.beneficiary_id == bindparam("b"))
    .values(
        flow=bindparam("flow"),
        step=bindparam("step"),
        data=bindparam("data"),
        updated_at=bindparam("at"),
    )
)
_DELETE = delete(_T).where(_T.c.beneficiary_id == bindparam("b"))


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


def known(ctx: UnitOfWork, beneficiary_id: int, row: Any) -> None:
    """The person's dialog as the unit of work's first statement already read it (a row with
    ``flow``, ``step``, ``data``; ``None`` when they have none): no second read."""
    dialog = Dialog(beneficiary_id, row.flow, row.step, dict(row.data or {})) if row else None
    ctx.dialog_state = _State(beneficiary_id, dialog.snapshot() if dialog else None, dialog)


async def _state(ctx: UnitOfWork) -> _State | None:
    if ctx.user is None:
        return None
    state = ctx.dialog_state
    if state is None:
        conn = await ctx.session.connection()
        row = (await conn.execute(_READ, {"b": ctx.user.id})).first()
        dialog = Dialog(ctx.user.id, row.flow, row.step, dict(row.data or {})) if row else None
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


async def write(ctx: UnitOfWork) -> None:
    """Store the dialog as this update left it, if that differs from what was read (called once,
    at the end of the unit of work)."""
    state = ctx.dialog_state
    if state is None:
        return
    dialog = state.dialog
    wanted = dialog.snapshot() if dialog else None
    if wanted == state.stored:
        return
    conn = await ctx.session.connection()
    if dialog is None:
        await conn.execute(_DELETE, {"b": state.beneficiary_id})
    elif state.stored is not None:
        await conn.execute(
            _UPDATE,
            {
                "b": dialog.beneficiary_id,
                "flow": dialog.flow,
                "step": dialog.step,
                "data": dialog.data,
                "at": utcnow(),
            },
        )
    else:
        await conn.execute(
            _INSERT,
            {
                "beneficiary_id": dialog.beneficiary_id,
                "association_id": ctx.tenant,
                "flow": dialog.flow,
                "step": dialog.step,
                "data": dialog.data,
                "updated_at": utcnow(),
            },
        )
    state.stored = wanted
