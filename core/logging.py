"""Logging set-up, called once by the composition root (never at import)."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Configure the root logger with a compact, greppable format."""
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Ultralytics logs every frame at INFO; keep it quiet unless debugging.
    logging.getLogger("ultralytics").setLevel(logging.WARNING)
