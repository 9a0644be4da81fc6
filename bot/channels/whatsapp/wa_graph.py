"""The WhatsApp channel at run time: the Graph API over aiohttp, the outbox's ``Delivery``, and
the ``Channel`` the engine renders with.

Library: the few Graph endpoints we need (``/messages``, ``/media``, a media id → its URL →
its bytes) over an aiohttp session, like the rest of the bot — see the README ("WhatsApp") for
why not pywa. Calls: ``POST {base}/{phone_number_id}/messages`` with the bearer token.

The 24-hour window: the channel knows when each person last wrote (``Event.sent_at``, kept in
memory and in ``beneficiaries.last_inbound_at``). When it has closed, a message goes at once as
the profile's template for its kind (``wa_templates``; a message of several calls goes as one
template); when the channel does not know and WhatsApp answers 131047 (window closed), the same
message is sent again at once as the template, and the window is taken as closed from then on.
Without a fitting template the message fails for good. What a template stood in for is kept
(``bot.engine.held``) and delivered in full the next time the person writes.

Errors (``classify``): 130429 (throughput limit: every chat waits) and 131056 (pair rate limit:
this person) are retried after a pause that doubles with each one in a row (``retry_seconds``),
5xx and network failures with the outbox's back-off; 131026 (the number cannot receive) marks
the person unreachable like a Telegram block. Anything else is permanent.

The recipient's number is never in an outbox row: the row names the engine's chat id, and the
number is looked up (cached) from the beneficiary's encrypted address when the call is made.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import mimetypes
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from bot.channels.whatsapp import wa_render, wa_templates
from bot.channels.whatsapp.wa_adapter import CHANNEL, MEDIA_PREFIX, parse_message, wa_id_of
from bot.channels.whatsapp.wa_identity import (
    WHATSAPP_BASE,
    chat_id_for,
    local_display,
    message_id_for,
)
from bot.domain.filetypes import HEAD_BYTES
from bot.engine import held
from bot.engine.events import Event
from bot.engine.messages import Outgoing
from bot.engine.outbox import BLOCKED, FILES_KEY, INLINE_KEY, PERMANENT, RETRY, WAIT
from bot.settings import Settings
from storage.crypto import Vault, address_context
from storage.db import ScopedDatabase
from storage.models import Beneficiary

log = logging.getLogger(__name__)
JSON = dict[str, Any]
WINDOW_CLOSED = 131047
THROUGHPUT, PAIR_RATE = 130429, 131056
RATE_LIMITS = frozenset({THROUGHPUT, PAIR_RATE})
UNREACHABLE = frozenset({131026})
TIMEOUT = 30.0
WINDOW = 24 * 3600.0  # seconds a person's message opens the customer-service window for
RECHECK = 60.0  # seconds before the database is asked again about a closed window
MAX_PAUSE = 60.0
RECENT = 2_000  # messages remembered until WhatsApp's status says they were delivered


class GraphError(Exception):
    """A refusal by the Graph API: its HTTP status and WhatsApp's error code."""

    def __init__(self, status: int, code: int | None, message: str) -> None:
        super().__init__(f"{status} ({code}): {message}")
        self.status, self.code, self.message = status, code, message
        self.pause: float | None = None  # for a rate limit: how long to wait before again


def classify(exc: BaseException) -> str:
    if isinstance(exc, GraphError):
        if exc.code in UNREACHABLE:
            return BLOCKED
        if exc.code in RATE_LIMITS:
            return WAIT
        if exc.status >= 500 or exc.status == 429:
            return RETRY
        return PERMANENT
    if isinstance(exc, (aiohttp.ClientError, OSError, TimeoutError)):
        return RETRY
    return PERMANENT


