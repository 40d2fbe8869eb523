"""Privacy requests end to end: call the plugin, persist every step, poll deletions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pluggy

from host_stub.errors import ConfigError, HostError, redact
from host_stub.plugins import call_hook
from host_stub.store import PrivacyRequest, RequestStore, write_private_file

TERMINAL_STATES = frozenset({"complete", "failed"})
Progress = Callable[[str], None]


class RequestFailed(HostError):
    """The plugin could not serve the request; already recorded in the store."""

    def __init__(self, message: str, request: PrivacyRequest, *, retryable: bool) -> None:
        super().__init__(message)
        self.request = request
        self.retryable = retryable


@attrs.frozen
class PollPolicy:
    """How often to ask for deletion progress: growing intervals up to a cap."""

    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 30.0
    deadline: float | None = None

    def intervals(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * self.factor, self.maximum)


@attrs.define
class Runner:
    """Drives one integration's hooks for the CLI, keeping the store current."""

    pm: pluggy.PluginManager
    store: RequestStore
    reports_dir: Path
    integration: str
    connection: Mapping[str, Any]
    progress: Progress = print
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @property
    def secrets(self) -> list[str]:
        return [str(self.connection.get("api_key", ""))]

    async def _call(self, hook: str, request: PrivacyRequest, **kwargs: Any) -> dict[str, Any]:
        try:
            return await call_hook(
                self.pm, hook, integration=self.integration, connection=self.connection, **kwargs
            )
        except HostError as exc:
            self.store.update(request.id, state="failed", error=redact(str(exc), self.secrets))
            raise
        except Exception as exc:
            message = redact(f"{hook} failed: {exc}", self.secrets)
            retryable = bool(getattr(exc, "retryable", False))
            failed = self.store.update(request.id, state="failed", error=message)
            if isinstance(exc, ValueError):
                raise ConfigError(f"request {request.id}: {message}") from None
            raise RequestFailed(message, failed, retryable=retryable) from None

    async def check(self) -> dict[str, Any]:
        return await call_hook(
            self.pm,
            "validate_credentials",
            integration=self.integration,
            connection=self.connection,
        )

    async def access(
        self, identifiers: Mapping[str, Sequence[str]], output: Path | None = None
    ) -> tuple[PrivacyRequest, dict[str, Any]]:
        request = self.store.create("access", self.integration, identifiers, "running")
        report = await self._call("handle_access", request, identifiers=identifiers)
        path = output or self.reports_dir / f"access-{request.id}.json"
        write_private_file(path, json.dumps(report, indent=2, sort_keys=True) + "\n")
        done = self.store.update(request.id, state="complete", report_path=str(path))
        return done, report

    async def submit_deletion(self, identifiers: Mapping[str, Sequence[str]]) -> PrivacyRequest:
        # The row exists before the plugin is called, so a crash between the DELETE and
        # persisting the ticket leaves a "submitting" row that `resume` submits again
        # (submission is idempotent on the plugin side).
        request = self.store.create("deletion", self.integration, identifiers, "submitting")
        return await self._submit(request)

    async def _submit(self, request: PrivacyRequest) -> PrivacyRequest:
        ticket = await self._call("submit_deletion", request, identifiers=request.identifiers)
        return self.store.update(request.id, state=_ticket_state(ticket), ticket=ticket)

    async def refresh_deletion(self, request: PrivacyRequest) -> PrivacyRequest:
        if request.ticket is None:
            return await self._submit(request)
        ticket = await self._call("check_deletion", request, ticket=request.ticket)
        return self.store.update(request.id, state=_ticket_state(ticket), ticket=ticket)

    async def wait_for_deletion(
        self, request: PrivacyRequest, policy: PollPolicy
    ) -> PrivacyRequest:
        """Poll until the deletion is complete or failed (or the policy's deadline passes)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        intervals = policy.intervals()
        while request.state not in TERMINAL_STATES:
            delay = next(intervals)
            if policy.deadline is not None and loop.time() - started + delay > policy.deadline:
                self.progress(f"deletion {request.id}: still {request.state}; stopped waiting")
                break
            await self.sleep(delay)
            request = await self.refresh_deletion(request)
            self.progress(f"deletion {request.id}: {describe_ticket(request)}")
        return request

    def pending_deletions(self) -> list[PrivacyRequest]:
        return [
            r
            for r in self.store.list(kind="deletion", states=("submitting", "pending"))
            if r.integration == self.integration
        ]


def _ticket_state(ticket: Mapping[str, Any]) -> str:
    state = ticket.get("state")
    if state not in ("pending", "complete", "failed"):
        raise HostError(f"plugin returned a deletion ticket with an invalid state {state!r}")
    return str(state)


def describe_ticket(request: PrivacyRequest) -> str:
    """``pending (2 users: 1 queued, 1 in_progress; 0 not found)`` for progress lines."""
    ticket = request.ticket or {}
    users = ticket.get("users", [])
    counts: dict[str, int] = {}
    for user in users:
        counts[str(user.get("status"))] = counts.get(str(user.get("status")), 0) + 1
    detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    not_found = len(ticket.get("not_found", []))
    noun = "user" if len(users) == 1 else "users"
    return f"{request.state} ({len(users)} {noun}: {detail or 'none'}; {not_found} not found)"
