"""``handle_access``: everything CrowdTwist holds on the data subject, or an error."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from crowdtwist_plugin.catalogue import (
    BY_USER_ID,
    COLLECTIONS,
    PROFILE,
    RESOURCES,
    Resource,
    scope,
)
from crowdtwist_plugin.categories import categorise
from crowdtwist_plugin.client import CrowdTwistClient, open_client
from crowdtwist_plugin.disclosure import withhold_report
from crowdtwist_plugin.errors import ResponseError
from crowdtwist_plugin.identifiers import parse_identifiers
from crowdtwist_plugin.lookup import Subject, find_subjects
from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.pacing.throttle import Throttles
from crowdtwist_plugin.pages import collection_of, fetch_paged, read_resource
from crowdtwist_plugin.progress import Progress
from crowdtwist_plugin.readings import NOT_SAVING, UNDATED, Observed, ProgramReadings
from crowdtwist_plugin.redemption_dates import (
    MORE_THAN_A_YEAR,
    date_value,
    newest_day,
    plan_problem,
    utc_day,
    year_windows,
)
from crowdtwist_plugin.settings import INTEGRATION, ConnectionSettings
from crowdtwist_plugin.tasks import gather_all


async def handle_access(
    connection: Mapping[str, Any],
    identifiers: Mapping[str, Any],
    options: ClientOptions,
    throttles: Throttles | None = None,
) -> dict[str, Any]:
    settings = ConnectionSettings.from_mapping(connection)
    wanted = parse_identifiers(identifiers, settings.user_id_type, settings.phone_region)
    readings = ProgramReadings(dict(settings.pinned_readings), decide=settings.decide_readings)
    async with open_client(settings, options, throttles) as client:
        found = await find_subjects(client, wanted, readings=readings)
        subjects = found.subjects
        data = await gather_all(collect(client, s, readings) for s in subjects)
        stats = client.stats
        stats.readings = readings.to_json()
    # Categories name what CrowdTwist holds, credentials included; then credentials leave
    # the records, once every read is done and repeats are gone.
    report = {
        "integration": INTEGRATION,
        "subjects": [
            _with_categories(
                {
                    "crowdtwist_id": subject.crowdtwist_id,
                    "matched": list(subject.matched),
                    "profile": subject.profile,
                    "members": list(subject.members),
                    "data": records,
                }
            )
            for subject, records in zip(subjects, data, strict=True)
        ],
        "not_found": found.not_found,
        "possible_matches": [p.to_json() for p in found.possible],
        "scope": scope(),
    }
    return {**withhold_report(report), "stats": stats.to_json()}


def _with_categories(subject: dict[str, Any]) -> dict[str, Any]:
    named = categorise(subject)
    return {**subject, "categories": named["categories"], "unclassified": named["unclassified"]}


async def collect(
    client: CrowdTwistClient, subject: Subject, readings: ProgramReadings
) -> dict[str, list[Any]]:
    """Every collection of the catalogue for one user, addressed by CrowdTwist id: the
    member's own collections at once, each followed by the detail reads its records call for."""
    user_id = subject.crowdtwist_id

    def read_one(resource: Resource) -> Awaitable[list[Any]]:
        if resource.dated:
            return redemptions(client, resource, user_id, subject.profile or {}, readings)
        return read_resource(client, resource, user_id)

    async def branch(resource: Resource) -> dict[str, list[Any]]:
        """A collection, then the detail reads of its records, as soon as it is read."""
        found = {resource.name: await read_one(resource)}
        for child in (r for r in RESOURCES if r.each == resource.name):
            found[child.name] = await _details(client, child, user_id, found[resource.name])
        return found

    data: dict[str, list[Any]] = {}
    for part in await gather_all(map(branch, BY_USER_ID)):
        data.update(part)
    return {name: data[name] for name in COLLECTIONS}