class WhatsAppChannel:
    """Parse, render, and the Graph calls (as the outbox's ``Delivery`` too)."""

    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        vault: Vault,
        db: ScopedDatabase,
        tenant: str,
        templates: Any = None,
        association_name: str = "",
    ) -> None:
        self.base = settings.whatsapp_api_base_url.rstrip("/")
        self.phone_number_id = settings.whatsapp_phone_number_id or ""
        self._token = settings.whatsapp_access_token or ""
        self.vault, self.db, self.tenant = vault, db, tenant
        self.templates = templates  # bot.profile.schema.WhatsAppTemplates or None
        self.association_name = association_name
        self._addresses: dict[int, str] = {}  # chat id → wa_id, from messages and the database
        self._media: dict[int, tuple[str, str]] = {}  # recent message id → (kind, file id)
        self._sizes: dict[str, int] = {}  # file id → its size, learnt when its head is read
        self._session: aiohttp.ClientSession | None = None
        self.rate_limit_pause = 2.0  # seconds after a first 130429 (131056: three times that)
        self._strikes = 0  # 130429 in a row
        self._pair_strikes: dict[int, int] = {}  # 131056 in a row, per person
        self._hold_until = 0.0  # monotonic: every chat waits until then (130429)
        self.clock: Callable[[], float] = time.time  # the tests move WhatsApp's clock
        self._inbound: dict[int, float] = {}  # chat id → when they last wrote (epoch)
        self._checked: dict[int, float] = {}  # chat id → when the database was last asked
        self.templated = 0  # messages sent as a template (the window closed)
        self.resend: Callable[[list[Any]], None] | None = None  # the outbox's Sender.enqueue
        self._recent: dict[int, JSON] = {}  # message id → what was sent, until its status comes
        self._templates: dict[int, int] = {}  # chat id → the last template's message id

    # -- Channel ----------------------------------------------------------------------------
    def owns(self, chat_id: int) -> bool:
        return chat_id >= WHATSAPP_BASE

    def parse(self, raw: JSON) -> Event:
        event = parse_message(raw, self.vault)
        if event.address and event.chat_id is not None:
            self._addresses[event.chat_id] = event.address
        if event.sent_at is not None and event.chat_id is not None:
            if len(self._inbound) > 100_000:
                self._inbound.clear()
                self._checked.clear()
            self._inbound[event.chat_id] = max(event.sent_at, self._inbound.get(event.chat_id, 0))
        if event.file is not None and event.message_id is not None:
            if len(self._media) > 10_000:
                self._media.clear()
            self._media[event.message_id] = (event.file.kind, event.file.file_id)
        return event

    def holds(self, file_id: str) -> bool:
        return file_id.startswith(MEDIA_PREFIX)

    def media_of(self, chat_id: int, message_id: int) -> tuple[str, str] | None:
        return self._media.get(message_id)

    async def fetch(self, file_id: str) -> tuple[bytes, str]:
        """A person's file, to pass on through another channel: its bytes and a name."""
        async with self._http().get(
            f"{self.base}/{wa_render.media_id(file_id)}", headers=self._auth
        ) as response:
            info = await _answer(response)
        data = await self.download(file_id)
        extension = mimetypes.guess_extension(str(info.get("mime_type") or "")) or ""
        return data, f"whatsapp{extension}"

    def chat_key(self, raw: JSON) -> int | str:
        return chat_id_for(self.vault, wa_id_of(raw))

    def render(self, message: Outgoing) -> tuple[str, JSON]:
        return wa_render.render(message)

    async def answer_action(
        self, callback_id: str, text: str | None = None, alert: bool = False
    ) -> None:
        return None  # WhatsApp has no toast for a choice

    async def is_member(self, chat_id: int, user_id: int) -> bool:
        return False  # staff work in the Telegram group

    async def file_head(self, file_id: str) -> bytes | None:
        try:
            data = await self.download(file_id, limit=HEAD_BYTES)
        except Exception as exc:
            log.info("could not read a WhatsApp file's first bytes: %s", type(exc).__name__)
            return None
        return data

    # -- Delivery ---------------------------------------------------------------------------
    def parts(self, method: str, payload: JSON) -> list[tuple[str, JSON]]:
        return wa_render.parts(method, payload)

    def classify(self, exc: BaseException, chat_id: int) -> str:
        return classify(exc)

    def retry_seconds(self, exc: BaseException) -> float:
        pause = getattr(exc, "pause", None)
        return pause if pause is not None else self.rate_limit_pause

    async def call(self, method: str, payload: JSON) -> Any:
        if method == wa_render.NOTHING:
            return {}
        payload = dict(payload)
        original = dict(payload)  # as the outbox gave it: owed again if refused late (131047)
        chat_id = payload.pop("chat_id")
        notice = payload.pop(wa_render.NOTICE_KEY, None)
        choices = payload.pop(wa_render.CHOICES_KEY, None)
        part = payload.pop(wa_render.PART_KEY, 0)
        to = await self.address(chat_id)
        if to is None:
            raise GraphError(400, 131026, "no WhatsApp number known for this person")
        await self._held()
        if payload.get("type") != "template" and not await self.window_open(chat_id):
            template = self.template_for(payload, notice, choices)
            if template is not None:
                sent = {}  # a later call: the template sent for the message's first one said it
                if not part:
                    sent = await self._send(chat_id, to, template, templated=True)
                await self._hold(chat_id, method, original, sent)
                return sent
        try:
            sent = await self._send(chat_id, to, await self._media_ready(payload, to))
        except GraphError as exc:
            if exc.code != WINDOW_CLOSED:
                raise
            self.window_closed(chat_id)
            template = self.template_for(payload, notice, choices)
            if template is None:
                raise
            sent = await self._send(chat_id, to, template, templated=True)
            await self._hold(chat_id, method, original, sent)
            return sent
        if sent.get("message_id") and INLINE_KEY not in original:  # not the bytes of a file
            while len(self._recent) >= RECENT:
                del self._recent[next(iter(self._recent))]  # the oldest
            self._recent[sent["message_id"]] = original
        return sent

    async def _hold(self, chat_id: int, method: str, original: JSON, sent: JSON) -> None:
        """What the template stood in for, kept for when the person writes (``bot.engine.held``),
        with the template's message id (a later call of the message: its first call's)."""
        if sent.get("message_id"):
            if len(self._templates) > 100_000:
                self._templates.clear()
            self._templates[chat_id] = sent["message_id"]
        template_id = self._templates.get(chat_id)
        try:
            await held.hold(self.db, self.tenant, chat_id, method, original, CHANNEL, template_id)
        except Exception as exc:  # the template went: never send it twice for this
            log.warning("a message sent as a template could not be kept: %s", type(exc).__name__)

    def sent_payload(self, message_id: int) -> JSON | None:
        """What this process sent as ``message_id`` (WhatsApp refused it later): once."""
        return self._recent.pop(message_id, None)

    async def _media_ready(self, payload: JSON, to: str) -> JSON:
        """The payload as sent: the person's own number shown, our files uploaded."""
        kind = str(payload.get("type"))
        if payload.pop(wa_render.OWN_NUMBER, False) and kind == "interactive":
            box = payload["interactive"] = dict(payload["interactive"])
            box["body"] = {"text": f"{box['body']['text']}\n\n📱 \u2066{local_display(to)}\u2069"}
        for path in (payload.pop(FILES_KEY, None) or {}).values():
            data = Path(path).read_bytes()  # noqa: ASYNC240 - a local file we made
            uploaded = await self.upload(data, Path(path).name)
            payload[kind] = {**payload.get(kind, {}), "id": uploaded}
        for spec in (payload.pop(INLINE_KEY, None) or {}).values():
            media_id = await self.upload(base64.b64decode(spec["b64"]), spec["name"])
            payload[kind] = {**payload.get(kind, {}), "id": media_id}
        return payload

    async def _send(self, chat_id: int, to: str, payload: JSON, *, templated: bool = False) -> Any:
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
        try:
            answer = await self._post_json("messages", {**body, **payload})
        except GraphError as exc:
            self._limited(exc, chat_id)
            if templated and exc.code is not None and 132000 <= exc.code < 133000:
                name = payload["template"]["name"]  # the operator's to fix, named in one line
                log.error(
                    "WhatsApp refused the template %s (%s: %s): check whatsapp.templates in the "
                    "profile against the templates approved in WhatsApp Manager",
                    name,
                    exc.code,
                    exc.message,
                )
            raise
        self._strikes = 0
        self._pair_strikes.pop(chat_id, None)
        if templated:
            self.templated += 1
        wamid = ((answer.get("messages") or [{}])[0]).get("id", "")
        return {"message_id": message_id_for(wamid)} if wamid else {}

    def template_for(
        self, payload: JSON, notice: JSON | None = None, choices: list[list[str]] | None = None
    ) -> JSON | None:
        """This message as the profile's template for its kind (or ``notice``), None if none."""
        return wa_templates.build(self.templates, payload, notice, self.association_name, choices)

    # -- the 24-hour window and the rate limits ---------------------------------------------
    async def window_open(self, chat_id: int) -> bool:
        """Whether the person wrote within 24 hours; True when nobody knows (WhatsApp will say)."""
        now = self.clock()
        last = self._inbound.get(chat_id)
        if last is not None and now - last < WINDOW:
            return True
        asked = self._checked.get(chat_id)
        if asked is None or not 0 <= now - asked < RECHECK:  # they may have written elsewhere
            self._checked[chat_id] = now
            stored = await self._last_inbound(chat_id)
            if stored is not None and stored > (last or 0):
                self._inbound[chat_id] = last = stored
        return last is None or now - last < WINDOW

    async def _last_inbound(self, chat_id: int) -> float | None:
        async with self.db.read() as session:
            at = await session.scalar(
                select(Beneficiary.last_inbound_at).where(
                    Beneficiary.association_id == self.tenant,
                    Beneficiary.telegram_user_id == chat_id,
                )
            )
        if at is None:
            return None
        return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()

    def window_closed(self, chat_id: int) -> None:
        """WhatsApp said the window is closed: believe it until the person writes again."""
        now = self.clock()
        self._inbound[chat_id] = min(self._inbound.get(chat_id, now), now - WINDOW)
        self._checked[chat_id] = now

    def _limited(self, exc: GraphError, chat_id: int) -> None:
        if exc.code == THROUGHPUT:  # the whole number is over its rate: everyone waits
            self._strikes += 1
            exc.pause = min(self.rate_limit_pause * 2 ** (self._strikes - 1), MAX_PAUSE)
            self._hold_until = max(self._hold_until, time.monotonic() + exc.pause)
        elif exc.code == PAIR_RATE:  # too many to this one person in a short time
            strikes = self._pair_strikes[chat_id] = self._pair_strikes.get(chat_id, 0) + 1
            exc.pause = min(3 * self.rate_limit_pause * 2 ** (strikes - 1), MAX_PAUSE)

    async def _held(self) -> None:
        wait = self._hold_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    # -- Graph ------------------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
        return self._session

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def _post_json(self, path: str, body: JSON) -> JSON:
        url = f"{self.base}/{self.phone_number_id}/{path}"
        async with self._http().post(url, json=body, headers=self._auth) as response:
            return await _answer(response)

    async def upload(self, data: bytes, name: str) -> str:
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        form.add_field("type", mime)
        form.add_field("file", data, filename=name, content_type=mime)
        url = f"{self.base}/{self.phone_number_id}/media"
        async with self._http().post(url, data=form, headers=self._auth) as response:
            return str((await _answer(response))["id"])

    def known_size(self, file_id: str) -> int | None:
        """The size of a file whose head was read (a webhook does not carry it): checked
        against the same limits as on Telegram."""
        return self._sizes.pop(file_id, None)

    async def download(self, file_id: str, limit: int | None = None) -> bytes:
        """A file a person sent: its URL from ``GET /{media_id}``, then its bytes."""
        async with self._http().get(
            f"{self.base}/{wa_render.media_id(file_id)}", headers=self._auth
        ) as response:
            info = await _answer(response)
        url = info["url"]
        if isinstance(info.get("file_size"), int):
            if len(self._sizes) > 10_000:
                self._sizes.clear()
            self._sizes[file_id] = info["file_size"]
        headers = dict(self._auth)
        if limit:
            headers["Range"] = f"bytes=0-{limit - 1}"
        async with self._http().get(url, headers=headers) as response:
            if response.status not in (200, 206):
                raise GraphError(response.status, None, "media download refused")
            data = await response.content.read(limit) if limit else await response.read()
            return bytes(data[:limit]) if limit else bytes(data)

    async def address(self, chat_id: int) -> str | None:
        """The person's number, from the cache or their encrypted address."""
        known = self._addresses.get(chat_id)
        if known is not None:
            return known
        async with self.db.read() as session:
            sealed = await session.scalar(
                select(Beneficiary.address_enc).where(
                    Beneficiary.association_id == self.tenant,
                    Beneficiary.telegram_user_id == chat_id,
                )
            )
        if not sealed:
            return None
        number = self.vault.decrypt(sealed, address_context(self.tenant, chat_id))
        self._addresses[chat_id] = number
        return number

    def forget(self, chat_id: int) -> None:
        """After erasure: the number is no longer kept, even in memory (nor when they wrote)."""
        self._addresses.pop(chat_id, None)
        self._inbound.pop(chat_id, None)
        self._checked.pop(chat_id, None)
        self._pair_strikes.pop(chat_id, None)
        self._templates.pop(chat_id, None)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def _answer(response: aiohttp.ClientResponse) -> JSON:
    try:
        body = await response.json(content_type=None)
    except Exception:
        body = None
    if response.status >= 400 or not isinstance(body, dict) or "error" in body:
        error = (body or {}).get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        raise GraphError(
            response.status if response.status >= 400 else 502,
            error.get("code"),
            str(error.get("message") or "no answer"),
        )
    return body
