"""CrowdTwist as data: every resource keyed by a member, read or not read, and why.

Each collection of an access report is a ``Resource`` row: where it lives, how it pages,
where its records are in the answer, which error codes mean "none", the parameters it
always takes. ``collect`` (access.py) reads the rows and ``erasure.py`` asks every row
whether it still answers for an erased member; adding a resource is a row here, a route in
the sandbox and a test. What is deliberately not read is a ``NotRead`` row with its reason:
the report's ``scope`` says both.

Sources are Oracle's developer pages (``docs.oracle.com/en/cloud/saas/marketing/
crowdtwist-develop/Developers/<page>``): ``source`` names the page.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from crowdtwist_plugin.reply import Endpoint

DOCS = "https://docs.oracle.com/en/cloud/saas/marketing/crowdtwist-develop/Developers/"


class Paging(enum.Enum):
    NONE = "none"  # one answer: a bare array or an object holding the list
    OBJECT = "object"  # one answer: one JSON object, reported as the collection's record
    PAGED = "paged"  # page=1..paging.pages, checked against paging.total
    NUMBERED = "numbered"  # legacy page_size + page_number, read to the empty page


@attrs.frozen
class Resource:
    """One collection of the report and how to read it.

    ``each`` makes it a detail read: one request per record of that collection, with path
    arguments and parameters taken from the record's fields (``from_record``). ``dated``:
    redemption history, read undated and in year windows (redemption_dates.py).
    """

    name: str
    endpoint: Endpoint
    paging: Paging
    source: str
    list_keys: tuple[str, ...] = ()
    page_size: int | None = None
    none_codes: frozenset[str] = frozenset()
    params: Mapping[str, str | int] = attrs.field(factory=dict)
    by_id_type: bool = True  # sends id_type=id (a path that takes the CrowdTwist id only: no)
    each: str | None = None
    from_record: Mapping[str, str] = attrs.field(factory=dict)
    dated: bool = False

    def query(self, record: Mapping[str, Any] | None = None) -> dict[str, str | int]:
        """The fixed parameters, ``id_type`` and those a parent record gives."""
        query: dict[str, str | int] = dict(self.params)
        if self.by_id_type:
            query["id_type"] = "id"
        if self.page_size is not None and self.paging is Paging.PAGED:
            query["page_size"] = self.page_size
        for param, field in self.from_record.items():
            if "{" + param + "}" in self.endpoint.template:
                continue
            if record is not None and isinstance(value := record.get(field), str | int):
                query[param] = value
        return query

    def path_args(self, user_id: int, record: Mapping[str, Any] | None = None) -> dict[str, Any]:
        args: dict[str, Any] = {"user_id": user_id}
        for arg, field in self.from_record.items():
            if "{" + arg + "}" in self.endpoint.template and record is not None:
                args[arg] = record.get(field)
        return args


@attrs.frozen
class Lookup:
    """How one kind of identifier finds a member: the profile lookup's ``id_type`` and the
    profile field its answer must equal; the member-search criterion and the field each
    result must equal (``user_name``, not ``username``; ``member_id``, not ``id``)."""

    id_type: str
    profile_field: str
    search_field: str
    member_field: str


LOOKUPS: Mapping[str, Lookup] = {
    "email": Lookup("email", "email_address", "email_address", "email_address"),
    "phone": Lookup(
        "mobile_phone_number", "mobile_phone_number", "mobile_phone_number", "mobile_phone_number"
    ),
    "third_party_id": Lookup(
        "third_party_id", "third_party_id", "third_party_id", "third_party_id"
    ),
    "id": Lookup("id", "id", "member_id", "member_id"),
    "username": Lookup("username", "username", "username", "user_name"),
}


@attrs.frozen
class NotRead:
    """A member-keyed resource the report deliberately leaves out."""

    resource: str
    reason: str
    source: str


def _get(origin: str, template: str) -> Endpoint:
    return Endpoint("GET", "pos" if origin == "pos" else "api", template)


PROFILE = _get("api", "/v2/users/{user_id}")
MEMBER_SEARCH = Endpoint("POST", "api", "/v2/members")
DELETE_USER = Endpoint("DELETE", "api", "/v2/users/{user_id}")
DELETION_STATUS = _get("api", "/v2/users/delete/{user_id}")
DELETION_STATUS_ALT = _get("api", "/v2/user_deletion/{user_id}")
PROGRAM_ACTIVITIES = _get("api", "/v2/activities")

ACTIVITIES = Resource(
    "activities",
    _get("api", "/v2/users/{user_id}/activities"),
    Paging.NONE,
    "UserActivities.html",
    list_keys=("activities",),
)
ACTIVITY_HISTORY = Resource(
    "activity_history",
    _get("api", "/v2/users/{user_id}/activity_history"),
    Paging.NUMBERED,
    "UserActivityHistory.html",
    page_size=50,
)
REWARDS = Resource(
    "rewards",
    _get("api", "/v2/users/{user_id}/rewards"),
    Paging.NONE,
    "UserRewards.html",
    list_keys=("rewards",),
)
RECEIPTS = Resource(
    "receipts",
    _get("api", "/v2/users/{user_id}/receipts"),
    Paging.PAGED,
    "ReceiptScan-UserHistory.html",
    list_keys=("submitted_receipts", "receipts"),
    page_size=25,
    none_codes=frozenset({"receipt_scanning_inactive"}),
)
REDEMPTIONS = Resource(
    "redemptions",
    _get("api", "/v2.2/users/{user_id}/redemption_history"),
    Paging.PAGED,
    "UserRedemptionHistoryv2_2.htm",
    list_keys=("rewards", "redemptions"),
    page_size=10,
    dated=True,
)
PURCHASES = Resource(
    "purchases",
    _get("pos", "/users/{user_id}/purchases"),
    Paging.PAGED,
    "UserPurchaseHistory.html",
    list_keys=("purchases",),
    none_codes=frozenset({"user_not_found"}),
)
PURCHASE_DETAILS = Resource(
    "purchase_details",
    _get("pos", "/purchase/{purchase_id}"),
    Paging.OBJECT,
    "PurchaseDetail.html",
    by_id_type=False,
    each="purchases",
    from_record={"purchase_id": "purchase_id", "purchase_id_type": "purchase_id_type"},
)
USABLE_COUPONS = Resource(
    "usable_coupons",
    _get("api", "/v2/users/{user_id}/usable_coupons"),
    Paging.NONE,
    "UsableCoupons.html",
    list_keys=("coupons", "usable_coupons"),
    params={"expired": "true"},  # the documented default, said: expired unused coupons too
)
POINTS = Resource(
    "points",
    _get("api", "/v2/users/{user_id}/points"),
    Paging.OBJECT,
    "UserPoints.html",
)
POINTS_EXPIRATION = Resource(
    "points_expiration",
    _get("api", "/v2/users/{user_id}/points_expiration"),
    Paging.OBJECT,
    "PointsExpiration.htm",
)
BADGES = Resource(
    "badges",
    _get("api", "/v2.1/users/{user_id}/badges"),
    Paging.PAGED,
    "BadgesUser.html",
    list_keys=("badges", "rewards"),
    page_size=25,
)
HOUSEHOLD_INVITATIONS = Resource(
    "household_invitations",
    _get("api", "/v2/users/{user_id}/household_invitations"),
    Paging.NONE,
    "HouseholdInviteMemberGet.html",
    list_keys=("invitations", "household_invitations"),
    # "Unable to find household invitations for member." is a 404 page_not_found.
    none_codes=frozenset({"page_not_found"}),
    by_id_type=False,
)

# Every collection of the report, in the report's order.
RESOURCES: tuple[Resource, ...] = (
    ACTIVITIES,
    ACTIVITY_HISTORY,
    REWARDS,
    PURCHASES,
    PURCHASE_DETAILS,
    RECEIPTS,
    REDEMPTIONS,
    USABLE_COUPONS,
    POINTS,
    POINTS_EXPIRATION,
    BADGES,
    HOUSEHOLD_INVITATIONS,
)
COLLECTIONS = tuple(r.name for r in RESOURCES)
# The rows addressed by the member's CrowdTwist id (not detail reads of another row).
BY_USER_ID = tuple(r for r in RESOURCES if r.each is None)

NOT_READ: tuple[NotRead, ...] = (
    NotRead(
        "GET /v2/users/{user_id}/activities/extended, /v2.1/…/activities/extended",
        "the activities available to the member, as /v2/users/{user_id}/activities (read)",
        "UserActivities-Extended21.html",
    ),
    NotRead(
        "GET /v2.1/users/{user_id}/rewards",
        "the rewards available to the member, as /v2/users/{user_id}/rewards (read)",
        "UserRewards21.html",
    ),
    NotRead(
        "GET /v2.1/users/{user_id}/activity_history, …/activity_history/extended",
        "the member's completed activities, as the legacy /v2 activity history (read); "
        "their answers are not documented",
        "UserActivityHistory21.html",
    ),
    NotRead(
        "GET /v2/users/{user_id}/redemption_history, /v2.1/…/redemption_history",
        "superseded by v2.2 redemption history (read)",
        "UserRedemptionHistoryv2_2.htm",
    ),
    NotRead(
        "GET /v2/household/{household_id}, …/activity_history, …/redemption_history",
        "the household's data, other members' included; the member's household_id is in "
        "the profile and their invitations are read",
        "HouseholdGet.html",
    ),
    NotRead(
        "GET /v2/members/{user_id}/checkin-code",
        "issues a new temporary check-in code (a write), holds nothing stored",
        "MemberCheckin.html",
    ),
    NotRead(
        "GET /v2/widgets/activity/{widget_id}/{user_id}, /v2/widgets/badge/…",
        "a widget's view of the activities and badges read above",
        "ActivitiesWidget.html",
    ),
    NotRead(
        "GET /v2/activities, /v2.1/activities/extended, /v2.1/rewards, /v2.1/badges, "
        "/v2/leaderboard",
        "the program's catalogues and rankings, not keyed by a member (the member's rank "
        "and tier are in the profile)",
        "Activities.html",
    ),
    NotRead(
        "POST/PUT/DELETE /v2/users…, /v2/users/{user_id}/activities, …/redemption, "
        "…/badges, /v2/coupon/use, POS /purchase, /fulfillment, /return, /v2/household…",
        "writes only",
        "UserUpdate.html",
    ),
    NotRead(
        "sign-in and mobile user-token calls",
        "sessions of the member's own app, the same data as the reads above",
        "MobileAPIAuthentication.html",
    ),
    NotRead(
        "Live and Batch Push (profile, activity, redemption, points expiration, segments)",
        "CrowdTwist sends these to the program's own systems; nothing to ask per member",
        "DataPush.html",
    ),
)


def scope() -> dict[str, Any]:
    """The report's ``scope``: what it read and what it deliberately did not."""
    read = [
        {"collection": "profile", "endpoint": PROFILE.name, "source": DOCS + "UserProfile.html"},
        {
            "collection": "members",
            "endpoint": MEMBER_SEARCH.name,
            "source": DOCS + "MemberSearch.html",
        },
        *(
            {"collection": r.name, "endpoint": r.endpoint.name, "source": DOCS + r.source}
            for r in RESOURCES
        ),
    ]
    not_read = [
        {"resource": n.resource, "reason": n.reason, "source": DOCS + n.source} for n in NOT_READ
    ]
    return {"read": read, "not_read": not_read}
