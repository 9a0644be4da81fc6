"""Who may do what among the association's staff: staff, researcher, supervisor.

A role comes from the ``staff_members`` table; ``SUPERVISOR_IDS`` are supervisors whatever the
table says. Whether someone belongs to the staff chat at all is the channel's question
(``bot.channels.telegram.staff_auth.MembershipCache``), asked before the unit of work.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select

from storage.models import StaffMember


class Role(StrEnum):
    STAFF = "staff"
    RESEARCHER = "researcher"
    SUPERVISOR = "supervisor"


RANK = {Role.STAFF: 1, Role.RESEARCHER: 2, Role.SUPERVISOR: 3}


async def role_of(session, tenant: str, user_id: int, supervisors: frozenset[int]) -> Role:
    if user_id in supervisors:
        return Role.SUPERVISOR
    row = await session.scalar(
        select(StaffMember).where(
            StaffMember.association_id == tenant, StaffMember.telegram_user_id == user_id
        )
    )
    return Role(row.role) if row else Role.STAFF


def at_least(role: Role, needed: Role) -> bool:
    return RANK[role] >= RANK[needed]
