"""The API's undocumented readings against the live sandbox serving each of them: pinned,
learned from an answer that proves it, and contradicted, with every record kept."""

from __future__ import annotations

import re
from typing import Any

import pytest

from host_stub.sandbox import Sandbox, SandboxConfig
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE, ALICE_COUNTS, ALICE_IDS, BOB, CAROL, CATEGORIES

UNDATED = "redemption_history_undated"
SEARCH = "member_search_is_active_0"
REDEMPTIONS = "GET /v2.2/users/{user_id}/redemption_history"
MEMBER_SEARCH = "POST /v2/members"
EVERYTHING = SandboxConfig(redemption_history_undated="everything")
LAST_YEAR = SandboxConfig(redemption_history_undated="last_365_days")
SEARCH_ALL = SandboxConfig(member_search_is_active_0="all")
SEARCH_INACTIVE = SandboxConfig(member_search_is_active_0="inactive_only")
BOB_IDS = {"email": [BOB.email]}


def counts(report: dict[str, Any]) -> dict[str, int]:
    (subject,) = report["subjects"]
    return {c: len(subject["data"][c]) for c in CATEGORIES}


def calls_to(host: Host, endpoint: str) -> int:
    return int(host.last_stats["by_endpoint"].get(endpoint, 0))


def reading(host: Host, name: str) -> dict[str, Any]:
    return dict(host.last_stats["readings"][name])


@pytest.mark.parametrize("sandbox_config", [EVERYTHING], ids=["everything"])
async def test_everything_is_learned_from_an_old_redemption_and_skips_the_windows(
    host: Host, sandbox: Sandbox
) -> None:
    connection = connection_for(sandbox)
    before = await host.access(connection, BOB_IDS)
    paid = calls_to(host, REDEMPTIONS)
    assert reading(host, UNDATED) == {"used": "unknown", "value": "unknown", "saved_requests": 0}

    assert counts(await host.access(connection, ALICE_IDS)) == ALICE_COUNTS
    proved = reading(host, UNDATED)["proved"]
    assert proved["value"] == "everything"
    assert re.fullmatch(r"undated answer held a redemption of \d{4}-\d{2}", proved["evidence"])
    assert ALICE.email not in repr(host.last_stats)  # a month, never a day or an identifier

    assert await host.access(connection, BOB_IDS) == before
    learned = reading(host, UNDATED)
    assert learned["used"] == "learned" and learned["value"] == "everything"
    assert learned["evidence"] == proved["evidence"] and learned["learned_at"] == proved["at"]
    assert calls_to(host, REDEMPTIONS) == 1 < paid
    assert learned["saved_requests"] == paid - 1


@pytest.mark.parametrize("sandbox_config", [LAST_YEAR], ids=["last_365_days"])
async def test_last_365_days_is_learned_from_a_window_and_the_windows_stay(
    host: Host, sandbox: Sandbox
) -> None:
    connection = connection_for(sandbox)
    assert counts(await host.access(connection, ALICE_IDS)) == ALICE_COUNTS
    paid = calls_to(host, REDEMPTIONS)
    proved = reading(host, UNDATED)["proved"]
    assert proved["value"] == "last_365_days"
    assert "year window held a " in proved["evidence"]
    assert counts(await host.access(connection, ALICE_IDS)) == ALICE_COUNTS
    assert reading(host, UNDATED)["used"] == "learned"
    assert calls_to(host, REDEMPTIONS) == paid


@pytest.mark.parametrize("sandbox_config", [EVERYTHING], ids=["everything"])
async def test_a_pinned_reading_the_answers_contradict_is_followed_and_reported(
    host: Host, sandbox: Sandbox
) -> None:
    connection = connection_for(sandbox, **{UNDATED: "last_365_days"})
    assert counts(await host.access(connection, ALICE_IDS)) == ALICE_COUNTS
    used = reading(host, UNDATED)
    assert used["used"] == "pinned" and used["value"] == "last_365_days"
    assert used["followed"] == "everything"
    assert used["contradicted_by"].startswith("undated answer held a ")
    # The pin stays the operator's: the next call starts from it again.
    await host.access(connection, ALICE_IDS)
    assert reading(host, UNDATED)["used"] == "pinned"


