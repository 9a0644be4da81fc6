"""bot.engine.dialogs: read once, written once at the end of the unit of work, only when changed."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import event, select

from bot.engine import dialogs
from storage.db import Database
from storage.models import Association, Beneficiary, Dialog


async def test_a_dialog_is_written_only_when_this_update_changed_it(database_url: str) -> None:
    db = Database(database_url).scoped("t")
    statements: list[str] = []
    event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda conn, cursor, sql, *rest: statements.append(sql.split()[0]),
    )
    try:
        await db.migrate()
        async with db.write() as session:
            session.add(Association(id="t", name="t"))
            await session.flush()
            person = Beneficiary(association_id="t", telegram_user_id=9, locale="ar")
            session.add(person)
        user = SimpleNamespace(id=person.id)

        async def unit(work) -> None:
            async with db.write() as session:
                ctx = SimpleNamespace(
                    session=session,
                    connection=session.connection,
                    user=user,
                    tenant="t",
                    dialog_state=None,
                )
                await work(ctx)
                await dialogs.write(ctx)

        async def start(ctx) -> None:
            await dialogs.begin(ctx, "request", "field:0", {"request_id": 5})

        async def look(ctx) -> None:
            assert (await dialogs.current(ctx)).step == "field:0"
            assert (await dialogs.current(ctx)).step == "field:0"  # the second read is free

        async def in_place(ctx) -> None:
            (await dialogs.current(ctx)).data["misses"] = 1  # even an in-place change is kept

        async def stop(ctx) -> None:
            await dialogs.end(ctx)

        await unit(start)
        statements.clear()
        await unit(look)
        assert statements == ["SELECT"], "read once, nothing written when nothing changed"
        await unit(in_place)
        async with db.read() as session:
            assert (await session.scalar(select(Dialog.data))) == {"request_id": 5, "misses": 1}
        await unit(stop)
        async with db.read() as session:
            assert (await session.scalar(select(Dialog))) is None
    finally:
        await db.dispose()
