"""The profile's ``whatsapp:`` section: the templates Meta approved, sent when the 24-hour
customer-service window is closed (``bot.channels.whatsapp.wa_graph``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class WhatsAppTemplate(_Model):
    """A message template approved by Meta, sent when the 24-hour window is closed."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,512}$")]
    """Its name as submitted to Meta (lower case, digits and underscores)."""
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(_[A-Z]{2})?$")] = "ar"
    parameters: tuple[Annotated[str, Field(pattern=r"^(association|text)$")], ...] = (
        "association",
        "text",
    )
    """What fills {{1}}, {{2}} … of its body, in order: ``association`` (its name) or ``text``
    (the message that could not be sent, on one line)."""


class WhatsAppTemplates(_Model):
    notice: WhatsAppTemplate | None = None
    """Status changes, reminders, survey invitations and announcements outside the window."""


class WhatsApp(_Model):
    """What the WhatsApp channel needs from the association (the settings name the number)."""

    templates: WhatsAppTemplates = Field(default_factory=WhatsAppTemplates)
