"""inbound_updates.raw nullable: the payload is encrypted while pending and stripped (NULL)
once processed; the update id and status stay for idempotency (issue #14, personal data).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:46:04.342769
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_updates", schema=None) as batch_op:
        batch_op.alter_column("raw", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE inbound_updates SET raw = '{}' WHERE raw IS NULL")
    with op.batch_alter_table("inbound_updates", schema=None) as batch_op:
        batch_op.alter_column("raw", existing_type=sa.JSON(), nullable=False)
