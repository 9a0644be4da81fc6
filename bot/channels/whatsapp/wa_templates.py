"""A message as the profile's approved template, for a person whose 24-hour window is closed.

The template is the one of the message's kind (``Notice.kind``: status, reminder, survey,
announcement), or the fallback ``notice`` (``WhatsAppTemplates.for_kind``). Its parameters are
filled from the message, in the order the profile gives: ``association``, ``text`` (the
message on one line — WhatsApp refuses new lines, tabs and more than four spaces in a
parameter — cut at a word with «…» to what the body leaves of its 1,024 characters; an
announcement's own text rather than the message around it),
``reference``, ``case``, ``status``, ``date``. An empty value is sent as «—» (a parameter may not be
empty). Each quick reply the template declares gets the payload of the message's own button
with the same title, so pressing it does what the button does (an announcement's 🔕).
"""

from __future__ import annotations

import re
from typing import Any

from bot.channels.whatsapp.wa_render import to_whatsapp
from bot.profile.whatsapp_section import WhatsAppTemplate, WhatsAppTemplates

JSON = dict[str, Any]
_SPACES = re.compile(r"[ \u00a0]{4,}")


def one_line(text: str) -> str:
    """``text`` as a template parameter: its lines joined by « · », no tab, no long spaces."""
    lines = [" ".join(line.split()) for line in text.replace("\t", " ").splitlines()]
    joined = " · ".join(line for line in lines if line)
    return _SPACES.sub("   ", joined).strip()


def fit(text: str, room: int) -> str:
    """``text`` cut at a word to at most ``room`` characters, «…» at the end when cut."""
    if len(text) <= room:
        return text
    if room <= 1:
        return "…"[:room]
    cut = text.rfind(" ", 0, room - 1)
    if cut < room // 2:
        cut = room - 1
    return text[:cut].rstrip(" ·،,") + "…"


def message_text(payload: JSON) -> str:
    kind = str(payload.get("type"))
    if kind == "text":
        return str(payload["text"]["body"])
    if kind == "interactive":
        return str(payload["interactive"]["body"]["text"])
    return str((payload.get(kind) or {}).get("caption") or "")


def values(
    template: WhatsAppTemplate, payload: JSON, notice: JSON | None, association: str
) -> list[str]:
    """The parameters of ``template`` for this message, in order, each within WhatsApp's rules."""
    known = {
        "association": one_line(association),
        "reference": one_line(str((notice or {}).get("reference") or "")),
        "case": one_line(str((notice or {}).get("case") or "")),
        "status": one_line(str((notice or {}).get("status") or "")),
        "date": one_line(str((notice or {}).get("date") or "")),
    }
    room = template.text_room(
        sum(len(known.get(p, "")) for p in template.parameters if p != "text")
    )
    own = str((notice or {}).get("text") or "")  # the notice's own words (an announcement's)
    known["text"] = fit(one_line(to_whatsapp(own) if own else message_text(payload)), room)
    return [known.get(name) or "—" for name in template.parameters]


def build(
    templates: WhatsAppTemplates | None,
    payload: JSON,
    notice: JSON | None,
    association: str,
    choices: list[list[str]] | None = None,
) -> JSON | None:
    """The ``/messages`` body (without ``to``) of this message as its template; None when the
    profile declares none that fits."""
    kind = (notice or {}).get("kind")
    template = templates.for_kind(kind) if templates is not None else None
    if template is None:
        return None
    body: JSON = {"name": template.name, "language": {"code": template.language}}
    components: list[JSON] = []
    parameters = values(template, payload, notice, association)
    if parameters:
        components.append(
            {"type": "body", "parameters": [{"type": "text", "text": v} for v in parameters]}
        )
    by_title = {str(label): str(data) for data, label in choices or []}
    for index, title in enumerate(template.buttons):
        data = by_title.get(title)
        if data is not None:
            components.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": data}],
                }
            )
    if components:
        body["components"] = components
    return {"type": "template", "template": body}
