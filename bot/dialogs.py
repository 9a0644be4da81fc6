"""The beneficiary's current conversation (flow, step, answers), kept in the database.

A dialog's key is the beneficiary's id, so ``current()`` is a ``Session.get``: within one
update it is read from the database once and then served from the session's identity map,
however many handlers ask (the router, then the flow, then a helper).
"""

from __future__ import annotations

from typing import Any

from bot.context import Ctx
from storage.models import Dialog


async def current(ctx: Ctx) -> Dialog | None:
    if ctx.user is None:
        return None
    return await ctx.session.get(Dialog, ctx.user.id)


async def begin(ctx: Ctx, flow: str, step: str, data: dict[str, Any] | None = None) -> Dialog:
    assert ctx.user is not None
    dialog = await current(ctx)
    if dialog is None:
        dialog = Dialog(beneficiary_id=ctx.user.id, association_id=ctx.tenant, flow=flow, step=step,
                        data=data or {})
        ctx.session.add(dialog)
        await ctx.session.flush()  # persistent now, so current() finds it without a query
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
    dialog = await current(ctx)
    if dialog is not None:
        await ctx.session.delete(dialog)
        await ctx.session.flush()  # gone from the identity map too: current() now says None
