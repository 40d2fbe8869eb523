"""Proof of erasure: once CrowdTwist says ``Deletion_completed``, check that the person is gone.

For every erased user, the fewest requests that prove it, all at once:

- its profile by CrowdTwist id;
- for each identifier that led to it, and each identifier its own profile carried at
  submit (``Held``), the lookups access uses: the profile by the identifier and member
  search with both ``is_active`` values (a phone: per stored form). A lookup that is the
  same request as another (the profile's email is the request's) is sent once, and a
  profile lookup by the CrowdTwist id not twice;
- every data set the access report reads by CrowdTwist id, one request each: its first
  page (redemption history: the undated read) must say "user not found" or hold nothing,
  and an object row (points, points expiration) must say "user not found", since it
  exists for every member. Purchase details are keyed by purchase id, not by the user:
  they are reached only through the purchase history, which is checked.

The user is verified when no lookup finds it any more and no data set answers for it; a
lookup that finds only another person (a new account with the same address) does not
count against it. The checks are kept by endpoint template and identifier kind, never
the identifier. A retryable fault raises, so the ticket the host holds stays as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from crowdtwist_plugin import catalogue
from crowdtwist_plugin.catalogue import BY_USER_ID, LOOKUPS, Resource
from crowdtwist_plugin.client import CrowdTwistClient
from crowdtwist_plugin.identifiers import Held, Identifier, held_by, parse_identifiers, same
from crowdtwist_plugin.lookup import LookupPlan, Subject, as_id, profile_by, search_members
from crowdtwist_plugin.pages import first_page
from crowdtwist_plugin.tasks import gather_all
from crowdtwist_plugin.ticket import (
    GONE,
    SOMEONE_ELSE,
    STILL_ANSWERS,
    STILL_THERE,
    Check,
    Proof,
    Status,
    UserDeletion,
)

# Every data set the report reads that is addressed by the user's CrowdTwist id.
DATA_SETS: tuple[Resource, ...] = BY_USER_ID


def verdict_of_checks(checks: Sequence[Check], checked_at: str) -> Proof:
    """Verified exactly when no check still finds the erased user or its data."""
    resolves = [f"{c.endpoint} by {c.by}" for c in checks if c.outcome == STILL_THERE]
    answers = [c.endpoint for c in checks if c.outcome == STILL_ANSWERS]
    if not resolves and not answers:
        return Proof(True, checked_at, tuple(checks))
    found = [f"the user still resolves ({', '.join(resolves)})"] if resolves else []
    if answers:
        found.append(f"data sets still answer for it ({', '.join(answers)})")
    failure = f"CrowdTwist reported Deletion_completed, but {' and '.join(found)}"
    return Proof(False, checked_at, tuple(checks), failure)


def due(users: Sequence[UserDeletion]) -> bool:
    """Whether the erasure of these users can be checked now: all completed, not all proved."""
    return (
        bool(users)
        and all(u.status is Status.COMPLETED for u in users)
        and not all(u.verified for u in users)
    )


async def held_identifiers(client: CrowdTwistClient, subject: Subject) -> tuple[Held, ...]:
    """The identifiers the subject's own profile carries, read by CrowdTwist id when the
    lookup did not return the profile (member search alone found the user)."""
    profile = subject.profile
    if profile is None:
        profile = await profile_by(client, subject.crowdtwist_id, "id")
    return held_by(profile or {})


async def prove(client: CrowdTwistClient, users: Sequence[UserDeletion]) -> list[UserDeletion]:
    """``users`` with a new proof for each one not verified yet."""
    checked_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    async def one(user: UserDeletion) -> UserDeletion:
        if user.verified:
            return user
        checks = await _checks(client, user)
        return attrs.evolve(user, proof=verdict_of_checks(checks, checked_at))

    return await gather_all(one(u) for u in users)


@attrs.frozen
class _Probe:
    """One way to look the person up: the kind the checks name, the lookup, and whether a
    value CrowdTwist holds is that identifier."""

    by: str
    plan: LookupPlan
    is_it: Callable[[Any], bool]


def _identifiers(client: CrowdTwistClient, user: UserDeletion) -> tuple[Identifier, ...]:
    """The identifiers that led to the user, read back from the ticket's labels (a label of
    another category is refused by ``parse_identifiers`` as a configuration error)."""
    labels: dict[str, list[str]] = {}
    for label in user.matched:
        category, _, value = label.partition(":")
        labels.setdefault(category, []).append(value)
    return parse_identifiers(labels, client.settings.user_id_type)


def _probes(client: CrowdTwistClient, user: UserDeletion) -> list[_Probe]:
    """Every distinct lookup: the request's identifiers first, then the profile's."""
    identifiers = _identifiers(client, user) if user.matched else ()  # may refuse: first
    user_id_type = client.settings.user_id_type
    probes = [
        _Probe(i.category, plan, functools.partial(same, i))
        for i in identifiers
        for plan in LookupPlan.of(i, user_id_type)
    ]
    probes += [_Probe(h.kind, LookupPlan(LOOKUPS[h.kind], h.value), h.is_it) for h in user.held]
    distinct: dict[tuple[str, str | int], _Probe] = {}
    for probe in probes:
        distinct.setdefault((probe.plan.row.id_type, probe.plan.value), probe)
    return list(distinct.values())


async def _checks(client: CrowdTwistClient, user: UserDeletion) -> list[Check]:
    erased = user.crowdtwist_id
    probes = _probes(client, user)  # may refuse a tampered ticket: before any request
    checks: list[Awaitable[Check]] = [_by_id(client, erased)]
    for probe in probes:
        if (probe.plan.row.id_type, probe.plan.value) != ("id", erased):
            checks.append(_profile_check(client, probe, erased))
        checks.append(_search_check(client, probe, erased))
    checks += [_data_set_check(client, resource, erased) for resource in DATA_SETS]
    return await gather_all(checks)


async def _by_id(client: CrowdTwistClient, erased: int) -> Check:
    reply = await client.request(catalogue.PROFILE, {"user_id": erased}, params={"id_type": "id"})
    if reply.user_not_found:
        return Check(catalogue.PROFILE.name, "crowdtwist_id", GONE)
    reply.expect_ok()
    return Check(catalogue.PROFILE.name, "crowdtwist_id", STILL_THERE)


async def _profile_check(client: CrowdTwistClient, probe: _Probe, erased: int) -> Check:
    """Still there when the profile the lookup returns is the erased user's, whatever field
    it holds."""
    plan = probe.plan
    profile = await profile_by(client, plan.value, plan.row.id_type)
    if profile is None:
        outcome = GONE
    elif as_id(profile.get("id")) == erased:
        outcome = STILL_THERE
    else:
        outcome = SOMEONE_ELSE if probe.is_it(profile.get(plan.row.profile_field)) else GONE
    return Check(catalogue.PROFILE.name, probe.by, outcome)


async def _search_check(client: CrowdTwistClient, probe: _Probe, erased: int) -> Check:
    members = await search_members(client, probe.plan.criteria)
    field = probe.plan.row.member_field
    if any(as_id(m.get("member_id")) == erased for m in members):
        outcome = STILL_THERE
    else:
        outcome = SOMEONE_ELSE if any(probe.is_it(m.get(field)) for m in members) else GONE
    return Check(catalogue.MEMBER_SEARCH.name, probe.by, outcome)


async def _data_set_check(client: CrowdTwistClient, resource: Resource, erased: int) -> Check:
    records = await first_page(client, resource, erased)
    outcome = STILL_ANSWERS if records else GONE
    return Check(resource.endpoint.name, "crowdtwist_id", outcome)
