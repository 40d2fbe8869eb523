"""From the host's identifiers to CrowdTwist users, exactly: never another person.

Each email is looked up as a profile (``id_type=email``) and through member search, whose
``email_address`` criterion is a begins-with match: only results whose address equals the
identifier (case-insensitively) are kept. Member search returns only active members
unless ``is_active`` is sent, and what ``is_active=0`` means is not documented, so both
``is_active=0`` and ``is_active=1`` are searched, unless the operator pins
``member_search_is_active_0 = all`` (readings.py): then ``is_active=0`` alone, and a user
the profile lookup found that such a search lacks stops the call (the pin is wrong).
Results merge by CrowdTwist id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

import attrs

from crowdtwist_plugin import catalogue
from crowdtwist_plugin.client import CrowdTwistClient
from crowdtwist_plugin.errors import InconsistentDataError, ResponseError
from crowdtwist_plugin.pacing import Priority
from crowdtwist_plugin.readings import SEARCH, Observed, ProgramReadings, is_active_member
from crowdtwist_plugin.settings import Identifier, UserIdType, email_key
from crowdtwist_plugin.tasks import gather_all

ACTIVE_FLAGS = ("1", "0")
URGENT = Priority.URGENT  # every lookup decides what is read next
# Which profile field and member-search criterion a user id of each type is compared with.
PROFILE_FIELD: dict[UserIdType, str] = {
    "third_party_id": "third_party_id",
    "id": "id",
    "username": "username",
}
SEARCH_FIELD: dict[UserIdType, str] = {
    "third_party_id": "third_party_id",
    "id": "member_id",
    "username": "username",
}
MEMBER_FIELD: dict[UserIdType, str] = {
    "third_party_id": "third_party_id",
    "id": "member_id",
    "username": "user_name",
}


@attrs.frozen
class Subject:
    """One CrowdTwist user and every identifier that led to it."""

    crowdtwist_id: int
    matched: tuple[str, ...]
    profile: dict[str, Any] | None = None
    members: tuple[dict[str, Any], ...] = ()


@attrs.frozen
class _Hit:
    crowdtwist_id: int
    profile: dict[str, Any] | None = None
    member: dict[str, Any] | None = None


def as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def same(identifier: Identifier, value: Any) -> bool:
    if value is None:
        return False
    if identifier.category == "email":
        return isinstance(value, str) and email_key(value) == email_key(identifier.value)
    return str(value) == identifier.value


@attrs.frozen
class LookupPlan:
    """How one identifier is looked up: the profile's ``id_type`` and the field its answer
    must equal, and the member-search criteria and the field each member must equal."""

    id_type: str
    profile_field: str
    criteria: dict[str, Any]
    member_field: str

    @classmethod
    def of(cls, identifier: Identifier, user_id_type: UserIdType) -> LookupPlan:
        if identifier.category == "email":
            return cls(
                "email", "email_address", {"email_address": identifier.value}, "email_address"
            )
        value: Any = int(identifier.value) if user_id_type == "id" else identifier.value
        return cls(
            user_id_type,
            PROFILE_FIELD[user_id_type],
            {SEARCH_FIELD[user_id_type]: value},
            MEMBER_FIELD[user_id_type],
        )

    def profile_is(self, identifier: Identifier, profile: dict[str, Any] | None) -> int | None:
        """The CrowdTwist id of ``profile`` if it is the identifier's user exactly."""
        if profile is None or not same(identifier, profile.get(self.profile_field)):
            return None
        profile_id = as_id(profile.get("id"))
        if profile_id is None:
            raise ResponseError("user object has no numeric id", endpoint=catalogue.PROFILE.name)
        return profile_id

    def members_of(
        self, identifier: Identifier, members: list[dict[str, Any]]
    ) -> list[tuple[int, dict[str, Any]]]:
        """The search results that are the identifier's user exactly, with their ids."""
        return [
            (member_id, member)
            for member in members
            if (member_id := as_id(member.get("member_id"))) is not None
            and same(identifier, member.get(self.member_field))
        ]


async def profile_by(
    client: CrowdTwistClient, user_id: str | int, id_type: str
) -> dict[str, Any] | None:
    reply = await client.request(
        catalogue.PROFILE, {"user_id": user_id}, params={"id_type": id_type}, priority=URGENT
    )
    if reply.user_not_found:
        return None
    return reply.json_object()


async def _search(
    client: CrowdTwistClient, criteria: dict[str, Any], is_active: str
) -> list[dict[str, Any]]:
    reply = await client.request(
        catalogue.MEMBER_SEARCH,
        params={"is_active": is_active},
        json_body=criteria,
        priority=URGENT,
    )
    if reply.user_not_found:
        return []
    return [m for m in reply.records(("members",)) if isinstance(m, dict)]


@attrs.frozen
class Searched:
    """A member search's results; ``one_sided``: only ``is_active=0`` was sent (``all``)."""

    members: list[dict[str, Any]]
    one_sided: bool = False


