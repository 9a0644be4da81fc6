"""the time a beneficiary last wrote (beneficiaries.last_inbound_at), for WhatsApp's 24-hour
window: the channel chooses a template at once when it has closed

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 01:53:38.997292
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.drop_column("last_inbound_at")
