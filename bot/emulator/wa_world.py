"""The emulator's WhatsApp side, its state: the people who write to the business number, what
the business sent them, uploaded media, the 24-hour customer-service window (with a clock tests
can move), the templates Meta approved (``approve``: a template message must name one, with as
many parameters as its body has placeholders, each on one line, the body filled within 1,024
characters) and the Graph errors to answer on demand. ``wa_server`` serves it over HTTP."""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from typing import Any

WINDOW_SECONDS = 24 * 3600
MAX_TEXT, MAX_BUTTONS, MAX_BUTTON_TITLE = 4096, 3, 20
MAX_ROWS, MAX_ROW_TITLE, MAX_ROW_DESCRIPTION, MAX_BODY = 10, 24, 72, 1024
_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


class GraphRefusal(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": "OAuthException",
                "code": self.code,
                "fbtrace_id": "emulator",
            }
        }


@dataclass
class Media:
    data: bytes
    mime_type: str
    filename: str | None = None


@dataclass
class Approved:
    """A template as Meta approved it: its body with {{1}} … and its quick replies' titles."""

    name: str
    language: str
    body: str
    buttons: tuple[str, ...] = ()

    @property
    def placeholders(self) -> int:
        return len(set(_PLACEHOLDER.findall(self.body)))

    def filled(self, values: list[str]) -> str:
        return _PLACEHOLDER.sub(
            lambda m: values[int(m.group(1)) - 1] if int(m.group(1)) <= len(values) else "",
            self.body,
        )


@dataclass
class WaPerson:
    wa_id: str
    name: str
    last_wrote: float | None = None  # the emulator's clock when they last wrote


