"""Which dates of redemption history to read, and what a redemption's date proves.

Redemption history accepts date ranges of at most a year, and what it returns without
dates is not documented: every redemption, or only the last 365 days. The undated answer
is read first and is the whole history once it holds a redemption older than a year
(then the service returns more than the last year). Otherwise the years before it are
read in windows back to the connection's ``redemptions_since`` (2009), or to the
profile's date_created if earlier: a redemption may predate the profile (imports).

Pure date arithmetic: the settings check a plan with it before any request is sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

REDEMPTION_WINDOW = timedelta(days=364)
# Under either reading the undated answer covers the last 365 days; the windows reach a
# week into that span, so a day boundary drawn differently by the service loses nothing.
UNDATED_SURELY_COVERS = timedelta(days=358)
# A redemption this old cannot be in a last-365-days answer, whatever the time zone.
OLDER_THAN_UNDATED = timedelta(days=370)
# Older than this, a redemption in an undated answer is remembered as proof that the answer
# holds everything: a month of margin, so a host clock days ahead proves nothing wrongly.
PROVES_EVERYTHING = timedelta(days=400)
# The redemption record's fields are not documented; these are the date fields CrowdTwist's
# redemption feeds use. A record without one proves nothing, and the windows are read.
REDEMPTION_DATE_FIELDS = ("order_date", "orderDate", "redemption_date", "date_redeemed")
# Reading further back than this many years is refused as an implausible plan (a broken
# date_created, a mistyped redemptions_since) rather than sent as dozens of requests.
MAX_REDEMPTION_WINDOWS = 40


def earlier_windows(start: date, today: date) -> list[tuple[date, date]]:
    """Date ranges of at most a year from ``start`` into the span the undated answer
    surely covers, each overlapping the next by a day (inclusive ends)."""
    result = []
    last = today - UNDATED_SURELY_COVERS
    while start < last:
        end = min(start + REDEMPTION_WINDOW, last)
        result.append((start, end))
        start = end
    return result


def plan_problem(start: date, today: date) -> str | None:
    """Why reading back to ``start`` is refused, or None."""
    needed = len(earlier_windows(start, today))
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


def one_between(records: list[Any], since: date, before: date) -> date | None:
    """The oldest date of a record (its first date field that parses) in [since, before),
    if any: the strongest evidence the records hold.

    A date before ``since`` (the plan's start) proves nothing: 0 or 1970 is more likely a
    placeholder than a redemption, and trusting it would skip every window.
    """
    low = int(datetime.combine(since, time(), UTC).timestamp())
    high = int(datetime.combine(before, time(), UTC).timestamp())
    oldest = high  # unix seconds; a day's date counts as its midnight
    for record in records:  # a plain loop: thousands of records, no call per record
        if not isinstance(record, dict):
            continue
        for field in REDEMPTION_DATE_FIELDS:
            value = record.get(field)
            if type(value) is int:  # unix seconds, the usual form: no date object needed
                if low <= value < oldest:
                    oldest = value
                break
            when = utc_day(value)
            if when is not None:
                midnight = int(datetime.combine(when, time(), UTC).timestamp())
                if low <= midnight < oldest:
                    oldest = midnight
                break
    return None if oldest == high else utc_day(oldest)