async def _details(
    client: CrowdTwistClient, resource: Resource, user_id: int, parents: list[Any]
) -> list[Any]:
    """One detail record per parent record, with the fields that name its parent."""
    named = [p for p in parents if isinstance(p, dict)]
    for parent in named:
        missing = [
            f for f in resource.from_record.values() if not isinstance(parent.get(f), str | int)
        ]
        if missing:
            raise ResponseError(
                f"a {resource.each} record without {', '.join(missing)}: its detail cannot be read",
                endpoint=resource.endpoint.name,
            )
    progress = Progress(resource.name, pages_known=len(named))  # one line for the collection
    answers = await gather_all(read_resource(client, resource, user_id, p, progress) for p in named)
    return [
        {**{f: parent[f] for f in resource.from_record.values()}, **detail}
        for parent, found in zip(named, answers, strict=True)
        for detail in found
    ]


async def redemptions(
    client: CrowdTwistClient,
    resource: Resource,
    crowdtwist_id: int,
    profile: Mapping[str, Any],
    readings: ProgramReadings,
) -> list[Any]:
    """Every redemption of the user, read back to the plan's start."""
    params = resource.query()
    # One progress for the collection, whatever number of date windows it takes.
    progress = Progress(collection_of(resource.endpoint))

    async def read(query: Mapping[str, str | int]) -> list[Any]:
        return await fetch_paged(
            client,
            resource.endpoint,
            {"user_id": crowdtwist_id},
            query,
            resource.list_keys,
            progress=progress,
        )

    today = client.today()
    created = utc_day(profile.get("date_created"))
    since = client.settings.redemptions_since
    start = since if created is None else min(since, created)
    problem = plan_problem(start, today)
    if problem is not None:  # a date_created or a Date header the settings could not check
        raise ResponseError(f"redemption history: {problem}", endpoint=PROFILE.name)
    return await read_redemptions(read, params, year_windows(start, today), today, readings)


Read = Callable[[Mapping[str, str | int]], Awaitable[list[Any]]]


async def read_redemptions(
    read: Read,
    params: Mapping[str, str | int],
    plan: list[tuple[date, date]],
    today: date,
    readings: ProgramReadings,
) -> list[Any]:
    """The undated answer, then, unless ``everything`` is pinned, every year window of
    ``plan``; what the answers show about the undated reading is observed."""
    if readings.saves(UNDATED):
        readings.saved(UNDATED, len(plan))
        return await read(params)
    undated, *windows = await gather_all(
        [
            read(params),
            *(
                read({**params, "date_start": first.isoformat(), "date_end": last.isoformat()})
                for first, last in plan
            ),
        ]
    )
    if (seen := undated_reading(undated, windows, today)) is not None:
        readings.observe(UNDATED, seen)
    # Windows overlap by a day, and the newest ones overlap the undated answer.
    return without_repeats([undated, *windows])


def undated_reading(undated: list[Any], windows: list[list[Any]], today: date) -> Observed | None:
    """What one subject's answers show: ``not_everything`` when a window held a record
    the undated answer did not; ``everything`` when the undated answer held every record
    of the windows and they reach back more than a year (by each record's newest date);
    else nothing (one old record alone proves nothing)."""
    held = {_canonical(record) for record in undated}
    lacked = [r for w in windows for r in w if _canonical(r) not in held]
    if lacked:
        newest = max((d for r in lacked if (d := newest_day(r)) is not None), default=None)
        month = "" if newest is None else f", the newest of {newest:%Y-%m}"
        return Observed(
            NOT_SAVING[UNDATED],
            f"the undated answer lacked {len(lacked)} redemption(s) a year window held{month}",
        )
    days = [d for w in windows for r in w if (d := newest_day(r)) is not None]
    oldest = min(days, default=None)
    if oldest is None or oldest > today - MORE_THAN_A_YEAR:
        return None
    return Observed(
        "everything",
        f"the undated answer held all {len(days)} dated redemption(s) of the year windows",
        back_to=f"{oldest:%Y-%m}",
    )


def _canonical(record: Any) -> str:
    return json.dumps(record, sort_keys=True)


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
