"""What every table shares: the metadata and its naming convention, the UTC clock, and the
``Tenanted`` mixin (the association a row belongs to, which ``storage.scope`` filters on).
The tables themselves are in ``storage.models``, which re-exports these names."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import JSON, Date, DateTime, ForeignKey, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # read once by SQLAlchemy when the class is made, never mutated
    type_annotation_map = {  # noqa: RUF012
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
        date: Date,
    }


def table_of(model: type[Base]) -> Table:
    """A model's table, for the prebuilt Core statements (``__table__`` is typed as the
    FromClause it may be in general)."""
    return cast(Table, model.__table__)


def tenant() -> Mapped[str]:
    return mapped_column(String(64), ForeignKey("associations.id"), index=True)


class Tenanted:
    """A row of one association. Every model but :class:`Association` is one: a session bound
    to an association sees and changes only its rows (``storage.scope``)."""

    association_id: Mapped[str] = tenant()
