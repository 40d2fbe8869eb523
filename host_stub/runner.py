"""Privacy requests end to end: call the plugin, persist every step, keep the report.

What a hook's exception means is decided by ``host_stub.errors.classify_failure``: only an
exception that is a ``ValueError`` with ``retryable = False`` (the plugin's own
configuration error) is a configuration error (exit 2); any other failure fails the
request (exit 1), and an exception without a boolean ``retryable`` is reported as a plugin
bug or an unhandled response. Deletions are driven by ``host_stub.deletions``.

Access reports: the report is redacted (every form of the API key), then written to a new
file, 0600, never over an existing file and never through a symlink
(``host_stub.files``). If it cannot be written, the request is failed - never left
``running`` - and the complete (redacted) report is kept in the store's ``held_report``
column, shown by ``host-stub status ID``: the privacy team does not lose it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import pluggy

from host_stub.claims import make_owner_id
from host_stub.crash import crash_point
from host_stub.erasure import Keyed, crowdtwist_labels, erased_in, removal_note, report_subjects
from host_stub.errors import ConfigError, HostError, PluginFailure, classify_failure
from host_stub.files import write_new_private_file
from host_stub.plugins import call_hook
from host_stub.progress import ProgressDisplay
from host_stub.stats import accumulate, stats_of, summary
from host_stub.store import PrivacyRequest, RequestStore

DEEP_JSON_LIMIT = 4000  # levels of nesting a hook's result may have
TERMINAL_STATES = frozenset({"complete", "failed"})
Progress = Callable[[str], None]
Sleep = Callable[[float], Awaitable[None]]


class RequestFailed(HostError):
    """The plugin could not serve the request; already recorded in the store."""

    def __init__(self, message: str, request: PrivacyRequest, *, retryable: bool) -> None:
        super().__init__(message)
        self.request = request
        self.retryable = retryable


class RequestConfigError(ConfigError):
    """The plugin refused the settings or identifiers; recorded in the store."""

    def __init__(self, message: str, request: PrivacyRequest) -> None:
        super().__init__(f"request {request.id}: {message}")
        self.request = request


def raise_for(failure: PluginFailure, request: PrivacyRequest) -> HostError:
    """The exception the CLI turns into an exit code for ``failure``."""
    if failure.kind == "configuration":
        return RequestConfigError(failure.message, request)
    return RequestFailed(failure.message, request, retryable=failure.retryable)


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


@contextmanager
def deep_json() -> Iterator[None]:
    """Room for JSON's encoder and decoder, which recurse once per level of nesting (and
    count the caller's frames too): a record a few hundred levels deep is still data."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, DEEP_JSON_LIMIT + 500))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def json_object(value: Mapping[str, Any], hook: str) -> dict[str, Any]:
    """``value`` as a plain JSON object, or a ``HostError`` naming the hook."""
    try:
        with deep_json():
            loaded = json.loads(json.dumps(value, allow_nan=False))
    except RecursionError:
        raise HostError(
            f"{hook} returned a result nested more than {DEEP_JSON_LIMIT} levels deep"
        ) from None
    except (TypeError, ValueError) as exc:
        raise HostError(f"{hook} returned a result that is not JSON: {exc}") from None
    if not isinstance(loaded, dict):
        raise HostError(f"{hook} returned {type(loaded).__name__}, expected a JSON object")
    return loaded


