"""New FAQ entries drafted from a staff answer (issue #15), in the database per association.

A handed-over question that no entry answers becomes a draft: its question is the
beneficiary's words, scrubbed like a learned phrasing (:func:`bot.domain.faq.learning.learnable`)
and editable by staff; its answer is the staff reply. Status: ``draft`` (being edited) →
``pending`` (waiting for a supervisor, when the profile's ``faq.learning`` is ``supervisor``) →
``approved``; or ``rejected``. An approved draft is an entry of the running profile
(:func:`with_entries`: a copy of the profile with the entry appended) and of
the matcher (:meth:`FaqMatcher.add_entry`) at once, and again at every start-up
(:func:`approved_rows`); ``mustafeed faq-export`` writes it into the profile's YAML.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from html import escape
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.faq.learning import MAX_PHRASING_CHARS, learnable
from bot.profile.schema import FaqEntry, Profile
from storage.models import FaqDraft

if TYPE_CHECKING:
    from bot.domain.faq.matcher import FaqMatcher

__all__ = [
    "APPROVED",
    "DRAFT",
    "PENDING",
    "REJECTED",
    "approve",
    "approved_rows",
    "as_entry",
    "entry_id",
    "get",
    "open_draft",
    "reject",
    "set_question",
    "submit",
    "with_entries",
]

DRAFT = "draft"
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
ENTRY_PREFIX = "staff-"
MAX_ANSWER_CHARS = 3000


def entry_id(row: FaqDraft) -> str:
    """The FAQ entry id of an approved draft (``staff-12``)."""
    return f"{ENTRY_PREFIX}{row.id}"


def as_entry(row: FaqDraft) -> FaqEntry:
    """The draft as a profile FAQ entry (the staff answer as plain text, HTML-escaped)."""
    return FaqEntry.model_validate(
        {
            "id": entry_id(row),
            "category": row.category,
            "question": {"ar": row.question},
            "answer": {"ar": escape(row.answer)},
        }
    )


def with_entries(profile: Profile, rows: Sequence[FaqDraft]) -> Profile:
    """A copy of ``profile`` whose FAQ also has the entries of ``rows`` (those whose category
    the profile still has), appended in order (its category lists it last)."""
    known = {c.id for c in profile.faq.categories}
    have = {e.id for e in profile.faq.entries}
    entries = list(profile.faq.entries)
    for row in rows:
        if row.category not in known or entry_id(row) in have:
            continue
        entry = as_entry(row)
        entries.append(entry)  # at the end: the index of every other entry stays (buttons)
        have.add(entry.id)
    if len(entries) == len(profile.faq.entries):
        return profile
    faq = profile.faq.model_copy(update={"entries": tuple(entries)})
    copy = profile.model_copy(update={"faq": faq})
    for name, attr in vars(type(profile)).items():  # the indexes, computed again from the copy
        if isinstance(attr, cached_property):
            copy.__dict__.pop(name, None)
    for name, attr in vars(type(faq)).items():
        if isinstance(attr, cached_property):
            faq.__dict__.pop(name, None)
    return copy


def _question(text: str | None) -> str | None:
    return learnable(text)


async def open_draft(
    session: AsyncSession,
    tenant: str,
    question: str | None,
    answer: str,
    *,
    category: str,
    ticket_id: int | None,
    staff_id: int | None,
) -> FaqDraft | None:
    """A new draft from a handed-over question and the staff answer; None when nothing is left
    of the question once personal details are removed, or the answer is empty."""
    text = _question(question)
    answer = (answer or "").strip()[:MAX_ANSWER_CHARS]
    if text is None or not answer:
        return None
    row = FaqDraft(
        association_id=tenant,
        question=text,
        answer=answer,
        category=category,
        status=DRAFT,
        ticket_id=ticket_id,
        created_by=staff_id,
    )
    session.add(row)
    await session.flush()
    return row


async def get(session: AsyncSession, draft_id: int) -> FaqDraft | None:
    # a SELECT, not session.get: the scoped session's tenant filter applies to it
    return (
        await session.execute(select(FaqDraft).where(FaqDraft.id == draft_id))
    ).scalar_one_or_none()


def set_question(row: FaqDraft, text: str) -> bool:
    """Staff's own wording of the question (scrubbed as well); False when nothing is left or
    the draft is no longer being edited."""
    words = _question(text)
    if words is None or row.status not in (DRAFT, PENDING):
        return False
    row.question = words[:MAX_PHRASING_CHARS]
    return True


async def submit(
    session: AsyncSession, row: FaqDraft, *, approved: bool, staff_id: int | None
) -> None:
    """Staff add the draft: approved at once, or pending until a supervisor approves it."""
    if approved:
        row.status, row.approved_by = APPROVED, staff_id
    else:
        row.status = PENDING
    await session.flush()


async def approve(session: AsyncSession, row: FaqDraft, staff_id: int | None) -> None:
    row.status, row.approved_by = APPROVED, staff_id
    await session.flush()


async def reject(session: AsyncSession, row: FaqDraft) -> None:
    row.status = REJECTED
    await session.flush()


def serve(profile: Profile, matcher: FaqMatcher | None, row: FaqDraft) -> Profile:
    """An approved draft in the running profile and matcher (the profile returned is the new
    one to serve; the matcher changes in place, without a rebuild)."""
    updated = with_entries(profile, [row])
    entry = updated.faq_entry(entry_id(row))
    if matcher is not None and entry is not None:
        matcher.add_entry(entry.id, list(entry.variants()))
    return updated


async def approved_rows(session: AsyncSession) -> list[FaqDraft]:
    """The approved drafts of the session's association, oldest first."""
    return list(
        (
            await session.scalars(
                select(FaqDraft).where(FaqDraft.status == APPROVED).order_by(FaqDraft.id)
            )
        ).all()
    )


async def pending_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(select(func.count(FaqDraft.id)).where(FaqDraft.status == PENDING)) or 0
    )
