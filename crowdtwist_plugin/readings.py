"""What the API does where its documentation is silent: pinned, learned, or paid for.

Two readings cost requests while unknown:

- ``redemption_history_undated``: whether redemption history without dates answers
  ``everything`` or only the ``last_365_days``. While unknown, every subject pays for
  year windows back to ``redemptions_since``. ``everything`` skips them.
- ``member_search_is_active_0``: whether a member search with ``is_active=0`` answers
  ``inactive_only`` or ``all`` members. While unknown, each search is sent twice
  (``is_active=1`` and ``=0``). ``all`` sends ``is_active=0`` only.

The connection may pin either; a response may prove it (see ``access.py`` and
``lookup.py`` for the evidence). A proven reading is remembered for the connection (a hash
of the key and origins, never the key) by ``knowledge.py``. Evidence against the reading
in use is followed, never ignored: the call reads what it must so that no record is lost,
says so in ``stats``, and a learned reading is replaced.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

UNKNOWN = "unknown"
UNDATED = "redemption_history_undated"
SEARCH = "member_search_is_active_0"
# Each reading's values; the first is today's paid-for behaviour.
VALUES: dict[str, tuple[str, ...]] = {
    UNDATED: (UNKNOWN, "everything", "last_365_days"),
    SEARCH: (UNKNOWN, "all", "inactive_only"),
}
# The value that skips nothing: what a call follows when its answers prove both.
SAFE: dict[str, str] = {UNDATED: "last_365_days", SEARCH: "inactive_only"}
Used = Literal["pinned", "learned", "unknown"]


@attrs.frozen
class Learned:
    """A reading a response proved: when (UTC, ISO seconds) and the evidence, a month or a
    count, never an identifier."""

    value: str
    at: str
    evidence: str

    def to_json(self) -> dict[str, str]:
        return {"value": self.value, "at": self.at, "evidence": self.evidence}

    @classmethod
    def from_json(cls, data: Any) -> Learned | None:
        """The stored form back, or None for anything that is not one (never trusted)."""
        if not isinstance(data, dict):
            return None
        value, at, evidence = (data.get(k) for k in ("value", "at", "evidence"))
        if isinstance(value, str) and isinstance(at, str) and isinstance(evidence, str):
            return cls(value, at, evidence)
        return None


@attrs.define
class ReadingUse:
    """How one call used one reading, for its ``stats``."""

    used: Used
    value: str
    learned: Learned | None = None
    saved_requests: int = 0
    # Evidence this call saw against the value it started with, and what it followed.
    contradicted_by: str | None = None
    followed: str | None = None
    # What this call proved, if anything (also when it agrees with the value in use).
    proved: Learned | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "used": self.used,
            "value": self.value,
            "saved_requests": self.saved_requests,
        }
        if self.learned is not None:
            out["learned_at"] = self.learned.at
            out["evidence"] = self.learned.evidence
        if self.contradicted_by is not None:
            out["contradicted_by"] = self.contradicted_by
            out["followed"] = self.followed
        if self.proved is not None:
            out["proved"] = self.proved.to_json()
        return out


def is_active_member(member: Any) -> bool:
    """Whether a member record (a search result or a profile) says the member is active."""
    flag = member.get("is_active") if isinstance(member, dict) else None
    return flag is True or flag == 1 or flag in ("1", "true", "True")
