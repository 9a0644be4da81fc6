"""Alembic environment: runs on the connection handed over by ``storage.migrate``."""

from alembic import context

from storage.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through storage.migrate
    raise RuntimeError("run migrations with `mustafeed migrate`")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=True,  # SQLite ALTER TABLE support for later migrations
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
