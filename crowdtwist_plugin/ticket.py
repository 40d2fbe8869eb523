"""The deletion ticket the host persists between calls: strict to read, JSON to write."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import attrs

from crowdtwist_plugin.errors import ConfigurationError
from crowdtwist_plugin.identifiers import PROFILE_FIELDS, Held, parse_held


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


class Verification(StrEnum):
    """Whether the erasure was proved (``erasure.py``), for the whole ticket."""

    PENDING = "pending"  # some user's deletion is not completed yet
    VERIFIED = "verified"  # every user completed and proved gone
    FAILED = "failed"  # a completed user still resolves; checked again on the next call
    NOT_APPLICABLE = "not_applicable"  # complete on submit, nobody matched, or refused
    OFF = "off"  # verify_erasure = false


@attrs.frozen
class Check:
    """One request of an erasure proof: the endpoint template, the kind of identifier it
    looked up (``CHECK_BY``, never the value) and what it found (``OUTCOMES``)."""

    endpoint: str
    by: str
    outcome: str

    def to_json(self) -> dict[str, str]:
        return {"endpoint": self.endpoint, "by": self.by, "outcome": self.outcome}


GONE = "not found"
STILL_THERE = "still resolves to the erased user"
SOMEONE_ELSE = "resolves only to another user"
STILL_ANSWERS = "still answers for the erased user"  # a data set: records, or a 200 object
OUTCOMES = (GONE, STILL_THERE, SOMEONE_ELSE, STILL_ANSWERS)
# The request's identifier categories, the kinds a profile carries, and the CrowdTwist id.
CHECK_BY = tuple(dict.fromkeys(("email", "user_id", "phone", *PROFILE_FIELDS, "crowdtwist_id")))


@attrs.frozen
class Proof:
    """The last erasure check of one user: verified or not, when, and what was asked."""

    verified: bool
    checked_at: str
    checks: tuple[Check, ...]
    failure: str | None = None


STATUS_RANK = {Status.QUEUED: 0, Status.IN_PROGRESS: 1, Status.COMPLETED: 2, Status.REJECTED: 2}
FINAL = frozenset({Status.COMPLETED, Status.REJECTED})
TICKET_KEYS = frozenset({"integration", "state", "submitted_at", "users", "not_found"})
# What the last call cost; read back, it is ignored (the new call has its own).
OPTIONAL_TICKET_KEYS = frozenset({"stats", "possible_matches"})
USER_KEYS = frozenset({"crowdtwist_id", "matched", "status", "detail"})
# Written once an erasure was checked; tickets from before verification lack them.
PROOF_KEYS = frozenset({"verified", "verified_at", "checked_at", "checks", "verification_failure"})
REPORTED_KEYS = frozenset({"initiated_by", "status_history"})
# Only while the user's erasure may still need proving (tickets of older versions lack it).
HELD_KEYS = frozenset({"profile_identifiers"})
OPTIONAL_VERIFICATION_KEYS = frozenset({"verification"})
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)")


MAX_HISTORY = 20


@attrs.frozen
class Reported:
    """What CrowdTwist's deletion status said last: who initiated it and when each status
    was reached, kept as evidence (strings only, bounded)."""

    initiated_by: str | None
    status_history: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Reported:
        by = body.get("initiated_by")
        history = body.get("status_history")
        steps = [
            (str(step.get("status"))[:100], str(step.get("date"))[:100])
            for step in (history if isinstance(history, list) else [])
            if isinstance(step, Mapping)
        ]
        return cls(str(by)[:200] if by is not None else None, tuple(steps[:MAX_HISTORY]))

    def to_json(self) -> dict[str, Any]:
        return {
            "initiated_by": self.initiated_by,
            "status_history": [{"status": s, "date": d} for s, d in self.status_history],
        }


@attrs.frozen
class UserDeletion:
    """One CrowdTwist user's deletion progress."""

    crowdtwist_id: int
    matched: tuple[str, ...]
    status: Status
    detail: str
    proof: Proof | None = None
    reported: Reported | None = None
    # What the member's profile carried at submit: the proof looks the person up by each.
    held: tuple[Held, ...] = ()

    @property
    def verified(self) -> bool:
        return self.proof is not None and self.proof.verified

    def advance(self, status: Status, detail: str) -> UserDeletion:
        """The newer of the two states: a status never goes backwards."""
        if STATUS_RANK[status] < STATUS_RANK[self.status]:
            return self
        return attrs.evolve(self, status=status, detail=detail)

    def to_json(self, keep_held: bool = True) -> dict[str, Any]:
        """``keep_held``: whether the ticket may still need the profile's identifiers (a
        verified user never does)."""
        user: dict[str, Any] = {
            "crowdtwist_id": self.crowdtwist_id,
            "matched": list(self.matched),
            "status": self.status.value,
            "detail": self.detail,
        }
        if self.held and keep_held and not self.verified:
            user["profile_identifiers"] = [h.label for h in self.held]
        if self.reported is not None:
            user |= self.reported.to_json()
        if self.proof is not None:
            user |= {
                "verified": self.proof.verified,
                "verified_at": self.proof.checked_at if self.proof.verified else None,
                "checked_at": self.proof.checked_at,
                "checks": [c.to_json() for c in self.proof.checks],
                "verification_failure": self.proof.failure,
            }
        return user