@dataclass
class WaWorld:
    phone_number_id: str = "106540352242922"
    access_token: str = "EAAG-emulator-token"
    app_secret: str = "emulator-app-secret"
    people: dict[str, WaPerson] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)  # every message the business sent
    media: dict[str, Media] = field(default_factory=dict)
    faults: list[tuple[int, int, str | None]] = field(default_factory=list)  # (status, code, to)
    late_faults: list[tuple[int, str | None]] = field(default_factory=list)  # (code, to)
    calls: list[dict[str, Any]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)  # the error codes answered, in order
    offset: float = 0.0  # seconds the tests moved the clock
    templates: dict[str, Approved] = field(default_factory=dict)  # empty: any name is accepted
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # -- the clock and the window -----------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, hours: float) -> None:
        self.offset += hours * 3600

    def window_open(self, wa_id: str) -> bool:
        person = self.people.get(wa_id)
        return bool(
            person
            and person.last_wrote is not None
            and self.now() - person.last_wrote < WINDOW_SECONDS
        )

    def approve(self, name: str, language: str, body: str, buttons: tuple[str, ...] = ()) -> None:
        """A template Meta approved (once one is, a template message must name an approved one)."""
        self.templates[name] = Approved(name, language, body, tuple(buttons))

    def rendered(self, message: dict[str, Any]) -> str:
        """A template message as the person reads it (its parameters joined when unknown)."""
        template = message.get("template") or {}
        values = template_values(template)
        approved = self.templates.get(str(template.get("name")))
        return approved.filled(values) if approved else " ".join(values)

    def new_id(self, prefix: str = "wamid") -> str:
        return f"{prefix}.HBgM{next(self._ids):08d}EMU"

    def fail_next(self, code: int, status: int = 400, to: str | None = None) -> None:
        """The next call (to ``to`` only, if given) is refused with this Graph error."""
        self.faults.append((status, code, to))

    def fail_later(self, code: int, to: str | None = None) -> None:
        """The next message (to ``to`` only, if given) is accepted, then reported ``failed``
        with this code in a status webhook — as WhatsApp often does (131026, 131047)."""
        self.late_faults.append((code, to))

    def take_fault(self, to: str | None) -> GraphRefusal | None:
        for i, (status, code, target) in enumerate(self.faults):
            if target is None or target == to:
                del self.faults[i]
                return GraphRefusal(status, code, f"injected error {code}")
        return None

    # -- the business sends ----------------------------------------------------------------
    def accept(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check one ``/messages`` call as the Cloud API does; store the message."""
        to = str(body.get("to") or "")
        self.calls.append(body)
        try:
            return self._accept(body, to)
        except GraphRefusal as refusal:
            self.refused.append(refusal.code)
            raise

    def _accept(self, body: dict[str, Any], to: str) -> dict[str, Any]:
        fault = self.take_fault(to)
        if fault is not None:
            raise fault
        if body.get("messaging_product") != "whatsapp":
            raise GraphRefusal(400, 100, "messaging_product must be whatsapp")
        kind = body.get("type", "text")
        check = _CHECKS.get(kind)
        if check is None:
            raise GraphRefusal(400, 100, f"unsupported type {kind}")
        check(self, body)
        if kind != "template" and not self.window_open(to):
            raise GraphRefusal(
                400,
                131047,
                "Re-engagement message: more than 24 hours have "
                "passed since the recipient last replied",
            )
        message = {**body, "id": self.new_id(), "timestamp": self.now(), "status": "sent"}
        for i, (code, target) in enumerate(self.late_faults):
            if target is None or target == to:
                del self.late_faults[i]
                message["status"], message["fails_with"] = "failed", code
                break
        self.sent.append(message)
        return message

    def messages(self, wa_id: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m.get("to") == wa_id]


def _text(world: WaWorld, body: dict[str, Any]) -> None:
    text = (body.get("text") or {}).get("body")
    if not isinstance(text, str) or not text:
        raise GraphRefusal(400, 100, "text.body is required")
    if len(text) > MAX_TEXT:
        raise GraphRefusal(400, 100, f"text.body is longer than {MAX_TEXT}")
    if "<b>" in text or "</" in text:
        raise GraphRefusal(400, 100, "HTML is not rendered by WhatsApp")  # our own check


def _interactive(world: WaWorld, body: dict[str, Any]) -> None:
    box = body.get("interactive") or {}
    text = (box.get("body") or {}).get("text") or ""
    if not text or len(text) > MAX_BODY:
        raise GraphRefusal(400, 100, "interactive.body.text missing or too long")
    action = box.get("action") or {}
    if box.get("type") == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= MAX_BUTTONS:
            raise GraphRefusal(400, 131009, "buttons: 1 to 3")
        for b in buttons:
            if len(b["reply"]["title"]) > MAX_BUTTON_TITLE:
                raise GraphRefusal(400, 131009, "button title longer than 20")
    elif box.get("type") == "list":
        rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
        if not 1 <= len(rows) <= MAX_ROWS or not action.get("button"):
            raise GraphRefusal(400, 131009, "list: 1 to 10 rows and a button")
        for r in rows:
            description = r.get("description", "")
            if len(r["title"]) > MAX_ROW_TITLE or len(description) > MAX_ROW_DESCRIPTION:
                raise GraphRefusal(400, 131009, "row title > 24 or description > 72")
    else:
        raise GraphRefusal(400, 100, "interactive.type must be button or list")


def _media(world: WaWorld, body: dict[str, Any]) -> None:
    media = body.get(body["type"]) or {}
    if "id" in media:
        if media["id"] not in world.media:
            raise GraphRefusal(400, 131053, "media id not found")
    elif not str(media.get("link", "")).startswith(("http://", "https://")):
        raise GraphRefusal(400, 100, "media needs an id or a link")


def template_values(template: dict[str, Any]) -> list[str]:
    return [
        str(p.get("text", ""))
        for c in template.get("components") or []
        if c.get("type") == "body"
        for p in c.get("parameters") or []
    ]


def _template(world: WaWorld, body: dict[str, Any]) -> None:
    template = body.get("template") or {}
    name, language = template.get("name"), (template.get("language") or {}).get("code")
    if not name or not language:
        raise GraphRefusal(400, 132001, "template name or language missing")
    if not world.templates:
        return
    approved = world.templates.get(str(name))
    if approved is None or approved.language != language:
        raise GraphRefusal(400, 132001, f"template name ({name}) does not exist in {language}")
    values = template_values(template)
    if len(values) != approved.placeholders:
        raise GraphRefusal(
            400, 132000, f"number of parameters ({len(values)}) does not match the expected"
        )
    for value in values:
        if not value or "\n" in value or "\t" in value or "     " in value:
            raise GraphRefusal(
                400, 132018, "param text cannot be empty, have new lines, tabs or 5 spaces"
            )
    if len(approved.filled(values)) > MAX_BODY:
        raise GraphRefusal(400, 132005, "translated text too long")
    for component in template.get("components") or []:
        if component.get("type") == "button" and not (
            0 <= int(component.get("index", -1)) < len(approved.buttons)
        ):
            raise GraphRefusal(400, 131009, "button index out of range")


_CHECKS = {
    "text": _text,
    "interactive": _interactive,
    "image": _media,
    "document": _media,
    "template": _template,
}
