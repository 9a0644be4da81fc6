"""The profile's sections for staff work on cases: ready replies (``canned_replies``) and
appointments (``appointments``: the times offered, the outcome's criteria)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

from bot.profile.values import HtmlText, ProfileModel, Slug, Title


class CaseFamily(StrEnum):
    REQUEST = "request"
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"  # complaints, suggestions and compensation claims


class CannedReply(ProfileModel):
    """A ready answer staff may send on a case (bot.features.workspace), edited first if they
    wish: ``{id, title, text, kinds}``; no ``kinds``: offered on every kind of case."""

    id: Slug
    title: Title
    text: HtmlText
    kinds: tuple[CaseFamily, ...] = ()


class Criterion(ProfileModel):
    id: Slug
    title: Title


class Appointments(ProfileModel):
    """Interviews and field visits (policy 004): the times staff may offer, Riyadh time, and
    the criteria an outcome is recorded against (a checklist)."""

    times: tuple[Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")], ...] = (
        "09:00",
        "10:00",
        "11:00",
        "12:00",
        "13:00",
    )
    criteria: tuple[Criterion, ...] = ()


def _unique_ids(replies: tuple[CannedReply, ...]) -> tuple[CannedReply, ...]:
    seen: set[str] = set()
    for reply in replies:
        if reply.id in seen:
            raise ValueError(f"canned reply id {reply.id!r} is used twice")
        seen.add(reply.id)
    return replies


CannedReplies = Annotated[tuple[CannedReply, ...], AfterValidator(_unique_ids)]
