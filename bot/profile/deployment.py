"""The profile's ``deployment:`` section: how this association's bot is reached when one
process serves several (its own token, staff group, supervisors, WhatsApp variables)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.profile.values import GroupChatId


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Deployment(_Model):
    """How this association's bot is reached when one process serves several associations
    (``mustafeed run --profile a.yaml --profile b.yaml``): each has its own token and staff group.
    Absent values fall back to the process's settings (TELEGRAM_BOT_TOKEN, STAFF_CHAT_ID, …)."""

    token_env: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")] | None = None
    """The name of the environment variable that holds this association's bot token."""
    staff_chat_id: GroupChatId | None = None
    supervisor_ids: tuple[Annotated[int, Field(strict=True, ge=1)], ...] = ()
    whatsapp_env_prefix: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*_$")] | None = None
    """Read this association's WhatsApp settings from ``<prefix>WHATSAPP_PHONE_NUMBER_ID`` …
    (e.g. ``MAA_``) instead of the process's ``WHATSAPP_*``."""
    share_staff_chat: bool = False
    """True to let this association use the same staff group as another one in the process
    (otherwise start-up refuses: one association's staff would see the other's cases)."""