@attrs.define
class Runner:
    """Drives one integration's hooks for the CLI, keeping the store current."""

    pm: pluggy.PluginManager
    store: RequestStore
    reports_dir: Path
    integration: str
    connection: Mapping[str, Any]
    progress: Progress = print
    sleep: Sleep = asyncio.sleep
    display: ProgressDisplay | None = None
    # Keys a completed deletion's identifiers in the store (host_stub.erasure).
    keyed: Keyed | None = None

    async def call(self, hook: str, *, label: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Call ``hook`` for this integration; the result as a plain JSON object.

        The plugin's progress records are shown while the call runs (``display``), and
        the call's ``stats`` summed up in one line after it (``label: 847 requests ...``;
        nothing when the output has no stats).
        """
        if self.display is None:
            result = await self._call(hook, **kwargs)
        else:
            with self.display.attached():
                result = await self._call(hook, **kwargs)
        output = json_object(result, hook)
        line = summary(stats_of(output))
        if line is not None:
            self.progress(f"{label or self.integration}: {line}")
        return output

    async def _call(self, hook: str, **kwargs: Any) -> dict[str, Any]:
        return await call_hook(
            self.pm, hook, integration=self.integration, connection=self.connection, **kwargs
        )

    async def check(self) -> dict[str, Any]:
        return await self.unrecorded("validate_credentials")

    async def unrecorded(self, hook: str, **kwargs: Any) -> dict[str, Any]:
        """A call that is no privacy request (nothing stored): a failure is a ``ConfigError``
        (exit 2) or a ``HostError`` (exit 1), as the plugin's exception says."""
        try:
            return await self.call(hook, **kwargs)
        except Exception as exc:
            failure = classify_failure(hook, exc)
            if failure.kind == "configuration":
                raise ConfigError(failure.message) from None
            raise HostError(failure.message) from None

    async def access(
        self, identifiers: Mapping[str, Sequence[str]], output: Path | None = None
    ) -> tuple[PrivacyRequest, dict[str, Any]]:
        """Collect the report and write it (to ``output``, or into the reports folder).

        However the request ends (a failure, an interruption, a bug in finishing it), it
        is never left ``running`` by this process; one whose process was killed is closed
        by ``host-stub resume`` (``host_stub.repair``).
        """
        owner = make_owner_id()
        request = self.store.create("access", self.integration, identifiers, "running", owner=owner)
        try:
            report = await self.call("handle_access", identifiers=identifiers)
        except Exception as exc:
            failure = classify_failure("handle_access", exc)
            failed = self.store.update(request.id, state="failed", error=failure.message)
            raise raise_for(failure, failed) from None
        except BaseException:
            self.store.update(request.id, state="failed", error="interrupted")
            raise
        try:
            return self._keep(request, report, output)
        except RequestFailed:
            raise
        except BaseException as exc:
            why = "interrupted" if not isinstance(exc, Exception) else _finishing_error(exc)
            self.store.update(request.id, state="failed", error=why)
            if isinstance(exc, Exception):
                raise RequestFailed(why, request, retryable=False) from None
            raise

    def _keep(
        self, request: PrivacyRequest, report: dict[str, Any], output: Path | None
    ) -> tuple[PrivacyRequest, dict[str, Any]]:
        """Write the report and complete the request, unless its person was erased
        meanwhile: then the report is removed in the same transaction."""
        report = self.store.redactor.json(report)
        stats = accumulate(None, stats_of(report))
        text = report_text(report)
        path = output or self.reports_dir / f"access-{request.id}.json"
        subjects = crowdtwist_labels(report_subjects(report), self.keyed) if self.keyed else None
        # Named before it exists, with its person, so an erasure (or a repair) meanwhile
        # finds the file and knows whose it is.
        self.store.update(request.id, state="running", report_path=str(path), subjects=subjects)
        try:
            write_new_private_file(path, text)
        except (OSError, HostError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            message = (
                f"could not write the report to {path}: {reason}; the complete report is "
                f"kept in the store (`host-stub status {request.id}` shows it as held_report)"
            )
            self.store.set_report_path(request.id, None)
            failed = self.store.update(
                request.id, state="failed", error=message, held_report=text, stats=stats
            )
            raise RequestFailed(message, failed, retryable=False) from None
        crash_point("access-report-written")
        with self.store.transaction() as db:
            done = self.store.update(request.id, state="complete", stats=stats, db=db)
            erased = erased_in(db, self.store, done, self.keyed) if self.keyed else None
            if erased is not None and self.keyed is not None:
                path.unlink(missing_ok=True)
                ids = self.keyed.identifiers(done.identifiers)
                self.store.minimise(db, done.id, ids, None, remove_report=removal_note(erased.id))
                done = self.store.get(done.id, db=db) or done
        return done, report


def report_text(report: Mapping[str, Any]) -> str:
    """The report as it is written: indented JSON, or compact when it nests too deep for
    the indenting encoder (which recurses in Python)."""
    with deep_json():
        try:
            return json.dumps(report, indent=2, sort_keys=True) + "\n"
        except RecursionError:
            return json.dumps(report, sort_keys=True) + "\n"


def _finishing_error(exc: Exception) -> str:
    return f"the report could not be kept: {type(exc).__name__}: {str(exc)[:500]}"


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
    verification = f"; verification {ticket['verification']}" if "verification" in ticket else ""
    return (
        f"{request.state} ({len(users)} {noun}: {detail or 'none'}; {not_found} not found"
        f"{verification})"
    )


def unverified(request: PrivacyRequest) -> str | None:
    """Why the erasure is not proved, when CrowdTwist says it is done but the check failed."""
    ticket = request.ticket or {}
    if ticket.get("verification") != "failed":
        return None
    reasons = sorted(
        {
            str(u["verification_failure"])
            for u in ticket.get("users", [])
            if u.get("verification_failure")
        }
    )
    return (
        f"deletion request {request.id}: the erasure is not verified: "
        f"{'; '.join(reasons) or 'a user still resolves'} (kept pending; host-stub resume "
        "checks again)"
    )
