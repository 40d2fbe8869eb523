"""The API's undocumented readings against the live sandbox serving each of them: without
a pin every call reads the safe way (whatever an earlier call saw); a pin saves requests
and is the operator's statement; a pin an answer contradicts stops the call."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crowdtwist_plugin.errors import ConfigurationError
from crowdtwist_sandbox import Sandbox, SandboxConfig
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
async def test_an_answer_proving_everything_is_reported_never_followed(
    host: Host, sandbox: Sandbox
) -> None:
    connection = connection_for(sandbox)
    before = await host.access(connection, BOB_IDS)
    paid = calls_to(host, REDEMPTIONS)
    assert paid > 1  # the undated answer and the year windows

    assert counts(await host.access(connection, ALICE_IDS)) == ALICE_COUNTS
    observed = reading(host, UNDATED)["observed"]
    assert observed["value"] == "everything"
    assert re.fullmatch(r"\d{4}-\d{2}", observed["back_to"])
    assert ALICE.email not in repr(host.last_stats)  # a month, never a day or an identifier

    # Nothing is learned: the next subject pays for the safe way again.
    assert await host.access(connection, BOB_IDS) == before
    assert reading(host, UNDATED)["used"] == "unknown"
    assert calls_to(host, REDEMPTIONS) == paid


@pytest.mark.parametrize("sandbox_config", [LAST_YEAR], ids=["last_365_days"])
async def test_a_window_record_the_undated_answer_lacked_is_observed(
    host: Host, sandbox: Sandbox
) -> None:
    assert counts(await host.access(connection_for(sandbox), ALICE_IDS)) == ALICE_COUNTS
    observed = reading(host, UNDATED)["observed"]
    assert observed["value"] == "not_everything"
    assert "lacked" in observed["evidence"]


@pytest.mark.parametrize("sandbox_config", [EVERYTHING], ids=["everything"])
async def test_pinned_everything_costs_one_read_from_the_first_subject(
    host: Host, sandbox: Sandbox
) -> None:
    safe = await host.access(connection_for(sandbox), ALICE_IDS)
    reads = [r for r in sandbox.log if r.endpoint == "redemption_history"]
    windows = {r.query["date_start"] for r in reads if "date_start" in r.query}
    undated_pages = sum(1 for r in reads if "date_start" not in r.query)
    pinned = await host.access(connection_for(sandbox, **{UNDATED: "everything"}), ALICE_IDS)
    assert pinned == safe
    assert calls_to(host, REDEMPTIONS) == undated_pages
    assert reading(host, UNDATED) == {
        "used": "pinned",
        "value": "everything",
        "saved_requests": len(windows),
    }


@pytest.mark.parametrize("sandbox_config", [SEARCH_ALL], ids=["all"])
async def test_pinned_all_halves_the_searches(host: Host, sandbox: Sandbox) -> None:
    safe = await host.access(connection_for(sandbox), ALICE_IDS)
    paid = calls_to(host, MEMBER_SEARCH)
    assert reading(host, SEARCH)["observed"]["value"] == "all"
    assert await host.access(connection_for(sandbox, **{SEARCH: "all"}), ALICE_IDS) == safe
    assert calls_to(host, MEMBER_SEARCH) == paid // 2
    assert reading(host, SEARCH)["saved_requests"] == paid // 2


@pytest.mark.parametrize("sandbox_config", [SEARCH_INACTIVE], ids=["inactive_only"])
async def test_a_contradicted_pin_fails_the_call_naming_the_pin(
    host: Host, sandbox: Sandbox
) -> None:
    await host.access(connection_for(sandbox), ALICE_IDS)
    assert reading(host, SEARCH)["observed"]["value"] == "inactive_only"
    # carol is inactive (her one-sided search holds her); alice is not: the call stops.
    both = {"email": [CAROL.email, ALICE.email]}
    with pytest.raises(ConfigurationError) as raised:
        await host.access(connection_for(sandbox, **{SEARCH: "all"}), both)
    assert "member_search_is_active_0 is pinned 'all'" in str(raised.value)
    assert not raised.value.retryable
    assert ALICE.email not in repr(raised.value) and CAROL.email not in str(raised.value)


@pytest.mark.parametrize("sandbox_config", [SEARCH_INACTIVE], ids=["inactive_only"])
async def test_decide_readings_ignores_the_pins(host: Host, sandbox: Sandbox) -> None:
    safe = await host.access(connection_for(sandbox), ALICE_IDS)
    pins = {SEARCH: "all", UNDATED: "everything", "decide_readings": True}
    assert await host.access(connection_for(sandbox, **pins), ALICE_IDS) == safe
    assert {use["used"] for use in host.last_stats["readings"].values()} == {"unknown"}
    assert counts(safe) == ALICE_COUNTS
