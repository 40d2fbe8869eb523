"""The main API origin (``[environment]api[client_id].crowdtwist.com``)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .api_errors import ApiError, param_error, user_not_found
from .listing import paged, parse_int, parse_page_size, redemption_range
from .member_lookup import find_member, lingers
from .members import Member
from .profiles import PII_FIELDS
from .sandbox_config import ID_TYPE_FIELDS
from .search import parse_is_active, parse_query, summary
from .seed import Window
from .state import state_of

PII_ID_TYPES = ("id", "third_party_id")
RECEIPTS_PAGE = (10, 25)
REDEMPTIONS_PAGE = (10, 10)
BADGES_PAGE = (10, 25)
HISTORY_DEFAULT_PAGE_SIZE = 10
_BAD_ID_TYPE = param_error("Invalid id_type")


def _member(
    request: web.Request, not_found: Callable[[str], ApiError] = lambda _: user_not_found()
) -> Member:
    return find_member(
        request, id_types=ID_TYPE_FIELDS, bad_id_type=_BAD_ID_TYPE, not_found=not_found
    )


def _json(body: Any) -> web.Response:
    return web.json_response(body)


async def profile(request: web.Request) -> web.Response:
    """``pii=false`` (or a bare ``pii``) drops PII; ``pii`` needs id_type id or third_party_id."""
    raw_pii = request.query.get("pii")
    if raw_pii not in (None, "", "true", "false"):
        raise param_error("pii must be true or false")
    if raw_pii is not None and request.query.get("id_type", "id") not in PII_ID_TYPES:
        raise param_error("pii is only supported with id_type id or third_party_id")
    member = _member(request)
    if raw_pii in ("", "false"):
        return _json({k: v for k, v in member.profile.items() if k not in PII_FIELDS})
    return _json(member.profile)


async def member_search(request: web.Request) -> web.Response:
    active = parse_is_active(request.query.get("is_active"))
    if request.content_type != "application/json":
        raise param_error("Content-Type must be application/json")
    try:
        body = json.loads(await request.read() or b"null")
    except ValueError:
        raise param_error("The request body must be JSON") from None
    query = parse_query(body)
    state = state_of(request)
    everyone = not active and state.config.member_search_is_active_0 == "all"
    found = [
        summary(member)
        for member in state.store.existing()
        if (everyone or member.profile["is_active"] is active) and query.matches(member)
    ]
    return _json(sorted(found, key=lambda m: int(m["member_id"])))


async def user_activities(request: web.Request) -> web.Response:
    return _json(_member(request).records.activities)


async def user_rewards(request: web.Request) -> web.Response:
    return _json(_member(request).records.rewards)


async def usable_coupons(request: web.Request) -> web.Response:
    """``expired`` defaults to true: expired unused coupons are listed too."""
    expired = request.query.get("expired", "true").lower()
    if expired not in ("true", "false", "1", "0"):
        raise param_error("expired must be true or false")
    coupons = _member(request).extras.usable_coupons
    if expired in ("false", "0"):
        coupons = [c for c in coupons if c["date_expires"] >= _now_iso(request)]
    return _json(coupons)


def _now_iso(request: web.Request) -> str:
    return (
        datetime.datetime.fromtimestamp(
            state_of(request).service_clock(), datetime.UTC
        ).isoformat()[:19]
        + "Z"
    )


async def points(request: web.Request) -> web.Response:
    return _json(_member(request).extras.points)


async def points_expiration(request: web.Request) -> web.Response:
    return _json(_member(request).extras.points_expiration)


async def badges(request: web.Request) -> web.Response:
    member = _member(request)
    size = _page_size(request, BADGES_PAGE)
    return _json(paged(request, Window(member.extras.badges), size, "badges"))


async def household_invitations(request: web.Request) -> web.Response:
    """The CrowdTwist id only; none is a 404."""
    member_id = parse_int(request.match_info["user_id"])
    store = state_of(request).store
    member = None if member_id is None else store.members.get(member_id)
    if member is None or not store.serves(member.id, lingers(request)):
        raise user_not_found()
    if not member.extras.household_invitations:
        raise ApiError(404, "page_not_found", "Unable to find household invitations for member.")
    return _json(member.extras.household_invitations)


async def activity_history(request: web.Request) -> web.Response:
    """Legacy paging: ``page_size`` and ``page_number`` together or not at all.

    Both the default and any requested size are cut to ``legacy_history_page_clamp``.
    """
    raw_size, raw_number = request.query.get("page_size"), request.query.get("page_number")
    if (raw_size is None) != (raw_number is None):
        raise param_error("page_size and page_number must be used together")
    member = _member(request)
    clamp = state_of(request).config.legacy_history_page_clamp
    default = HISTORY_DEFAULT_PAGE_SIZE if clamp is None else min(HISTORY_DEFAULT_PAGE_SIZE, clamp)
    size = parse_page_size(raw_size, default, clamp)
    number = 1 if raw_number is None else parse_int(raw_number)
    if number is None:
        raise param_error("Invalid page_number")
    start = (number - 1) * size
    return _json(Window(member.records.activity_history).slice(start, start + size))


def _page_size(request: web.Request, limits: tuple[int, int]) -> int:
    return parse_page_size(request.query.get("page_size"), *limits)


async def receipts(request: web.Request) -> web.Response:
    if not state_of(request).config.receipts_active:
        raise ApiError(
            400, "receipt_scanning_inactive", "Receipt scanning is not active for this program."
        )
    member = _member(request)
    size = _page_size(request, RECEIPTS_PAGE)
    return _json(paged(request, Window(member.records.receipts), size, "submitted_receipts"))


async def redemption_history(request: web.Request) -> web.Response:
    state = state_of(request)
    member = _member(request)
    config = state.config
    days = redemption_range(
        request,
        config.redemption_history_undated,
        state.store.today,
        config.redemption_history_undated_days,
    )
    size = _page_size(request, REDEMPTIONS_PAGE)
    window = member.records.redemptions.between(days.start, days.end)
    return _json(paged(request, window, size, state.config.redemption_list_key))


async def delete_user(request: web.Request) -> web.Response:
    """Queue a deletion. A second DELETE while one is pending is refused (400)."""
    state = state_of(request)
    member = _member(request, lambda _: ApiError(404, "page_not_found", "Member not found"))
    state.counters.deletes_by_user[member.id] += 1
    if state.store.deletions.get(member.id) is not None:
        raise ApiError(400, "input_error", "Unable to initiate deletion")
    if not member.profile["is_active"] and member.profile["redeemable_points"] > 0:
        raise ApiError(400, "input_error", "Member is inactive but has redeemable points")
    state.store.deletions.queue(member.id)
    return _json({"user_id": member.id, "status": "Queued"})


async def deletion_status(request: web.Request) -> web.Response:
    """CrowdTwist id only; ``id_type`` is not part of this endpoint and is ignored."""
    state = state_of(request)
    not_queued = ApiError(404, "page_not_found", "Member does not exist or not queued for deletion")
    member_id = parse_int(request.match_info["user_id"])
    entry = None if member_id is None else state.store.deletions.get(member_id)
    if entry is None:
        raise not_queued
    if state.config.forget_completed_deletions and state.store.is_gone(entry.user_id):
        raise not_queued
    return _json(state.store.deletions.describe(entry))


async def program_activities(request: web.Request) -> web.Response:
    return _json(state_of(request).store.activities)


def add_main_routes(app: web.Application, status_paths: tuple[str, ...]) -> None:
    router = app.router
    # Registered before /v2/users/{user_id}/... so that "delete" is never read as a user id.
    for path in status_paths:
        router.add_get(f"/v2/{path}/{{user_id}}", deletion_status, allow_head=False)
    router.add_get("/v2/users/{user_id}", profile, allow_head=False)
    router.add_get("/v2/users/{user_id}/", profile, allow_head=False)
    router.add_delete("/v2/users/{user_id}", delete_user)
    router.add_post("/v2/members", member_search)
    router.add_get("/v2/users/{user_id}/activities", user_activities, allow_head=False)
    router.add_get("/v2/users/{user_id}/activity_history", activity_history, allow_head=False)
    router.add_get("/v2/users/{user_id}/rewards", user_rewards, allow_head=False)
    router.add_get("/v2/users/{user_id}/receipts", receipts, allow_head=False)
    router.add_get("/v2.2/users/{user_id}/redemption_history", redemption_history, allow_head=False)
    router.add_get("/v2/activities", program_activities, allow_head=False)
    router.add_get("/v2/users/{user_id}/usable_coupons", usable_coupons, allow_head=False)
    router.add_get("/v2/users/{user_id}/points", points, allow_head=False)
    router.add_get("/v2/users/{user_id}/points_expiration", points_expiration, allow_head=False)
    router.add_get("/v2.1/users/{user_id}/badges", badges, allow_head=False)
    router.add_get(
        "/v2/users/{user_id}/household_invitations", household_invitations, allow_head=False
    )