@pytest.mark.parametrize("sandbox_config", [EVERYTHING], ids=["everything"])
async def test_pinned_everything_costs_one_read_from_the_first_subject(
    host: Host, sandbox: Sandbox
) -> None:
    paid = await host.access(connection_for(sandbox), BOB_IDS)
    windows = calls_to(host, REDEMPTIONS) - 1
    pinned = await host.access(connection_for(sandbox, **{UNDATED: "everything"}), BOB_IDS)
    assert pinned == paid
    assert calls_to(host, REDEMPTIONS) == 1
    assert reading(host, UNDATED) == {
        "used": "pinned",
        "value": "everything",
        "saved_requests": windows,
    }
    # Alice's undated answer proves the pin itself: nothing was skipped that unknown reads.
    assert (
        counts(await host.access(connection_for(sandbox, **{UNDATED: "everything"}), ALICE_IDS))
        == ALICE_COUNTS
    )
    assert reading(host, UNDATED)["saved_requests"] == 0


@pytest.mark.parametrize("sandbox_config", [SEARCH_ALL], ids=["all"])
async def test_all_is_learned_from_an_active_member_and_halves_the_searches(
    host: Host, sandbox: Sandbox
) -> None:
    connection = connection_for(sandbox)
    first = await host.access(connection, ALICE_IDS)
    paid = calls_to(host, MEMBER_SEARCH)
    proved = reading(host, SEARCH)["proved"]
    assert proved == {**proved, "value": "all"}
    assert "active member" in proved["evidence"]
    assert await host.access(connection, ALICE_IDS) == first
    assert reading(host, SEARCH)["used"] == "learned"
    assert calls_to(host, MEMBER_SEARCH) == paid // 2
    assert reading(host, SEARCH)["saved_requests"] == paid // 2


@pytest.mark.parametrize("sandbox_config", [SEARCH_INACTIVE], ids=["inactive_only"])
async def test_pinned_all_is_disproved_by_the_profile_and_no_member_is_lost(
    host: Host, sandbox: Sandbox
) -> None:
    truth = await host.access(connection_for(sandbox), ALICE_IDS)
    assert reading(host, SEARCH)["proved"]["value"] == "inactive_only"
    pinned = await host.access(connection_for(sandbox, **{SEARCH: "all"}), ALICE_IDS)
    assert pinned == truth
    used = reading(host, SEARCH)
    assert used["used"] == "pinned" and used["followed"] == "inactive_only"
    assert "profile lookup found an active member" in used["contradicted_by"]


@pytest.mark.parametrize("sandbox_config", [EVERYTHING], ids=["everything"])
async def test_decide_readings_ignores_what_is_pinned_and_learned(
    host: Host, sandbox: Sandbox
) -> None:
    pinned = connection_for(sandbox, **{UNDATED: "last_365_days", "decide_readings": True})
    assert counts(await host.access(pinned, ALICE_IDS)) == ALICE_COUNTS
    used = reading(host, UNDATED)
    assert used["used"] == "unknown" and used["proved"]["value"] == "everything"
    await host.access(connection_for(sandbox, decide_readings=True), BOB_IDS)
    assert reading(host, UNDATED)["used"] == "unknown"


@pytest.mark.parametrize("sandbox_config", [SEARCH_INACTIVE], ids=["inactive_only"])
async def test_a_contradiction_completes_the_calls_other_one_sided_searches(
    host: Host, sandbox: Sandbox
) -> None:
    both = {"email": [ALICE.email, CAROL.email]}  # carol is inactive: her search holds her
    truth = await host.access(connection_for(sandbox), both)
    sandbox.state.log.clear()
    assert await host.access(connection_for(sandbox, **{SEARCH: "all"}), both) == truth
    searches = [r for r in sandbox.log if r.endpoint == "member_search"]
    assert sorted(r.query["is_active"] for r in searches) == ["0", "0", "1", "1"]
    assert reading(host, SEARCH)["saved_requests"] == 0
