"""``/whatsapp``: Meta's webhook for the WhatsApp Business Cloud API.

* ``GET`` with ``hub.mode=subscribe`` and the right ``hub.verify_token`` answers
  ``hub.challenge`` as plain text (Meta's check of the URL); anything else 403.
* ``POST`` is accepted only with a valid ``X-Hub-Signature-256`` (``sha256=`` + HMAC-SHA256 of
  the raw body with the app secret, compared in constant time): otherwise 401 and nothing is
  stored. Each message becomes one stored update (``bot.engine.intake``, encrypted) whose id is
  derived from the message id, so a redelivery is dropped there; 200 only once they are stored.
  Statuses (sent, delivered, read, failed) are written on the outbox row of their message.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import update

from bot.channels.whatsapp.wa_adapter import CHANNEL
from bot.channels.whatsapp.wa_identity import message_id_for, update_id_for
from bot.engine.intake import Intake
from storage.db import ScopedDatabase
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
WHATSAPP_PATH = "/whatsapp"
SIGNATURE_HEADER = "X-Hub-Signature-256"
RECEIPTS = ("sent", "delivered", "read")


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


async def record_statuses(db: ScopedDatabase, tenant: str, statuses: list[dict[str, Any]]) -> None:
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
            if state == "failed":
                errors = status.get("errors") or [{}]
                code = errors[0].get("code") if isinstance(errors[0], dict) else None
                values: dict[str, Any] = {
                    "status": "failed",
                    "receipt": "failed",
                    "error": f"WhatsApp status failed ({code})",
                }
            else:
                values = {"receipt": state}
            await session.execute(update(OutboxMessage).where(where).values(**values))


def add_routes(
    web_app: web.Application,
    *,
    verify_token: str,
    app_secret: str,
    intake: Intake,
    db: ScopedDatabase,
    tenant: str,
) -> None:
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
            await record_statuses(db, tenant, statuses)
        return web.Response(status=200, text="ok")

    web_app.router.add_get(WHATSAPP_PATH, challenge)
    web_app.router.add_post(WHATSAPP_PATH, receive)


def make_whatsapp_app(**kwargs: Any) -> web.Application:
    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    add_routes(web_app, **kwargs)
    return web_app
