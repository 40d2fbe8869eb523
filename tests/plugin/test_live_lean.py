"""The fewest calls: a complete report in exactly the README's minimal requests, in every
reading of what the documentation leaves open (the sandbox's switches)."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from crowdtwist_sandbox import DEMO_PEOPLE, Sandbox, SandboxConfig
from crowdtwist_sandbox.sandbox_config import UNDATED_REDEMPTION_READINGS
from tests.helpers.host import Host, test_options
from tests.helpers.minimal import held_by_sandbox, minimal_requests
from tests.helpers.people import CATEGORIES
from tests.helpers.records import record_ids

TODAY = date(2026, 11, 27)
READINGS = [
    pytest.param(
        SandboxConfig(
            today=TODAY, redemption_history_undated=undated, legacy_history_page_clamp=clamp
        ),
        id=f"{undated}-clamp-{clamp}",
    )
    for undated, clamp in itertools.product(UNDATED_REDEMPTION_READINGS, (25, 7, None))
]
PEOPLE = ("alice", "tess", "noel", "bob", "erin")


@pytest.fixture
def client_options() -> Any:
    return test_options(today=lambda: TODAY)


def assert_complete(sandbox: Sandbox, subject: dict[str, Any]) -> None:
    held = held_by_sandbox(sandbox, subject["crowdtwist_id"])
    for category in CATEGORIES:
        got, want = subject["data"][category], held[category]
        assert sorted(record_ids(got)) == sorted(record_ids(want)), category
        assert len(set(record_ids(got))) == len(got), f"a record twice in {category}"


@pytest.mark.parametrize("sandbox_config", READINGS)
@pytest.mark.parametrize("name", PEOPLE)
async def test_complete_in_exactly_the_minimal_requests(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], name: str
) -> None:
    person = DEMO_PEOPLE[name]
    report = await host.access(connection, {"email": [person.email]})
    (subject,) = report["subjects"]
    assert_complete(sandbox, subject)
    assert Counter(sandbox.counters.by_endpoint) == minimal_requests(sandbox, person.crowdtwist_id)
    assert host.last_stats["requests"] == len(sandbox.log)


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(today=TODAY, redemption_history_undated="everything")],
)
async def test_an_old_redemption_in_the_undated_answer_skips_nothing_unless_pinned(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """tess's redemptions reach three years back, before her profile's date_created: the
    undated answer holds them all, yet without a pin every year window is still read."""
    tess = DEMO_PEOPLE["tess"]
    report = await host.access(connection, {"email": [tess.email]})
    assert_complete(sandbox, report["subjects"][0])
    reads = [r for r in sandbox.log if r.endpoint == "redemption_history"]
    assert any("date_start" in r.query for r in reads)
    sandbox.state.log.clear()
    pinned = {**connection, "redemption_history_undated": "everything"}
    assert await host.access(pinned, {"email": [tess.email]}) == report
    reads = [r for r in sandbox.log if r.endpoint == "redemption_history"]
    assert reads and all("date_start" not in r.query for r in reads)


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(today=TODAY, redemption_history_undated="last_365_days")]
)
@pytest.mark.parametrize("name", ["tess", "noel"])
async def test_windows_reach_before_date_created_and_without_it(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], name: str
) -> None:
    person = DEMO_PEOPLE[name]
    report = await host.access(connection, {"email": [person.email]})
    assert_complete(sandbox, report["subjects"][0])
    starts = [r.query["date_start"] for r in sandbox.log if "date_start" in r.query]
    assert min(starts) == "2009-01-01"
    ends = {date.fromisoformat(r.query["date_end"]) for r in sandbox.log if "date_end" in r.query}
    assert max(ends) == TODAY + timedelta(days=31)  # a month past the service's today


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(today=TODAY, redemption_history_undated="last_365_days")]
)
async def test_an_earlier_date_created_moves_the_first_window_back(
    sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    bob = DEMO_PEOPLE["bob"]
    member = sandbox.state.store.members[bob.crowdtwist_id]
    member.profile["date_created"] = "1199145600"  # 2008-01-01
    host = Host(test_options(today=lambda: TODAY))
    try:
        await host.access(connection, {"email": [bob.email]})
    finally:
        host.close()
    starts = sorted(r.query["date_start"] for r in sandbox.log if "date_start" in r.query)
    assert starts[0] == "2008-01-01"


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(today=TODAY, redemption_history_undated="last_365_days")]
)
async def test_a_later_redemptions_since_means_fewer_windows(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """A program that started in 2024 and imported nothing older need not read earlier."""
    alice = DEMO_PEOPLE["alice"]
    since = {**connection, "redemptions_since": "2024-01-01"}
    report = await host.access(since, {"email": [alice.email]})
    assert_complete(sandbox, report["subjects"][0])
    starts = sorted(r.query["date_start"] for r in sandbox.log if "date_start" in r.query)
    created = sandbox.state.store.members[alice.crowdtwist_id].profile["date_created"]
    assert starts[0] == min("2024-01-01", date.fromtimestamp(int(created)).isoformat())
