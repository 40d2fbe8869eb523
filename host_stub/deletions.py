"""Deletions: submitted once, followed to the end, never doubled by concurrent hosts.

- ``delete`` finds an open deletion of the same integration and identifiers and follows it
  instead of submitting again; otherwise it creates one, already claimed
  (``host_stub.claims``).
- Every plugin call for a deletion is made under this process's claim on the row. A
  request claimed by another live process is not touched: the command says so and, when
  it waits, watches the store until the request ends or the claim lapses (then it takes
  the request over).
- After a failure the request is kept or closed by ``host_stub.errors.classify_failure``:
  a retryable error (e.g. a 503 outage that outlasted the plugin's retries) keeps the
  deletion open with the redacted error and the next attempt time (the error's
  ``retry_after``, else 30 s doubling up to 30 min) - the command exits 1 and ``resume``
  follows it again. A non-retryable error fails it (exit 1). A configuration error
  (exit 2) fails a request only on its very first attempt (nothing was sent); a
  deletion already under way stays open until the settings are fixed.
- A waiting command retries a retryable failure at its next attempt time (within
  ``--max-wait``); each new command makes its first attempt at once: an operator running
  ``resume`` is asking for one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from host_stub.claims import OPEN_STATES, Claims, owner_is_gone
from host_stub.crash import crash_point
from host_stub.erasure import erase
from host_stub.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    HostError,
    PluginFailure,
    classify_failure,
)
from host_stub.runner import TERMINAL_STATES, PollPolicy, Runner, describe_ticket, unverified
from host_stub.stats import accumulate, stats_of
from host_stub.store import ClaimLost, PrivacyRequest, iso, parse_iso
from host_stub.writeahead import recording, with_ahead

BACKOFF_FIRST = 30.0
BACKOFF_MAX = 1800.0


def next_attempt_delay(failures: int, retry_after: float | None) -> float:
    """Seconds until a request that failed ``failures`` times in a row is tried again."""
    if retry_after is not None:
        return min(retry_after, BACKOFF_MAX)
    exponent = min(max(failures - 1, 0), 16)
    return min(BACKOFF_FIRST * float(2**exponent), BACKOFF_MAX)


@attrs.frozen
class Outcome:
    """Where one deletion stands after a command worked on it, and the exit code it earns."""

    request: PrivacyRequest
    exit_code: int
    note: str | None = None


class _Waiter:
    """Plans the waits between steps on the poll policy's schedule, within its deadline."""

    def __init__(self, runner: Runner, policy: PollPolicy) -> None:
        self.runner = runner
        self.policy = policy
        self.started = runner.store.clock()
        self._intervals = policy.intervals()

    def next_delay(self, at_least: float = 0.0) -> float | None:
        """Seconds to wait before the next step, or ``None`` if that is past the deadline."""
        delay = max(next(self._intervals), at_least)
        if self.policy.deadline is not None and self.elapsed() + delay > self.policy.deadline:
            return None
        return delay

    def elapsed(self) -> float:
        return self.runner.store.clock() - self.started


