"""Reading whole collections: every page exactly once, or an error.

Paged endpoints (``paging`` object) are read by page number on the configured origin:
the absolute ``next_page`` links in responses are never followed. After the first page
reveals the page count the rest are fetched concurrently, and the result is checked
against ``paging.total`` so a collection that moved while it was read is never passed
off as complete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crowdtwist_plugin.catalogue import Paging, Resource
from crowdtwist_plugin.client import CrowdTwistClient
from crowdtwist_plugin.errors import InconsistentDataError, ResponseError
from crowdtwist_plugin.pacing import Priority
from crowdtwist_plugin.progress import Progress
from crowdtwist_plugin.reply import Endpoint, Reply
from crowdtwist_plugin.tasks import gather_all

MAX_PAGES = 10_000


def _count(paging: Mapping[str, Any], name: str, endpoint: Endpoint) -> int:
    value = paging.get(name)
    # isascii: str.isdigit() also accepts digits such as "①" that int() refuses.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ResponseError(f"paging.{name} is not a count: {value!r:.40}", endpoint=endpoint.name)
    return value


async def read_resource(
    client: CrowdTwistClient,
    resource: Resource,
    user_id: int,
    record: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> list[Any]:
    """Every record of one catalogue row for one user (``record``: the parent record of a
    detail read, ``progress``: the collection's, shared by its detail reads), by the row's
    paging."""
    path_args, query = resource.path_args(user_id, record), resource.query(record)
    endpoint, keys, none = resource.endpoint, resource.list_keys, resource.none_codes
    if resource.paging is Paging.PAGED:
        return await fetch_paged(client, endpoint, path_args, query, keys, none)
    if resource.paging is Paging.NUMBERED:
        return await fetch_numbered(client, endpoint, path_args, query, resource.page_size or 50)
    reply = await client.request(endpoint, path_args, params=query)
    records = [] if reply.says_none(none) else _records(resource, reply)
    (progress or Progress(collection_of(endpoint), pages_known=1)).page(len(records))
    return records


def _records(resource: Resource, reply: Reply) -> list[Any]:
    """The records of one answer: an object row's one object, else the row's list."""
    if resource.paging is Paging.OBJECT:
        return [reply.json_object()]
    return reply.records(resource.list_keys)


async def first_page(
    client: CrowdTwistClient, resource: Resource, user_id: int
) -> list[Any] | None:
    """The records one catalogue row's first page holds for a user (an object row: its one
    object), or None when the row answers that the user is not found (CrowdTwist's
    ``page_not_found`` 404, or one of the row's ``none_codes``). One request: whether
    anything is left, not everything there is (the undated read for redemption history)."""
    query = resource.query()
    if resource.paging is Paging.PAGED:
        query["page"] = 1
    elif resource.paging is Paging.NUMBERED:
        query |= {"page_size": resource.page_size or 50, "page_number": 1}
    reply = await client.request(resource.endpoint, resource.path_args(user_id), params=query)
    if reply.user_not_found or reply.says_none(resource.none_codes):
        return None
    return _records(resource, reply)


def collection_of(endpoint: Endpoint) -> str:
    """The collection an endpoint reads, for progress: the template's last segment."""
    return endpoint.template.rsplit("/", 1)[-1]


async def fetch_paged(
    client: CrowdTwistClient,
    endpoint: Endpoint,
    path_args: Mapping[str, str | int],
    params: Mapping[str, str | int],
    keys: Sequence[str],
    absent_codes: frozenset[str] = frozenset(),
    progress: Progress | None = None,
) -> list[Any]:
    """Every record of a ``paging``-style collection, pages in order.

    A first page answered with HTTP 400/404 and an error code in ``absent_codes`` (e.g.
    ``receipt_scanning_inactive``) means the program has no such data: an empty list.
    """

    async def page(number: int) -> tuple[list[Any], tuple[int, int]] | None:
        # The first page tells how many follow: it goes before queued known pages.
        priority = Priority.URGENT if number == 1 else Priority.BULK
        reply = await client.request(
            endpoint, path_args, params={**params, "page": number}, priority=priority
        )
        if reply.says_none(absent_codes):
            return None
        body = reply.json_object()
        paging = body.get("paging")
        if not isinstance(paging, dict):
            raise ResponseError("response has no paging object", endpoint=endpoint.name)
        shape = (_count(paging, "total", endpoint), _count(paging, "pages", endpoint))
        records = reply.records(keys)
        if number == 1:
            tracker.expect(max(1, shape[1]))  # an empty collection's one page counts too
        tracker.page(len(records))
        return records, shape

    tracker = progress or Progress(collection_of(endpoint))
    first_page = await page(1)
    if first_page is None:
        return []
    first, shape = first_page
    total, pages = shape
    if pages > MAX_PAGES:
        raise ResponseError(f"paging.pages is implausibly large ({pages})", endpoint=endpoint.name)
    rest = await gather_all(page(n) for n in range(2, pages + 1))
    records = list(first)
    for later in rest:
        other_shape = later[1] if later is not None else None
        if later is None or other_shape != shape:
            raise InconsistentDataError(
                f"the collection changed while it was read (total/pages {shape} -> {other_shape})",
                endpoint=endpoint.name,
            )
        records.extend(later[0])
    if len(records) != total:
        raise InconsistentDataError(
            f"read {len(records)} records over {pages} pages but paging.total is {total}",
            endpoint=endpoint.name,
        )
    return records


async def fetch_numbered(
    client: CrowdTwistClient,
    endpoint: Endpoint,
    path_args: Mapping[str, str | int],
    params: Mapping[str, str | int],
    page_size: int,
) -> list[Any]:
    """A legacy ``page_size``/``page_number`` bare-array collection, read to its end.

    The end is an empty page: the server may clamp ``page_size`` below what was asked,
    so a short page alone proves nothing, and records after a short page mean the pages
    moved (an inconsistency, retryable), never a silent end. Nothing tells the page count,
    so pages are read one at a time, urgently (each decides whether another is needed):
    not one page past the end marker is requested.
    """
    progress = Progress(collection_of(endpoint))
    records: list[Any] = []
    longest, short_page = 0, 0
    previous: list[Any] = []
    for number in range(1, MAX_PAGES + 1):
        query = {**params, "page_size": page_size, "page_number": number}
        reply = await client.request(endpoint, path_args, params=query, priority=Priority.URGENT)
        items = reply.records()
        progress.page(len(items))
        if not items:
            progress.finish()
            return records
        if short_page:
            # Records after a short page: the pages moved or were cut; never pass what
            # was read so far off as the whole history.
            raise InconsistentDataError(
                f"page {number} has records after the short page {short_page}",
                endpoint=endpoint.name,
            )
        if items == previous:
            raise ResponseError(
                f"page {number} repeats page {number - 1}; page_number seems ignored",
                endpoint=endpoint.name,
            )
        previous = items
        records.extend(items)
        if len(items) < longest:
            short_page = number
        longest = max(longest, len(items))
    raise ResponseError(f"more than {MAX_PAGES} pages", endpoint=endpoint.name)
