"""Which dates of redemption history to read, and how old a redemption is.

Redemption history accepts date ranges of at most a year, and what it returns without
dates is not documented: every redemption, the last 365 days, or another span. So unless
the operator pins ``everything``, a subject's redemptions are the undated answer plus
year windows from ``redemptions_since`` (2009), or the profile's date_created if earlier
(a redemption may predate the profile: imports), to ``CLOCK_MARGIN`` past today.

"Today" is CrowdTwist's (its answers' ``Date``) or this machine's, whichever is later:
the windows then reach past the service's today however the two clocks differ, and the
margin covers a service that filters by a clock of its own up to a month off.

Pure date arithmetic: the settings check a plan with it before any request is sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

REDEMPTION_WINDOW = timedelta(days=364)
CLOCK_MARGIN = timedelta(days=31)
# A redemption older than this (by its newest date) is beyond any last-365-days answer,
# even from a service whose clock is a month behind ours: what proves ``everything``.
MORE_THAN_A_YEAR = timedelta(days=365) + CLOCK_MARGIN + timedelta(days=7)
# The redemption record's fields are not documented; these are the date fields CrowdTwist's
# redemption feeds use.
REDEMPTION_DATE_FIELDS = ("order_date", "orderDate", "redemption_date", "date_redeemed")
# Reading further back than this many years is refused as an implausible plan (a broken
# date_created, a mistyped redemptions_since, a Date header decades off) rather than sent
# as dozens of requests.
MAX_REDEMPTION_WINDOWS = 40


def year_windows(start: date, today: date) -> list[tuple[date, date]]:
    """Date ranges of at most a year from ``start`` to ``CLOCK_MARGIN`` past ``today``,
    each overlapping the next by a day (inclusive ends)."""
    result = []
    last = today + CLOCK_MARGIN
    while start < last:
        end = min(start + REDEMPTION_WINDOW, last)
        result.append((start, end))
        start = end
    return result


def plan_problem(start: date, today: date) -> str | None:
    """Why reading back to ``start`` is refused, or None."""
    needed = len(year_windows(start, today))
    if needed > MAX_REDEMPTION_WINDOWS:
        return (
            f"reading redemption history back to {start.isoformat()} would need {needed} "
            f"year windows (at most {MAX_REDEMPTION_WINDOWS})"
        )
    return None


def utc_day(value: Any) -> date | None:
    """A date in unix seconds or ISO 8601 (e.g. the profile's ``date_created``) as a day."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC).date()
        if isinstance(value, str) and value.strip().isdigit():
            return datetime.fromtimestamp(int(value), UTC).date()
        if isinstance(value, str) and value.strip():
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except (ValueError, OverflowError, OSError):
        return None
    return None


def date_value(record: Any) -> str | int | None:
    """The record's first date field as sent, when it is a plain value; else None (for
    grouping records that may be equal, not for comparing dates)."""
    if isinstance(record, dict):
        for field in REDEMPTION_DATE_FIELDS:
            value = record.get(field)
            if isinstance(value, str | int):  # a float may be NaN, unequal to itself
                return value
    return None


def newest_day(record: Any) -> date | None:
    """The newest of the record's parseable date fields: how old the record surely is,
    whichever field the service dates it by."""
    if not isinstance(record, dict):
        return None
    days = [d for f in REDEMPTION_DATE_FIELDS if (d := utc_day(record.get(f))) is not None]
    return max(days, default=None)
