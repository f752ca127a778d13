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
    """Migrate the database at ``url`` to ``revision``.

    The report cache (per-case facts) is built by ``smartscene db rebuild-report-facts``, not
    here: reports read the timeline until a rebuild is recorded."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate down to ``revision``."""
    command.downgrade(alembic_config(url), revision)
