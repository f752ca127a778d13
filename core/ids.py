"""Identifier helpers."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """Return a new random UUID4 as a 32-character hex string."""
    return uuid.uuid4().hex
