"""Database migrations, run programmatically (``smartscene db upgrade``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from core.settings import PACKAGE_ROOT


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the project's migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PACKAGE_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision``; at ``head``, also make sure the report
    cache (per-case facts) is built by the current derivation, so reports read it from the
    start (a no-op when it already is; about 20 s per million cases when it is not)."""
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        ensure_report_facts(url)


def ensure_report_facts(url: str) -> int | None:
    """Build ``case_facts`` at ``url`` unless it is current; the number of cases rebuilt."""
    from dispatch.reports.store import ensure_cli

    return ensure_cli(url)


def downgrade(url: str, revision: str) -> None:
    """Migrate down to ``revision``."""
    command.downgrade(alembic_config(url), revision)
