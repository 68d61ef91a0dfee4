"""The one clock: every time Clarion stores or shows is UTC, to the second, in ISO 8601."""

from __future__ import annotations

import datetime as dt


def now() -> str:
    """The current time in UTC, as every record stores it ("2026-12-01T21:48:19+00:00")."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def today() -> dt.date:
    """Today's date in UTC: the day review dates are compared with."""
    return dt.datetime.now(dt.UTC).date()
