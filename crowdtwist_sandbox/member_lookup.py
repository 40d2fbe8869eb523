"""Resolving the ``{user_id}`` path segment with ``id_type``, as every user endpoint does."""

from __future__ import annotations

from collections.abc import Callable, Collection

from aiohttp import web

from .api_errors import ApiError
from .members import Member
from .pipeline import endpoint_of
from .state import state_of


def lingers(request: web.Request) -> bool:
    """Whether this route still serves an erased member's data (``lingering_data_sets``)."""
    return endpoint_of(request) in state_of(request).config.lingering_data_sets


def find_member(
    request: web.Request,
    *,
    id_types: Collection[str],
    bad_id_type: ApiError,
    not_found: Callable[[str], ApiError],
) -> Member:
    """The member named by the percent-decoded path segment; ``id_type`` defaults to ``id``.

    ``id_type`` values are matched exactly (lower case, as documented).
    """
    user_id = request.match_info["user_id"]
    id_type = request.query.get("id_type", "id")
    if id_type not in id_types:
        raise bad_id_type
    member = state_of(request).store.find(id_type, user_id, erased_too=lingers(request))
    if member is None:
        raise not_found(user_id)
    return member
