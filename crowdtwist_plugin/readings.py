"""What the API does where its documentation is silent: the operator's pins, nothing learned.

Two readings would save requests if they were known:

- ``redemption_history_undated``: whether redemption history without dates answers
  ``everything`` or less (the ``last_365_days``, or any other span). Unless it is pinned
  ``everything``, every subject is read the safe way: the undated answer plus year windows
  from ``redemptions_since`` to past CrowdTwist's today. ``everything`` skips the windows;
  if it is wrong, every redemption the undated answer lacks is missing from every report,
  and no answer of the call can show it.
- ``member_search_is_active_0``: whether a member search with ``is_active=0`` answers
  ``all`` members or ``inactive_only``. Unless pinned ``all``, each search is sent twice
  (``is_active=1`` and ``=0``). ``all`` sends ``is_active=0`` only; if it is wrong, an
  active member the profile lookup does not return (a second account sharing an email) is
  missing. A call that sees the pin contradicted fails (``PinContradicted``).

A pin is the operator's statement, made after ``host-stub probe`` proved it: nothing is
learned from answers, in the process or in a shared store. What a call's answers show
about a reading is reported (``observed`` in ``stats.readings``), never acted on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from crowdtwist_plugin.errors import ConfigurationError

UNKNOWN = "unknown"
UNDATED = "redemption_history_undated"
SEARCH = "member_search_is_active_0"
# Each reading's values; the first is the safe way. Only SAVING values skip requests
# (``last_365_days`` and ``inactive_only`` are accepted and read the safe way).
VALUES: dict[str, tuple[str, ...]] = {
    UNDATED: (UNKNOWN, "everything", "last_365_days"),
    SEARCH: (UNKNOWN, "all", "inactive_only"),
}
SAVING: dict[str, str] = {UNDATED: "everything", SEARCH: "all"}
# What answers can show that a saving value is wrong (``observed`` values).
NOT_SAVING: dict[str, str] = {UNDATED: "not_everything", SEARCH: "inactive_only"}
Used = Literal["pinned", "unknown"]


class PinContradicted(ConfigurationError):
    """An answer of this call shows that a pinned reading is wrong: the call stops rather
    than return a report that lacks what the safe way reads."""

    def __init__(self, name: str, value: str, evidence: str) -> None:
        super().__init__(
            f"{name} is pinned {value!r} but {evidence}: remove the pin (the safe way reads "
            "everything) or run host-stub probe"
        )


@attrs.frozen
class Observed:
    """What one call's answers showed about a reading: a value and the evidence (a month
    or a count, never an identifier or a day); ``back_to``: the month the proof reaches."""

    value: str
    evidence: str
    back_to: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"value": self.value, "evidence": self.evidence}
        if self.back_to is not None:
            out["back_to"] = self.back_to
        return out


@attrs.define
class ReadingUse:
    """How one call used one reading, for its ``stats``."""

    used: Used
    value: str
    saved_requests: int = 0
    observed: Observed | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "used": self.used,
            "value": self.value,
            "saved_requests": self.saved_requests,
        }
        if self.observed is not None:
            out["observed"] = self.observed.to_json()
        return out


class ProgramReadings:
    """The readings one call follows (pinned, else the safe way) and what it observed.

    ``decide``: ignore the pins for this call (what ``host-stub probe`` uses)."""

    def __init__(self, pinned: Mapping[str, str], *, decide: bool = False) -> None:
        self.uses = {
            name: ReadingUse("unknown", UNKNOWN)
            if decide or pinned.get(name, UNKNOWN) == UNKNOWN
            else ReadingUse("pinned", pinned[name])
            for name in VALUES
        }

    def saves(self, name: str) -> bool:
        """Whether the call may skip the requests the reading's saving value makes needless."""
        return self.uses[name].value == SAVING[name]

    def saved(self, name: str, requests: int) -> None:
        self.uses[name].saved_requests += requests

    def contradicted(self, name: str, evidence: str) -> None:
        """Raise if ``name`` is pinned to its saving value, which ``evidence`` disproves."""
        use = self.uses[name]
        if use.used == "pinned" and use.value == SAVING[name]:
            raise PinContradicted(name, use.value, evidence)

    def observe(self, name: str, seen: Observed) -> None:
        """Record what an answer showed. Evidence against the saving value wins over
        evidence for it (one subject disproving ``everything`` outweighs any other's
        proof); among proofs of the saving value, the one reaching further back stays."""
        use = self.uses[name]
        if use.observed is None or seen.value == NOT_SAVING[name] != use.observed.value:
            use.observed = seen
        elif seen.value == use.observed.value == SAVING[name]:
            older = min(use.observed, seen, key=lambda o: o.back_to or "9999")
            use.observed = older

    def to_json(self) -> dict[str, Any]:
        return {name: use.to_json() for name, use in self.uses.items()}


def is_active_member(member: Any) -> bool:
    """Whether a member record (a search result or a profile) says the member is active."""
    flag = member.get("is_active") if isinstance(member, dict) else None
    return flag is True or flag == 1 or flag in ("1", "true", "True")
