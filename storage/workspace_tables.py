"""The staff workspace's tables (issue #12): who holds a case, internal notes, appointments.
Moved out of ``storage.models`` unchanged, which re-exports them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, Tenanted, tenant, utcnow


class CaseAssignment(Tenanted, Base):
    """Who of the staff holds a case (a request or a ticket): claimed with «✋» or given by a
    supervisor (bot.features.workspace). ``reminded_at``: the assignee's last reminder."""

    __tablename__ = "case_assignments"
    association_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("associations.id"), primary_key=True
    )
    subject_kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # request | ticket
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignee_id: Mapped[int] = mapped_column(BigInteger, index=True)
    assignee_name: Mapped[str] = mapped_column(String(128))
    assigned_by: Mapped[int | None] = mapped_column(BigInteger)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]


class CaseNote(Tenanted, Base):
    """An internal note staff wrote on a case: shown to staff (/find), never to the beneficiary."""

    __tablename__ = "case_notes"
    __table_args__ = (
        Index("ix_case_notes_subject", "association_id", "subject_kind", "subject_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = mapped_column(String(64), ForeignKey("associations.id"))
    subject_kind: Mapped[str] = mapped_column(String(16))  # request | ticket
    subject_id: Mapped[int] = mapped_column(Integer)
    staff_user_id: Mapped[int | None] = mapped_column(BigInteger)
    staff_name: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Appointment(Tenanted, Base):
    """An interview or a field visit for a request (policy 004): up to three times offered by
    staff, the one the beneficiary chose, the reminders sent, and the outcome recorded against
    the profile's criteria (bot.features.appointments)."""

    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    association_id: Mapped[str] = tenant()
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # interview | visit
    status: Mapped[str] = mapped_column(
        String(16), index=True
    )  # draft | offered | confirmed | other_time | done
    slots: Mapped[list[Any]] = mapped_column(default=list)  # ISO datetimes, UTC
    chosen_at: Mapped[datetime | None]
    offered_by: Mapped[int | None] = mapped_column(BigInteger)
    reminded: Mapped[list[Any]] = mapped_column(default=list)  # "day", "2h"
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)  # criterion id -> met
    outcome_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
