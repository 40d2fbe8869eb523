"""Proof of erasure: once CrowdTwist says ``Deletion_completed``, check that the person is gone.

For every erased user, the fewest requests that prove it: its profile by CrowdTwist id,
and for each identifier that led to it the lookups access uses (the profile by the
identifier, member search with exact matching, both ``is_active`` values), skipping a
profile lookup that is the same request as the one by id. The user is verified when none
of them finds it any more; a lookup that finds only another person (a new account with
the same address) does not count against it. The checks are kept by endpoint template
and identifier kind, never the identifier. A retryable fault raises, so the ticket the
host holds stays as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime

import attrs

from crowdtwist_plugin import catalogue
from crowdtwist_plugin.client import CrowdTwistClient
from crowdtwist_plugin.identifiers import Identifier, parse_identifiers
from crowdtwist_plugin.lookup import LookupPlan, as_id, profile_by, search_members
from crowdtwist_plugin.tasks import gather_all
from crowdtwist_plugin.ticket import (
    GONE,
    SOMEONE_ELSE,
    STILL_THERE,
    Check,
    Proof,
    Status,
    UserDeletion,
)


def judge(checks: Sequence[Check], checked_at: str) -> Proof:
    """Verified exactly when no check still finds the erased user."""
    found = [c for c in checks if c.outcome == STILL_THERE]
    if not found:
        return Proof(True, checked_at, tuple(checks))
    where = ", ".join(f"{c.endpoint} by {c.by}" for c in found)
    failure = f"CrowdTwist reported Deletion_completed, but the user still resolves ({where})"
    return Proof(False, checked_at, tuple(checks), failure)


def due(users: Sequence[UserDeletion]) -> bool:
    """Whether the erasure of these users can be checked now: all completed, not all proved."""
    return (
        bool(users)
        and all(u.status is Status.COMPLETED for u in users)
        and not all(u.verified for u in users)
    )


async def prove(client: CrowdTwistClient, users: Sequence[UserDeletion]) -> list[UserDeletion]:
    """``users`` with a new proof for each one not verified yet."""
    checked_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    async def one(user: UserDeletion) -> UserDeletion:
        if user.verified:
            return user
        checks = await _checks(client, user)
        return attrs.evolve(user, proof=judge(checks, checked_at))

    return await gather_all(one(u) for u in users)


def _identifiers(client: CrowdTwistClient, user: UserDeletion) -> tuple[Identifier, ...]:
    """The identifiers that led to the user, read back from the ticket's labels (a label of
    another category is refused by ``parse_identifiers`` as a configuration error)."""
    labels: dict[str, list[str]] = {}
    for label in user.matched:
        category, _, value = label.partition(":")
        labels.setdefault(category, []).append(value)
    return parse_identifiers(labels, client.settings.user_id_type)


async def _checks(client: CrowdTwistClient, user: UserDeletion) -> list[Check]:
    erased = user.crowdtwist_id
    user_id_type = client.settings.user_id_type
    identifiers = _identifiers(client, user) if user.matched else ()  # may refuse: first
    checks: list[Awaitable[Check]] = [_by_id(client, erased)]
    for identifier in identifiers:
        same_as_by_id = identifier.category == "user_id" and user_id_type == "id"
        for plan in LookupPlan.of(identifier, user_id_type):
            if not (same_as_by_id and as_id(identifier.value) == erased):
                checks.append(_profile_check(client, identifier, plan, erased))
            checks.append(_search_check(client, identifier, plan, erased))
    return await gather_all(checks)


async def _by_id(client: CrowdTwistClient, erased: int) -> Check:
    reply = await client.request(catalogue.PROFILE, {"user_id": erased}, params={"id_type": "id"})
    if reply.user_not_found:
        return Check(catalogue.PROFILE.name, "crowdtwist_id", GONE)
    reply.expect_ok()
    return Check(catalogue.PROFILE.name, "crowdtwist_id", STILL_THERE)


async def _profile_check(
    client: CrowdTwistClient, identifier: Identifier, plan: LookupPlan, erased: int
) -> Check:
    profile = await profile_by(client, plan.value, plan.row.id_type)
    found = plan.profile_is(identifier, profile)
    outcome = GONE if found is None else STILL_THERE if found == erased else SOMEONE_ELSE
    return Check(catalogue.PROFILE.name, identifier.category, outcome)


async def _search_check(
    client: CrowdTwistClient, identifier: Identifier, plan: LookupPlan, erased: int
) -> Check:
    members = await search_members(client, plan.criteria)
    found = {member_id for member_id, _ in plan.members_of(identifier, members)}
    outcome = STILL_THERE if erased in found else SOMEONE_ELSE if found else GONE
    return Check(catalogue.MEMBER_SEARCH.name, identifier.category, outcome)