@attrs.define
class Deletions:
    """Submits and follows one integration's deletions under claims."""

    runner: Runner
    claims: Claims

    def open_requests(self) -> list[PrivacyRequest]:
        return self.runner.store.list(
            kind="deletion", states=OPEN_STATES, integration=self.runner.integration
        )

    async def delete(
        self, identifiers: Mapping[str, Sequence[str]], policy: PollPolicy | None
    ) -> Outcome:
        """Submit (or follow the open request for the same identifiers); wait if ``policy``."""
        request, created = self.claims.open_deletion(self.runner.integration, identifiers)
        if not created:
            self.runner.progress(
                f"deletion request {request.id} for the same identifiers is already open "
                f"({request.state}); following it instead of submitting again"
            )
        return await self.follow(request, policy, created=created)

    async def resume(self, policy: PollPolicy | None) -> list[Outcome]:
        """Follow every open deletion of this integration at once."""
        pending = self.open_requests()
        results = await asyncio.gather(
            *(self.follow(r, policy) for r in pending), return_exceptions=True
        )
        outcomes = []
        for request, result in zip(pending, results, strict=True):
            if isinstance(result, Outcome):
                outcomes.append(result)
                continue
            if not isinstance(result, Exception):
                raise result
            note = f"deletion request {request.id}: unexpected {type(result).__name__}: {result}"
            outcomes.append(Outcome(request, EXIT_FAILED, note))
        return outcomes

    async def follow(
        self, request: PrivacyRequest, policy: PollPolicy | None, *, created: bool = False
    ) -> Outcome:
        """Work on ``request`` while this process holds its claim; otherwise watch it."""
        waiter = _Waiter(self.runner, policy) if policy is not None else None
        announced = False
        while True:
            claimed, previous = self.claims.claim(request.id)
            if claimed is not None:
                if previous is not None:
                    why = "process is gone" if owner_is_gone(previous) else "claim expired"
                    self.runner.progress(
                        f"deletion request {request.id}: taking over from {previous}, whose {why}"
                    )
                try:
                    async with self.claims.held(request.id):
                        outcome = await self._work(claimed, waiter, created)
                except ClaimLost as exc:
                    outcome = Outcome(claimed, EXIT_OK, f"deletion request {request.id}: {exc}")
                released = self.runner.store.get(request.id)  # as it stands, unclaimed
                return attrs.evolve(outcome, request=released or outcome.request)
            request = self.runner.store.get(request.id) or request
            if request.state in TERMINAL_STATES:
                return _closed(request)
            if request.owner is None:
                continue  # released between our attempt and this read: try again
            held = (
                f"deletion request {request.id} is being worked by {request.owner} "
                f"(claim until {request.lease_until})"
            )
            if waiter is None:
                return Outcome(request, EXIT_OK, f"{held}; not touched here")
            delay = waiter.next_delay()
            if delay is None:
                return Outcome(request, EXIT_OK, f"{held}; stopped waiting")
            if not announced:
                self.runner.progress(f"{held}; waiting for it")
                announced = True
            await self.runner.sleep(delay)

    async def _work(
        self, request: PrivacyRequest, waiter: _Waiter | None, created: bool
    ) -> Outcome:
        first = True
        while True:
            request, failure = await self._step(request, first_of_new=created and first)
            first = False
            if failure is not None and failure.kind == "configuration":
                # A refused ticket is no configuration error: the settings are fine.
                code = EXIT_FAILED if _ticket_refused(failure) else EXIT_USAGE
                return Outcome(request, code, _failure_note(request, failure))
            if request.state in TERMINAL_STATES:
                return _closed(request)
            note = _failure_note(request, failure) if failure is not None else unverified(request)
            code = EXIT_FAILED if note is not None else EXIT_OK
            if waiter is None:
                return Outcome(request, code, note)
            delay = waiter.next_delay(at_least=self._seconds_until(request.next_attempt_at))
            if delay is None:
                stopped = (
                    f"stopped waiting after {waiter.elapsed():.0f} s (--max-wait "
                    f"{waiter.policy.deadline}); host-stub resume continues it"
                )
                why = f"{note}; " if note else f"deletion request {request.id}: "
                return Outcome(request, code, why + stopped)
            if note is not None:
                self.runner.progress(note)
            await self.runner.sleep(delay)

    def _seconds_until(self, when: str | None) -> float:
        if when is None:
            return 0.0
        return max(parse_iso(when) - self.runner.store.clock(), 0.0)

    async def _step(
        self, request: PrivacyRequest, *, first_of_new: bool
    ) -> tuple[PrivacyRequest, PluginFailure | None]:
        """One plugin call (submit if there is no ticket yet, else check), persisted."""
        store, owner = self.runner.store, self.claims.owner
        if request.ticket is None:
            hook, kwargs = "submit_deletion", {"identifiers": request.identifiers}
        else:
            hook, kwargs = "check_deletion", {"ticket": request.ticket}
        try:
            label = f"{self.runner.integration}, deletion request {request.id}"
            with recording(store, request.id):
                ticket = await self.runner.call(hook, label=label, **kwargs)
            if hook == "submit_deletion" and request.ahead:
                ticket = with_ahead(ticket, request.ahead)
            state = _ticket_state(ticket)
        except Exception as exc:
            failure = classify_failure(hook, exc)
            return self._record_failure(request, failure, first_of_new), failure
        crash_point("deletion-answered")
        # Completion and minimisation commit together (host_stub.erasure).
        with store.transaction() as db:
            updated = store.update(
                request.id,
                state=state,
                ticket=ticket,
                failures=0,
                stats=accumulate(request.stats, stats_of(ticket)),
                as_owner=owner,
                db=db,
            )
            described = describe_ticket(updated)
            if updated.state == "complete" and self.runner.keyed is not None:
                erase(db, store, updated, self.runner.keyed)
                updated = store.get(updated.id, db=db) or updated
        crash_point("erasure-committed")
        verb = "submitted" if hook == "submit_deletion" else "now"
        self.runner.progress(f"deletion request {updated.id} {verb}: {described}")
        return updated, None

    def _record_failure(
        self, request: PrivacyRequest, failure: PluginFailure, first_of_new: bool
    ) -> PrivacyRequest:
        store, owner = self.runner.store, self.claims.owner
        keep_open = failure.retryable or (failure.kind == "configuration" and not first_of_new)
        if not keep_open:
            return store.update(request.id, state="failed", error=failure.message, as_owner=owner)
        failures = request.failures + 1
        next_at = None
        if failure.retryable:
            delay = next_attempt_delay(failures, failure.retry_after)
            next_at = iso(store.clock() + delay)
        return store.update(
            request.id,
            state=request.state,
            error=failure.message,
            failures=failures,
            next_attempt_at=next_at,
            as_owner=owner,
        )