async def search_members(
    client: CrowdTwistClient, criteria: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every member the criteria match, active or not: both ``is_active`` values."""
    return (await searched(client, criteria, None)).members


async def searched(
    client: CrowdTwistClient, criteria: dict[str, Any], readings: ProgramReadings | None
) -> Searched:
    """Every member the criteria match: both ``is_active`` answers, or ``is_active=0``
    alone when ``all`` is pinned."""
    if readings is not None and readings.saves(SEARCH):
        readings.saved(SEARCH, 1)
        return Searched(await _search(client, criteria, "0"), one_sided=True)
    active, zero = await gather_all(_search(client, criteria, flag) for flag in ACTIVE_FLAGS)
    if readings is not None and (seen := search_reading(active, zero)) is not None:
        readings.observe(SEARCH, seen)
    return Searched([*active, *zero])


def search_reading(active: list[dict[str, Any]], zero: list[dict[str, Any]]) -> Observed | None:
    """What the two answers show about ``is_active=0``: ``all`` when it held an active
    member that ``is_active=1`` returned too; ``inactive_only`` when it lacked one."""
    in_zero = {as_id(m.get("member_id")) for m in zero}
    both = [m for m in active if is_active_member(m)]
    lacked = sum(1 for m in both if as_id(m.get("member_id")) not in in_zero)
    if lacked:
        return Observed("inactive_only", f"an is_active=0 answer lacked {_members(lacked)}")
    if both:
        return Observed("all", f"an is_active=0 answer held {_members(len(both))} is_active=1 did")
    return None


def _members(count: int) -> str:
    return f"{count} active member" + ("" if count == 1 else "s")


def must_hold(readings: ProgramReadings | None, search: Searched, user_id: int) -> None:
    """A one-sided search (``all`` pinned) must hold the user the profile lookup found,
    whatever that profile's flag says: if not, the pin is wrong and the call stops."""
    if readings is None or not search.one_sided:
        return
    if not any(as_id(m.get("member_id")) == user_id for m in search.members):
        readings.contradicted(
            SEARCH, "the profile lookup found a member an is_active=0 search did not return"
        )


@attrs.frozen
class _Lookup:
    identifier: Identifier
    plan: LookupPlan
    profile_hit: _Hit | None
    search: Searched

    @property
    def hits(self) -> list[_Hit]:
        members = self.plan.members_of(self.identifier, self.search.members)
        found = [_Hit(member_id, member=member) for member_id, member in members]
        return found if self.profile_hit is None else [self.profile_hit, *found]


async def _lookup(
    client: CrowdTwistClient,
    identifier: Identifier,
    user_id_type: UserIdType,
    readings: ProgramReadings | None,
) -> _Lookup:
    plan = LookupPlan.of(identifier, user_id_type)
    searches: list[Awaitable[Any]] = [
        profile_by(client, identifier.value, plan.id_type),
        searched(client, plan.criteria, readings),
    ]
    profile, search = await gather_all(searches)
    profile_hit = None
    if (profile_id := plan.profile_is(identifier, profile)) is not None:
        profile_hit = _Hit(profile_id, profile=profile)
        must_hold(readings, search, profile_id)
    return _Lookup(identifier, plan, profile_hit, search)


def _merge(found: Iterable[tuple[Identifier, list[_Hit]]]) -> tuple[list[Subject], list[str]]:
    subjects: dict[int, Subject] = {}
    not_found: list[str] = []
    for identifier, hits in found:
        if not hits:
            not_found.append(identifier.label)
        for hit in hits:
            subject = subjects.get(hit.crowdtwist_id) or Subject(hit.crowdtwist_id, ())
            matched = subject.matched
            if identifier.label not in matched:
                matched = (*matched, identifier.label)
            members = subject.members
            if hit.member is not None and hit.member not in members:
                members = (*members, hit.member)
            subjects[hit.crowdtwist_id] = Subject(
                hit.crowdtwist_id, matched, subject.profile or hit.profile, members
            )
    return sorted(subjects.values(), key=lambda s: s.crowdtwist_id), not_found


async def _complete(
    client: CrowdTwistClient, subject: Subject, readings: ProgramReadings | None
) -> Subject:
    """Fill in the profile and member records a subject's lookups did not return."""
    profile, members = subject.profile, subject.members
    if profile is None:
        profile = await profile_by(client, subject.crowdtwist_id, "id")
        if profile is None:
            raise InconsistentDataError(
                "member search found a user that the profile lookup does not know",
                endpoint=catalogue.PROFILE.name,
            )
    if not members:
        search = await searched(client, {"member_id": subject.crowdtwist_id}, readings)
        must_hold(readings, search, subject.crowdtwist_id)
        found = search.members
        members = tuple(m for m in found if as_id(m.get("member_id")) == subject.crowdtwist_id)
        members = tuple(m for i, m in enumerate(members) if m not in members[:i])
    return attrs.evolve(subject, profile=profile, members=members)


async def find_subjects(
    client: CrowdTwistClient,
    identifiers: Sequence[Identifier],
    *,
    complete: bool = True,
    readings: ProgramReadings | None = None,
) -> tuple[list[Subject], list[str]]:
    """The distinct users the identifiers lead to, and the identifiers that led nowhere.

    With ``complete`` every subject also carries its profile and member records. Without
    ``readings`` (deletion, erasure checks) both ``is_active`` values are always searched.
    """
    user_id_type = client.settings.user_id_type
    lookups = await gather_all(_lookup(client, i, user_id_type, readings) for i in identifiers)
    subjects, not_found = _merge((x.identifier, x.hits) for x in lookups)
    if complete:
        subjects = await gather_all(_complete(client, s, readings) for s in subjects)
    return subjects, not_found
