"""Member Search (``POST /v2/members``): body validation and the documented match rules."""

from __future__ import annotations

from typing import Any

import attrs

from .api_errors import param_error
from .members import Member

PREFIX_FIELDS = ("email_address", "first_name", "last_name")
EXACT_FIELDS = ("mobile_phone_number", "username", "third_party_id", "checkin_code")
POSTAL_COMPANIONS = ("email_address", "first_name", "last_name", "mobile_phone_number")
_TRUE = ("1", "true")
_FALSE = ("0", "false")


@attrs.frozen
class MemberQuery:
    prefix: dict[str, str]
    exact: dict[str, str]
    member_id: int | None = None
    postal_code: str | None = None

    def matches(self, member: Member) -> bool:
        profile = member.profile
        if self.member_id is not None and member.id != self.member_id:
            return False
        if self.postal_code is not None and profile.get("postal_code") != self.postal_code:
            return False
        for field, wanted in self.exact.items():
            if profile.get(field) != wanted:
                return False
        return all(
            str(profile.get(field) or "").casefold().startswith(wanted)
            for field, wanted in self.prefix.items()
        )


def _string(field: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise param_error(f"{field} must be a non-empty string")
    return value


def parse_query(body: Any) -> MemberQuery:
    if not isinstance(body, dict) or not body:
        raise param_error("At least one search parameter is required")
    unknown = sorted(set(body) - {*PREFIX_FIELDS, *EXACT_FIELDS, "member_id", "postal_code"})
    if unknown:
        raise param_error(f"Unknown search parameter: {', '.join(unknown)}")
    member_id = body.get("member_id")
    if member_id is not None and (isinstance(member_id, bool) or not isinstance(member_id, int)):
        raise param_error("member_id must be an integer")
    postal = body.get("postal_code")
    if postal is not None:
        if isinstance(postal, bool) or not isinstance(postal, int | str) or postal == "":
            raise param_error("postal_code must be an integer or a string")
        if not any(field in body for field in POSTAL_COMPANIONS):
            raise param_error(
                "postal_code must be combined with email_address, first_name, last_name "
                "or mobile_phone_number"
            )
    return MemberQuery(
        prefix={f: _string(f, body[f]).casefold() for f in PREFIX_FIELDS if f in body},
        exact={f: _string(f, body[f]) for f in EXACT_FIELDS if f in body},
        member_id=member_id,
        postal_code=None if postal is None else str(postal),
    )


def parse_is_active(raw: str | None) -> bool:
    """The ``is_active`` filter: absent -> active only (True); ``1``/``true`` -> active only;
    ``0``/``false`` -> inactive only. Anything else is a 400."""
    if raw is None:
        return True
    lowered = raw.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise param_error("is_active must be 1, 0, true or false")


def summary(member: Member) -> dict[str, Any]:
    profile = member.profile
    return {
        "member_id": member.id,
        "third_party_id": profile["third_party_id"],
        "user_name": profile["username"],
        "email_address": profile["email_address"],
        "first_name": profile["first_name"],
        "last_name": profile["last_name"],
        "mobile_phone_number": profile["mobile_phone_number"],
        "postal_code": profile["postal_code"],
        "is_active": profile["is_active"],
        "redeemable_points": profile["redeemable_points"],
    }
