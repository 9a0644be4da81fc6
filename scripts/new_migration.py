"""Autogenerate an alembic revision from storage/models.py against a scratch SQLite database.

    python scripts/new_migration.py "add foo to bar"

Review the generated file in storage/migrations/versions/ before committing it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command

from storage.db import make_engine
from storage.migrate import alembic_config, upgrade


async def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp}/scratch.db")
        await upgrade(engine)  # the schema as the existing migrations leave it

        def run(conn) -> None:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            versions = sorted(
                (Path(cfg.get_main_option("script_location")) / "versions").glob("[0-9]*_*.py")
            )
            rev_id = f"{len(versions) + 1:04d}"
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)

        async with engine.begin() as conn:
            await conn.run_sync(run)
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(" ".join(sys.argv[1:]) or "schema change"))
