"""The POS origin (``[environment]pos[client_id].crowdtwist.com``): purchase history and detail."""

from __future__ import annotations

from aiohttp import web

from .api_errors import ApiError
from .listing import paged, purchase_range
from .member_lookup import find_member, lingers
from .state import state_of

POS_ID_TYPES = ("email", "id", "third_party_id", "mobile_phone_number")
PURCHASES_PER_PAGE = 10


def _user_not_found(user_id: str) -> ApiError:
    return ApiError(400, "user_not_found", f"User with id [{user_id}] can not be found.")


async def purchases(request: web.Request) -> web.Response:
    """10 per page, fixed: a ``page_size`` parameter is not documented and is ignored."""
    member = find_member(
        request,
        id_types=POS_ID_TYPES,
        bad_id_type=ApiError(400, "invalid", "Invalid id_type"),
        not_found=_user_not_found,
    )
    try:
        days = purchase_range(request, state_of(request).store.today)
    except ApiError as err:
        raise ApiError(400, "invalid", err.message) from None
    window = member.records.purchases.between(days.start, days.end)
    body = paged(request, window, PURCHASES_PER_PAGE, "purchases")
    return web.json_response({"purchases": body["purchases"], "paging": body["paging"]})


async def purchase_detail(request: web.Request) -> web.Response:
    """A purchase by its id; ``purchase_id_type`` (order_id or receipt_id) must match."""
    id_type = request.query.get("purchase_id_type")
    if id_type not in (None, "order_id", "receipt_id"):
        raise ApiError(400, "invalid", "Invalid purchase_id_type")
    store = state_of(request).store
    detail = store.purchase(request.match_info["purchase_id"], id_type, erased_too=lingers(request))
    if detail is None:
        raise ApiError(404, "not_found", "Purchase can not be found.")
    return web.json_response(detail)


def add_pos_routes(app: web.Application) -> None:
    app.router.add_get("/users/{user_id}/purchases", purchases, allow_head=False)
    app.router.add_get("/purchase/{purchase_id}", purchase_detail, allow_head=False)
