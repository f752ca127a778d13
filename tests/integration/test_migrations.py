"""Migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from api import db
from dispatch.reports.store import facts_ready
from models import Base


def _diff(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    # PostGIS owns spatial_ref_sys; the generated geometry column and its index are ours by design.
    return [d for d in diff if "spatial_ref_sys" not in str(d) and "geom" not in str(d)]


@pytest.mark.filterwarnings("ignore:Did not recognize type .geometry.")
def test_models_and_migrations_agree_and_round_trip(db_url: str) -> None:
    assert _diff(db_url) == []
    db.downgrade(db_url, "base")
    db.upgrade(db_url)
    assert _diff(db_url) == []
    engine = create_engine(db_url)
    with engine.connect() as conn:  # the report cache is trusted from the first migration on
        assert facts_ready(conn)
    engine.dispose()
