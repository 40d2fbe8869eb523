"""``submit_deletion`` and ``check_deletion``: queue erasure, then follow it to the end.

CrowdTwist deletes asynchronously and keys everything by the numeric CrowdTwist id:
``DELETE /v2/users/{id}`` answers ``Queued``; the status endpoint then reports
``Deletion_initiated``, ``Deletion_in_progress`` and ``Deletion_completed``. Its path is
documented twice (``/v2/users/delete/{id}`` and ``/v2/user_deletion/{id}``); both are
tried before a user counts as "not queued".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from crowdtwist_plugin import endpoints
from crowdtwist_plugin.client import CrowdTwistClient, Endpoint, Reply, open_client
from crowdtwist_plugin.errors import InconsistentDataError, ResponseError, TransientError
from crowdtwist_plugin.lookup import find_subjects
from crowdtwist_plugin.pages import expect_ok
from crowdtwist_plugin.settings import ConnectionSettings, parse_identifiers
from crowdtwist_plugin.tasks import gather_all
from crowdtwist_plugin.ticket import STATUS_RANK, Ticket, UserDeletion

INTEGRATION = "crowdtwist"
DELETE_ATTEMPTS = 3
STATUS_WORDS = {
    "queued": "queued",
    "deletion_initiated": "in_progress",
    "deletion_in_progress": "in_progress",
    "deletion_completed": "completed",
}
_preferred_status_route: dict[str, Endpoint] = {}


async def submit_deletion(
    connection: Mapping[str, Any], identifiers: Mapping[str, Any]
) -> dict[str, Any]:
    settings = ConnectionSettings.from_mapping(connection)
    wanted = parse_identifiers(identifiers, settings.user_id_type)
    submitted_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with open_client(settings) as client:
        subjects, not_found = await find_subjects(client, wanted, complete=False)
        users = await gather_all(_submit_one(client, s.crowdtwist_id, s.matched) for s in subjects)
    ticket = Ticket(INTEGRATION, submitted_at, tuple(users), tuple(not_found))
    return ticket.to_json(settings.deletion_complete_on_submit)


async def check_deletion(
    connection: Mapping[str, Any], ticket: Mapping[str, Any]
) -> dict[str, Any]:
    settings = ConnectionSettings.from_mapping(connection)
    last = Ticket.from_json(ticket, INTEGRATION)
    async with open_client(settings) as client:
        users = await gather_all(_refresh_one(client, user) for user in last.users)
    refreshed = Ticket(last.integration, last.submitted_at, tuple(users), last.not_found)
    return refreshed.to_json(settings.deletion_complete_on_submit)


async def _submit_one(
    client: CrowdTwistClient, crowdtwist_id: int, matched: tuple[str, ...]
) -> UserDeletion:
    # Idempotency: a user whose deletion is already under way is not deleted again.
    known = await _read_status(client, crowdtwist_id)
    if known is not None:
        return UserDeletion(crowdtwist_id, matched, *known)
    reply = await _delete(client, crowdtwist_id)
    if isinstance(reply, tuple):
        return UserDeletion(crowdtwist_id, matched, *reply)
    if reply.status == 404:
        raise InconsistentDataError(
            "the user was found but CrowdTwist says it cannot be deleted (HTTP 404); "
            "submit again to re-resolve",
            endpoint=endpoints.DELETE_USER.name,
        )
    if reply.status == 200 and (answer := _answer(reply)) is not None:
        return UserDeletion(crowdtwist_id, matched, *answer)
    # A refusal or an unreadable answer: the status endpoint has the last word (a DELETE
    # repeated after a lost answer is refused because the first one queued the user).
    known = await _read_status(client, crowdtwist_id)
    if known is not None:
        return UserDeletion(crowdtwist_id, matched, *known)
    if reply.status == 400:
        code, message = reply.error_fields()
        return UserDeletion(crowdtwist_id, matched, "rejected", message or code or "HTTP 400")
    expect_ok(reply)
    raise ResponseError("unreadable answer to DELETE", endpoint=endpoints.DELETE_USER.name)


def _answer(reply: Reply) -> tuple[str, str] | None:
    """``(status, word)`` from a DELETE's answer (``{"status": "Queued"}``), if readable."""
    try:
        body = reply.json()
        word = body.get("status") if isinstance(body, dict) else None
        return _status(word, endpoints.DELETE_USER), str(word)
    except ResponseError:
        return None


async def _delete(client: CrowdTwistClient, crowdtwist_id: int) -> Reply | tuple[str, str]:
    """The DELETE's answer, or the deletion status if the answer was lost.

    A DELETE is not blindly resent: when its answer is lost (timeout, dropped connection,
    5xx) CrowdTwist may have queued the deletion, so the status is read first and the
    DELETE repeated only if the user is still not queued.
    """
    failure: TransientError | None = None
    for attempt in range(1, DELETE_ATTEMPTS + 1):
        try:
            return await client.request(
                endpoints.DELETE_USER,
                {"user_id": crowdtwist_id},
                params={"id_type": "id"},
                resend=False,
            )
        except TransientError as exc:
            if not exc.maybe_processed:
                raise
            failure = exc
        known = await _read_status(client, crowdtwist_id)
        if known is not None:
            return known
        await client.wait_before_retry(attempt, failure)
    assert failure is not None
    raise failure


async def _refresh_one(client: CrowdTwistClient, user: UserDeletion) -> UserDeletion:
    if user.status in ("completed", "rejected"):
        return user
    known = await _read_status(client, user.crowdtwist_id)
    if known is None:
        # The status endpoint may forget a finished deletion: confirm with the profile.
        reply = await client.request(
            endpoints.PROFILE, {"user_id": user.crowdtwist_id}, params={"id_type": "id"}
        )
        if reply.user_not_found:
            return user.advance("completed", "Member no longer exists")
        expect_ok(reply)
        return user.advance(user.status, "Not yet visible in the deletion status")
    return user.advance(*known)


async def _read_status(client: CrowdTwistClient, crowdtwist_id: int) -> tuple[str, str] | None:
    """The deletion status as ``(status, CrowdTwist's word)``, or None if not queued."""
    first = _preferred_status_route.get(client.settings.api_origin, endpoints.DELETION_STATUS)
    second = (
        endpoints.DELETION_STATUS_ALT
        if first is endpoints.DELETION_STATUS
        else endpoints.DELETION_STATUS
    )
    for route in (first, second):
        reply = await client.request(route, {"user_id": crowdtwist_id})
        if reply.status == 404:
            continue
        expect_ok(reply)
        _preferred_status_route[client.settings.api_origin] = route
        body = reply.json()
        word = body.get("status") if isinstance(body, dict) else None
        return _status(word, route), str(word)
    return None


def _status(word: Any, endpoint: Endpoint) -> str:
    status = STATUS_WORDS.get(str(word).lower()) if isinstance(word, str) else None
    if status is None:
        raise ResponseError(f"unknown deletion status {word!r}", endpoint=endpoint.name)
    assert status in STATUS_RANK
    return status
