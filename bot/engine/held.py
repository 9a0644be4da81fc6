"""Messages a channel could only stand in for, delivered in full when the person writes again.

Outside WhatsApp's 24-hour window a message goes as the profile's template: one line, without
its full text, buttons or files. The channel keeps what the template replaced (``hold``) as an
outbox row of status ``held`` (one per call of the message, never sent as it is). The next time
the person writes, ``deliver`` owes those rows again, in order, under one short header and
before the answer to what they wrote (the answer stays last: it may be a question), and deletes
them — in the transaction of the message they wrote, so each is owed exactly once, across a
restart. A message whose template they answered with one of its quick replies (a survey score,
🔕) is not sent again: they acted on it already. Held rows are erased with the person's other
outbox rows and kept at most ``bot.domain.privacy.HELD_KEPT``.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select

from bot.engine.context import Ctx
from bot.engine.outbox import Out
from storage.db import ScopedDatabase
from storage.models import OutboxMessage

HELD = "held"  # OutboxMessage.status of a message a template stood in for
PART_KEY = "$part"
TEMPLATE_KEY = "$template"  # the message id of the template that stood in for it


def _same(payload: dict[str, Any]) -> str:
    return json.dumps(
        {k: v for k, v in payload.items() if k != TEMPLATE_KEY}, sort_keys=True, ensure_ascii=False
    )


async def hold(
    db: ScopedDatabase,
    tenant: str,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    channel: str,
    template_id: int | None = None,
) -> None:
    """Keep ``payload`` (one call, as the outbox gave it) for when ``chat_id`` writes again; the
    same call held twice (a template resent after a crash) is kept once. ``template_id``: the
    message id of the template that stood in for it (a choice made on it answers it)."""
    kept = {k: v for k, v in payload.items() if k != PART_KEY}
    kept["chat_id"] = chat_id
    if template_id is not None:
        kept[TEMPLATE_KEY] = template_id
    async with db.write() as session:
        earlier = (
            await session.scalars(
                select(OutboxMessage.payload).where(
                    OutboxMessage.association_id == tenant,
                    OutboxMessage.status == HELD,
                    OutboxMessage.chat_id == chat_id,
                )
            )
        ).all()
        if _same(kept) in {_same(p) for p in earlier}:
            return
        session.add(
            OutboxMessage(
                association_id=tenant,
                chat_id=chat_id,
                method=method,
                payload=kept,
                status=HELD,
                channel=channel,
            )
        )


async def deliver(ctx: Ctx) -> None:
    """What was held for the person who wrote: owed again in full, before the answer."""
    if ctx.user is None or ctx.chat_id is None or not ctx.user.has_consented:
        return
    rows = (
        await ctx.session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.method,
                OutboxMessage.payload,
                OutboxMessage.channel,
            )
            .where(
                OutboxMessage.association_id == ctx.tenant,
                OutboxMessage.status == HELD,
                OutboxMessage.chat_id == ctx.chat_id,
            )
            .order_by(OutboxMessage.id)
        )
    ).all()
    if not rows:
        return
    await ctx.session.execute(
        delete(OutboxMessage).where(OutboxMessage.id.in_([r.id for r in rows]))
    )
    event = ctx.event
    if event.is_action and event.message_id is not None:  # a choice on a template answers it
        rows = [r for r in rows if r.payload.get(TEMPLATE_KEY) != event.message_id]
    if not rows:
        return
    ctx.send(
        ctx.chat_id,
        ctx.ngettext(
            "📬 This message reached you while you were away, in short. Here it is in full:",
            "📬 These messages reached you while you were away, in short. Here they are in full:",
            len(rows),
        ),
    )
    header = ctx.out.pop()
    again = [
        Out(
            ctx.chat_id,
            r.method,
            {k: v for k, v in r.payload.items() if k != TEMPLATE_KEY},
            channel=r.channel,
        )
        for r in rows
    ]
    ctx.out[0:0] = [header, *again]
