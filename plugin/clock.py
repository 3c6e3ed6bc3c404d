"""The one place that reads the wall clock; everything below takes ``now`` as an argument."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)
