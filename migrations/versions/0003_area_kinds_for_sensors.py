"""Area kinds for truck rules: restricted zones (禁行区) and permitted sites (工地/消纳场).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD = "'district', 'street', 'community', 'grid', 'responsibility'"
NEW = OLD + ", 'restricted', 'permitted'"


def upgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.drop_constraint(op.f("ck_areas_kind"), type_="check")
        batch.create_check_constraint("kind", f"kind IN ({NEW})")


def downgrade() -> None:
    with op.batch_alter_table("areas") as batch:
        batch.drop_constraint(op.f("ck_areas_kind"), type_="check")
        batch.create_check_constraint("kind", f"kind IN ({OLD})")
