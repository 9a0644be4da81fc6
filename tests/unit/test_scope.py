"""The association scope (storage.scope): a session bound to one association sees and changes
only that association's rows, though the query names no association. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import aliased, selectinload

from storage.db import Database, ScopedDatabase
from storage.models import Association, Base, Beneficiary, RequestEvent, ServiceRequest, Tenanted
from storage.scope import ScopeError

A, B = "assoc-a", "assoc-b"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    async with database.write(unscoped=True) as session:
        for tenant in (A, B):
            session.add(Association(id=tenant, name=tenant))
        await session.flush()
        for tenant, users in ((A, (1, 2)), (B, (1, 3, 4))):
            for user in users:
                session.add(Beneficiary(association_id=tenant, telegram_user_id=user))
            request = ServiceRequest(
                association_id=tenant,
                service_id="food",
                status="submitted",
                reference=f"{tenant}-1",
            )
            session.add(request)
            await session.flush()
            # one event of the other association under this request: only a bug would do that,
            # and the scope hides it all the same
            other = B if tenant == A else A
            session.add_all(
                [
                    RequestEvent(
                        association_id=tenant,
                        request_id=request.id,
                        actor_kind="system",
                        action="submitted",
                    ),
                    RequestEvent(
                        association_id=other,
                        request_id=request.id,
                        actor_kind="system",
                        action="foreign",
                    ),
                ]
            )
    yield database
    await database.dispose()


async def test_a_query_without_a_filter_sees_only_its_association(db: Database) -> None:
    async with db.read(tenant=A) as session:
        users = (await session.scalars(select(Beneficiary.telegram_user_id))).all()
        tenants = (await session.scalars(select(Beneficiary.association_id).distinct())).all()
        count = await session.scalar(select(func.count()).select_from(Beneficiary))
        references = (await session.scalars(select(ServiceRequest.reference))).all()
    assert sorted(users) == [1, 2] and tenants == [A] and count == 2
    assert references == [f"{A}-1"]


async def test_get_joins_subqueries_and_aliases_are_scoped(db: Database) -> None:
    async with db.read(tenant=B) as session:
        a_request = await session.scalar(
            select(ServiceRequest.id).where(ServiceRequest.reference == f"{A}-1")
        )
        assert a_request is None
        async with db.read(unscoped=True) as everything:
            a_id = await everything.scalar(
                select(ServiceRequest.id).where(ServiceRequest.reference == f"{A}-1")
            )
            a_user = await everything.scalar(
                select(Beneficiary.id).where(
                    Beneficiary.association_id == A, Beneficiary.telegram_user_id == 2
                )
            )
        assert await session.get(ServiceRequest, a_id) is None
        assert await session.get(Beneficiary, a_user) is None
        joined = (
            await session.scalars(
                select(RequestEvent.action).join(
                    ServiceRequest, RequestEvent.request_id == ServiceRequest.id
                )
            )
        ).all()
        assert joined == ["submitted"]  # B's event under A's request: a join needs both sides in B
        events = (await session.scalars(select(RequestEvent.action))).all()
        assert sorted(events) == ["foreign", "submitted"]
        other = aliased(Beneficiary)
        pairs = (
            await session.execute(
                select(Beneficiary.telegram_user_id, other.telegram_user_id).join(
                    other, other.telegram_user_id == Beneficiary.telegram_user_id
                )
            )
        ).all()
        assert sorted(pairs) == [(1, 1), (3, 3), (4, 4)]
        people = select(func.count(Beneficiary.id)).scalar_subquery()
        assert await session.scalar(select(people)) == 3  # a subquery alone in the statement


async def test_relationship_loads_are_scoped(db: Database) -> None:
    async with db.read(tenant=A) as session:
        request = await session.scalar(select(ServiceRequest))
        events = await session.run_sync(lambda _: request.events)  # a lazy load
        assert [e.action for e in events] == ["submitted"]
    async with db.read(tenant=A) as session:
        request = await session.scalar(
            select(ServiceRequest).options(selectinload(ServiceRequest.events))
        )
        assert [e.action for e in request.events] == ["submitted"]
        event = await session.scalar(select(RequestEvent))
        parent = await session.run_sync(lambda _: event.request)
        assert parent.reference == f"{A}-1"


async def test_update_and_delete_touch_only_their_association(db: Database) -> None:
    async with db.write(tenant=A) as session:
        changed = await session.execute(update(Beneficiary).values(locale="en"))
        assert changed.rowcount == 2
        removed = await session.execute(
            delete(RequestEvent).where(RequestEvent.action == "foreign")
        )
        assert removed.rowcount == 1  # A's own "foreign" event (under B's request)
    async with db.read(unscoped=True) as session:
        locales = dict(
            (
                await session.execute(
                    select(Beneficiary.association_id, func.count())
                    .where(Beneficiary.locale == "en")
                    .group_by(Beneficiary.association_id)
                )
            ).all()
        )
        foreign = (
            await session.scalars(
                select(RequestEvent.association_id).where(RequestEvent.action == "foreign")
            )
        ).all()
    assert locales == {A: 2}
    assert foreign == [B]


async def test_new_rows_take_the_session_association(db: Database) -> None:
    async with db.write(tenant=B) as session:
        session.add(Beneficiary(telegram_user_id=99))  # no association given
    async with db.read(unscoped=True) as session:
        assert (
            await session.scalar(
                select(Beneficiary.association_id).where(Beneficiary.telegram_user_id == 99)
            )
            == B
        )
    with pytest.raises(ScopeError):
        async with db.write(tenant=B) as session:
            session.add(Beneficiary(association_id=A, telegram_user_id=98))


async def test_a_session_must_name_its_association_or_ask_for_none(db: Database) -> None:
    with pytest.raises(TypeError):
        async with db.read():
            pass
    with pytest.raises(TypeError):
        async with db.write():
            pass
    with pytest.raises(TypeError):
        async with db.read(tenant=A, unscoped=True):
            pass
    async with db.read(unscoped=True) as session:
        assert await session.scalar(select(func.count()).select_from(Beneficiary)) == 5


async def test_a_scoped_database_opens_only_scoped_sessions(db: Database) -> None:
    scoped = db.scoped(B)
    assert isinstance(scoped, ScopedDatabase) and scoped.is_sqlite == db.is_sqlite
    async with scoped.read() as session:
        assert sorted((await session.scalars(select(Beneficiary.telegram_user_id))).all()) == [
            1,
            3,
            4,
        ]
    async with scoped.write(offload=True) as session:
        assert (await session.scalars(select(ServiceRequest.reference))).all() == [f"{B}-1"]


def test_every_model_but_the_association_is_scoped() -> None:
    """A new model that forgets the ``Tenanted`` mixin would be readable across associations."""
    for mapper in Base.registry.mappers:
        if mapper.class_ is not Association:
            assert issubclass(mapper.class_, Tenanted), mapper.class_.__name__


async def test_the_bot_runtime_is_scoped(app) -> None:
    assert isinstance(app.db, ScopedDatabase) and app.rt.db is app.db
    assert app.db.tenant == app.profile.association.id
    async with app.db.write() as session:
        assert session.info["tenant"] == app.profile.association.id


async def test_sessions_of_two_associations_interleaved_never_mix(db: Database) -> None:
    import asyncio

    async def users(tenant: str) -> list[list[int]]:
        seen = []
        async with db.read(tenant=tenant) as session:
            for _ in range(20):
                seen.append(
                    sorted((await session.scalars(select(Beneficiary.telegram_user_id))).all())
                )
                await asyncio.sleep(0)
        return seen

    a, b = await asyncio.gather(users(A), users(B))
    assert a == [[1, 2]] * 20 and b == [[1, 3, 4]] * 20
    async with db.read(tenant=A) as in_a, db.read(tenant=B) as in_b:  # one task, both in turn
        for _ in range(3):
            assert await in_a.scalar(select(func.count()).select_from(Beneficiary)) == 2
            assert await in_b.scalar(select(func.count()).select_from(Beneficiary)) == 3


async def test_a_relationship_of_a_new_object_is_scoped(db: Database) -> None:
    async with db.write(tenant=A) as session:
        request = ServiceRequest(service_id="food", status="draft")
        session.add(request)
        await session.flush()
        await session.execute(
            insert(RequestEvent.__table__).values(  # Core: not scoped
                association_id=B,
                request_id=request.id,
                actor_kind="system",
                action="foreign",
                at=datetime.now(UTC),
            )
        )
        session.expire(request, ["events"])
        events = await session.run_sync(lambda _: request.events)
        assert events == []


async def test_a_statement_built_once_is_scoped_in_every_association(db: Database) -> None:
    """The scope keeps one scoped copy of a statement built once (the hot path's person by
    Telegram id): the copy reads the association at each execution, never the first one's."""
    once = select(Beneficiary.telegram_user_id).where(Beneficiary.telegram_user_id == 1)
    ordered = select(Beneficiary.telegram_user_id).order_by(Beneficiary.telegram_user_id)
    for _ in range(2):
        for tenant, users in ((A, [1, 2]), (B, [1, 3, 4]), (A, [1, 2])):
            async with db.read(tenant=tenant) as session:
                assert (await session.scalars(ordered)).all() == users
                found = await session.scalar(
                    select(Beneficiary.association_id).where(Beneficiary.telegram_user_id == 1)
                )
                assert found == tenant
                assert (await session.scalars(once)).all() == [1]
        async with db.read(unscoped=True) as session:  # unscoped: the statement as written
            assert len((await session.scalars(ordered)).all()) == 5
