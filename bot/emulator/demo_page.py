"""The browser demo: a beneficiary's private chat with the bot, the association's staff group
(the staff workspace, as any of its members) and, when attached, another beneficiary on
WhatsApp (:mod:`bot.emulator.demo_whatsapp`) — live, served by the emulator's own aiohttp app.

``/`` is the page (``static/index.html`` with its script and style; no external resources).
``GET /demo/api/state?since=V`` long-polls until the version passes ``V`` and returns every
chat; ``POST /demo/api/{send,press,keyboard,upload,location}`` are the people's actions (in the
staff group, ``as`` names the member who acts). Message text travels as plain text plus
entities (WhatsApp's as its own marks) and the page builds DOM nodes from them, so no user or
bot text is ever parsed as HTML.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from .demo_whatsapp import WhatsAppPhone
from .people import RIYADH
from .protocol import json_response, ok_response
from .state import MemberStatus
from .wa_server import WhatsAppEmulator
from .world import BotHandle

JSON = dict[str, Any]
STATIC = Path(__file__).resolve().parent / "static"
_CONTENT_TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self'; object-src 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
_POLL_SECONDS = 25.0
_SHOWN_MESSAGES = 200
_SHOWN_TOASTS = 20
_WA_RECHECK = 0.25  # the WhatsApp side has no change event: the long poll looks this often


@dataclass(frozen=True, slots=True)
class Member:
    """A member of the staff group the visitor can act as, with the role the demo gives them."""

    user_id: int
    first_name: str
    last_name: str
    username: str
    role: str
    status: MemberStatus = "member"


@dataclass(frozen=True, slots=True)
class Panel:
    """One phone on the page: who holds it and which chat it shows."""

    key: str
    label: str
    user_id: int
    chat_id: int
    kind: str = "telegram"
    members: tuple[Member, ...] = ()

    def target(self) -> int | None:
        """``chat_id`` for the people's actions (None means the private chat)."""
        return None if self.chat_id == self.user_id else self.chat_id

    def actor(self, body: Any) -> int:
        """Who acts: the holder, or in the staff group the member named by ``as``."""
        wanted = _int_or_none(body.get("as")) if hasattr(body, "get") else None
        if wanted is None or not self.members:
            return self.user_id
        if all(member.user_id != wanted for member in self.members):
            raise web.HTTPBadRequest(text="not a member of this group")
        return wanted


