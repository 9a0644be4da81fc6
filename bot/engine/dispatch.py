"""One update, one unit of work.

For each stored update: parse it (the channel turns it into an ``Event``), claim it
(``pending`` → ``done``, so it runs once), route it, and commit the state it changed together
with the messages it owes (outbox rows) in ONE transaction. Then the sender delivers. A failure
rolls everything back, marks the update ``failed``, and gives the person a kind apology with the
way forward: never silence, never a traceback. This is the one error handler.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy import insert as sql_insert
from sqlalchemy import update as sql_update

from bot.domain.attachments import DEFAULT_MAX_BYTES
from bot.domain.filetypes import Head
from bot.engine import dialogs, held
from bot.engine.context import Ctx, Runtime, UnitOfWork
from bot.engine.events import Event, Kind
from bot.engine.outbox import Out
from bot.engine.router import Router
from bot.i18n import N_, translator
from storage.crypto import address_context
from storage.db import retrying
from storage.models import Beneficiary, InboundUpdate, OutboxMessage, table_of, utcnow
from storage.models import Dialog as DialogRow
from storage.prepared import Prepared, adopt

log = logging.getLogger(__name__)

LAST_SEEN_RESOLUTION = timedelta(minutes=1)  # ``last_seen_at`` is rewritten at most this often
_INBOUND = table_of(InboundUpdate)
_OUTBOX = table_of(OutboxMessage)
# every column: the column defaults are not applied to an INSERT with a DML CTE
_OWE_COLUMNS = (
    "association_id",
    "chat_id",
    "method",
    "payload",
    "link_kind",
    "link_id",
    "channel",
    "status",
    "attempts",
    "created_at",
)
# The statements run on every update are built once and run on the driver's connection
# (``storage.prepared``): neither the ORM's bookkeeping nor SQLAlchemy's execution around them.
_CLAIM_STATEMENT = (
    sql_update(_INBOUND)
    .where(
        _INBOUND.c.association_id == bindparam("tenant"),
        _INBOUND.c.update_id == bindparam("uid"),
        _INBOUND.c.status == "pending",
    )
    .values(status="done", processed_at=bindparam("at"))
)
_CLAIM = Prepared(_CLAIM_STATEMENT)
# The outbox row's parameters have names of their own (``o_…``), apart from the dialog's (``d_…``)
_OWE_VALUES = {c: bindparam(f"o_{c}", type_=_OUTBOX.c[c].type) for c in _OWE_COLUMNS}
_OWE = Prepared(sql_insert(_OUTBOX).values(_OWE_VALUES).returning(_OUTBOX.c.id))
# PostgreSQL: the dialog's write as a CTE of the first outbox INSERT (one trip for both)
_OWE_WITH = {
    how: Prepared(
        sql_insert(_OUTBOX).values(_OWE_VALUES).add_cte(write.cte("dialog")).returning(_OUTBOX.c.id)
    )
    for how, write in dialogs.WRITES.items()
}
_DIALOG = table_of(DialogRow)
_PERSON = table_of(Beneficiary)
_PERSON_KEYS = tuple(_PERSON.c.keys())  # the person's columns, first in the rows below
# The person and their dialog in one statement (an update of a form needs both), read on the
# driver's connection: the statement names the association itself (the scope does not apply
# to it); the dialog is theirs by its key. ``storage.prepared.adopt`` makes the ORM object.
_USER_BY_TELEGRAM_ID = Prepared(
    select(*_PERSON.c, _DIALOG.c.flow, _DIALOG.c.step, _DIALOG.c.data)
    .outerjoin(_DIALOG, _DIALOG.c.beneficiary_id == _PERSON.c.id)
    .where(
        _PERSON.c.association_id == bindparam("tenant"),
        _PERSON.c.telegram_user_id == bindparam("tg"),
    )
)
# PostgreSQL: the claim, the person and their dialog in ONE round trip. The claim is a
# data-modifying CTE (run once, whatever the rest reads); the single row of its count is
# outer-joined to the person (none yet: a first message) and to the dialog.
_CLAIMED = (
    select(func.count().label("claimed"))
    .select_from(_CLAIM_STATEMENT.returning(_INBOUND.c.update_id).cte("claim"))
    .subquery("claimed")
)
_CLAIM_AND_USER = Prepared(
    select(*_PERSON.c, _DIALOG.c.flow, _DIALOG.c.step, _DIALOG.c.data, _CLAIMED.c.claimed)
    .select_from(_CLAIMED)
    .outerjoin(
        _PERSON,
        and_(
            _PERSON.c.association_id == bindparam("tenant"),
            _PERSON.c.telegram_user_id == bindparam("tg"),
        ),
    )
    .outerjoin(_DIALOG, _DIALOG.c.beneficiary_id == _PERSON.c.id)
)


async def finish(ctx: UnitOfWork) -> None:
    """Write what this unit of work leaves besides its ORM changes: the person's dialog and the
    messages it owes. Called once, last, inside its transaction, by every unit of work."""
    if ctx.out and not ctx.rt.db.is_sqlite:
        await write_outbox(ctx, dialogs.change(ctx))  # one trip for the dialog and a message
        return
    await dialogs.write(ctx)
    await write_outbox(ctx)


@asynccontextmanager
async def unit_of_work(rt: Runtime, *, offload: bool = False) -> AsyncIterator[UnitOfWork]:
    """Work with no inbound event (a scheduled job, a deferred reply): one transaction, then
    ``finish``, then the owed messages handed to the sender."""
    async with rt.db.write(offload=offload) as session:
        work = UnitOfWork(rt, session)
        yield work
        await finish(work)
    rt.sender.enqueue(work.out)


async def write_outbox(ctx: UnitOfWork, dialog: tuple[str, dict[str, Any]] | None = None) -> None:
    """The messages this unit of work owes, as outbox rows in its own transaction (a Core
    ``INSERT … RETURNING id`` per message, in order: one or two per update, and cheaper than the
    ordered bulk form; the rows are never read back as ORM objects). ``dialog``
    (``dialogs.change``, PostgreSQL): the dialog's write, run as a CTE of the first INSERT."""
    if not ctx.out:
        return
    conn = await ctx.connection()
    now = utcnow()
    for item in ctx.out:
        row = {
            "o_association_id": ctx.tenant,
            "o_chat_id": item.chat_id,
            "o_method": item.method,
            "o_payload": item.payload,
            "o_link_kind": item.link_kind,
            "o_link_id": item.link_id,
            "o_channel": item.channel,
            "o_status": "pending",
            "o_attempts": 0,
            "o_created_at": now,
        }
        if dialog is None:
            item.id = (await _OWE.run(conn, row)).scalar_one()
            continue
        how, params = dialog
        item.id = (await _OWE_WITH[how].run(conn, {**params, **row})).scalar_one()
        dialog = None


