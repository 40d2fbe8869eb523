"""``handle_access``: everything CrowdTwist holds on the data subject, or an error."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Mapping
from datetime import UTC, date, datetime, timedelta
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

# The redemption history accepts date ranges of at most a year, and what it returns
# without dates is not documented: read it without dates and, from the member's creation
# on, in overlapping windows shorter than a year, then drop the records seen twice.
REDEMPTION_WINDOW = timedelta(days=364)
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
    ranges: list[dict[str, str | int]] = [params]
    created = member_since(profile.get("date_created"))
    if created is not None:
        planned = windows(created, client.options.today())
        if len(planned) > MAX_REDEMPTION_WINDOWS:
            raise ResponseError(
                f"date_created {created.isoformat()} would need {len(planned)} year windows "
                f"of redemption history (at most {MAX_REDEMPTION_WINDOWS})",
                endpoint=endpoints.PROFILE.name,
            )
        ranges += [
            {**params, "date_start": start.isoformat(), "date_end": end.isoformat()}
            for start, end in planned
        ]
    # One progress for the collection, whatever number of date windows it takes.
    progress = Progress(collection_of(endpoints.REDEMPTIONS))
    pages = await gather_all(
        fetch_paged(
            client,
            endpoints.REDEMPTIONS,
            {"user_id": crowdtwist_id},
            query,
            ("rewards", "redemptions"),
            progress=progress,
        )
        for query in ranges
    )
    seen: set[str] = set()
    unique = []
    for record in (r for page in pages for r in page):
        key = json.dumps(record, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(record)
    return unique


def member_since(value: Any) -> date | None:
    """The profile's ``date_created`` (unix seconds or ISO 8601) as a UTC date."""
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


def windows(start: date, today: date) -> list[tuple[date, date]]:
    """Date ranges shorter than a year covering ``start`` to tomorrow, overlapping by a day."""
    result = []
    last = today + timedelta(days=1)
    while start < last:
        end = min(start + REDEMPTION_WINDOW, last)
        result.append((start, end))
        start = end
    return result
