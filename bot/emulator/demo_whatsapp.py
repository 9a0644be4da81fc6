"""The demo page's WhatsApp phone: one person writing to the association's business number
through the emulator's Cloud API side (:mod:`bot.emulator.wa_server`).

What the business sent comes from the WhatsApp world (``WaWorld.sent``); what the person sent
is kept here, since the world only signs and posts it to the bot. Each message goes to the page
as data (text in WhatsApp's own ``*bold*``/``_italic_`` marks, reply buttons, a list's sections
and rows, media by id) and the page draws it the way WhatsApp does.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .wa_server import WhatsAppEmulator
from .wa_world import Media

JSON = dict[str, Any]
_SHOWN_MESSAGES = 200
_MARKS = re.compile(r"```|[*_~]")  # WhatsApp's formatting marks, left out of a quote
_SHOWN_INLINE = ("image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf")


@dataclass
class WhatsAppPhone:
    """The visitor's WhatsApp: a person (``wa_id``) and the business they write to."""

    wa: WhatsAppEmulator
    business: str
    wa_id: str = "966551234567"
    name: str = "سارة القحطاني"
    sent_by_person: list[JSON] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.wa_id not in self.wa.world.people:
            self.wa.add_person(self.wa_id, self.name)

    # -- what the page shows ----------------------------------------------------------------

    @property
    def version(self) -> int:
        """Grows with every message either way (the page long-polls on it)."""
        return len(self.sent_by_person) + len(self.wa.world.sent)

    def state(self, key: str, label: str) -> JSON:
        mine = [(float(m["time"]), index, dict(m)) for index, m in enumerate(self.sent_by_person)]
        theirs = [
            (float(m["timestamp"]), len(mine) + index, self._business_message(m))
            for index, m in enumerate(self.wa.world.messages(self.wa_id))
        ]
        messages = [m for _, _, m in sorted(mine + theirs, key=lambda t: (t[0], t[1]))]
        for message in messages:
            message["time"] = time.strftime("%H:%M", time.localtime(float(message["time"])))
        return {
            "key": key,
            "kind": "whatsapp",
            "label": label,
            "holder": self.name,
            "title": self.business,
            "subtitle": "حساب أعمال",
            "is_group": False,
            "keyboard": None,
            "messages": messages[-_SHOWN_MESSAGES:],
        }

    def _business_message(self, sent: JSON) -> JSON:
        kind = sent.get("type", "text")
        body: JSON = {"id": sent["id"], "out": False, "time": sent["timestamp"], "type": kind}
        if kind == "text":
            body["text"] = sent["text"]["body"]
        elif kind == "interactive":
            box = sent["interactive"]
            body["text"] = box["body"]["text"]
            body["header"] = (box.get("header") or {}).get("text")
            body["footer"] = (box.get("footer") or {}).get("text")
            action = box.get("action") or {}
            if box["type"] == "button":
                body["buttons"] = [
                    {"id": b["reply"]["id"], "title": b["reply"]["title"]}
                    for b in action.get("buttons") or []
                ]
            else:
                body["list"] = {
                    "button": action.get("button") or "",
                    "sections": [
                        {
                            "title": section.get("title") or "",
                            "rows": [
                                {
                                    "id": row["id"],
                                    "title": row["title"],
                                    "description": row.get("description") or "",
                                }
                                for row in section.get("rows") or []
                            ],
                        }
                        for section in action.get("sections") or []
                    ],
                }
        elif kind in ("image", "document"):
            media = sent[kind]
            body["text"] = media.get("caption") or ""
            body["media"] = self._media(kind, media.get("id"), media.get("filename"))
        elif kind == "template":
            template = sent["template"]
            words = [
                p.get("text", "")
                for c in template.get("components") or []
                for p in c.get("parameters") or []
            ]
            body["text"] = "\n".join(w for w in words if w) or template["name"]
            body["template"] = template["name"]
        return body

    def _media(self, kind: str, media_id: str | None, filename: str | None) -> JSON:
        stored = self.wa.world.media.get(media_id or "")
        return {
            "kind": "photo" if kind == "image" else "document",
            "url": f"/demo/wa-media/{media_id}" if stored else None,
            "name": filename or (stored.filename if stored else None) or "ملف",
            "size": len(stored.data) if stored else 0,
        }

    def _find(self, message_id: str) -> JSON | None:
        for message in self.wa.world.messages(self.wa_id):
            if message["id"] == message_id:
                return message
        return None

    def _quote(self, message_id: str | None) -> JSON | None:
        if not message_id:
            return None
        sent = self._find(message_id)
        if sent is None:
            return None
        snippet = _MARKS.sub("", self._business_message(sent).get("text", ""))
        return {
            "id": message_id,
            "sender": self.business,
            "snippet": " ".join(snippet.split())[:80],
        }

    def _remember(self, note: JSON, shown: JSON, context: str | None = None) -> JSON:
        message = note["entry"][0]["changes"][0]["value"]["messages"][0]
        shown = {"id": message["id"], "out": True, "time": self.wa.world.now(), **shown}
        if quote := self._quote(context):
            shown["reply_to"] = quote
        self.sent_by_person.append(shown)
        return message

    # -- what the person does ---------------------------------------------------------------

    async def say(self, text: str, reply_to: str | None = None) -> JSON:
        note = self.wa.inbound(self.wa_id, "text", {"text": {"body": text}}, context=reply_to)
        message = self._remember(note, {"type": "text", "text": text}, reply_to)
        await self.wa.post(note)
        return message

    async def choose(self, message_id: str, choice_id: str) -> JSON:
        """Tap a reply button or pick a list row of one of the business's messages."""
        sent = self._find(message_id)
        if sent is None or sent.get("type") != "interactive":
            raise LookupError(f"no interactive message {message_id!r}")
        box = sent["interactive"]
        kind = "button_reply" if box["type"] == "button" else "list_reply"
        offered = [b["reply"] for b in box["action"].get("buttons") or []] + [
            row for s in box["action"].get("sections") or [] for row in s.get("rows") or []
        ]
        title = next((c["title"] for c in offered if c["id"] == choice_id), None)
        if title is None:
            raise LookupError(f"message {message_id!r} offers no choice {choice_id!r}")
        note = self.wa.inbound(
            self.wa_id,
            "interactive",
            {"interactive": {"type": kind, kind: {"id": choice_id, "title": title}}},
            context=message_id,
        )
        message = self._remember(note, {"type": "text", "text": title}, message_id)
        await self.wa.post(note)
        return message

    async def send_file(
        self, data: bytes, filename: str, mime: str, caption: str | None = None
    ) -> JSON:
        kind = "image" if mime.startswith("image/") else "document"
        note_id = self.wa.world.new_id("media")
        self.wa.world.media[note_id] = Media(data, mime, filename)
        content: JSON = {"id": note_id, "mime_type": mime}
        if kind == "document":
            content["filename"] = filename
        if caption:
            content["caption"] = caption
        note = self.wa.inbound(self.wa_id, kind, {kind: content})
        shown = {"type": kind, "text": caption or "", "media": self._media(kind, note_id, filename)}
        message = self._remember(note, shown)
        await self.wa.post(note)
        return message

    async def send_location(self, latitude: float = 24.7136, longitude: float = 46.6753) -> JSON:
        location = {"latitude": latitude, "longitude": longitude}
        note = self.wa.inbound(self.wa_id, "location", {"location": location})
        shown = {
            "type": "location",
            "card": {"icon": "📍", "lines": ["موقعي", f"{latitude:.4f}, {longitude:.4f}"]},
        }
        message = self._remember(note, shown)
        await self.wa.post(note)
        return message

    def media_response(self, media_id: str) -> web.Response:
        stored = self.wa.world.media.get(media_id)
        if stored is None:
            raise web.HTTPNotFound()
        inline = stored.mime_type in _SHOWN_INLINE  # anything else only as a download
        return web.Response(
            body=stored.data,
            content_type=stored.mime_type if inline else "application/octet-stream",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
                "Content-Security-Policy": "sandbox",
                "Content-Disposition": "inline" if inline else "attachment",
            },
        )
