"""The deletion ticket the host persists between calls: strict to read, JSON to write."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import attrs

from crowdtwist_plugin.errors import ConfigurationError


class Status(StrEnum):
    """One user's deletion progress."""

    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"


class State(StrEnum):
    """The whole ticket's state."""

    PENDING = "pending"
    COMPLETE = "complete"
    FAILED = "failed"


STATUS_RANK = {Status.QUEUED: 0, Status.IN_PROGRESS: 1, Status.COMPLETED: 2, Status.REJECTED: 2}
FINAL = frozenset({Status.COMPLETED, Status.REJECTED})
TICKET_KEYS = frozenset({"integration", "state", "submitted_at", "users", "not_found"})
# What the last call cost; read back, it is ignored (the new call has its own).
OPTIONAL_TICKET_KEYS = frozenset({"stats"})
USER_KEYS = frozenset({"crowdtwist_id", "matched", "status", "detail"})
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


@attrs.frozen
class UserDeletion:
    """One CrowdTwist user's deletion progress."""

    crowdtwist_id: int
    matched: tuple[str, ...]
    status: Status
    detail: str

    def advance(self, status: Status, detail: str) -> UserDeletion:
        """The newer of the two states: a status never goes backwards."""
        if STATUS_RANK[status] < STATUS_RANK[self.status]:
            return self
        return attrs.evolve(self, status=status, detail=detail)

    def to_json(self) -> dict[str, Any]:
        return {
            "crowdtwist_id": self.crowdtwist_id,
            "matched": list(self.matched),
            "status": self.status.value,
            "detail": self.detail,
        }


@attrs.frozen
class Ticket:
    integration: str
    submitted_at: str
    users: tuple[UserDeletion, ...]
    not_found: tuple[str, ...]

    def state(self, complete_on_submit: bool) -> State:
        done = {Status.COMPLETED}
        if complete_on_submit:
            done |= {Status.QUEUED, Status.IN_PROGRESS}
        statuses = [u.status for u in self.users]
        if all(s in done for s in statuses):
            return State.COMPLETE
        if Status.REJECTED in statuses and all(s in done | {Status.REJECTED} for s in statuses):
            return State.FAILED
        return State.PENDING

    def to_json(self, complete_on_submit: bool) -> dict[str, Any]:
        return {
            "integration": self.integration,
            "state": self.state(complete_on_submit).value,
            "submitted_at": self.submitted_at,
            "users": [u.to_json() for u in self.users],
            "not_found": list(self.not_found),
        }

    @classmethod
    def from_json(cls, ticket: object, integration: str) -> Ticket:
        """Read a ticket back, refusing anything this plugin did not write."""
        if not isinstance(ticket, Mapping):
            raise ConfigurationError(f"ticket must be a mapping, got {type(ticket).__name__}")
        if not TICKET_KEYS <= set(ticket) <= TICKET_KEYS | OPTIONAL_TICKET_KEYS:
            raise ConfigurationError(
                f"ticket must have exactly the keys {', '.join(sorted(TICKET_KEYS))} "
                "(and may carry stats)"
            )
        if ticket["integration"] != integration:
            raise ConfigurationError(
                f"ticket belongs to integration {ticket['integration']!r}, not {integration!r}"
            )
        if ticket["state"] not in tuple(State):
            raise ConfigurationError("ticket.state must be pending, complete or failed")
        submitted = ticket["submitted_at"]
        if not isinstance(submitted, str) or not _TIMESTAMP.fullmatch(submitted):
            raise ConfigurationError("ticket.submitted_at must be an ISO-8601 UTC timestamp")
        users, not_found = ticket["users"], ticket["not_found"]
        if not isinstance(users, list) or not isinstance(not_found, list):
            raise ConfigurationError("ticket.users and ticket.not_found must be lists")
        if not all(isinstance(n, str) for n in not_found):
            raise ConfigurationError("ticket.not_found must hold identifier strings")
        parsed = tuple(_user(i, u) for i, u in enumerate(users))
        ids = [u.crowdtwist_id for u in parsed]
        if len(set(ids)) != len(ids):
            raise ConfigurationError("ticket.users lists a CrowdTwist id twice")
        return cls(integration, submitted, parsed, tuple(not_found))


def _user(index: int, user: object) -> UserDeletion:
    where = f"ticket.users[{index}]"
    if not isinstance(user, Mapping) or set(user) != USER_KEYS:
        raise ConfigurationError(
            f"{where} must have exactly the keys {', '.join(sorted(USER_KEYS))}"
        )
    crowdtwist_id = user["crowdtwist_id"]
    if isinstance(crowdtwist_id, bool) or not isinstance(crowdtwist_id, int) or crowdtwist_id <= 0:
        raise ConfigurationError(f"{where}.crowdtwist_id must be a positive integer")
    if user["status"] not in tuple(Status):
        raise ConfigurationError(f"{where}.status must be one of {', '.join(Status)}")
    matched = user["matched"]
    if not isinstance(matched, list) or not all(isinstance(m, str) for m in matched):
        raise ConfigurationError(f"{where}.matched must be a list of strings")
    if not isinstance(user["detail"], str):
        raise ConfigurationError(f"{where}.detail must be a string")
    return UserDeletion(crowdtwist_id, tuple(matched), Status(user["status"]), user["detail"])
