"""Assembly: the ONE place that registers handlers, and the running bot for one association.

``build_router()`` lists the handlers in order — order matters: features first, the fallback
(which fills whatever is left) last. ``BotApp`` wires storage, the Telegram client, intake,
outbox and scheduled jobs for one association profile; a process may run several.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from contextlib import suppress
from typing import Any


from bot.engine.context import Runtime
from bot.engine.dispatch import Dispatcher
from bot.i18n import N_, SUPPORTED_LOCALES, translator
from bot.engine.intake import Intake, Poller
from bot.engine.jobs import run_forever
from bot.engine.outbox import Limits, Sender
from bot.profile import Profile
from bot.engine.router import Router
from bot.settings import ConfigError, Settings
from bot.channels.telegram.staff_auth import MembershipCache
from bot.channels.telegram.transport import call, make_bot
from storage.crypto import Vault
from storage.db import Database
from storage.models import Association

log = logging.getLogger(__name__)

# The commands shown in Telegram's menu, in each language (msgids translated at start-up).
COMMANDS = (
    ("start", N_("Start")),
    ("menu", N_("Main menu")),
    ("status", N_("My requests")),
    ("language", N_("Language")),
    ("privacy", N_("Your data and consent")),
    ("help", N_("Help")),
    ("cancel", N_("Stop what you are doing")),
)


def build_router() -> Router:
    from bot.features.complaints import complaint_flow
    from bot.features.home import about, fallback, start
    from bot.features.inquiries import inquiries, ticket_staff
    from bot.features.privacy import my_data
    from bot.features.requests import (my_requests, request_documents, request_form, request_staff,
                                       service_catalog)
    from bot.features.staff import staff_group
    from bot.features.supervisor import supervisor
    from bot.features.surveys import survey_handlers

    router = Router()
    # 1. The first minute: /start, consent, menu, help, cancel, language.
    start.register(router)
    my_data.register(router)
    # 2. Features reached from the menu.
    about.register(router)
    service_catalog.register(router)
    my_requests.register(router)
    request_form.register(router)
    request_documents.register(router)
    inquiries.register(router)
    complaint_flow.register(router)
    survey_handlers.register(router)  # satisfaction surveys
    # 3. The staff group.
    staff_group.register(router)
    request_staff.register(router)
    ticket_staff.register(router)
    supervisor.register(router)  # /stats /export /dashboard
    # 4. Last: whatever is left gets a polite answer.
    fallback.register(router)
    return router


def settings_for(settings: Settings, profile: Profile, env: Mapping[str, str] | None = None) -> Settings:
    """The settings of one association: its own token, staff group and supervisors when its
    profile's ``deployment`` names them, the process's otherwise."""
    env = os.environ if env is None else env
    deployment = profile.deployment
    changes: dict[str, Any] = {}
    if deployment.token_env:
        token = (env.get(deployment.token_env) or "").strip()
        if not token:
            raise ConfigError(f"{deployment.token_env} is not set: the bot token of association "
                              f"'{profile.association.id}' (deployment.token_env in its profile)")
        changes["token"] = token
    if deployment.staff_chat_id is not None:
        changes["staff_chat_id"] = deployment.staff_chat_id
    if deployment.supervisor_ids:
        changes["supervisor_ids"] = frozenset(deployment.supervisor_ids)
    return settings.with_(**changes) if changes else settings


def build_matcher(profile: Profile):  # noqa: ANN201 - bot.domain.faq.matcher.FaqMatcher
    """The FAQ matcher over every entry's question and phrasings, both languages."""
    from bot.domain.faq.matcher import FaqMatcher

    entries = []
    for entry in profile.faq.entries:
        texts = [*entry.question.texts(), *entry.phrasings]
        entries.append((entry.id, list(dict.fromkeys(texts))))
    return FaqMatcher.build(entries)


class BotApp:
    def __init__(self, settings: Settings, profile: Profile, *, db: Database | None = None,
                 limits: Limits | None = None, jobs_interval: float = 300.0) -> None:
        settings.require_bot()
        self.settings = settings
        self.profile = profile
        self.database = db or Database(settings.database_url)
        self.db = self.database.scoped(profile.association.id)  # every session: this association
        self._owns_db = db is None
        self.bot = make_bot(settings)
        self.sender = Sender(self.db, self.bot, profile.association.id, limits)
        assert settings.staff_chat_id is not None
        self.rt = Runtime(settings=settings, profile=profile, db=self.db, bot=self.bot,
                          vault=Vault(settings.secret_key), sender=self.sender,
                          staff_chat_id=settings.staff_chat_id)
        self.rt.membership = MembershipCache(self.bot)
        self.rt.matcher = build_matcher(profile)
        self.router = build_router()
        self.dispatcher = Dispatcher(self.rt, self.router)
        self.intake = Intake(self.db, self.rt.tenant, self.dispatcher.handle)
        self.poller = Poller(self.bot, self.intake)
        self._tasks: list[asyncio.Task[Any]] = []
        self.jobs_interval = jobs_interval

    async def prepare(self) -> None:
        """Schema, tenant row, the bot's identity and commands; then resume unfinished work."""
        await self.db.migrate()
        async with self.db.write() as session:
            row = await session.get(Association, self.rt.tenant)
            name = self.profile.association.name.get("ar")
            if row is None:
                session.add(Association(id=self.rt.tenant, name=name))
            else:
                row.name = name
        await self.bot.initialize()
        self.rt.bot_username = self.bot.username or ""
        await self._set_commands()
        await self.sender.load_pending()
        await self.intake.resume()

    async def _set_commands(self) -> None:
        for locale in SUPPORTED_LOCALES:
            tr = translator(locale)
            payload: dict[str, Any] = {"commands": [{"command": c, "description": tr.gettext(d)} for c, d in COMMANDS]}
            if locale != "ar":
                payload["language_code"] = locale
            with suppress(Exception):  # cosmetic: never block start-up on it
                await call(self.bot, "setMyCommands", payload)

    async def start_polling(self) -> None:
        await self.prepare()
        self._tasks.append(asyncio.create_task(self.poller.run(), name=f"poller:{self.rt.tenant}"))
        self.start_jobs()

    def start_jobs(self) -> None:
        """Deadlines, reminders, retention: every ``jobs_interval`` seconds (polling or webhook)."""
        if self.jobs_interval:
            self._tasks.append(asyncio.create_task(run_forever(self.rt, self.jobs_interval),
                                                   name=f"jobs:{self.rt.tenant}"))

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every received update is handled and every owed message sent (tests)."""
        await self.intake.wait_idle(timeout)
        await self.sender.wait_idle(timeout)

    async def stop(self) -> None:
        self.poller.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        with suppress(asyncio.TimeoutError):
            await self.intake.wait_idle(5)
        from bot.features.supervisor.supervisor import wait_background

        with suppress(asyncio.TimeoutError):
            await wait_background(30)  # an export under way is finished and queued
        await self.sender.stop()
        with suppress(Exception):
            await self.bot.shutdown()
        if self._owns_db:
            await self.database.dispose()
