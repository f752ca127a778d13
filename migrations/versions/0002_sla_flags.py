"""SLA flags: discover breach stamp and the warnings already sent.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("discover_breached_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("sla_warned", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("sla_warned")
        batch.drop_column("discover_breached_at")
