"""The emulator's WhatsApp Business Cloud API over HTTP, and the people who write to it.

Graph routes (``base_url`` = ``http://host:port/v21.0``): ``POST /{phone_number_id}/messages``,
``POST /{phone_number_id}/media``, ``GET /{media_id}`` (its download URL), and that URL (the
bytes). Every call needs the bearer token. The people (``say``, ``choose``, ``send_image``,
``send`` …) send SIGNED webhooks (``X-Hub-Signature-256``, the app secret) to the bot's
``/whatsapp``; after each message the business sends, the statuses ``sent`` and ``delivered``
follow the same way. ``choose`` presses a reply button, a list row, or a template's quick reply
(a ``button`` message carrying its payload, as WhatsApp sends it).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import aiohttp
from aiohttp import web

from .wa_world import GraphRefusal, Media, WaPerson, WaWorld

VERSION = "v21.0"


class WhatsAppEmulator:
    def __init__(
        self, host: str = "127.0.0.1", *, world: WaWorld | None = None, statuses: bool = True
    ) -> None:
        self.host = host
        self.world = world or WaWorld()
        self.webhook_url: str | None = None  # the bot's /whatsapp
        self.statuses = statuses
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._http: aiohttp.ClientSession | None = None
        self.webhook_answers: list[int] = []

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def base_url(self) -> str:
        """WHATSAPP_API_BASE_URL for the bot."""
        return f"{self.url}/{VERSION}"

    async def start(self) -> WhatsAppEmulator:
        app = web.Application(client_max_size=110 * 1024 * 1024)
        app.router.add_post(f"/{VERSION}/{{number}}/messages", self._messages)
        app.router.add_post(f"/{VERSION}/{{number}}/media", self._upload)
        app.router.add_get(f"/{VERSION}/{{media_id}}", self._media_url)
        app.router.add_get("/download/{media_id}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self._port = self._runner.addresses[0][1]
        self._http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        await self.drain()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def drain(self) -> None:
        """Wait for the status webhooks under way."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- Graph ---------------------------------------------------------------------------------
    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.world.access_token}"

    def _refuse(self, refusal: GraphRefusal) -> web.Response:
        return web.json_response(refusal.body(), status=refusal.status)

    async def _messages(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._refuse(GraphRefusal(401, 190, "Invalid OAuth access token"))
        if request.match_info["number"] != self.world.phone_number_id:
            return self._refuse(GraphRefusal(400, 100, "Unknown phone number id"))
        body = await request.json()
        try:
            message = self.world.accept(body)
        except GraphRefusal as refusal:
            if refusal.status >= 500:
                return web.Response(status=refusal.status, text="Service unavailable")
            return self._refuse(refusal)
        if self.statuses:
            self._spawn(self._statuses(message))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": message["id"]}],
            }
        )

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._refuse(GraphRefusal(401, 190, "Invalid OAuth access token"))
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            return self._refuse(GraphRefusal(400, 100, "file is required"))
        media_id = self.world.new_id("media")
        self.world.media[media_id] = Media(
            upload.file.read(), str(form.get("type") or upload.content_type), upload.filename
        )
        return web.json_response({"id": media_id})

    async def _media_url(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._refuse(GraphRefusal(401, 190, "Invalid OAuth access token"))
        media_id = request.match_info["media_id"]
        media = self.world.media.get(media_id)
        if media is None:
            return self._refuse(GraphRefusal(404, 100, "media not found"))
        return web.json_response(
            {
                "url": f"{self.url}/download/{media_id}",
                "id": media_id,
                "mime_type": media.mime_type,
                "file_size": len(media.data),
                "sha256": hashlib.sha256(media.data).hexdigest(),
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401)
        media = self.world.media.get(request.match_info["media_id"])
        if media is None:
            return web.Response(status=404)
        data = media.data
        wanted = request.headers.get("Range", "")
        if wanted.startswith("bytes=0-"):
            end = int(wanted.removeprefix("bytes=0-") or len(data) - 1)
            return web.Response(status=206, body=data[: end + 1], content_type=media.mime_type)
        return web.Response(body=data, content_type=media.mime_type)

    # -- webhooks ------------------------------------------------------------------------------
    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def notification(self, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "WABA",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "966500000000",
                                    "phone_number_id": self.world.phone_number_id,
                                },
                                **value,
                            },
                        }
                    ],
                }
            ],
        }

    async def post(self, notification: dict[str, Any], *, secret: str | None = None) -> int:
        """POST a notification to the bot, signed with the app secret (or ``secret``)."""
        assert self.webhook_url and self._http is not None, "no webhook (start the bot first)"
        body = json.dumps(notification, ensure_ascii=False).encode()
        key = (secret if secret is not None else self.world.app_secret).encode()
        signature = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        async with self._http.post(
            self.webhook_url,
            data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        ) as answer:
            self.webhook_answers.append(answer.status)
            return answer.status

    async def _statuses(self, message: dict[str, Any]) -> None:
        if "fails_with" in message:  # refused after all, in a status
            failed = {
                "id": message["id"],
                "status": "failed",
                "timestamp": str(int(self.world.now())),
                "recipient_id": message["to"],
                "errors": [{"code": message["fails_with"], "title": "failed"}],
            }
            await self.post(self.notification({"statuses": [failed]}))
            return
        for state in ("sent", "delivered"):
            await self.post(
                self.notification(
                    {
                        "statuses": [
                            {
                                "id": message["id"],
                                "status": state,
                                "timestamp": str(int(self.world.now())),
                                "recipient_id": message["to"],
                            }
                        ]
                    }
                )
            )

    # -- people -------------------------------------------------------------------------------
    def add_person(self, wa_id: str, name: str) -> WaPerson:
        person = self.world.people[wa_id] = WaPerson(wa_id, name)
        return person

    def inbound(
        self, wa_id: str, kind: str, content: dict[str, Any], context: str | None = None
    ) -> dict[str, Any]:
        """A person's message as the webhook carries it (the window opens: they wrote)."""
        person = self.world.people.get(wa_id) or self.add_person(wa_id, "")
        person.last_wrote = self.world.now()
        message: dict[str, Any] = {
            "from": wa_id,
            "id": self.world.new_id(),
            "timestamp": str(int(self.world.now())),
            "type": kind,
            **content,
        }
        if context:
            message["context"] = {"from": "966500000000", "id": context}
        return self.notification(
            {
                "contacts": [{"profile": {"name": person.name}, "wa_id": wa_id}],
                "messages": [message],
            }
        )

    async def say(self, wa_id: str, text: str) -> dict[str, Any]:
        note = self.inbound(wa_id, "text", {"text": {"body": text}})
        await self.post(note)
        return note

    def choices(self, message: dict[str, Any]) -> list[tuple[str, str]]:
        """(title, id) of a sent message's reply buttons or list rows, or of a template's quick
        replies (their payloads; the title itself where none was given, as WhatsApp does)."""
        if message.get("type") == "template":
            template = message.get("template") or {}
            approved = self.world.templates.get(str(template.get("name")))
            payloads = {
                int(c.get("index", -1)): str((c.get("parameters") or [{}])[0].get("payload", ""))
                for c in template.get("components") or []
                if c.get("type") == "button"
            }
            titles = approved.buttons if approved else ()
            return [(t, payloads.get(i) or t) for i, t in enumerate(titles)]
        box = message.get("interactive") or {}
        action = box.get("action") or {}
        if box.get("type") == "button":
            return [(b["reply"]["title"], b["reply"]["id"]) for b in action.get("buttons") or []]
        return [
            (r["title"] + " " + r.get("description", ""), r["id"])
            for s in action.get("sections") or []
            for r in s.get("rows") or []
        ]

    async def choose(self, wa_id: str, label: str) -> dict[str, Any]:
        """Tap the newest button or list row whose title contains ``label``."""
        for message in reversed(self.world.messages(wa_id)):
            for title, data in self.choices(message):
                if label in title and message.get("type") == "template":
                    note = self.inbound(
                        wa_id,
                        "button",
                        {"button": {"payload": data, "text": title}},
                        context=message["id"],
                    )
                    await self.post(note)
                    return note
                if label in title:
                    kind = (
                        "button_reply"
                        if message["interactive"]["type"] == "button"
                        else "list_reply"
                    )
                    note = self.inbound(
                        wa_id,
                        "interactive",
                        {"interactive": {"type": kind, kind: {"id": data, "title": title[:24]}}},
                        context=message["id"],
                    )
                    await self.post(note)
                    return note
        shown = [t for m in self.world.messages(wa_id)[-3:] for t, _ in self.choices(m)]
        raise AssertionError(f"no choice {label!r}; recent: {shown}")

    async def send_media(
        self,
        wa_id: str,
        kind: str,
        data: bytes,
        mime: str,
        filename: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        media_id = self.world.new_id("media")
        self.world.media[media_id] = Media(data, mime, filename)
        content: dict[str, Any] = {
            "id": media_id,
            "mime_type": mime,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        if filename:
            content["filename"] = filename
        if caption:
            content["caption"] = caption
        note = self.inbound(wa_id, kind, {kind: content})
        await self.post(note)
        return note

    async def send_location(
        self, wa_id: str, lat: float = 24.7136, lon: float = 46.6753
    ) -> dict[str, Any]:
        note = self.inbound(wa_id, "location", {"location": {"latitude": lat, "longitude": lon}})
        await self.post(note)
        return note

    async def send(self, wa_id: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
        """Any other message: ``kind`` (reaction, contacts, audio, unsupported …) and its body."""
        note = self.inbound(wa_id, kind, content)
        await self.post(note)
        return note

    async def send_sticker(self, wa_id: str) -> dict[str, Any]:
        note = self.inbound(
            wa_id, "sticker", {"sticker": {"id": "sticker1", "mime_type": "image/webp"}}
        )
        await self.post(note)
        return note
