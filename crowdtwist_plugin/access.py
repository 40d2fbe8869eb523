"""``handle_access``: everything CrowdTwist holds on the data subject, or an error."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from crowdtwist_plugin import endpoints
from crowdtwist_plugin.client import CrowdTwistClient, open_client
from crowdtwist_plugin.disclosure import withhold_report
from crowdtwist_plugin.errors import ResponseError
from crowdtwist_plugin.knowledge import FleetKnowledge, Knowledge, ProgramReadings, fingerprint
from crowdtwist_plugin.lookup import Subject, find_subjects
from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.pacing.throttle import Throttles
from crowdtwist_plugin.pages import collection_of, fetch_list, fetch_numbered, fetch_paged
from crowdtwist_plugin.progress import Progress
from crowdtwist_plugin.readings import UNDATED
from crowdtwist_plugin.redemption_dates import (
    OLDER_THAN_UNDATED,
    PROVES_EVERYTHING,
    date_value,
    earlier_windows,
    one_between,
    plan_problem,
    utc_day,
)
from crowdtwist_plugin.settings import INTEGRATION, ConnectionSettings, parse_identifiers
from crowdtwist_plugin.tasks import gather_all


async def handle_access(
    connection: Mapping[str, Any],
    identifiers: Mapping[str, Any],
    options: ClientOptions,
    throttles: Throttles | None = None,
    knowledge: Knowledge | None = None,
) -> dict[str, Any]:
    settings = ConnectionSettings.from_mapping(connection)
    wanted = parse_identifiers(identifiers, settings.user_id_type)
    async with open_client(settings, options, throttles) as client:
        readings = await program_readings(client, knowledge or Knowledge())
        subjects, not_found = await find_subjects(client, wanted, readings=readings)
        data = await gather_all(collect(client, s, readings) for s in subjects)
        stats = client.stats
        stats.readings = readings.to_json()
    # Credentials leave the records last, once every read is done and repeats are gone.
    report = {
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
    }
    return {**withhold_report(report), "stats": stats.to_json()}


async def program_readings(client: CrowdTwistClient, knowledge: Knowledge) -> ProgramReadings:
    """The readings this call follows, shared with the fleet when it shares a budget."""
    settings = client.settings
    connection = fingerprint(settings.api_key.reveal(), settings.api_origin, settings.pos_origin)
    fleet = None if client.fleet is None else FleetKnowledge(client.fleet, connection)
    readings = ProgramReadings(
        dict(settings.pinned_readings),
        connection,
        knowledge,
        fleet,
        decide=settings.decide_readings,
    )
    await readings.load()
    return readings


async def collect(
    client: CrowdTwistClient, subject: Subject, readings: ProgramReadings
) -> dict[str, list[Any]]:
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
        "redemptions": redemptions(client, subject.crowdtwist_id, subject.profile or {}, readings),
    }
    results = await gather_all(fetches.values())
    return dict(zip(fetches, results, strict=True))


async def redemptions(
    client: CrowdTwistClient,
    crowdtwist_id: int,
    profile: Mapping[str, Any],
    readings: ProgramReadings,
) -> list[Any]:
    """Every redemption of the user, read back to the plan's start."""
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

    today = client.options.today()
    created = utc_day(profile.get("date_created"))
    since = client.settings.redemptions_since
    start = since if created is None else min(since, created)
    problem = plan_problem(start, today)
    if problem is not None:  # only an earlier date_created can get here: settings check
        raise ResponseError(
            f"the profile's date_created: {problem}", endpoint=endpoints.PROFILE.name
        )
    return await read_redemptions(read, params, start, today, readings)


Read = Callable[[Mapping[str, str | int]], Awaitable[list[Any]]]


async def read_redemptions(
    read: Read,
    params: Mapping[str, str | int],
    start: date,
    today: date,
    readings: ProgramReadings,
) -> list[Any]:
    """The undated answer, then the year windows back to ``start`` unless the undated
    answer is known or proven to hold everything. A window's redemption older than an
    undated last-365-days answer could hold proves that reading."""
    undated = await read(params)
    older = today - OLDER_THAN_UNDATED
    plan = earlier_windows(start, today)
    if (dated := one_between(undated, start, older)) is not None:
        evidence = f"undated answer held a redemption of {dated:%Y-%m}"
        firm = dated < today - PROVES_EVERYTHING
        await readings.proved(UNDATED, "everything", evidence, remember=firm)
        return undated
    if readings.value(UNDATED) == "everything":
        readings.saved(UNDATED, len(plan))
        return undated
    windows = await gather_all(
        read({**params, "date_start": first.isoformat(), "date_end": last.isoformat()})
        for first, last in plan
    )
    if (dated := one_between([r for w in windows for r in w], start, older)) is not None:
        evidence = f"a year window held a redemption of {dated:%Y-%m} the undated answer did not"
        await readings.proved(UNDATED, "last_365_days", evidence)
    # Windows overlap by a day, and the newest overlaps the undated answer.
    return without_repeats([undated, *windows])


def without_repeats(reads: list[list[Any]]) -> list[Any]:
    """Every read's records, less those equal to a record of an earlier read (compared as
    canonical JSON). Equal records within one read are two redemptions and both stay.

    Only records sharing their date value can be equal, so only those are serialised:
    with date windows that overlap by a day, a few dozen rather than thousands.
    """
    dates = [[date_value(record) for record in read] for read in reads]
    shared = {value for value, n in Counter(d for read in dates for d in read).items() if n > 1}
    seen: set[str] = set()
    unique = []
    for read, read_dates in zip(reads, dates, strict=True):
        this_read: set[str] = set()
        for record, value in zip(read, read_dates, strict=True):
            if value in shared:
                key = json.dumps(record, sort_keys=True)
                if key in seen:
                    continue
                this_read.add(key)
            unique.append(record)
        seen |= this_read
    return unique
