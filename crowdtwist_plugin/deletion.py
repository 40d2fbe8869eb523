"""``submit_deletion`` and ``check_deletion``: queue erasure, then follow it to the end.

CrowdTwist deletes asynchronously and keys everything by the numeric CrowdTwist id:
``DELETE /v2/users/{id}`` answers ``Queued``; the status endpoint then reports
``Deletion_initiated``, ``Deletion_in_progress`` and ``Deletion_completed``. Its path is
documented twice (``/v2/users/delete/{id}`` and ``/v2/user_deletion/{id}``); both are
tried before a user counts as "not queued".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from crowdtwist_plugin import catalogue, erasure
from crowdtwist_plugin.client import CrowdTwistClient, open_client
from crowdtwist_plugin.errors import InconsistentDataError, ResponseError, TransientError
from crowdtwist_plugin.identifiers import parse_identifiers
from crowdtwist_plugin.lookup import Subject, find_subjects
from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.pacing.throttle import Throttles
from crowdtwist_plugin.reply import Endpoint, Reply
from crowdtwist_plugin.settings import INTEGRATION, ConnectionSettings
from crowdtwist_plugin.tasks import gather_all
from crowdtwist_plugin.ticket import FINAL, Reported, Status, Ticket, UserDeletion

STATUS_WORDS = {
    "queued": Status.QUEUED,
    "deletion_initiated": Status.IN_PROGRESS,
    "deletion_in_progress": Status.IN_PROGRESS,
    "deletion_completed": Status.COMPLETED,
}
Known = tuple[Status, str]
# Before each DELETE, an INFO record with ``crowdtwist_id`` (never an identifier).
_ahead = logging.getLogger("crowdtwist_plugin.deletion")


# Which documented deletion-status route answers, per API origin (kept by the plugin
# instance, so later calls ask the right route first).
StatusRoutes = dict[str, tuple[Endpoint, Endpoint]]


async def submit_deletion(
    connection: Mapping[str, Any],
    identifiers: Mapping[str, Any],
    options: ClientOptions,
    throttles: Throttles | None = None,
    routes: StatusRoutes | None = None,
) -> dict[str, Any]:
    settings = ConnectionSettings.from_mapping(connection)
    wanted = parse_identifiers(identifiers, settings.user_id_type, settings.phone_region)
    submitted_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with open_client(settings, options, throttles) as client:
        found = await find_subjects(client, wanted, complete=False)
        flow = _Deletions(client, {} if routes is None else routes)
        users = await gather_all(flow.submit(s, _proves(settings)) for s in found.subjects)
        users = await _verified(client, users)
        stats = client.stats
    possible = tuple(p.to_json() for p in found.possible)
    ticket = Ticket(INTEGRATION, submitted_at, tuple(users), tuple(found.not_found), possible)
    return _written(ticket, settings, stats.to_json())


async def check_deletion(
    connection: Mapping[str, Any],
    ticket: Mapping[str, Any],
    options: ClientOptions,
    throttles: Throttles | None = None,
    routes: StatusRoutes | None = None,
) -> dict[str, Any]:
    settings = ConnectionSettings.from_mapping(connection)
    last = Ticket.from_json(ticket, INTEGRATION)
    async with open_client(settings, options, throttles) as client:
        flow = _Deletions(client, {} if routes is None else routes)
        users = await gather_all(flow.refresh(user) for user in last.users)
        users = await _verified(client, users)
        stats = client.stats
    refreshed = attrs.evolve(last, users=tuple(users))
    return _written(refreshed, settings, stats.to_json())


def _proves(settings: ConnectionSettings) -> bool:
    """Whether a completed deletion is proved (``erasure.py``) on this connection."""
    return settings.verify_erasure and not settings.deletion_complete_on_submit


async def _verified(client: CrowdTwistClient, users: list[UserDeletion]) -> list[UserDeletion]:
    """The users, proved gone (or not) once CrowdTwist reports every one completed."""
    if not _proves(client.settings):
        return users
    if not erasure.due(users):
        return users
    before = client.stats.requests
    proved = await erasure.prove(client, users)
    client.stats.verification_requests = client.stats.requests - before
    return proved


def _written(ticket: Ticket, settings: ConnectionSettings, stats: dict[str, Any]) -> dict[str, Any]:
    written = ticket.to_json(settings.deletion_complete_on_submit, settings.verify_erasure)
    return {**written, "stats": stats}


class _Deletions:
    """The deletion flow for one hook call; it asks first the status route that answered."""

    def __init__(self, client: CrowdTwistClient, routes: StatusRoutes) -> None:
        self.client = client
        self._origin = client.settings.api_origin
        self._known_routes = routes
        # What the status endpoint said last, per user: evidence for the ticket.
        self.reported: dict[int, Reported] = {}
        self._routes = routes.get(
            self._origin, (catalogue.DELETION_STATUS, catalogue.DELETION_STATUS_ALT)
        )
        # A DELETE whose answer was lost is sent again, under the same retry loop as every
        # other request, only once the status shows the user still not queued.
        self._delete = client.retrying(self._delete_once, before_resend=self.read_status)

    async def submit(self, subject: Subject, proving: bool) -> UserDeletion:
        """Queue one user's deletion; ``proving``: first note the identifiers its profile
        carries, for the proof (the profile is gone once the DELETE is through)."""
        crowdtwist_id = subject.crowdtwist_id
        held = await erasure.held_identifiers(self.client, subject) if proving else ()
        # Idempotency: a user whose deletion is already under way is not deleted again.
        known = await self.read_status(crowdtwist_id)
        if known is None:
            # Write-ahead for the host (docs/contract.md): a handler may record the id
            # before the DELETE can reach CrowdTwist.
            _ahead.info("DELETE may be sent", extra={"crowdtwist_id": crowdtwist_id})
            known = await self._delete(crowdtwist_id)
        user = UserDeletion(crowdtwist_id, subject.matched, *known)
        return attrs.evolve(user, reported=self.reported.get(crowdtwist_id), held=held)

    async def _delete_once(self, crowdtwist_id: int) -> Known:
        """The user's status after one DELETE, from its answer."""
        reply = await self.client.send_once(
            catalogue.DELETE_USER, {"user_id": crowdtwist_id}, params={"id_type": "id"}
        )
        return await self._status_after_delete(crowdtwist_id, reply)

    async def _status_after_delete(self, crowdtwist_id: int, reply: Reply) -> Known:
        """What one DELETE's answer says of the user's deletion status (the status
        endpoint decides when the answer does not)."""
        if reply.status == 404:
            raise InconsistentDataError(
                "the user was found but CrowdTwist says it cannot be deleted (HTTP 404); "
                "submit again to re-resolve",
                endpoint=catalogue.DELETE_USER.name,
            )
        if reply.status == 200 and (answer := _answer(reply)) is not None:
            return answer
        # A refusal or an unreadable answer: the status endpoint has the last word (a DELETE
        # repeated after a lost answer is refused because the first one queued the user).
        known = await self.read_status(crowdtwist_id)
        if known is not None:
            return known
        if reply.status == 400:
            code, message = reply.error_fields()
            return Status.REJECTED, message or code or "HTTP 400"
        reply.expect_ok()
        raise ResponseError("unreadable answer to DELETE", endpoint=catalogue.DELETE_USER.name)

    async def refresh(self, user: UserDeletion) -> UserDeletion:
        if user.status in FINAL:
            return user
        known = await self.read_status(user.crowdtwist_id)
        if known is not None:
            reported = self.reported.get(user.crowdtwist_id, user.reported)
            return attrs.evolve(user.advance(*known), reported=reported)
        # The status endpoint may forget a finished deletion: confirm with the profile.
        reply = await self.client.request(
            catalogue.PROFILE, {"user_id": user.crowdtwist_id}, params={"id_type": "id"}
        )
        if reply.user_not_found:
            return user.advance(Status.COMPLETED, "Member no longer exists")
        reply.expect_ok()
        return user.advance(user.status, "Not yet visible in the deletion status")

    async def read_status(self, crowdtwist_id: int) -> Known | None:
        """The deletion status as ``(status, CrowdTwist's word)``, or None if not queued.

        Only CrowdTwist's own not-found (``page_not_found``) means "not queued". Any other
        404 says the route does not exist on this deployment, so the other documented
        route is tried; if neither answers, nothing is known and the caller must not act
        as if the user were not queued.
        """
        for route in self._routes:
            reply = await self.client.request(route, {"user_id": crowdtwist_id})
            if reply.user_not_found:
                return None
            if reply.status == 404:
                continue
            body = reply.json_object()
            word = body.get("status")
            self.reported[crowdtwist_id] = Reported.of(body)
            if route is not self._routes[0]:
                self._routes = self._known_routes[self._origin] = (route, self._routes[0])
            return _status(word, route), str(word)
        raise TransientError(
            "neither deletion-status route answered (HTTP 404 without CrowdTwist's "
            "page_not_found); the deletion state is unknown",
            endpoint=catalogue.DELETION_STATUS.name,
        )


def _answer(reply: Reply) -> Known | None:
    """``(status, word)`` from a DELETE's answer (``{"status": "Queued"}``), if readable."""
    try:
        body = reply.json()
        word = body.get("status") if isinstance(body, dict) else None
        return _status(word, catalogue.DELETE_USER), str(word)
    except ResponseError:
        return None


def _status(word: Any, endpoint: Endpoint) -> Status:
    status = STATUS_WORDS.get(word.lower()) if isinstance(word, str) else None
    if status is None:
        # Not shown: an answer's free text may repeat the request.
        raise ResponseError(
            f"unknown deletion status (a {type(word).__name__}, not one of "
            f"{', '.join(w.capitalize() for w in STATUS_WORDS)})",
            endpoint=endpoint.name,
        )
    return status
