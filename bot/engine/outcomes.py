"""The sender's bookkeeping after each delivery (``bot.engine.sender``): a message marked sent
or failed, the new message's ids, the staff links it makes, a person who blocked the bot, and
the messages an outcome makes owed — in one transaction, or, in the usual case (messages
delivered, nothing else), one statement committed at once (``Database.write_one``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, update

from bot.engine.outbox import BULK_KEY, Out
from storage.db import ScopedDatabase, retrying
from storage.models import Beneficiary, OutboxMessage, StaffMessageLink, table_of, utcnow
from storage.prepared import Prepared

_OUTBOX = table_of(OutboxMessage)
_THIS_ROW = (_OUTBOX.c.id == bindparam("o_id")) & (
    _OUTBOX.c.association_id == bindparam("o_tenant")
)
# built once (an outcome is written for every message sent), run on the driver's connection
_OUTCOME = {
    "sent_at": bindparam("o_at"),
    "result_message_id": bindparam("o_mid"),
    "error": bindparam("o_error"),
    "attempts": _OUTBOX.c.attempts + 1,
}
_MARK_SENT = Prepared(  # a delivered message's words are no longer ours to keep (privacy)
    update(_OUTBOX).where(_THIS_ROW).values(status="sent", payload={}, **_OUTCOME)
)
_MARK_OTHER = Prepared(
    update(_OUTBOX).where(_THIS_ROW).values(status=bindparam("o_status"), **_OUTCOME)
)


@dataclass
class Outcome:
    """What became of one sent (or refused) message, waiting to be written."""

    item: Out
    status: str
    message_ids: list[int]
    error: str | None
    blocked: bool
    at: Any
    stored: asyncio.Future[None]

    @property
    def message_id(self) -> int | None:
        return self.message_ids[0] if self.message_ids else None


async def store(db: ScopedDatabase, tenant: str, batch: list[Outcome], owed: list[Out]) -> None:
    """Write the outcomes, and the messages they make ``owed`` (their ids set), in one
    transaction; the usual case (messages delivered, nothing else) as one statement."""
    params = [
        {
            "o_id": o.item.id,
            "o_tenant": tenant,
            "o_status": o.status,
            "o_at": o.at,
            "o_mid": o.message_id,
            "o_error": o.error,
        }
        for o in batch
        if o.item.id is not None
    ]
    sent = [p for p in params if p["o_status"] == "sent"]
    other = [p for p in params if p["o_status"] != "sent"]
    links: dict[tuple[int, int], Out] = {}
    for o in batch:
        if o.item.link_kind and o.item.link_id is not None and not o.item.payload.get(BULK_KEY):
            for message_id in o.message_ids:
                links.setdefault((o.item.chat_id, message_id), o.item)
    blocked = sorted({o.item.chat_id for o in batch if o.blocked and o.item.chat_id > 0})
    if not (links or blocked or owed) and not (sent and other):
        # the usual case, a beneficiary's messages delivered: one statement, no transaction
        # around it (PostgreSQL: one round trip instead of three)
        if sent or other:
            await retrying(lambda: db.write_one(_MARK_SENT if sent else _MARK_OTHER, sent or other))
        return

    async def write() -> None:
        async with db.write() as session:
            conn = await session.connection()
            if sent:
                await _MARK_SENT.run_many(conn, sent)
            if other:
                await _MARK_OTHER.run_many(conn, other)
            # the parts of one message in their order: a case's card is its first link
            base = utcnow()
            session.add_all(
                [
                    StaffMessageLink(
                        association_id=tenant,
                        chat_id=chat_id,
                        message_id=message_id,
                        subject_kind=item.link_kind,
                        subject_id=item.link_id,
                        created_at=base + timedelta(microseconds=n),
                    )
                    for n, ((chat_id, message_id), item) in enumerate(links.items())
                ]
            )
            if blocked:
                await session.execute(
                    update(Beneficiary)
                    .where(
                        Beneficiary.association_id == tenant,
                        Beneficiary.telegram_user_id.in_(blocked),
                    )
                    .values(unreachable_at=utcnow())
                )
            if owed:
                new_rows = [item.row(tenant) for item in owed]
                session.add_all(new_rows)
                await session.flush()
                for item, row in zip(owed, new_rows, strict=True):
                    item.id = row.id

    await retrying(write)