def _ticket_refused(failure: PluginFailure) -> bool:
    """Whether check_deletion refused the ticket it was given (the plugin's messages about
    a ticket name its field: ``ticket.submitted_at must be ...``)."""
    return failure.message.startswith("check_deletion failed: ticket")


def _ticket_state(ticket: Mapping[str, Any]) -> str:
    state = ticket.get("state")
    if state not in ("pending", "complete", "failed"):
        raise HostError(f"plugin returned a deletion ticket with an invalid state {state!r}")
    return str(state)


def _closed(request: PrivacyRequest) -> Outcome:
    if request.state != "failed":
        return Outcome(request, EXIT_OK)
    return Outcome(
        request, EXIT_FAILED, f"deletion request {request.id} failed: {why_failed(request)}"
    )


def why_failed(request: PrivacyRequest) -> str:
    """The stored error, else what CrowdTwist said when it refused a user."""
    if request.error:
        return request.error
    users = (request.ticket or {}).get("users", [])
    refusals = [
        f"CrowdTwist refused user {u.get('crowdtwist_id')}: {u.get('detail') or 'no reason given'}"
        for u in users
        if isinstance(u, dict) and u.get("status") == "rejected"
    ]
    return "; ".join(refusals) or "no reason was recorded"


def _failure_note(request: PrivacyRequest, failure: PluginFailure) -> str:
    if request.state in TERMINAL_STATES:
        return f"deletion request {request.id} failed: {failure.message}"
    if failure.kind == "configuration" and _ticket_refused(failure):
        return (
            f"deletion request {request.id}: the stored ticket is refused, not the settings: "
            f"{failure.message} (kept {request.state}: the ticket in the store was changed or "
            "damaged; correct that field, then host-stub resume continues it)"
        )
    if failure.kind == "configuration":
        return (
            f"deletion request {request.id}: {failure.message} (kept {request.state}: fix the "
            "settings, then host-stub resume continues it)"
        )
    return (
        f"deletion request {request.id}: {failure.message} (retryable: kept {request.state}, "
        f"next attempt after {request.next_attempt_at}; host-stub resume continues it)"
    )
