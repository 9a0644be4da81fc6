"""Who an announcement goes to: everyone who accepted notices, or those of them with a request for
one service, in one status, or living in one district.

Only people who said yes to notices (``Beneficiary.notices``), still consent to the association
keeping their data, and have not blocked the assistant (``unreachable_at``) are ever counted.

The district is a request's answer to the form field ``district`` (a ``choice``; the profile's
convention, khairat.yaml). Choices are stored in clear in ``ServiceRequest.answers`` — only the
national ID and the mobile number are encrypted (``bot.domain.applications``) — so the audience
is one SQL query (a JSON lookup) and nothing is decrypted per candidate.

The recipients are written by one ``INSERT … SELECT`` (never loaded into memory), each once: the
unique key (announcement, beneficiary) of ``announcement_recipients``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.lifecycle import LABELS, Status
from bot.i18n import Translator
from bot.profile import Profile
from storage.models import AnnouncementRecipient, Beneficiary, ServiceRequest

DISTRICT_FIELD = "district"
KINDS = ("all", "service", "status", "district")


@dataclass(frozen=True)
class Audience:
    by: str  # all | service | status | district
    value: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"by": self.by, "value": self.value}

    @classmethod
    def of(cls, data: dict[str, Any] | None) -> Audience:
        data = data or {}
        return cls(str(data.get("by") or "all"), str(data.get("value") or ""))


def reachable():
    """Said yes to notices, consents, has not blocked the assistant."""
    return and_(
        Beneficiary.notices.is_(True),
        Beneficiary.consent_at.is_not(None),
        Beneficiary.consent_withdrawn_at.is_(None),
        Beneficiary.unreachable_at.is_(None),
    )


def districts(profile: Profile) -> list[tuple[str, Any]]:
    """(choice id, label) of every service's ``district`` field, each id once."""
    seen: dict[str, Any] = {}
    for service in profile.services:
        field = service.field(DISTRICT_FIELD)
        if field is not None:
            for choice in field.choices or ():
                seen.setdefault(choice.id, choice.label)
    return list(seen.items())


def statuses() -> list[Status]:
    return [s for s in Status if s is not Status.DRAFT]


def valid(profile: Profile, audience: Audience) -> bool:
    if audience.by == "all":
        return True
    if audience.by == "service":
        return profile.service(audience.value) is not None
    if audience.by == "status":
        return audience.value in {s.value for s in statuses()}
    if audience.by == "district":
        return audience.value in dict(districts(profile))
    return False


def label(profile: Profile, tr: Translator, audience: Audience) -> str:
    """The audience in words, for the supervisor (escape before putting it in HTML)."""
    if audience.by == "service":
        service = profile.service(audience.value)
        name = service.title.get(tr.locale) if service else audience.value
        return tr.gettext("Those with a request for: {name}").format(name=name)
    if audience.by == "status":
        return tr.gettext("Those with a request in the status: {name}").format(
            name=tr.gettext(LABELS[Status(audience.value)])
        )
    if audience.by == "district":
        found = dict(districts(profile)).get(audience.value)
        name = found.get(tr.locale) if found is not None else audience.value
        return tr.gettext("Those living in: {name}").format(name=name)
    return tr.gettext("Everyone who accepted the announcements")


def _condition(tenant: str, audience: Audience):
    """Who is in the audience. It names the association because ``materialise`` runs it inside
    an INSERT … SELECT, which the association scope (storage.scope) does not limit."""
    if audience.by == "all":
        return reachable()
    request = and_(
        ServiceRequest.association_id == tenant,
        ServiceRequest.beneficiary_id == Beneficiary.id,
        ServiceRequest.status != Status.DRAFT.value,
    )
    if audience.by == "service":
        request = and_(request, ServiceRequest.service_id == audience.value)
    elif audience.by == "status":
        request = and_(request, ServiceRequest.status == audience.value)
    elif audience.by == "district":
        request = and_(
            request, ServiceRequest.answers[DISTRICT_FIELD].as_string() == audience.value
        )
    return and_(reachable(), exists(select(ServiceRequest.id).where(request)))


async def count(
    session: AsyncSession, tenant: str, audience: Audience, *, channel: str | None = None
) -> int:
    """How many the audience reaches (on ``channel`` only, if given)."""
    where = [_condition(tenant, audience)]
    if channel is not None:
        where.append(Beneficiary.channel == channel)
    return int(await session.scalar(select(func.count(Beneficiary.id)).where(*where)) or 0)


async def materialise(
    session: AsyncSession, tenant: str, announcement_id: int, audience: Audience
) -> int:
    """One row per recipient, written by the database itself; returns how many. The SELECT
    names the association: the scope limits no INSERT, nor the SELECT inside one."""
    chosen = select(
        literal(tenant),
        literal(announcement_id),
        Beneficiary.id,
        Beneficiary.telegram_user_id,
        literal("owed"),
    ).where(Beneficiary.association_id == tenant, _condition(tenant, audience))
    await session.execute(
        insert(AnnouncementRecipient).from_select(
            ["association_id", "announcement_id", "beneficiary_id", "chat_id", "state"], chosen
        )
    )
    return int(
        await session.scalar(
            select(func.count(AnnouncementRecipient.id)).where(
                AnnouncementRecipient.announcement_id == announcement_id
            )
        )
        or 0
    )
