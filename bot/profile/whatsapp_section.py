"""The profile's ``whatsapp:`` section: the templates Meta approved, sent when the 24-hour
customer-service window is closed (``bot.channels.whatsapp.wa_templates``).

One template per kind of message that may meet a closed window — ``status`` (a case's status
changed), ``reminder`` (documents or an appointment), ``survey`` (a satisfaction survey's
invitation or reminder), ``announcement`` — and ``notice``, the fallback: any message of a kind
without its own template (and a staff reply, which has no kind) goes as ``notice``. So ``notice``
is required as soon as any template is declared; without any template a message that meets a
closed window fails (the staff card says the person could not be reached).

Each template names what fills its ``{{1}}``, ``{{2}}`` … in order (``parameters``), from what
its kind carries (``CARRIED``): ``association`` (its name), ``text`` (the message itself, on one
line, cut to fit), ``reference`` (the case's reference), ``case`` (the case with its noun:
«طلبك رقم REQ-1448-0042»), ``status`` (the case's new status as the person reads it), ``date``
(the date a reminder is about: the day documents were asked for, an appointment's time). ``body`` is the Arabic text
submitted to Meta (checked: one ``{{n}}`` per parameter; the room left for ``text`` is computed
from it); ``buttons`` the titles of its quick replies as approved, each answering like the
message's own button of the same title (an announcement's «🔕 إيقاف الإعلانات»).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

PARAMETERS = ("association", "text", "reference", "case", "status", "date")
KINDS = ("status", "reminder", "survey", "announcement")
CARRIED: dict[str, tuple[str, ...]] = {
    "notice": ("association", "text"),
    "status": ("association", "text", "reference", "case", "status"),
    "reminder": ("association", "text", "reference", "case", "date"),
    "survey": ("association", "text", "reference", "case"),
    "announcement": ("association", "text"),
}
MAX_BODY = 1024  # a template's body, its parameters filled in
UNKNOWN_BODY = 256  # the characters assumed around the parameters when the body is not given
MAX_QUICK_REPLIES, MAX_QUICK_REPLY = 10, 25
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class WhatsAppTemplate(_Model):
    """A message template approved by Meta, sent when the 24-hour window is closed."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,512}$")]
    """Its name as submitted to Meta (lower case, digits and underscores)."""
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Z]{2})?$")] = "ar"
    parameters: tuple[
        Annotated[str, Field(pattern=r"^(association|text|reference|case|status|date)$")], ...
    ] = ("association", "text")
    """What fills {{1}}, {{2}} … of its body, in order (see the module's doc)."""
    body: Annotated[str, Field(max_length=MAX_BODY)] | None = None
    """The text submitted to Meta, with its {{1}}, {{2}} …: documentation, and the room left
    for ``text``."""
    buttons: tuple[Annotated[str, Field(min_length=1, max_length=MAX_QUICK_REPLY)], ...] = Field(
        default=(), max_length=MAX_QUICK_REPLIES
    )
    """The titles of its quick-reply buttons, as approved."""

    @property
    def fixed_length(self) -> int:
        """The characters of the body around its placeholders (``UNKNOWN_BODY`` when the body
        is not given)."""
        return len(PLACEHOLDER.sub("", self.body)) if self.body else UNKNOWN_BODY

    def text_room(self, others: int) -> int:
        """The characters left for each ``text`` parameter when the other parameters take
        ``others``: the body is at most 1,024 characters, filled in."""
        texts = self.parameters.count("text") or 1
        return max(1, (MAX_BODY - self.fixed_length - others) // texts)


class WhatsAppTemplates(_Model):
    notice: WhatsAppTemplate | None = None
    """The fallback: staff replies, and every kind below that has no template of its own."""
    status: WhatsAppTemplate | None = None
    """A case's status changed (received, under study, awaiting documents, decided …)."""
    reminder: WhatsAppTemplate | None = None
    """Documents still awaited, an appointment coming."""
    survey: WhatsAppTemplate | None = None
    """A satisfaction survey's invitation and its one reminder."""
    announcement: WhatsAppTemplate | None = None
    """An announcement (``/announce``)."""

    def for_kind(self, kind: str | None) -> WhatsAppTemplate | None:
        """The template for a message of ``kind`` (None: no kind), or the fallback ``notice``."""
        own = getattr(self, kind, None) if kind in KINDS else None
        return own if isinstance(own, WhatsAppTemplate) else self.notice


class WhatsApp(_Model):
    """What the WhatsApp channel needs from the association (the settings name the number)."""

    templates: WhatsAppTemplates = Field(default_factory=WhatsAppTemplates)


def template_problems(templates: WhatsAppTemplates) -> list[tuple[tuple[str | int, ...], str]]:
    """``check-profile``'s findings on ``whatsapp.templates`` (location, reason)."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    base = ("whatsapp", "templates")
    declared = [k for k in KINDS if getattr(templates, k) is not None]
    if declared and templates.notice is None:
        found.append(
            (
                (*base, "notice"),
                "required when other templates are declared ("
                + ", ".join(declared)
                + "): it is the fallback for staff replies and for every kind without a "
                "template of its own (status, reminder, survey, announcement)",
            )
        )
    for kind in ("notice", *KINDS):
        template = getattr(templates, kind)
        if template is None:
            continue
        carried = CARRIED[kind]
        for index, name in enumerate(template.parameters):
            if name not in carried:
                why = (
                    "the fallback serves every kind, so it can use only what all carry"
                    if kind == "notice"
                    else f"{kind} messages carry only " + ", ".join(carried)
                )
                found.append(((*base, kind, "parameters", index), f"{name!r}: {why}"))
        if template.body is not None:
            numbers = sorted({int(n) for n in PLACEHOLDER.findall(template.body)})
            wanted = list(range(1, len(template.parameters) + 1))
            if numbers != wanted:
                shown = ", ".join(f"{{{{{n}}}}}" for n in wanted) or "no placeholder"
                found.append(
                    (
                        (*base, kind, "body"),
                        f"has {len(numbers)} placeholder(s) for {len(template.parameters)} "
                        f"parameter(s): expected {shown}",
                    )
                )
    return found
