"""Assembly: the ONE place that registers handlers, and the running bot for one association.

``build_router()`` lists the handlers in order — order matters: features first, the fallback
(which fills whatever is left) last. ``BotApp`` wires storage, the Telegram client, intake,
outbox and scheduled jobs for one association profile; a process may run several.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.telegram.api import InvalidToken, NetworkError, RetryAfter
from bot.channels.telegram.polling import Poller
from bot.channels.telegram.sending import TelegramDelivery
from bot.channels.telegram.transport import call, make_bot, retry_seconds
from bot.engine.cluster import Cluster, SharedBudget
from bot.engine.context import Runtime
from bot.engine.dispatch import Dispatcher
from bot.engine.intake import Intake
from bot.engine.jobs import scheduled
from bot.engine.lease import Lease
from bot.engine.logging_setup import hide
from bot.engine.outbox import Limits, Policy
from bot.engine.router import Router
from bot.engine.sender import Sender
from bot.engine.service import database_errors, first_line
from bot.i18n import N_, SUPPORTED_LOCALES, translator
from bot.profile import Profile
from bot.settings import ConfigError, Settings
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
    from bot.features import announcements
    from bot.features.appointments import appointments
    from bot.features.complaints import complaint_flow
    from bot.features.home import about, fallback, start
    from bot.features.inquiries import inquiries, ticket_jobs, ticket_staff
    from bot.features.privacy import my_data
    from bot.features.requests import (
        my_requests,
        request_documents,
        request_form,
        request_jobs,
        request_staff,
        request_thread,
        service_catalog,
    )
    from bot.features.staff import staff_group
    from bot.features.supervisor import supervisor
    from bot.features.surveys import survey_handlers
    from bot.features.workspace import waiting, workspace

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
    waiting.register(router)  # scheduled: a paused decision clock resumed, document reminders
    request_jobs.register(router)  # scheduled: deadline reminders, overdue alerts (this order)
    ticket_jobs.register(router)
    survey_handlers.register(router)  # satisfaction surveys (and their reminders)
    # 3. The staff group.
    staff_group.register(router)
    request_staff.register(router)
    request_thread.register(router)  # staff replies to a request's card; a beneficiary's replies
    ticket_staff.register(router)
    supervisor.register(router)  # /stats /export /dashboard
    announcements.register(router)  # /announce, the opt-out, the one-time question
    appointments.register(router)  # /appoint: offered times, the choice, reminders, outcome
    workspace.register(router)  # /queue /find /history /assign, claim, notes, ready replies
    # 4. Last: whatever is left gets a polite answer.
    fallback.register(router)
    return router


def settings_for(
    settings: Settings, profile: Profile, env: Mapping[str, str] | None = None
) -> Settings:
    """The settings of one association: its own token, staff group and supervisors when its
    profile's ``deployment`` names them, the process's otherwise."""
    env = os.environ if env is None else env
    deployment = profile.deployment
    changes: dict[str, Any] = {}
    if deployment.token_env:
        token = (env.get(deployment.token_env) or "").strip()
        if not token:
            raise ConfigError(
                f"{deployment.token_env} is not set: the bot token of association "
                f"'{profile.association.id}' (deployment.token_env in its profile)"
            )
        changes["token"] = token
    if deployment.whatsapp_env_prefix:  # this association's own WhatsApp number and secrets
        from bot.settings import whatsapp_settings

        prefix = deployment.whatsapp_env_prefix

        def own(name: str) -> str | None:
            return (env.get(prefix + name) or "").strip() or None

        changes.update(whatsapp_settings(own, prefix))
        changes.setdefault("whatsapp_phone_number_id", None)
    if deployment.staff_chat_id is not None:
        changes["staff_chat_id"] = deployment.staff_chat_id
    if deployment.supervisor_ids:
        changes["supervisor_ids"] = frozenset(deployment.supervisor_ids)
    return settings.with_(**changes) if changes else settings


def check_staff_chats(pairs: Sequence[tuple[Settings, Profile]]) -> None:
    """Refuse associations of one process that share a staff group (each would see the other's
    cases and supervisors), unless every one of them says so in its profile. A profile that
    names no ``deployment.staff_chat_id`` gets the process's STAFF_CHAT_ID: the usual way in."""
    by_chat: dict[int | None, list[str]] = {}
    sharing: dict[int | None, bool] = {}
    for settings, profile in pairs:
        by_chat.setdefault(settings.staff_chat_id, []).append(profile.association.id)
        sharing[settings.staff_chat_id] = (
            sharing.get(settings.staff_chat_id, True) and profile.deployment.share_staff_chat
        )
    for chat, ids in by_chat.items():
        if len(ids) > 1 and not sharing[chat]:
            raise ConfigError(
                f"STAFF_CHAT_ID: the associations {', '.join(ids)} would share the staff group {chat}: "
                "give each profile its own deployment.staff_chat_id (and deployment.supervisor_ids), "
                "or set deployment.share_staff_chat: true in each of them"
            )


