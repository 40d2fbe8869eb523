"""The program's members and their records, with the documented identifier lookups."""

from __future__ import annotations

import datetime
import random
import re
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from .deletions import DeletionBook
from .extras import Extras, generate_extras
from .people import DEMO_PEOPLE, DemoPerson, population_person, scale_person
from .profiles import profile_for
from .sandbox_config import ID_TYPE_FIELDS, SandboxConfig
from .seed import DatedItems, IdSource, Records, generate_records, program_activities

_DIGITS = re.compile(r"[0-9]+")


@attrs.define
class Member:
    person: DemoPerson
    profile: dict[str, Any]
    records: Records
    extras: Extras

    @property
    def id(self) -> int:
        return self.person.crowdtwist_id


def _purchase_type(member: Member, purchase_id: str) -> str | None:
    for purchase in member.records.purchases.items:
        if purchase["purchase_id"] == purchase_id:
            return str(purchase["purchase_id_type"])
    return None


def _unix(value: Any) -> int:
    if isinstance(value, int):
        return value
    when = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return int(when.timestamp())


def _normalise(id_type: str, value: str) -> str:
    return value.casefold() if id_type == "email" else value


@attrs.define
class Store:
    members: dict[int, Member]
    deletions: DeletionBook
    activities: list[dict[str, Any]]
    anchor: int
    # id_types whose index still finds a member after its erasure (``lingering_identifiers``).
    lingering_id_types: frozenset[str] = frozenset()
    _index: dict[str, dict[str, int]] = attrs.field(factory=dict)
    _purchases: dict[str, int] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        for member_id, member in self.members.items():
            self._purchases.update(dict.fromkeys(member.extras.purchase_details, member_id))
        for id_type, field in ID_TYPE_FIELDS.items():
            self._index[id_type] = {
                _normalise(id_type, str(member.profile[field])): member_id
                for member_id, member in self.members.items()
                if member.profile.get(field) is not None
            }

    @classmethod
    def build(cls, config: SandboxConfig, anchor: int) -> Store:
        rng = random.Random(config.seed)
        ids = IdSource()
        people: Iterable[DemoPerson] = (
            list(DEMO_PEOPLE.values())
            + [
                scale_person(i, config.scale_records, config.scale_redemption_days)
                for i in range(config.scale_users)
            ]
            + [population_person(i, config.seed) for i in range(config.population)]
        )
        members = {}
        for person in people:
            profile = profile_for(person, rng, anchor)
            records = generate_records(rng, person.records, person.timeline, anchor, ids)
            extras = generate_extras(config.seed, person, records, profile, anchor)
            members[person.crowdtwist_id] = Member(person, profile, records, extras)
        return cls(
            members,
            DeletionBook(
                config.deletion_step_seconds,
                lag=config.erasure_lag_seconds,
                never_erased=config.erasure_fails,
            ),
            program_activities(anchor),
            anchor,
            frozenset(config.lingering_identifiers),
        )

    @property
    def today(self) -> datetime.date:
        """The day every seeded date is relative to (the sandbox's today, even past midnight)."""
        return datetime.datetime.fromtimestamp(self.anchor, datetime.UTC).date()

    def is_gone(self, member_id: int) -> bool:
        return self.deletions.is_erased(member_id)

    def find(self, id_type: str, value: str, *, erased_too: bool = False) -> Member | None:
        """The member that ``value`` identifies, unless unknown or erased (``erased_too``, or
        an id_type whose index lingers: found all the same)."""
        if id_type == "id" and not _DIGITS.fullmatch(value):
            return None
        member_id = self._index[id_type].get(_normalise(id_type, value))
        if member_id is None or not self.serves(member_id, erased_too, id_type):
            return None
        return self.members[member_id]

    def serves(self, member_id: int, erased_too: bool = False, id_type: str = "id") -> bool:
        """Whether an answer still shows the member: not erased, or erased but lingering."""
        return erased_too or id_type in self.lingering_id_types or not self.is_gone(member_id)

    def set_redemptions(self, member_id: int, records: list[dict[str, Any]], by: str) -> None:
        """Give a member these redemption records, dated (for date ranges and the undated
        span) by the field ``by``, unix seconds or ISO 8601, which every record carries: a
        service that filters on another field than the seeded ``order_date``."""
        member = self.members[member_id]
        dated = [(_unix(record[by]), record) for record in records]
        member.records = attrs.evolve(member.records, redemptions=DatedItems.build(dated))

    def purchase(
        self, purchase_id: str, id_type: str | None, *, erased_too: bool = False
    ) -> dict[str, Any] | None:
        """A purchase's detail by its id (and type, when given), unless its member is gone."""
        member_id = self._purchases.get(purchase_id)
        if member_id is None or not self.serves(member_id, erased_too):
            return None
        member = self.members[member_id]
        if id_type not in (None, _purchase_type(member, purchase_id)):
            return None
        return member.extras.purchase_details[purchase_id]

    def existing(self) -> Iterator[Member]:
        return (m for m in self.members.values() if not self.is_gone(m.id))
