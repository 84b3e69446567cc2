"""The current time, as veille stores it."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    """The current time, ISO 8601 with offset (UTC), to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
