"""Online backup of the SQLite database (safe while the bot runs), and how to restore.

Restore: stop the bot, copy the backup file over the database file (and delete any
``-wal``/``-shm`` files beside it), start the bot. PostgreSQL: use ``pg_dump``/``pg_restore``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


def backup(database_url: str, target: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise SystemExit("mustafeed backup works on SQLite; for PostgreSQL use pg_dump")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(url.database)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()
