"""Deletion tickets as ``submit_deletion`` returns them, built in one place.

``ticket_for(CAROL)`` is carol's freshly queued ticket; keyword arguments replace any of
the ticket's keys, and ``deletion_user`` builds (or spoils) one entry of ``users``: a demo
person's carries the identifiers its profile holds (``profile_labels``), as a ticket
written at submit does, unless ``held=False`` (a ticket of an older version).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crowdtwist_plugin.identifiers import PROFILE_FIELDS
from crowdtwist_sandbox import DemoPerson

SUBMITTED_AT = "2026-11-27T10:00:00Z"


def deletion_user(
    who: DemoPerson | Any,
    *,
    matched: Sequence[str] | Any = None,
    status: str | Any = "queued",
    detail: str | Any = "Queued",
    held: bool = True,
    **changes: Any,
) -> dict[str, Any]:
    """One entry of a ticket's ``users``: a demo person matched by email, or a bare
    CrowdTwist id matched by nothing. Any value is taken as given, and ``changes`` add or
    replace keys, so a test can spoil an entry."""
    if isinstance(who, DemoPerson):
        crowdtwist_id, default_matched = who.crowdtwist_id, [f"email:{who.email}"]
    else:
        crowdtwist_id, default_matched = who, []
    user = {
        "crowdtwist_id": crowdtwist_id,
        "matched": default_matched if matched is None else matched,
        "status": status,
        "detail": detail,
    }
    if held and isinstance(who, DemoPerson):
        user["profile_identifiers"] = profile_labels(who)
    return {**user, **changes}


def profile_labels(who: DemoPerson) -> list[str]:
    """The ``kind:value`` labels of what a demo person's profile carries, in ticket order."""
    fields = {"email": who.email, "third_party_id": who.third_party_id, "username": who.username}
    fields["phone"] = who.mobile_phone_number
    return [f"{kind}:{fields[kind]}" for kind in PROFILE_FIELDS if fields[kind] is not None]


def ticket_for(*users: DemoPerson | Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A pending CrowdTwist ticket holding ``users`` (a demo person is a queued user matched
    by email); ``changes`` replace or add top-level keys."""
    ticket: dict[str, Any] = {
        "integration": "crowdtwist",
        "state": "pending",
        "verification": "pending",
        "submitted_at": SUBMITTED_AT,
        "users": [dict(u) if isinstance(u, Mapping) else deletion_user(u) for u in users],
        "not_found": [],
    }
    return {**ticket, **changes}


def without_time(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket without ``submitted_at`` (which differs from run to run)."""
    return {k: v for k, v in ticket.items() if k != "submitted_at"}
