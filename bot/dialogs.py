"""The beneficiary's current conversation (flow, step, answers), kept in the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from bot.context import Ctx
from storage.models import Dialog


async def current(ctx: Ctx) -> Dialog | None:
    if ctx.user is None:
        return None
    return await ctx.session.scalar(select(Dialog).where(Dialog.beneficiary_id == ctx.user.id))


async def begin(ctx: Ctx, flow: str, step: str, data: dict[str, Any] | None = None) -> Dialog:
    assert ctx.user is not None
    dialog = await current(ctx)
    if dialog is None:
        dialog = Dialog(beneficiary_id=ctx.user.id, association_id=ctx.tenant, flow=flow, step=step,
                        data=data or {})
        ctx.session.add(dialog)
    else:
        dialog.flow, dialog.step, dialog.data = flow, step, data or {}
    return dialog


def save(dialog: Dialog, step: str | None = None, **data: Any) -> None:
    """Move to ``step`` and merge ``data`` (a new dict, so SQLAlchemy sees the change)."""
    if step is not None:
        dialog.step = step
    if data:
        dialog.data = {**dialog.data, **data}


async def end(ctx: Ctx) -> None:
    if ctx.user is not None:
        await ctx.session.execute(delete(Dialog).where(Dialog.beneficiary_id == ctx.user.id))