@attrs.frozen
class Ticket:
    integration: str
    submitted_at: str
    users: tuple[UserDeletion, ...]
    not_found: tuple[str, ...]
    # Members who match an identifier only loosely (lookup.Possible as JSON): never
    # deleted by the plugin, and the ticket is never complete while it lists any.
    possible: tuple[dict[str, Any], ...] = ()

    def verification(self, complete_on_submit: bool, verify: bool) -> Verification:
        statuses = {u.status for u in self.users}
        if complete_on_submit or not self.users or Status.REJECTED in statuses:
            return Verification.NOT_APPLICABLE
        if not verify:
            return Verification.OFF
        if statuses != {Status.COMPLETED}:
            return Verification.PENDING
        if all(u.verified for u in self.users):
            return Verification.VERIFIED
        # A completed user not checked yet (the check is made in the same call) or whose
        # check found it still there.
        return Verification.FAILED

    def state(self, complete_on_submit: bool, verify: bool = True) -> State:
        done = {Status.COMPLETED}
        if complete_on_submit:
            done |= {Status.QUEUED, Status.IN_PROGRESS}
        statuses = [u.status for u in self.users]
        if all(s in done for s in statuses):
            if self.verification(complete_on_submit, verify) is Verification.FAILED:
                return State.PENDING  # stays checkable: CrowdTwist may lag
            # A possible match is a person's call: this ticket cannot say the person is gone.
            return State.FAILED if self.possible else State.COMPLETE
        if Status.REJECTED in statuses and all(s in done | {Status.REJECTED} for s in statuses):
            return State.FAILED
        return State.PENDING

    def to_json(self, complete_on_submit: bool, verify: bool = True) -> dict[str, Any]:
        # A finished ticket holds none of the profile's identifiers: the host keeps it.
        state = self.state(complete_on_submit, verify)
        return {
            "integration": self.integration,
            "state": state.value,
            "verification": self.verification(complete_on_submit, verify).value,
            "submitted_at": self.submitted_at,
            "users": [u.to_json(keep_held=state is State.PENDING) for u in self.users],
            "not_found": list(self.not_found),
            **({"possible_matches": list(self.possible)} if self.possible else {}),
        }

    @classmethod
    def from_json(cls, ticket: object, integration: str) -> Ticket:
        """Read a ticket back, refusing anything this plugin did not write."""
        if not isinstance(ticket, Mapping):
            raise ConfigurationError(f"ticket must be a mapping, got {type(ticket).__name__}")
        if (
            not TICKET_KEYS
            <= set(ticket)
            <= (TICKET_KEYS | OPTIONAL_TICKET_KEYS | OPTIONAL_VERIFICATION_KEYS)
        ):
            raise ConfigurationError(
                f"ticket must have exactly the keys {', '.join(sorted(TICKET_KEYS))} "
                "(and may carry stats and verification)"
            )
        if ticket["integration"] != integration:
            raise ConfigurationError(
                f"ticket belongs to integration {ticket['integration']!r}, not {integration!r}"
            )
        if ticket["state"] not in tuple(State):
            raise ConfigurationError("ticket.state must be pending, complete or failed")
        if "verification" in ticket and ticket["verification"] not in tuple(Verification):
            raise ConfigurationError(
                f"ticket.verification must be one of {', '.join(Verification)}"
            )
        submitted = ticket["submitted_at"]
        if not isinstance(submitted, str) or not _TIMESTAMP.fullmatch(submitted):
            raise ConfigurationError(
                "ticket.submitted_at must be an ISO-8601 UTC timestamp (Z or +00:00)"
            )
        # The same instant written by another tool: kept in the form this plugin writes.
        submitted = (
            submitted.removesuffix("+00:00") + "Z" if submitted.endswith("+00:00") else submitted
        )
        users, not_found = ticket["users"], ticket["not_found"]
        if not isinstance(users, list) or not isinstance(not_found, list):
            raise ConfigurationError("ticket.users and ticket.not_found must be lists")
        if not all(isinstance(n, str) for n in not_found):
            raise ConfigurationError("ticket.not_found must hold identifier strings")
        parsed = tuple(_user(i, u) for i, u in enumerate(users))
        ids = [u.crowdtwist_id for u in parsed]
        if len(set(ids)) != len(ids):
            raise ConfigurationError("ticket.users lists a CrowdTwist id twice")
        return cls(integration, submitted, parsed, tuple(not_found), _possible(ticket))


