"""Deletion tickets in tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def without_time(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket without ``submitted_at`` (which differs from run to run)."""
    return {k: v for k, v in ticket.items() if k != "submitted_at"}