class Dispatcher:
    def __init__(self, rt: Runtime, router: Router) -> None:
        assert rt.channel is not None, "the dispatcher needs the runtime's channel"
        self.rt = rt
        self.router = router
        self.channel = rt.channel

    def channel_of(self, raw: dict[str, Any]) -> Any:
        """The channel a stored update came through (its ``channel`` key; Telegram's have none)."""
        name = raw.get("channel") if isinstance(raw.get("channel"), str) else None
        return self.rt.channel_named(name) or self.channel

    def chat_key(self, raw: dict[str, Any]) -> int | str:
        return self.channel_of(raw).chat_key(raw)

    async def handle(self, update_id: int, raw: dict[str, Any]) -> None:
        channel = self.channel_of(raw)
        try:
            event = channel.parse(raw)
        except Exception as exc:  # a malformed or future update: record it, keep flowing
            log.warning("update %s could not be parsed: %s", update_id, type(exc).__name__)
            await self._mark_failed(update_id, f"unparseable: {type(exc).__name__}")
            return
        staff_member = await self._staff_precheck(event)
        file_head = await self._file_precheck(event)
        unsure: list[bool] = []  # the first run may have committed (``retrying``)
        try:
            ctx = await retrying(
                lambda: self._process(update_id, event, staff_member, file_head),
                unsure=lambda: unsure.append(True),
            )
        except Exception as exc:
            await self._on_error(update_id, event, exc)
            return
        if ctx is None:
            if unsure:  # it did: the second run found the update handled, and what the first
                await self.rt.sender.requeue()  # stored would otherwise wait for a restart
            return
        self.rt.sender.enqueue(ctx.out)
        if event.callback_id is not None:
            await self._answer_callback(event.callback_id, ctx.callback_answer or {}, channel)

    async def _staff_precheck(self, event: Event) -> bool:
        """Ask the channel (cached) whether the sender belongs to the staff chat — before the
        transaction, so no HTTP call runs while the database writer lock is held."""
        chat_id, user_id = event.chat_id, event.user_id
        if chat_id is None or user_id is None or chat_id not in self.rt.staff_chat_ids:
            return False
        if event.kind is Kind.EDITED or not (
            event.is_action
            or event.reply_to_message_id is not None
            or (event.text or "").startswith("/")
        ):
            return False  # plain chatter among staff: nothing to authorise
        return await self.channel.is_member(chat_id, user_id)

    async def _file_precheck(self, event: Event) -> Head | None:
        """The first bytes of a file a person sends privately, read before the transaction (like
        the staff check) so that validation can compare them with the file's claimed type."""
        media = event.file
        if not event.is_private or media is None or media.kind not in ("photo", "document"):
            return None
        if media.file_size is not None and media.file_size > DEFAULT_MAX_BYTES:
            return None  # refused for its size; Telegram would not serve it anyway
        channel = self.channel_of({"channel": event.channel})
        if media.kind == "photo" and getattr(channel, "photos_reencoded", False):
            return None
        head = Head(await channel.file_head(media.file_id))
        size = getattr(channel, "known_size", lambda _: None)(media.file_id)
        if media.file_size is None and size is not None:  # a channel that tells it only on asking
            event.file = dataclasses.replace(media, file_size=size)
        return head

    async def _process(
        self,
        update_id: int,
        event: Event,
        staff_member: bool = False,
        file_head: Head | None = None,
    ) -> Ctx | None:
        async with self.rt.db.write() as session:
            params = {"tenant": self.rt.tenant, "uid": update_id, "at": utcnow()}
            person = self._person_of(event)
            prefetched = None
            ctx = Ctx(self.rt, event, session)
            if person is not None and not self.rt.db.is_sqlite:  # one trip for all three
                params["tg"] = person
                prefetched = (await _CLAIM_AND_USER.run(await ctx.connection(), params)).rows[0]
                if not prefetched[-1]:  # claimed: 0
                    return None
            elif (await _CLAIM.run(await ctx.connection(), params)).rowcount == 0:
                return None  # processed already (a redelivery, or a second worker)
            ctx.prefetched = prefetched
            ctx.staff_member = staff_member
            ctx.file_head = file_head
            await self.route(ctx)
            if event.channel != "telegram" and event.is_private:
                await held.deliver(ctx)  # what a template stood in for, before the answer
            answer = ctx.callback_answer or {}
            if (
                event.is_action
                and event.callback_id is None
                and answer.get("show_alert")
                and answer.get("text")
                and event.chat_id is not None
            ):
                ctx.reply(answer["text"])  # a channel without pop-ups (WhatsApp): said instead
            await finish(ctx)
        return ctx

    def _person_of(self, event: Event) -> int | None:
        """The beneficiary ``route`` will load for this event (it reads them whole, with their
        dialog, with the claim on PostgreSQL); None for staff chats, groups, chat members."""
        if event.user_id is None or event.kind is Kind.MEMBER:
            return None
        chat_id = event.chat_id
        if chat_id is None:
            return event.user_id if event.is_action else None
        if chat_id in self.rt.staff_chat_ids or event.chat_type != "private":
            return None
        return event.user_id

    # -- routing ------------------------------------------------------------------------------
    async def route(self, ctx: Ctx) -> None:
        event, router = ctx.event, self.router
        if event.kind is Kind.MEMBER:
            if router.on_chat_member:
                await router.on_chat_member(ctx)
            return
        if event.chat_id is None and not event.is_action:
            return  # poll answers, inline queries …: not for this bot, ignored on purpose
        if event.chat_id is not None and event.chat_id in self.rt.staff_chat_ids:
            await self._route_staff(ctx)
            return
        if event.chat_id is not None and event.chat_type != "private":
            return  # other groups and channels: the bot serves people one to one
        allowed, warn = self.rt.flood.admit(ctx.from_id, burst=self.rt.flood_burst)
        if not allowed:
            if warn:
                await self._load_user(ctx)
                ctx.reply(
                    ctx._(
                        "You have sent many messages in a short time. Please wait a minute, then continue; everything you sent before is kept."
                    )
                )
            if event.is_action:
                ctx.answer(ctx._("Please wait a moment."))
            return
        await self._load_user(ctx)
        if event.kind is Kind.EDITED:
            ctx.reply(
                ctx._(
                    "I only read new messages. If you changed something, please send it again as a new message."
                )
            )
            return
        if event.is_action:
            await self._route_callback(ctx, staff=False)
            return
        if event.message_id is None:
            return  # not a message: nothing to read
        assert ctx.user is not None
        if event.kind is Kind.COMMAND:
            name = event.command or ""
            if not ctx.user.has_consented and name not in router.consent_free_commands:
                await self._needs_consent(ctx)
            elif name in router.commands:
                await router.commands[name](ctx)
            elif router.on_unknown_command:
                await router.on_unknown_command(ctx)
            return
        if not ctx.user.has_consented:
            await self._needs_consent(ctx)
            return
        if event.reply_to_message_id is not None:
            for joins in router.case_replies:
                if await joins(ctx):
                    return
        dialog = await dialogs.current(ctx)
        if dialog is not None and dialog.flow in router.flows:
            await router.flows[dialog.flow].on_message(ctx)
        elif event.text and router.on_free_text:
            await router.on_free_text(ctx)
        elif router.on_other_message:
            await router.on_other_message(ctx)

    async def _route_callback(self, ctx: Ctx, *, staff: bool) -> None:
        parsed = ctx.event.action
        handler = self.router.handler_for(parsed, staff=staff) if parsed is not None else None
        if parsed is None or handler is None:
            if self.router.on_stale_callback:
                await self.router.on_stale_callback(ctx)
            return
        if (
            not staff
            and ctx.user is not None
            and not ctx.user.has_consented
            and parsed.namespace not in self.router.consent_free_callbacks
        ):
            await self._needs_consent(ctx)
            return
        await handler(ctx, parsed)

    async def _route_staff(self, ctx: Ctx) -> None:
        ctx.set_locale("ar")  # the staff group reads Arabic
        event = ctx.event
        if event.is_action:
            await self._route_callback(ctx, staff=True)
            return
        if event.kind is Kind.EDITED or event.message_id is None:
            return
        if event.kind is Kind.COMMAND:
            handler = self.router.staff_commands.get(event.command or "")
            if handler:
                await handler(ctx)
            return
        if self.router.on_staff_message:
            await self.router.on_staff_message(ctx)

    async def _needs_consent(self, ctx: Ctx) -> None:
        if self.router.on_needs_consent:
            await self.router.on_needs_consent(ctx)

    async def _load_user(self, ctx: Ctx) -> None:
        event = ctx.event
        if event.user_id is None:
            return
        row = ctx.prefetched  # on PostgreSQL, read with the claim (a row even for a newcomer)
        if row is None:
            params = {"tenant": self.rt.tenant, "tg": event.user_id}
            row = (await _USER_BY_TELEGRAM_ID.run(await ctx.connection(), params)).first()
        user = None
        if row is not None and row[0] is not None:  # the person's id: they wrote before
            user = adopt(ctx.session, Beneficiary, dict(zip(_PERSON_KEYS, row, strict=False)))
        if user is None:
            user = Beneficiary(
                association_id=self.rt.tenant,
                telegram_user_id=event.user_id,
                locale=translator(event.language_code).locale,
                channel=event.channel,
                address_enc=self._sealed_address(event),
                last_inbound_at=_stamp(event.sent_at),
            )
            ctx.session.add(user)
            await ctx.session.flush()
            dialogs.known(ctx, user.id, None)
        else:
            flow, step, data = row[len(_PERSON_KEYS) : len(_PERSON_KEYS) + 3]
            dialogs.known(ctx, user.id, (flow, step, data) if flow is not None else None)
            now = utcnow()
            seen = user.last_seen_at
            if (
                seen is None
                or now - (seen if seen.tzinfo else seen.replace(tzinfo=now.tzinfo))
                >= LAST_SEEN_RESOLUTION
            ):
                user.last_seen_at = now  # not on every update: one UPDATE less for most of them
            sent = _stamp(event.sent_at)
            if sent is not None and (
                user.last_inbound_at is None
                or sent - _aware(user.last_inbound_at) >= LAST_SEEN_RESOLUTION
            ):
                user.last_inbound_at = sent  # WhatsApp's 24-hour window runs from here
            if user.unreachable_at is not None:
                user.unreachable_at = None  # they wrote to us: they unblocked the bot
        ctx.user = user
        ctx.set_locale(user.locale)

    def _sealed_address(self, event: Event) -> str | None:
        """The sender's address (a WhatsApp number), encrypted and bound to its chat id."""
        if not event.address:
            return None
        return self.rt.vault.encrypt(event.address, address_context(self.rt.tenant, event.user_id))

    # -- failures -----------------------------------------------------------------------------
    async def _mark_failed(self, update_id: int, error: str) -> None:
        async with self.rt.db.write() as session:
            await session.execute(
                sql_update(InboundUpdate)
                .where(InboundUpdate.update_id == update_id)
                .values(status="failed", processed_at=utcnow(), error=error[:500])
            )

    async def _on_error(self, update_id: int, event: Event, exc: Exception) -> None:
        """The one error handler: log (no personal data), tell staff, apologise to the person."""
        incident = secrets.token_hex(3).upper()
        log.error(
            "update %s failed (incident %s): %s",
            update_id,
            incident,
            type(exc).__name__,
            exc_info=exc,
        )
        out: list[Out] = []
        try:
            async with self.rt.db.write() as session:
                await session.execute(
                    sql_update(InboundUpdate)
                    .where(InboundUpdate.update_id == update_id)
                    .values(
                        status="failed",
                        processed_at=utcnow(),
                        error=f"{type(exc).__name__} [{incident}]",
                    )
                )
                ctx = Ctx(self.rt, event, session)
                if event.chat_id is not None and event.is_private:
                    user = await session.scalar(
                        select(Beneficiary).where(Beneficiary.telegram_user_id == event.chat_id)
                    )
                    ctx.set_locale(user.locale if user else None)
                    way_back = self.router.apology_keyboard
                    ctx.reply(
                        ctx._(
                            "Sorry, something went wrong on our side while handling your message. "
                            "Nothing you gave us before is lost. Please try again, or go back to the menu."
                        )
                        + f"\n<code>{incident}</code>",
                        way_back(ctx) if way_back else None,
                    )
                staff = translator("ar")
                ctx.send(
                    self.rt.staff_chat_id,
                    staff.gettext(
                        N_(
                            "⚠️ A technical error occurred while handling an update. Incident: {incident}"
                        )
                    ).format(incident=incident),
                )
                await write_outbox(ctx)
                out = ctx.out
        except Exception:  # even the apology failed (database down?): the log has it
            log.exception("could not record the failure of update %s", update_id)
        self.rt.sender.enqueue(out)
        if event.callback_id is not None:
            await self._answer_callback(
                event.callback_id, {}, self.channel_of({"channel": event.channel})
            )

    async def _answer_callback(
        self, query_id: str, answer: dict[str, Any], channel: Any = None
    ) -> None:
        try:
            await (channel or self.channel).answer_action(
                query_id, answer.get("text"), bool(answer.get("show_alert"))
            )
        except Exception as exc:  # an old query (> 15 min) or a network blip: harmless
            log.debug("answerCallbackQuery failed: %s", type(exc).__name__)


def _stamp(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite gives naive UTC back