def faq_entries(profile: Profile) -> list[tuple[str, list[str]]]:
    """Every FAQ entry's question (both languages) and phrasings, for the matcher."""
    entries = []
    for entry in profile.faq.entries:
        texts = [*entry.question.texts(), *entry.phrasings]
        entries.append((entry.id, list(dict.fromkeys(texts))))
    return entries


def build_matcher(profile: Profile, learned: dict[str, list[str]] | None = None):
    """The FAQ matcher (bot.domain.faq.matcher.FaqMatcher) over the profile's entries and the
    staff-confirmed phrasings learned since (``learned``, per entry id)."""
    from bot.domain.faq.matcher import FaqMatcher

    return FaqMatcher.build(faq_entries(profile), learned=learned)


class BotApp:
    def __init__(
        self,
        settings: Settings,
        profile: Profile,
        *,
        db: Database | None = None,
        limits: Limits | None = None,
        jobs_interval: float = 300.0,
    ) -> None:
        settings.require_bot()
        self.settings = settings
        self.profile = profile
        self.database = db or Database(settings.database_url)
        self.db = self.database.scoped(profile.association.id)  # every session: this association
        self._owns_db = db is None
        self.bot = make_bot(settings)
        self.sender = Sender(self.db, TelegramDelivery(self.bot), profile.association.id, limits)
        assert settings.staff_chat_id is not None
        self.rt = Runtime(
            settings=settings,
            profile=profile,
            db=self.db,
            bot=self.bot,
            vault=Vault(settings.secret_key),
            sender=self.sender,
            staff_chat_id=settings.staff_chat_id,
        )
        self.sender.policy = Policy(
            max_attempts=settings.outbox_max_attempts,
            max_age=settings.outbox_max_age,
            staff_chats=self.rt.staff_chat_ids,
            supervisors=frozenset(settings.supervisor_ids),
        )
        self.channel = TelegramChannel(self.bot)
        self.rt.channel = self.channel
        self.rt.matcher = build_matcher(profile)
        self.router = build_router()
        self.rt.jobs = self.router.jobs
        self.whatsapp = self._whatsapp() if settings.whatsapp else None
        self.dispatcher = Dispatcher(self.rt, self.router)
        self.intake = Intake(
            self.db,
            self.rt.tenant,
            self.dispatcher.handle,
            self.dispatcher.chat_key,
            vault=self.rt.vault,
        )
        self.poller = Poller(self.bot, self.intake)
        self.cluster: Cluster | None = None  # PostgreSQL: set at prepare (_join_cluster)
        self._tasks: list[asyncio.Task[Any]] = []
        self.jobs_interval = jobs_interval

    def _whatsapp(self) -> Any:
        """The WhatsApp channel beside Telegram (WHATSAPP_PHONE_NUMBER_ID set): it renders and
        sends what is owed to a WhatsApp person; staff stay on Telegram."""
        from bot.channels.whatsapp.wa_graph import WhatsAppChannel

        channel = WhatsAppChannel(
            self.settings,
            self.rt.vault,
            self.db,
            self.rt.tenant,
            templates=self.profile.whatsapp.templates,
            association_name=self.profile.association.name.get("ar") or "",
        )
        self.rt.channels[channel.name] = channel
        self.sender.deliveries[channel.name] = channel
        channel.resend = self.sender.enqueue  # what WhatsApp refused late, owed again
        return channel

    def whatsapp_app(self) -> Any:
        """The aiohttp app that serves ``/whatsapp`` (Meta's webhook) for this association."""
        from bot.channels.whatsapp.wa_webhook import make_whatsapp_app

        assert self.settings.whatsapp_verify_token and self.settings.whatsapp_app_secret
        return make_whatsapp_app(
            verify_token=self.settings.whatsapp_verify_token,
            app_secret=self.settings.whatsapp_app_secret,
            intake=self.intake,
            db=self.db,
            tenant=self.rt.tenant,
            channel=self.whatsapp,
        )

    async def prepare(self) -> None:
        """Schema, tenant row, the bot's identity and commands; then resume unfinished work.

        The database out of reach, a rejected token: ``OperatorError``/``ConfigError`` naming
        it (``mustafeed`` prints that line and exits). The Bot API out of reach: wait for it."""
        hide(self.settings.token)
        async with database_errors(self.db.url):
            await self.db.migrate()
        for attempt in (1, 2):  # a second process may add the row at the same moment
            try:
                async with self.db.write() as session:
                    row = await session.get(Association, self.rt.tenant)
                    name = self.profile.association.name.get("ar")
                    if row is None:
                        session.add(Association(id=self.rt.tenant, name=name))
                    else:
                        row.name = name
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        self._join_cluster()
        await self._load_learned_phrasings()
        await self._initialize_bot()
        self.channel.username = self.bot.username or ""  # commands addressed to us
        await self._set_commands()
        await self.sender.load_pending()
        await self.intake.resume()
        if self.cluster is not None:
            await self.cluster.start()  # takes the free chats with work waiting

    def _join_cluster(self) -> None:
        """On PostgreSQL, this process is one of any number serving the association: chats are
        locked to one process at a time, polling to one lease holder, the sending budget shared
        (``bot.engine.cluster``). SQLite: one process, nothing changes."""
        link = self.database.cluster_link()
        if link is None or self.cluster is not None:
            return
        self.cluster = Cluster(link, self.rt.tenant, self.intake, self.sender)
        self.intake.cluster = self.sender.cluster = self.cluster
        limits = self.sender.limits
        if limits.per_second < 1000:  # lifted (benchmarks): nothing to share
            self.sender.budget = SharedBudget(
                link,
                self.rt.tenant,
                limits.per_second,
                limits.per_second,
                group_per_minute=limits.group_per_minute,
                window=limits.group_window,
            )

    async def _load_learned_phrasings(self) -> None:
        """The matcher again, with the entries staff drafted and a supervisor approved
        (faq_drafts, added to the running profile) and the phrasings staff confirmed
        (learned_phrasings), built once."""
        from bot.domain.faq.drafts import approved_rows, with_entries
        from bot.domain.faq.learned import approved_by_entry

        async with self.db.read() as session:
            learned = await approved_by_entry(session)
            drafted = await approved_rows(session)
        if drafted:
            self.rt.profile = with_entries(self.rt.profile, drafted)
        if learned or drafted:
            self.rt.matcher = build_matcher(self.rt.profile, learned)

    async def _initialize_bot(self, first_delay: float = 1.0, max_delay: float = 60.0) -> None:
        """``getMe``, retried while the Bot API cannot be reached (1, 2, 4 … 60 s apart, one log
        line each), as the poller does once running; a rejected token ends start-up."""
        host = urlsplit(self.settings.api_base_url).netloc or self.settings.api_base_url
        delay = first_delay
        while True:
            try:
                await self.bot.initialize()
                return
            except InvalidToken:  # its message holds the token: never shown
                name = self.profile.deployment.token_env or "TELEGRAM_BOT_TOKEN"
                raise ConfigError(
                    f"{name} was rejected by the Bot API at {host}: copy the token "
                    "again from @BotFather (or check TELEGRAM_API_BASE_URL)"
                ) from None
            except RetryAfter as exc:
                wait = retry_seconds(exc)
            except (NetworkError, OSError) as exc:  # TimedOut too
                wait = delay
                delay = min(delay * 2, max_delay)
                log.warning(
                    "the Bot API at %s cannot be reached (%s); trying again in %.0f s "
                    "(check the network and TELEGRAM_API_BASE_URL)",
                    host,
                    first_line(exc),
                    wait,
                )
            await asyncio.sleep(wait)

    async def _set_commands(self) -> None:
        for locale in SUPPORTED_LOCALES:
            tr = translator(locale)
            payload: dict[str, Any] = {
                "commands": [{"command": c, "description": tr.gettext(d)} for c, d in COMMANDS]
            }
            if locale != "ar":
                payload["language_code"] = locale
            with suppress(Exception):  # cosmetic: never block start-up on it
                await call(self.bot, "setMyCommands", payload)

    async def start_polling(self) -> None:
        await self.prepare()
        link = self.database.cluster_link()
        # on PostgreSQL only the holder of the association's lease polls (bot.engine.lease)
        polling = (
            Lease(link, self.rt.tenant, "poll", self.poller.run).run()
            if link
            else self.poller.run()
        )
        self._tasks.append(asyncio.create_task(polling, name=f"poller:{self.rt.tenant}"))
        self.start_jobs()

    def start_jobs(self) -> None:
        """Deadlines, reminders, retention: every ``jobs_interval`` seconds (polling or webhook)."""
        if self.jobs_interval:
            self._tasks.append(
                asyncio.create_task(
                    scheduled(self.rt, self.jobs_interval, self.database.cluster_link()),
                    name=f"jobs:{self.rt.tenant}",
                )
            )

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until every received update is handled and every owed message sent (tests)."""
        for _ in range(2 if self.cluster is None else 4):  # one may hand work to the other
            if self.cluster is not None:
                await self.cluster.wait_idle(timeout)
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
        from bot.features.announcements.broadcast import stop_pumps
        from bot.features.supervisor.supervisor import wait_background

        await stop_pumps(self.rt.tenant)  # what they handed the outbox stays owed there

        with suppress(asyncio.TimeoutError):
            await wait_background(30)  # an export under way is finished and queued
        await self.sender.stop()
        if self.cluster is not None:
            await self.cluster.stop()
        await self.channel.close()
        if self.whatsapp is not None:
            await self.whatsapp.close()
        with suppress(Exception):
            await self.bot.shutdown()
        if self._owns_db:
            await self.database.dispose()
