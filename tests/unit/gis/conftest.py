"""Fixtures for the gis unit tests: the shared real-data folder (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_GIS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "gis"


@pytest.fixture(scope="session")
def shared_gis() -> Path:
    """The ../shared/data/gis folder, or skip."""
    if not SHARED_GIS.is_dir():
        pytest.skip(f"../shared/data not present: {SHARED_GIS}")
    return SHARED_GIS
