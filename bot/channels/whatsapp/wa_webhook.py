"""``/whatsapp``: Meta's webhook for the WhatsApp Business Cloud API.

* ``GET`` with ``hub.mode=subscribe`` and the right ``hub.verify_token`` answers
  ``hub.challenge`` as plain text (Meta's check of the URL); anything else 403.
* ``POST`` is accepted only with a valid ``X-Hub-Signature-256`` (``sha256=`` + HMAC-SHA256 of
  the raw body with the app secret, compared in constant time): otherwise 401 and nothing is
  stored. Each message becomes one stored update (``bot.engine.intake``, encrypted) whose id is
  derived from the message id, so a redelivery is dropped there; 200 only once they are stored.
  Statuses (sent, delivered, read, failed) are written on the outbox row of their message.

WhatsApp often refuses a message only later, in a ``failed`` status rather than in its answer:
131026 (the number cannot receive) marks the person unreachable like a Telegram block; 131047
(the 24-hour window had closed) tells the channel the window is closed and owes the message
again — a new outbox row, which the channel sends as the profile's template.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import select, update

from bot.channels.whatsapp.wa_adapter import CHANNEL
from bot.channels.whatsapp.wa_identity import message_id_for, update_id_for
from bot.engine.intake import Intake
from bot.engine.outbox import Out
from storage.db import ScopedDatabase
from storage.models import Beneficiary, OutboxMessage, utcnow

log = logging.getLogger(__name__)
WHATSAPP_PATH = "/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
RECEIPTS = ("sent", "delivered", "read")
WINDOW_CLOSED, UNREACHABLE = 131047, frozenset({131026})
LATER = (0.2, 1.0, 5.0)  # seconds before a status whose row is not known yet is tried again


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verified(secret: str, body: bytes, given: str) -> bool:
    return hmac.compare_digest(signature(secret, body).encode(), given.encode())


def split(notification: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The messages (as updates to store) and the statuses of one notification."""
    updates: list[dict[str, Any]] = []
    statuses: list[dict[str, Any]] = []
    if not isinstance(notification, dict):
        return updates, statuses
    for entry in notification.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            value = (change or {}).get("value") or {}
            contacts = {
                str(c.get("wa_id")): c for c in value.get("contacts") or [] if isinstance(c, dict)
            }
            for message in value.get("messages") or []:
                if not isinstance(message, dict) or not message.get("id"):
                    continue
                updates.append(
                    {
                        "update_id": update_id_for(str(message["id"])),
                        "channel": CHANNEL,
                        "message": message,
                        "contact": contacts.get(str(message.get("from")), {}),
                    }
                )
            statuses += [s for s in value.get("statuses") or [] if isinstance(s, dict)]
    return updates, statuses


