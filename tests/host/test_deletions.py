"""Following deletions under claims, on an injected clock and sleep (issue 11, items 5, 8,
10). Nothing here waits for real: the fake sleep records the delay and moves the clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pluggy
import pytest

from host_stub.claims import Claims
from host_stub.cli_parser import DEFAULT_MAX_WAIT, build_parser
from host_stub.deletions import BACKOFF_FIRST, Deletions, Outcome
from host_stub.plugins import make_plugin_manager
from host_stub.runner import PollPolicy, Runner
from host_stub.store import RequestStore, iso, parse_iso
from tests.host.echo_plugin import EchoConfigError, EchoFailure
from tests.host.scripted_plugin import NAME, ScriptedPlugin, ticket

IDS = {"email": ["carol@example.com"]}
POLL = PollPolicy(initial=1.0, maximum=1.0, deadline=3600.0)


@attrs.define
class Harness:
    root: Path
    plugin: ScriptedPlugin
    pm: pluggy.PluginManager
    now: float = 1_800_000_000.0
    slept: list[float] = attrs.field(factory=list)
    progress: list[str] = attrs.field(factory=list)
    on_sleep: list[Any] = attrs.field(factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.on_sleep:
            self.on_sleep.pop(0)()

    @property
    def store(self) -> RequestStore:
        return RequestStore(self.root / "requests.db", clock=self.clock)

    def deletions(self, owner: str = "me") -> Deletions:
        runner = Runner(
            pm=self.pm,
            store=self.store,
            reports_dir=self.root / "reports",
            integration=NAME,
            connection={"api_key": "k"},
            progress=self.progress.append,
            sleep=self.sleep,
        )
        return Deletions(runner, Claims(runner.store, owner=owner, lease_seconds=60.0))


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    plugin = ScriptedPlugin()
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name=NAME)
    try:
        yield Harness(tmp_path, plugin, pm)
    finally:
        pm.unregister(plugin)


def outage(retry_after: float | None = None) -> EchoFailure:
    failure = EchoFailure("GET /v2/users/{user_id}/delete: HTTP 503", retryable=True)
    if retry_after is not None:
        failure.retry_after = retry_after  # type: ignore[attr-defined]
    return failure


async def test_delete_waits_for_completion(h: Harness) -> None:
    outcome = await h.deletions().delete(IDS, POLL)
    assert (outcome.request.state, outcome.exit_code) == ("complete", 0)
    assert h.plugin.hooks_called() == ["submit_deletion", "check_deletion"]
    assert outcome.request.owner is None  # released


async def test_a_retryable_failure_keeps_the_deletion_open_with_error_and_next_time(
    h: Harness,
) -> None:
    await h.deletions().delete(IDS, None)  # submitted, pending
    h.plugin.script["check_deletion"].append(outage())
    (outcome,) = await h.deletions().resume(None)
    request = outcome.request
    assert (request.state, outcome.exit_code, request.failures) == ("pending", 1, 1)
    assert request.error == "check_deletion failed: GET /v2/users/{user_id}/delete: HTTP 503"
    assert request.next_attempt_at == iso(h.now + BACKOFF_FIRST)
    assert outcome.note is not None and "retryable: kept pending" in outcome.note
    assert h.deletions().open_requests() == [request]  # resume follows it again

    (outcome,) = await h.deletions().resume(None)  # a new command tries at once
    assert (outcome.request.state, outcome.exit_code) == ("complete", 0)
    assert (outcome.request.error, outcome.request.next_attempt_at) == (None, None)
    assert outcome.request.failures == 0


async def test_a_waiting_command_retries_at_the_next_attempt_time(h: Harness) -> None:
    h.plugin.script["submit_deletion"] += [outage(), outage()]
    h.plugin.script["check_deletion"].append(outage(retry_after=7.0))
    outcome = await h.deletions().delete(IDS, POLL)
    assert (outcome.request.state, outcome.exit_code) == ("complete", 0)
    assert h.plugin.hooks_called() == ["submit_deletion"] * 3 + ["check_deletion"] * 2
    # 30 s, then 60 s (doubling), poll 1 s, then the error's own Retry-After of 7 s.
    assert h.slept == [BACKOFF_FIRST, 2 * BACKOFF_FIRST, 1.0, 7.0]
    assert any("retryable: kept submitting" in line for line in h.progress)


async def test_a_waiting_command_stops_at_its_deadline_and_says_when_next(h: Harness) -> None:
    h.plugin.script["submit_deletion"].append(outage())
    outcome = await h.deletions().delete(IDS, PollPolicy(1.0, deadline=10.0))
    assert (outcome.request.state, outcome.exit_code) == ("submitting", 1)
    assert h.slept == []  # the next attempt (30 s) is past the 10 s deadline: no pointless wait
    assert outcome.note is not None and outcome.request.next_attempt_at in outcome.note


async def test_a_final_failure_fails_the_deletion(h: Harness) -> None:
    await h.deletions().delete(IDS, None)
    h.plugin.script["check_deletion"].append(EchoFailure("HTTP 403", retryable=False))
    (outcome,) = await h.deletions().resume(POLL)
    assert (outcome.request.state, outcome.exit_code) == ("failed", 1)
    assert h.deletions().open_requests() == []


@pytest.mark.parametrize("bug", [ValueError("invalid literal for int()"), RecursionError()])
async def test_an_untyped_exception_is_a_plugin_bug_not_a_configuration_error(
    h: Harness, bug: Exception
) -> None:
    await h.deletions().delete(IDS, None)
    h.plugin.script["check_deletion"].append(bug)
    (outcome,) = await h.deletions().resume(POLL)
    assert (outcome.request.state, outcome.exit_code) == ("failed", 1)
    assert outcome.request.error is not None
    assert "plugin bug or a response the plugin did not handle" in outcome.request.error
    assert type(bug).__name__ in outcome.request.error


async def test_a_configuration_error_fails_only_a_new_request(h: Harness) -> None:
    h.plugin.script["submit_deletion"].append(EchoConfigError("bad email 'x'"))
    new = await h.deletions().delete({"email": ["x"]}, POLL)
    assert (new.request.state, new.exit_code) == ("failed", 2)

    await h.deletions().delete(IDS, None)
    h.plugin.script["check_deletion"].append(EchoConfigError("api_subdomain must match"))
    (under_way,) = await h.deletions().resume(POLL)
    assert (under_way.request.state, under_way.exit_code) == ("pending", 2)
    assert under_way.note is not None and "fix the settings" in under_way.note
    (fixed,) = await h.deletions().resume(POLL)
    assert (fixed.request.state, fixed.exit_code) == ("complete", 0)


async def test_a_request_held_by_a_live_process_is_not_touched(h: Harness) -> None:
    other = h.deletions(owner="other-host:99")
    request, _ = other.claims.open_deletion(NAME, IDS)
    outcome = await h.deletions().delete(IDS, None)
    assert outcome.request.id == request.id and outcome.exit_code == 0
    assert outcome.note is not None and "being worked by other-host:99" in outcome.note
    assert h.plugin.calls == []
    assert any("following it instead of submitting again" in line for line in h.progress)


async def test_a_waiting_command_watches_the_holder_finish(h: Harness) -> None:
    other = h.deletions(owner="other")
    request, _ = other.claims.open_deletion(NAME, IDS)

    def holder_finishes() -> None:
        other.runner.store.update(
            request.id, state="complete", ticket=ticket("complete", "completed"), as_owner="other"
        )

    h.on_sleep += [lambda: None, holder_finishes]
    outcome = await h.deletions().delete(IDS, POLL)
    assert (outcome.request.state, outcome.exit_code) == ("complete", 0)
    assert h.plugin.calls == []
    assert len(h.slept) == 2


async def test_a_crashed_holder_is_taken_over_when_its_lease_runs_out(h: Harness) -> None:
    crashed = h.deletions(owner="crashed")
    crashed.claims.open_deletion(NAME, IDS)  # claimed, then the process died
    outcome = await h.deletions().delete(IDS, POLL)
    assert (outcome.request.state, outcome.exit_code) == ("complete", 0)
    assert sum(h.slept) >= 60.0  # nothing was sent before the lease had run out
    assert h.plugin.hooks_called() == ["submit_deletion", "check_deletion"]
    assert any("taking over from crashed" in line for line in h.progress)


async def test_a_process_that_lost_its_claim_stores_nothing(h: Harness) -> None:
    thief = h.deletions(owner="thief")

    def steal(kwargs: dict[str, Any]) -> dict[str, Any]:
        h.now += 61.0  # this process stalled past its lease; another took the row over
        (row,) = thief.open_requests()
        assert thief.claims.claim(row.id)[0] is not None
        return ticket("pending", "queued")

    h.plugin.script["submit_deletion"].append(steal)
    outcome = await h.deletions().delete(IDS, POLL)
    assert outcome.exit_code == 0
    assert outcome.note is not None and "lost its claim" in outcome.note
    stored = outcome.request
    assert (stored.owner, stored.ticket, stored.state) == ("thief", None, "submitting")


def test_next_attempt_times_are_parseable(h: Harness) -> None:
    assert parse_iso(iso(h.now + 30.5)) == pytest.approx(h.now + 30.5)


def test_outcome_is_plain_data() -> None:
    assert attrs.has(Outcome)


async def test_delete_against_an_unreachable_host_ends_within_the_default_wait(
    h: Harness,
) -> None:
    # issue 29: every attempt fails as a refused connection does; the default --max-wait ends it
    args = build_parser().parse_args(["delete", "--email", "carol@example.com"])
    policy = PollPolicy(args.poll_interval, maximum=args.max_poll_interval, deadline=args.max_wait)
    h.plugin.script["submit_deletion"] += [outage() for _ in range(100)]
    started = h.now
    outcome = await h.deletions().delete(IDS, policy)
    assert outcome.exit_code == 1 and outcome.request.state == "submitting"
    assert h.now - started <= DEFAULT_MAX_WAIT <= 600
    assert outcome.note is not None and "stopped waiting after" in outcome.note
    assert "HTTP 503" in outcome.note and "host-stub resume continues it" in outcome.note


async def test_a_refused_deletion_says_why(h: Harness) -> None:
    refused = {**ticket("failed", "rejected", "Member is inactive but has redeemable points")}
    h.plugin.script["submit_deletion"].append(refused)
    outcome = await h.deletions().delete(IDS, POLL)
    assert outcome.exit_code == 1 and outcome.note is not None
    assert "Member is inactive but has redeemable points" in outcome.note
