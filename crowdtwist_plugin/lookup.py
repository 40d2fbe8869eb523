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
from crowdtwist_plugin.catalogue import LOOKUPS, Lookup
from crowdtwist_plugin.client import CrowdTwistClient
from crowdtwist_plugin.errors import InconsistentDataError, ResponseError
from crowdtwist_plugin.identifiers import Identifier, possibly_same, same
from crowdtwist_plugin.pacing import Priority
from crowdtwist_plugin.readings import SEARCH, Observed, ProgramReadings, is_active_member
from crowdtwist_plugin.settings import UserIdType
from crowdtwist_plugin.tasks import gather_all

ACTIVE_FLAGS = ("1", "0")
URGENT = Priority.URGENT  # every lookup decides what is read next


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


@attrs.frozen
class Possible:
    """A member who matches an identifier only under full Unicode case folding or NFKC: for
    a person to review, never acted on."""

    crowdtwist_id: int
    identifier: str  # the identifier's label
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "crowdtwist_id": self.crowdtwist_id,
            "identifier": self.identifier,
            "reason": self.reason,
        }


@attrs.frozen
class LookupPlan:
    """One way to look an identifier up: a catalogue ``Lookup`` row and the value sent."""

    row: Lookup
    value: str | int

    @classmethod
    def of(cls, identifier: Identifier, user_id_type: UserIdType) -> list[LookupPlan]:
        if identifier.category == "phone":
            return [cls(LOOKUPS["phone"], form) for form in identifier.phone_forms()]
        if identifier.category == "email":
            return [cls(LOOKUPS["email"], identifier.value)]
        value = int(identifier.value) if user_id_type == "id" else identifier.value
        return [cls(LOOKUPS[user_id_type], value)]

    @property
    def criteria(self) -> dict[str, Any]:
        return {self.row.search_field: self.value}

    def profile_is(self, identifier: Identifier, profile: dict[str, Any] | None) -> int | None:
        """The CrowdTwist id of ``profile`` if it is the identifier's user exactly."""
        if profile is None or not same(identifier, profile.get(self.row.profile_field)):
            return None
        return _profile_id(profile)

    def members_of(
        self, identifier: Identifier, members: list[dict[str, Any]]
    ) -> list[tuple[int, dict[str, Any]]]:
        """The search results that are the identifier's user exactly, with their ids."""
        return [
            (member_id, member)
            for member in members
            if (member_id := as_id(member.get("member_id"))) is not None
            and same(identifier, member.get(self.row.member_field))
        ]

    def possible(
        self, identifier: Identifier, profile: dict[str, Any] | None, members: list[dict[str, Any]]
    ) -> list[Possible]:
        """Members the answers hold that match only loosely (see ``Possible``)."""
        found: dict[int, str] = {}
        if profile is not None and possibly_same(identifier, profile.get(self.row.profile_field)):
            found[_profile_id(profile)] = f"the profile's {self.row.profile_field}"
        for member in members:
            member_id = as_id(member.get("member_id"))
            if member_id is not None and possibly_same(
                identifier, member.get(self.row.member_field)
            ):
                found.setdefault(member_id, f"a member search result's {self.row.member_field}")
        return [
            Possible(
                member_id,
                identifier.label,
                f"{where} equals it only under Unicode case folding or NFKC",
            )
            for member_id, where in found.items()
        ]


def _profile_id(profile: dict[str, Any]) -> int:
    profile_id = as_id(profile.get("id"))
    if profile_id is None:
        raise ResponseError("user object has no numeric id", endpoint=catalogue.PROFILE.name)
    return profile_id


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
    hits: list[_Hit]
    possible: list[Possible]


async def _lookup(
    client: CrowdTwistClient,
    identifier: Identifier,
    user_id_type: UserIdType,
    readings: ProgramReadings | None,
) -> _Lookup:
    plans = LookupPlan.of(identifier, user_id_type)
    answers = await gather_all(_ask(client, plan, readings) for plan in plans)
    hits: list[_Hit] = []
    possible: dict[int, Possible] = {}
    for plan, (profile, search) in zip(plans, answers, strict=True):
        if (profile_id := plan.profile_is(identifier, profile)) is not None:
            hits.append(_Hit(profile_id, profile=profile))
            must_hold(readings, search, profile_id)
        members = plan.members_of(identifier, search.members)
        hits += [_Hit(member_id, member=member) for member_id, member in members]
        for maybe in plan.possible(identifier, profile, search.members):
            possible.setdefault(maybe.crowdtwist_id, maybe)
    exact = {hit.crowdtwist_id for hit in hits}
    return _Lookup(identifier, hits, [p for i, p in possible.items() if i not in exact])


async def _ask(
    client: CrowdTwistClient, plan: LookupPlan, readings: ProgramReadings | None
) -> tuple[dict[str, Any] | None, Searched]:
    """The profile lookup and the member search of one plan, at once."""
    asked: list[Awaitable[Any]] = [
        profile_by(client, plan.value, plan.row.id_type),
        searched(client, plan.criteria, readings),
    ]
    profile, search = await gather_all(asked)
    return profile, search


@attrs.frozen
class Found:
    """Where the identifiers led: the users, the identifiers that led to nobody, and the
    members who match an identifier only loosely (for a person to review)."""

    subjects: list[Subject]
    not_found: list[str]
    possible: list[Possible]


def _merge(lookups: Iterable[_Lookup]) -> Found:
    subjects: dict[int, Subject] = {}
    not_found: list[str] = []
    possible: list[Possible] = []
    for lookup in lookups:
        identifier, hits = lookup.identifier, lookup.hits
        possible += lookup.possible
        if not hits and not lookup.possible:
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
    exact = set(subjects)
    possible = [p for p in possible if p.crowdtwist_id not in exact]
    return Found(sorted(subjects.values(), key=lambda s: s.crowdtwist_id), not_found, possible)


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
) -> Found:
    """The distinct users the identifiers lead to, the identifiers that led nowhere, and
    the possible matches.

    With ``complete`` every subject also carries its profile and member records. Without
    ``readings`` (deletion, erasure checks) both ``is_active`` values are always searched.
    """
    user_id_type = client.settings.user_id_type
    lookups = await gather_all(_lookup(client, i, user_id_type, readings) for i in identifiers)
    found = _merge(lookups)
    if complete:
        subjects = await gather_all(_complete(client, s, readings) for s in found.subjects)
        found = attrs.evolve(found, subjects=subjects)
    return found
