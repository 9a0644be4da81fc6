"""Learned phrasings in the database (one association per session) and in the matcher.

Every change goes to both: the row (``storage.models.LearnedPhrasing``) and the running
matcher (incremental :meth:`FaqMatcher.add_phrasing` / :meth:`remove_phrasing`), so a phrasing
is used from the next question on, without a restart; :func:`load` teaches the approved rows
at start-up. Text is scrubbed by :func:`bot.domain.faq.learning.learnable` before it is stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.faq.learning import learnable
from storage.models import LearnedPhrasing, utcnow

if TYPE_CHECKING:
    from bot.domain.faq.matcher import FaqMatcher

__all__ = ["approve", "approved_by_entry", "load", "remove", "teach"]

PENDING = "pending"
APPROVED = "approved"


async def teach(
    session: AsyncSession,
    tenant: str,
    matcher: FaqMatcher | None,
    entry_id: str,
    question: str | None,
    *,
    staff_id: int | None = None,
    ticket_id: int | None = None,
    approved: bool = True,
) -> LearnedPhrasing | None:
    """Store ``question`` (scrubbed) as a phrasing of ``entry_id``; teach it to ``matcher`` at
    once when ``approved``. None when nothing is left after scrubbing or the entry is unknown.
    The same phrasing of the same entry twice: the existing row (approved if asked)."""
    text = learnable(question)
    if text is None or (matcher is not None and entry_id not in matcher.entry_ids):
        return None
    row = (
        await session.execute(
            select(LearnedPhrasing).where(
                LearnedPhrasing.entry_id == entry_id, LearnedPhrasing.text == text
            )
        )
    ).scalar_one_or_none()
    if row is None:
        row = LearnedPhrasing(
            association_id=tenant,
            entry_id=entry_id,
            text=text,
            status=PENDING,
            ticket_id=ticket_id,
            created_by=staff_id,
        )
        session.add(row)
    if approved and row.status != APPROVED:
        row.status, row.approved_by, row.approved_at = APPROVED, staff_id, utcnow()
    await session.flush()
    if row.status == APPROVED and matcher is not None:
        matcher.add_phrasing(entry_id, text)
    return row


async def _get(session: AsyncSession, phrasing_id: int) -> LearnedPhrasing | None:
    # a SELECT, not session.get: the scoped session's tenant filter applies to it
    return (
        await session.execute(select(LearnedPhrasing).where(LearnedPhrasing.id == phrasing_id))
    ).scalar_one_or_none()


async def approve(
    session: AsyncSession, matcher: FaqMatcher | None, phrasing_id: int, staff_id: int | None
) -> LearnedPhrasing | None:
    """A supervisor confirms a pending phrasing: stored as approved and taught at once."""
    row = await _get(session, phrasing_id)
    if row is None:
        return None
    if row.status != APPROVED:
        row.status, row.approved_by, row.approved_at = APPROVED, staff_id, utcnow()
        await session.flush()
    if matcher is not None:
        matcher.add_phrasing(row.entry_id, row.text)
    return row


async def remove(session: AsyncSession, matcher: FaqMatcher | None, phrasing_id: int) -> bool:
    """Delete a learned phrasing and forget it in the matcher (unless the profile has it too)."""
    row = await _get(session, phrasing_id)
    if row is None:
        return False
    entry_id, text = row.entry_id, row.text
    await session.delete(row)
    await session.flush()
    if matcher is not None:
        matcher.remove_phrasing(entry_id, text)
    return True


async def approved_by_entry(session: AsyncSession) -> dict[str, list[str]]:
    """The approved phrasings of the session's association, per entry, oldest first."""
    rows = await session.execute(
        select(LearnedPhrasing.entry_id, LearnedPhrasing.text)
        .where(LearnedPhrasing.status == APPROVED)
        .order_by(LearnedPhrasing.id)
    )
    out: dict[str, list[str]] = {}
    for entry_id, text in rows:
        out.setdefault(entry_id, []).append(text)
    return out


async def load(session: AsyncSession, entries: list[tuple[str, list[str]]]) -> FaqMatcher:
    """The matcher over ``entries`` and every approved learned phrasing, built once (start-up).
    Phrasings of entries the profile no longer has stay in the table but are not used."""
    from bot.domain.faq.matcher import FaqMatcher

    return FaqMatcher.build(entries, learned=await approved_by_entry(session))
