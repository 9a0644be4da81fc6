"""Webhook mode: Telegram POSTs updates here; each is stored before we answer 200.

The ``X-Telegram-Bot-Api-Secret-Token`` header is checked in constant time against a secret
derived from ``MUSTAFEED_SECRET_KEY``; ``GET /healthz`` reports the database and the backlog.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from aiohttp import web
from sqlalchemy import func, select

from bot.app import BotApp
from bot.channels.telegram.transport import call
from bot.profile import Profile
from bot.settings import Settings
from bot.web.dashboard import make_dashboard_app
from storage.models import InboundUpdate, OutboxMessage

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram"


def webhook_secret(settings: Settings) -> str:
    return hmac.new(settings.secret_key.encode(), b"webhook-secret", hashlib.sha256).hexdigest()


MAX_DEPTH = 64  # a Telegram update nests about ten levels deep


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest more than ``limit`` levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


def make_web_app(app: BotApp) -> web.Application:
    secret = webhook_secret(app.settings)

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            raw = json.loads(await request.read())
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
            return web.Response(status=400, text="bad json")
        if too_deep(raw):  # parsed, but would break whatever recurses over it later
            return web.Response(status=400, text="nested too deeply")
        if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
            return web.Response(status=200, text="ignored")  # never make Telegram retry garbage
        for fresh in await app.intake.store([raw]):  # stored before the 200
            app.intake.submit(fresh)
        return web.Response(status=200, text="ok")

    async def health(_: web.Request) -> web.Response:
        try:
            async with app.db.read() as session:
                pending = await session.scalar(
                    select(func.count())
                    .select_from(InboundUpdate)
                    .where(InboundUpdate.status == "pending")
                )
                owed = await session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == "pending")
                )
        except Exception as exc:  # report, don't crash the probe
            return web.json_response({"ok": False, "database": type(exc).__name__}, status=503)
        return web.json_response(
            {
                "ok": True,
                "association": app.rt.tenant,
                "updates_pending": pending,
                "outbox_pending": owed,
                # PostgreSQL: the chats this process holds of the association (docs/scaling.md)
                "chats_held": None if app.cluster is None else len(app.cluster.held),
            }
        )

    web_app = web.Application(client_max_size=2 * 1024 * 1024)
    web_app.router.add_post(WEBHOOK_PATH, receive)
    web_app.router.add_get("/healthz", health)
    if app.whatsapp is not None:  # Meta's webhook, on the same port: /whatsapp
        from bot.channels.whatsapp.wa_webhook import add_routes

        settings = app.settings
        add_routes(
            web_app,
            verify_token=settings.whatsapp_verify_token or "",
            app_secret=settings.whatsapp_app_secret or "",
            intake=app.intake,
            db=app.db,
            tenant=app.rt.tenant,
            channel=app.whatsapp,
        )
    web_app.add_subapp("/dashboard/", make_dashboard_app(app.rt))  # the supervisors' page
    return web_app


async def serve(
    settings: Settings, profile: Profile, *, host: str, port: int, public_url: str | None
) -> None:
    from bot.engine.service import settle_memory, until_signalled

    app = BotApp(settings, profile)
    runner = web.AppRunner(make_web_app(app))
    try:  # whatever stops start-up (the port taken …) stops the bot too: its threads hold the exit
        await app.prepare()
        app.start_jobs()
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        if public_url:
            await call(
                app.bot,
                "setWebhook",
                {
                    "url": public_url.rstrip("/") + WEBHOOK_PATH,
                    "secret_token": webhook_secret(settings),
                    "allowed_updates": [
                        "message",
                        "edited_message",
                        "callback_query",
                        "my_chat_member",
                    ],
                },
            )
        log.info("webhook listening on %s:%s%s", host, port, WEBHOOK_PATH)
        settle_memory()
        await until_signalled()
    finally:
        await runner.cleanup()
        await app.stop()