class Demo:
    """The demo's routes and the people (beneficiary, staff member, staff group) it needs."""

    USER_ID = 1001
    STAFF_CHAT_ID = -1001234567890
    STAFF_USER_ID = 2002
    COLLEAGUE_ID = 2003

    def __init__(
        self,
        world: BotHandle,
        user_id: int = USER_ID,
        staff_chat_id: int = STAFF_CHAT_ID,
        staff_user_id: int = STAFF_USER_ID,
    ) -> None:
        self.world = world
        self.whatsapp: WhatsAppPhone | None = None
        # the supervisor (``SUPERVISOR_IDS`` in the demo) and a colleague with the default role
        members = (
            Member(staff_user_id, "خالد", "الزهراني", "khaled_staff", "مشرف", "administrator"),
            Member(self.COLLEAGUE_ID, "فهد", "الدوسري", "fahad_staff", "موظف"),
        )
        if user_id not in world.users:
            world.add_user(user_id, "نورة", "العتيبي", username="noura_demo")
        for member in members:
            if member.user_id not in world.users:
                world.add_user(member.user_id, member.first_name, member.last_name, member.username)
        if staff_chat_id not in world.chats:
            world.add_group(
                staff_chat_id,
                "فريق الجمعية",
                {member.user_id: member.status for member in members},
            )
        self.panels = {
            "beneficiary": Panel("beneficiary", "المستفيد على تيليجرام", user_id, user_id),
            "staff": Panel(
                "staff", "مجموعة فريق الجمعية", staff_user_id, staff_chat_id, members=members
            ),
        }

    def attach_whatsapp(self, wa: WhatsAppEmulator, business: str) -> WhatsAppPhone:
        """Show a WhatsApp phone too: a person writing to ``wa``'s business number."""
        self.whatsapp = WhatsAppPhone(wa, business)
        self.panels["whatsapp"] = Panel("whatsapp", "المستفيد على واتساب", 0, 0, kind="whatsapp")
        return self.whatsapp

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self._index),
            web.get("/static/{name}", self._static),
            web.get("/demo/api/state", self._state),
            web.post("/demo/api/send", self._send),
            web.post("/demo/api/press", self._press),
            web.post("/demo/api/keyboard", self._keyboard),
            web.post("/demo/api/upload", self._upload),
            web.post("/demo/api/location", self._location),
            web.get("/demo/wa-media/{media_id}", self._wa_media),
        ]

    # -- page ---------------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return self._file("index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        return self._file(request.match_info["name"])

    @staticmethod
    def _file(name: str) -> web.Response:
        path = STATIC / name
        if path.parent != STATIC or path.suffix not in _CONTENT_TYPES or not path.is_file():
            raise web.HTTPNotFound()
        return web.Response(
            body=path.read_bytes(),
            content_type=_CONTENT_TYPES[path.suffix],
            charset="utf-8",
            headers=_SECURITY_HEADERS,
        )

    # -- state --------------------------------------------------------------------------------

    async def _state(self, request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since", "-1"))
        except ValueError:
            raise web.HTTPBadRequest() from None
        version = await self._wait_changed(since)
        me = self.world.me
        return json_response(
            {
                "version": version,
                "bot": {"name": me.first_name, "username": me.username},
                "panels": [self._panel_state(panel) for panel in self.panels.values()],
                "toasts": self._toasts(),
            }
        )

    def _version(self) -> int:
        return self.world.version + (self.whatsapp.version if self.whatsapp else 0)

    async def _wait_changed(self, since: int) -> int:
        if self.whatsapp is None:
            return await self.world.wait_changed(since, _POLL_SECONDS)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _POLL_SECONDS
        while self._version() <= since and loop.time() < deadline:
            await self.world.wait_changed(self.world.version, _WA_RECHECK)
        return self._version()

    def _panel_state(self, panel: Panel) -> JSON:
        if panel.kind == "whatsapp":
            assert self.whatsapp is not None
            return self.whatsapp.state(panel.key, panel.label)
        chat = self.world.chats[panel.chat_id]
        holder = self.world.users[panel.user_id]
        if chat.type == "private":
            # The username is isolated left-to-right so "@" stays in front of it.
            title = self.world.me.first_name
            subtitle = f"المساعد · \u2066@{self.world.me.username}\u2069"
        else:
            members = (
                sum(
                    status in ("creator", "administrator", "member")
                    for status in chat.members.values()
                )
                + 1
            )
            title, subtitle = chat.title or "", f"{members} أعضاء · بينهم المساعد"
        messages = self.world.history(panel.chat_id)[-_SHOWN_MESSAGES:]
        return {
            "key": panel.key,
            "kind": panel.kind,
            "label": panel.label,
            "holder": holder.full_name,
            "members": [
                {"id": m.user_id, "name": f"{m.first_name} {m.last_name}", "role": m.role}
                for m in panel.members
            ],
            "title": title,
            "subtitle": subtitle,
            "is_group": chat.type != "private",
            "keyboard": self.world.reply_keyboard(panel.chat_id),
            "messages": [self._message(view, panel) for view in messages],
        }

    def _message(self, view: JSON, panel: Panel) -> JSON:
        sender = view.get("from") or view.get("sender_chat") or {}
        body: JSON = {
            "id": view["message_id"],
            "out": not view["from_bot"] and sender.get("id") == panel.user_id,
            "sender_id": sender.get("id"),
            "from_bot": view["from_bot"],
            "sender": _name(sender),
            "time": time.strftime("%H:%M", time.localtime(view["date"])),
            "text": view.get("text") or view.get("caption") or "",
            "entities": view.get("entities") or view.get("caption_entities") or [],
            "edited": bool(view["edits"]),
            "deleted": view["deleted"],
            "media": self._media(view),
            "card": _card(view),
            "inline_keyboard": (view.get("reply_markup") or {}).get("inline_keyboard"),
            "force_reply": bool((view.get("reply_markup") or {}).get("force_reply")),
        }
        if reply := view.get("reply_to_message"):
            body["reply_to"] = {
                "id": reply["message_id"],
                "sender": _name(reply.get("from") or {}),
                "snippet": _snippet(reply),
            }
        if origin := view.get("forward_origin"):
            body["forwarded_from"] = _name(origin.get("sender_user") or origin.get("chat") or {})
        return body

    def _media(self, view: JSON) -> JSON | None:
        for field, kind in (
            ("photo", "photo"),
            ("sticker", "sticker"),
            ("voice", "audio"),
            ("audio", "audio"),
            ("video_note", "video"),
            ("animation", "video"),
            ("video", "video"),
            ("document", "document"),
        ):
            if field not in view:
                continue
            item = view[field][-1] if field == "photo" else view[field]
            if field == "sticker":
                return {"kind": "sticker", "emoji": item.get("emoji") or "🖼"}
            stored = self.world.files.get(item["file_id"])
            url = f"/file/bot{self.world.token}/{stored.file_path}" if stored else None
            return {
                "kind": kind,
                "url": url,
                "name": item.get("file_name") or "ملف",
                "size": item.get("file_size", 0),
            }
        return None

    def _toasts(self) -> list[JSON]:
        chats = {p.chat_id: p.key for p in self.panels.values() if p.kind == "telegram"}
        answers = self.world.callback_answers
        start = max(len(answers) - _SHOWN_TOASTS, 0)
        return [
            {
                "seq": index + 1,
                "panel": chats[answer["chat_id"]],
                "text": answer["text"],
                "show_alert": answer["show_alert"],
            }
            for index, answer in enumerate(answers[start:], start)
            if answer.get("text") and answer["chat_id"] in chats
        ]

    # -- actions ------------------------------------------------------------------------------

    def _panel(self, key: Any) -> Panel:
        panel = self.panels.get(str(key))
        if panel is None:
            raise web.HTTPBadRequest(text="unknown panel")
        return panel

    def _phone(self) -> WhatsAppPhone:
        assert self.whatsapp is not None
        return self.whatsapp

    async def _send(self, request: web.Request) -> web.Response:
        body = await request.json()
        panel = self._panel(body.get("panel"))
        text = str(body.get("text", "")).strip()
        if not text:
            return json_response({"ok": False, "error": "empty text"}, status=400)
        if panel.kind == "whatsapp":
            reply = body.get("reply_to")
            return ok_response(await self._phone().say(text, str(reply) if reply else None))
        return ok_response(
            self.world.send_text(
                panel.actor(body),
                text,
                panel.target(),
                reply_to_message_id=_int_or_none(body.get("reply_to")),
            )
        )

    async def _press(self, request: web.Request) -> web.Response:
        body = await request.json()
        panel = self._panel(body.get("panel"))
        try:
            if panel.kind == "whatsapp":
                choice = self._phone().choose(str(body["message_id"]), str(body["data"]))
                return ok_response(await choice)
            query = self.world.press(
                panel.actor(body), int(body["message_id"]), str(body["data"]), panel.target()
            )
        except (LookupError, KeyError, ValueError) as error:
            return json_response({"ok": False, "error": str(error)}, status=400)
        return ok_response(query)

    async def _keyboard(self, request: web.Request) -> web.Response:
        body = await request.json()
        panel = self._panel(body.get("panel"))
        try:
            message = self.world.tap_keyboard(
                panel.actor(body), str(body.get("text", "")), panel.target()
            )
        except LookupError as error:
            return json_response({"ok": False, "error": str(error)}, status=400)
        return ok_response(message)

    async def _location(self, request: web.Request) -> web.Response:
        """The person shares where they are (the attachment menu's «الموقع»): Riyadh."""
        body = await request.json()
        panel = self._panel(body.get("panel"))
        if panel.kind == "whatsapp":
            return ok_response(await self._phone().send_location(*RIYADH))
        return ok_response(self.world.send_location(panel.actor(body), *RIYADH, panel.target()))

    async def _upload(self, request: web.Request) -> web.Response:
        form = await request.post()
        panel = self._panel(form.get("panel"))
        upload = form.get("file")
        if not isinstance(upload, FileField):
            return json_response({"ok": False, "error": "no file"}, status=400)
        data = upload.file.read()
        caption = str(form.get("caption") or "").strip() or None
        if panel.kind == "whatsapp":
            return ok_response(
                await self._phone().send_file(data, upload.filename, upload.content_type, caption)
            )
        reply_to = _int_or_none(form.get("reply_to"))
        actor = panel.actor(form)
        if upload.content_type.startswith("image/"):
            message = self.world.send_photo(
                actor, data, caption, panel.target(), reply_to_message_id=reply_to
            )
        else:
            message = self.world.send_document(
                actor,
                data,
                upload.filename,
                upload.content_type,
                caption,
                panel.target(),
                reply_to_message_id=reply_to,
            )
        return ok_response(message)

    async def _wa_media(self, request: web.Request) -> web.Response:
        if self.whatsapp is None:
            raise web.HTTPNotFound()
        return self.whatsapp.media_response(request.match_info["media_id"])


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _name(sender: JSON) -> str:
    if "title" in sender:
        return str(sender["title"])
    return " ".join(part for part in (sender.get("first_name"), sender.get("last_name")) if part)


def _snippet(message: JSON) -> str:
    text = str(message.get("text") or message.get("caption") or "")
    if text:
        return text[:80]
    for field, label in (
        ("photo", "صورة"),
        ("document", "ملف"),
        ("voice", "رسالة صوتية"),
        ("contact", "جهة اتصال"),
        ("location", "موقع"),
    ):
        if field in message:
            return label
    return "رسالة"


def _card(view: JSON) -> JSON | None:
    """A small description block for non-text, non-file content."""
    if contact := view.get("contact"):
        return {"icon": "👤", "lines": [_name(contact), contact["phone_number"]]}
    if venue := view.get("venue"):
        return {"icon": "📍", "lines": [venue["title"], venue["address"]]}
    if location := view.get("location"):
        return {
            "icon": "📍",
            "lines": ["موقع", f"{location['latitude']:.4f}, {location['longitude']:.4f}"],
        }
    if dice := view.get("dice"):
        return {"icon": dice["emoji"], "lines": [str(dice["value"])]}
    if poll := view.get("poll"):
        return {"icon": "📊", "lines": [poll["question"], *(o["text"] for o in poll["options"])]}
    return None
