"""What several benches share."""

from __future__ import annotations


async def empty_schema(url: str) -> None:
    """A PostgreSQL database given to a bench starts empty (its ``public`` schema dropped and
    made again); a SQLite URL is left alone (each bench makes a new file)."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
