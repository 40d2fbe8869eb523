"""``handle_access``: everything CrowdTwist holds on the data subject, or an error."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from crowdtwist_plugin import endpoints
from crowdtwist_plugin.client import CrowdTwistClient, open_client
from crowdtwist_plugin.errors import ResponseError
from crowdtwist_plugin.lookup import Subject, find_subjects
from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.pages import collection_of, fetch_list, fetch_numbered, fetch_paged
from crowdtwist_plugin.progress import Progress
from crowdtwist_plugin.settings import INTEGRATION, ConnectionSettings, parse_identifiers
from crowdtwist_plugin.tasks import gather_all
from crowdtwist_plugin.throttle import Throttles

# Redemption history accepts date ranges of at most a year, and what it returns without
# dates is not documented: every redemption, or only the last 365 days. The undated answer
# is read first and is the whole history once it holds a redemption older than a year
# (then the service returns more than the last year). Otherwise the years before it are
# read in windows back to the connection's ``redemptions_since`` (2009), or to the
# profile's date_created if earlier: a redemption may predate the profile (imports).
REDEMPTION_WINDOW = timedelta(days=364)
# Under either reading the undated answer covers the last 365 days; the windows reach a
# week into that span, so a day boundary drawn differently by the service loses nothing.
UNDATED_SURELY_COVERS = timedelta(days=358)
# A redemption this old cannot be in a last-365-days answer, whatever the time zone.
OLDER_THAN_UNDATED = timedelta(days=370)
# The redemption record's fields are not documented; these are the date fields CrowdTwist's
# redemption feeds use. A record without one proves nothing, and the windows are read.
REDEMPTION_DATE_FIELDS = ("order_date", "orderDate", "redemption_date", "date_redeemed")
# CrowdTwist dates from 2009: a member older than this many years is a broken profile, and
# reading it would mean a window per year back to its claimed creation.
MAX_REDEMPTION_WINDOWS = 40


async def handle_access(
    connection: Mapping[str, Any],
    identifiers: Mapping[str, Any],
    options: ClientOptions,
    throttles: Throttles | None = None,
) -> dict[str, Any]:
    settings = ConnectionSettings.from_mapping(connection)
    wanted = parse_identifiers(identifiers, settings.user_id_type)
    async with open_client(settings, options, throttles) as client:
        subjects, not_found = await find_subjects(client, wanted)
        data = await gather_all(collect(client, s) for s in subjects)
        stats = client.stats
    return {
        "integration": INTEGRATION,
        "subjects": [
            {
                "crowdtwist_id": subject.crowdtwist_id,
                "matched": list(subject.matched),
                "profile": subject.profile,
                "members": list(subject.members),
                "data": categories,
            }
            for subject, categories in zip(subjects, data, strict=True)
        ],
        "not_found": not_found,
        "stats": stats.to_json(),
    }


async def collect(client: CrowdTwistClient, subject: Subject) -> dict[str, list[Any]]:
    """Every category for one user, addressed by numeric id with ``id_type=id``."""
    user = {"user_id": subject.crowdtwist_id}
    by_id = {"id_type": "id"}
    fetches: dict[str, Awaitable[list[Any]]] = {
        "activities": fetch_list(client, endpoints.ACTIVITIES, user, by_id, ("activities",)),
        "activity_history": fetch_numbered(client, endpoints.ACTIVITY_HISTORY, user, by_id),
        "rewards": fetch_list(client, endpoints.REWARDS, user, by_id, ("rewards",)),
        "purchases": fetch_paged(
            client,
            endpoints.PURCHASES,
            user,
            by_id,
            ("purchases",),
            absent_codes=frozenset({"user_not_found"}),
        ),
        "receipts": fetch_paged(
            client,
            endpoints.RECEIPTS,
            user,
            {**by_id, "page_size": endpoints.RECEIPTS_PAGE_SIZE},
            ("submitted_receipts", "receipts"),
            absent_codes=frozenset({"receipt_scanning_inactive"}),
        ),
        "redemptions": redemptions(client, subject.crowdtwist_id, subject.profile or {}),
    }
    results = await gather_all(fetches.values())
    return dict(zip(fetches, results, strict=True))


async def redemptions(
    client: CrowdTwistClient, crowdtwist_id: int, profile: Mapping[str, Any]
) -> list[Any]:
    params: dict[str, str | int] = {"id_type": "id", "page_size": endpoints.REDEMPTIONS_PAGE_SIZE}
    # One progress for the collection, whatever number of date windows it takes.
    progress = Progress(collection_of(endpoints.REDEMPTIONS))

    async def read(query: Mapping[str, str | int]) -> list[Any]:
        return await fetch_paged(
            client,
            endpoints.REDEMPTIONS,
            {"user_id": crowdtwist_id},
            query,
            ("rewards", "redemptions"),
            progress=progress,
        )

    undated = await read(params)
    today = client.options.today()
    if holds_one_before(undated, today - OLDER_THAN_UNDATED):
        return undated
    planned = earlier_windows(
        _earliest(client.settings.redemptions_since, utc_day(profile.get("date_created"))),
        today,
    )
    if len(planned) > MAX_REDEMPTION_WINDOWS:
        raise ResponseError(
            f"date_created {profile.get('date_created')!r:.30} would need {len(planned)} year "
            f"windows of redemption history (at most {MAX_REDEMPTION_WINDOWS})",
            endpoint=endpoints.PROFILE.name,
        )
    windows = await gather_all(
        read({**params, "date_start": start.isoformat(), "date_end": end.isoformat()})
        for start, end in planned
    )
    # Windows overlap by a day, and the newest overlaps the undated answer.
    return without_repeats([r for read in (undated, *windows) for r in read])


def without_repeats(records: list[Any]) -> list[Any]:
    """``records`` without the ones equal to an earlier one (compared as canonical JSON).

    Only records sharing their date value can be equal, so only those are serialised:
    with date windows that overlap by a day, a few dozen rather than thousands.
    """
    dates = [_date_value(record) for record in records]
    shared = {value for value, n in Counter(dates).items() if n > 1}
    seen: set[str] = set()
    unique = []
    for record, value in zip(records, dates, strict=True):
        if value in shared:
            key = json.dumps(record, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
        unique.append(record)
    return unique


def _date_value(record: Any) -> str | int | None:
    """The record's first date field as sent, when it is a plain value; else None."""
    if isinstance(record, dict):
        for field in REDEMPTION_DATE_FIELDS:
            value = record.get(field)
            if isinstance(value, str | int):  # a float may be NaN, unequal to itself
                return value
    return None


def _earliest(since: date, created: date | None) -> date:
    return since if created is None else min(since, created)


def holds_one_before(records: list[Any], day: date) -> bool:
    """Whether a record's date (its first date field that parses) lies before ``day``."""
    unix = int(datetime.combine(day, time(), UTC).timestamp())
    for record in records:  # a plain loop: thousands of records, no call per record
        if not isinstance(record, dict):
            continue
        for field in REDEMPTION_DATE_FIELDS:
            value = record.get(field)
            if type(value) is int:  # unix seconds, the usual form: no date object needed
                if value < unix:
                    return True
                break
            when = utc_day(value)
            if when is not None:
                if when < day:
                    return True
                break
    return False


def utc_day(value: Any) -> date | None:
    """A date in unix seconds or ISO 8601 (e.g. the profile's ``date_created``) as a UTC day."""
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