def _possible(ticket: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    possible = ticket.get("possible_matches", [])
    if not isinstance(possible, list) or not all(
        isinstance(p, dict)
        and isinstance(p.get("crowdtwist_id"), int)
        and isinstance(p.get("identifier"), str)
        and isinstance(p.get("reason"), str)
        for p in possible
    ):
        raise ConfigurationError(
            "ticket.possible_matches must list objects with crowdtwist_id, identifier and reason"
        )
    return tuple(possible)


def _user(index: int, user: object) -> UserDeletion:
    where = f"ticket.users[{index}]"
    groups = (PROOF_KEYS, REPORTED_KEYS, HELD_KEYS)  # each all or none
    extra = set(user) - USER_KEYS if isinstance(user, Mapping) else set()
    if (
        not isinstance(user, Mapping)
        or not set(user) >= USER_KEYS
        or extra != set().union(*(g for g in groups if g & extra))
    ):
        raise ConfigurationError(
            f"{where} must have exactly the keys {', '.join(sorted(USER_KEYS))}, "
            f"and may add {', '.join(sorted(REPORTED_KEYS | HELD_KEYS))} and, once verified, "
            f"{', '.join(sorted(PROOF_KEYS))}"
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
    proof = _proof(where, user) if "verified" in user else None
    reported = _reported(where, user) if "initiated_by" in user else None
    held = user.get("profile_identifiers", [])
    return UserDeletion(
        crowdtwist_id,
        tuple(matched),
        Status(user["status"]),
        user["detail"],
        proof,
        reported,
        parse_held(held, f"{where}.profile_identifiers"),
    )


def _reported(where: str, user: Mapping[str, Any]) -> Reported:
    by, history = user["initiated_by"], user["status_history"]
    if by is not None and not isinstance(by, str):
        raise ConfigurationError(f"{where}.initiated_by must be a string or null")
    if (
        not isinstance(history, list)
        or len(history) > MAX_HISTORY
        or not all(
            isinstance(step, Mapping)
            and set(step) == {"status", "date"}
            and all(isinstance(v, str) for v in step.values())
            for step in history
        )
    ):
        raise ConfigurationError(
            f"{where}.status_history must be a list of at most {MAX_HISTORY} "
            "{status, date} string pairs"
        )
    return Reported(by, tuple((step["status"], step["date"]) for step in history))


def _proof(where: str, user: Mapping[str, Any]) -> Proof:
    verified, checked_at, failure = (
        user["verified"],
        user["checked_at"],
        user["verification_failure"],
    )
    if not isinstance(verified, bool):
        raise ConfigurationError(f"{where}.verified must be true or false")
    if not isinstance(checked_at, str) or not _TIMESTAMP.fullmatch(checked_at):
        raise ConfigurationError(f"{where}.checked_at must be an ISO-8601 UTC timestamp")
    if user["verified_at"] != (checked_at if verified else None):
        raise ConfigurationError(f"{where}.verified_at must be checked_at when verified, else null")
    if failure is not None and not isinstance(failure, str):
        raise ConfigurationError(f"{where}.verification_failure must be a string or null")
    checks = user["checks"]
    if not isinstance(checks, list):
        raise ConfigurationError(f"{where}.checks must be a list")
    parsed = []
    for check in checks:
        if (
            not isinstance(check, Mapping)
            or set(check) != {"endpoint", "by", "outcome"}
            or not isinstance(check["endpoint"], str)
            or check["by"] not in CHECK_BY
            or check["outcome"] not in OUTCOMES
        ):
            raise ConfigurationError(
                f"{where}.checks must hold {{endpoint, by, outcome}} objects "
                f"(by: {', '.join(CHECK_BY)}; outcome: {', '.join(OUTCOMES)})"
            )
        parsed.append(Check(check["endpoint"], check["by"], check["outcome"]))
    return Proof(verified, checked_at, tuple(parsed), failure)
