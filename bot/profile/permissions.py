"""The profile's ``permissions`` section: which staff roles may take each move of a case
(policy clause 22, who decides). Read by ``bot.features.staff.staff_group.staff_actor``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.profile.values import _enum


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class StaffRole(StrEnum):
    """The roles of ``bot.domain.roles.Role`` (the profile layer sits below the domain)."""

    STAFF = "staff"
    RESEARCHER = "researcher"
    SUPERVISOR = "supervisor"


Roles = Annotated[
    tuple[Annotated[StaffRole, _enum(StaffRole, "staff role")], ...], Field(min_length=1)
]
_ANY = (StaffRole.STAFF, StaffRole.RESEARCHER, StaffRole.SUPERVISOR)
_DECIDERS = (StaffRole.RESEARCHER, StaffRole.SUPERVISOR)


class Permissions(_Model):
    """Which staff roles may take each move of a case (policy clause 22: who decides). Every
    press and command is checked against it; a refusal is explained to the presser and audited.
    The default keeps the decisions (approve, reject) for researchers and supervisors."""

    review: Roles = _ANY
    docs: Roles = _ANY
    interview: Roles = _ANY
    visit: Roles = _ANY
    approve: Roles = _DECIDERS
    reject: Roles = _DECIDERS
    deliver: Roles = _ANY
    close: Roles = _ANY
    reply: Roles = _ANY
    ack: Roles = _ANY
    resolve: Roles = _ANY
    escalate: Roles = _ANY
    breach: Roles = _ANY
    """Recording whether a compensation claim's obligations were breached (either answer)."""

    def as_map(self) -> dict[str, frozenset[str]]:
        """action → the roles that may take it (``no_breach`` follows ``breach``)."""
        out = {
            name: frozenset(str(r) for r in getattr(self, name)) for name in type(self).model_fields
        }
        out["no_breach"] = out["breach"]
        return out