async def record_statuses(
    db: ScopedDatabase,
    tenant: str,
    statuses: list[dict[str, Any]],
    recall: Callable[[int], dict[str, Any] | None] | None = None,
) -> tuple[list[Out], list[int], list[dict[str, Any]]]:
    """Write each status on its outbox row; returns the messages owed again (131047 reported
    late: new rows, when ``recall`` still has what was sent — a delivered row keeps no words),
    the chats whose window WhatsApp said was closed, and the statuses whose row is not known
    yet (Meta's webhook can outrun the sender's bookkeeping of the send)."""
    again: list[Out] = []
    closed: list[int] = []
    unknown: list[dict[str, Any]] = []
    async with db.write() as session:
        for status in statuses:
            state, wamid = status.get("status"), status.get("id")
            if not wamid or state not in (*RECEIPTS, "failed"):
                continue
            where = (
                (OutboxMessage.association_id == tenant)
                & (OutboxMessage.channel == CHANNEL)
                & (OutboxMessage.result_message_id == message_id_for(str(wamid)))
            )
            if state != "failed":
                # a receipt only moves forward (a "sent" retried late must not undo "delivered")
                earlier = OutboxMessage.receipt.is_(None) | OutboxMessage.receipt.in_(
                    RECEIPTS[: RECEIPTS.index(state)]
                )
                moved = await session.execute(
                    update(OutboxMessage).where(where & earlier).values(receipt=state)
                )
                if moved.rowcount == 0 and (  # type: ignore[attr-defined]
                    await session.scalar(select(OutboxMessage.id).where(where).limit(1)) is None
                ):  # sent, but the sender's bookkeeping not yet committed: again a little later
                    unknown.append(status)
                    continue
                if recall is not None and state in ("delivered", "read"):
                    recall(message_id_for(str(wamid)))  # delivered: no longer kept
                continue
            errors = status.get("errors") or [{}]
            code = errors[0].get("code") if isinstance(errors[0], dict) else None
            row = await session.scalar(select(OutboxMessage).where(where).limit(1))
            if row is None:
                unknown.append(status)
                continue
            if row.status == "failed":  # a redelivered status
                continue
            row.status, row.receipt = "failed", "failed"
            row.error = f"WhatsApp status failed ({code})"
            if code in UNREACHABLE:  # like a Telegram block: the staff card says so
                await session.execute(
                    update(Beneficiary)
                    .where(
                        Beneficiary.association_id == tenant,
                        Beneficiary.telegram_user_id == row.chat_id,
                    )
                    .values(unreachable_at=utcnow())
                )
            elif code == WINDOW_CLOSED:
                closed.append(row.chat_id)
                sent = recall(message_id_for(str(wamid))) if recall is not None else None
                if sent is None:
                    continue
                row.error += ": owed again as the template"
                copy = OutboxMessage(
                    association_id=tenant,
                    chat_id=row.chat_id,
                    method=row.method,
                    payload={"chat_id": row.chat_id, **sent},
                    link_kind=row.link_kind,
                    link_id=row.link_id,
                    channel=CHANNEL,
                )
                session.add(copy)
                await session.flush()
                again.append(
                    Out(
                        copy.chat_id,
                        copy.method,
                        dict(copy.payload),
                        copy.link_kind,
                        copy.link_id,
                        copy.id,
                        channel=CHANNEL,
                    )
                )
    return again, closed, unknown


def add_routes(
    web_app: web.Application,
    *,
    verify_token: str,
    app_secret: str,
    intake: Intake,
    db: ScopedDatabase,
    tenant: str,
    channel: Any = None,
) -> None:
    """``channel``: the ``WhatsAppChannel`` (its window and its ``resend``), when it runs here."""

    async def challenge(request: web.Request) -> web.Response:
        query = request.query
        given = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            given.encode(), verify_token.encode()
        ):
            return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")
        return web.Response(status=403, text="forbidden")

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        if not verified(app_secret, body, request.headers.get(SIGNATURE_HEADER, "")):
            return web.Response(status=401, text="bad signature")
        try:
            notification = json.loads(body)
        except (ValueError, RecursionError):
            return web.Response(status=400, text="bad json")
        updates, statuses = split(notification)
        for fresh in await intake.store(updates):  # stored before the 200
            intake.submit(fresh)
        if statuses:
            unknown = await statuses_recorded(statuses)
            if unknown:  # its row's bookkeeping may still be under way: again a little later
                task = asyncio.create_task(later(unknown))
                pending.add(task)
                task.add_done_callback(pending.discard)
        return web.Response(status=200, text="ok")

    pending: set[asyncio.Task[None]] = set()

    async def statuses_recorded(statuses: list[dict[str, Any]]) -> list[dict[str, Any]]:
        recall = getattr(channel, "sent_payload", None)
        again, closed, unknown = await record_statuses(db, tenant, statuses, recall)
        for chat_id in closed:
            if channel is not None:
                channel.window_closed(chat_id)
        resend = getattr(channel, "resend", None)
        if again and resend is not None:
            resend(again)  # the sender of this process; else the next start's
        return unknown

    async def later(unknown: list[dict[str, Any]]) -> None:
        for pause in LATER:
            await asyncio.sleep(pause)
            try:
                unknown = await statuses_recorded(unknown)
            except Exception as exc:  # the database away a moment: the status is only lost
                log.warning("a WhatsApp status could not be recorded: %s", type(exc).__name__)
                return
            if not unknown:
                return

    web_app.router.add_get(WHATSAPP_PATH, challenge)
    web_app.router.add_post(WHATSAPP_PATH, receive)


def make_whatsapp_app(**kwargs: Any) -> web.Application:
    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    add_routes(web_app, **kwargs)
    return web_app
