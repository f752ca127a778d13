"""Report cache: per-case facts derived from the timeline, and the record of full rebuilds.

The table starts empty and unrecorded: reports keep reading the timeline until
``dispatch.reports.store.rebuild_case_facts`` (CLI: ``python -m dispatch.reports.store``) has
filled it once; from then on every timeline entry keeps its case's row current.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _stamp(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, length: int, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    counts = ("dispatch_actions", "reoffers", "returns", "reworks", "extensions")
    op.create_table(
        "case_facts",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        _stamp("reported_at", nullable=False),
        _stamp("last_event_at"),
        _text("category", 32, nullable=False),
        _text("source", 16, nullable=False),
        *(_text(name, 64) for name in ("district", "grid", "unit", "camera", "staff")),
        _text("final_state", 16, nullable=False),
        *(_stamp(name) for name in ("filed_at", "handled_at", "due_at")),
        *(
            sa.Column(f"{clock}_s", sa.Double(), nullable=True)
            for clock in ("discover", "arrive", "resolve", "handling")
        ),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (*counts, "self_handles", "merged_reports")
        ),
        sa.Column("report_record", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_facts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_facts")),
    )
    with op.batch_alter_table("case_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_facts_reported_at_last_event_at", ["reported_at", "last_event_at"]
        )
    op.create_table(
        "case_facts_builds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _stamp("built_at", nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_facts_builds")),
    )


def downgrade() -> None:
    op.drop_table("case_facts_builds")
    with op.batch_alter_table("case_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_case_facts_reported_at_last_event_at")
    op.drop_table("case_facts")
