"""Behaviour over time against the live sandbox: faults, retries, rate limits, secrecy."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import time
from typing import Any

import attrs
import pytest

from crowdtwist_plugin.errors import (
    AuthenticationError,
    CrowdTwistError,
    ResponseError,
    TransientError,
)
from crowdtwist_plugin.pacing.rules import RetryPolicy
from crowdtwist_sandbox import Sandbox, SandboxConfig
from tests.helpers.host import CeilingRandom, Host, RetryLog, connection_for
from tests.helpers.people import ALICE, ALICE_COUNTS, ALICE_IDS, CATEGORIES
from tests.helpers.secrets import CANARY_KEY, exception_texts, leaks_in

CANARY = SandboxConfig(api_key=CANARY_KEY, deletion_step_seconds=0.1)


def counts(report: dict[str, Any]) -> dict[str, int]:
    (subject,) = report["subjects"]
    return {c: len(subject["data"][c]) for c in CATEGORIES}


def requests_to(sandbox: Sandbox, endpoint: str) -> list[int]:
    return [r.status for r in sandbox.log if r.endpoint == endpoint]


async def test_429_with_retry_after_then_success(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    retries: RetryLog,
    recorded_pauses: list[float],
) -> None:
    sandbox.add_fault("rate_limit", endpoint="profile", retry_after="0.07", times=1)
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    assert retries.delays == [0.07]  # the server's value exactly: no jitter
    assert recorded_pauses == [0.07]  # and every request sharing the budget holds back
    assert requests_to(sandbox, "profile") == [429, 200]


async def test_429_without_retry_after_backs_off_exponentially(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    retries: RetryLog,
    recorded_pauses: list[float],
) -> None:
    host.configure(retry=RetryPolicy(base=0.005, rng=CeilingRandom()))
    sandbox.add_fault("rate_limit", endpoint="receipts", times=4)
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    assert retries.delays == [0.005, 0.01, 0.02, 0.04]
    assert recorded_pauses == [1.0] * 4  # the default pause when no Retry-After is given
    assert requests_to(sandbox, "receipts") == [429, 429, 429, 429, 200, 200]


async def test_backoff_is_jittered_below_the_ceiling(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], retries: RetryLog
) -> None:
    host.configure(retry=RetryPolicy(base=0.005, rng=host.options.retry.rng))
    sandbox.add_fault("status", endpoint="receipts", status=503, times=5)
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    ceilings = [0.005, 0.01, 0.02, 0.04, 0.08]
    assert len(retries.delays) == 5
    assert all(0 <= d <= c for d, c in zip(retries.delays, ceilings, strict=True))
    assert retries.delays != ceilings


@pytest.mark.parametrize(
    ("retry_after", "low", "high"),
    [
        ("0", 0.0, 0.0),
        ("0.025", 0.025, 0.025),
        ("3600", 0.05, 0.05),  # clamped to max_retry_after
        ("soon", 0.005, 0.005),  # garbage: exponential backoff (ceiling of attempt 1)
        ("-5", 0.005, 0.005),  # negative: garbage too
    ],
)
async def test_retry_after_values(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    retries: RetryLog,
    retry_after: str,
    low: float,
    high: float,
) -> None:
    host.configure(retry=RetryPolicy(base=0.005, max_retry_after=0.05, rng=CeilingRandom()))
    sandbox.add_fault("rate_limit", endpoint="profile", retry_after=retry_after)
    await host.access(connection, ALICE_IDS)
    assert len(retries.delays) == 1
    assert low <= retries.delays[0] <= high


async def test_retry_after_http_date(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    recorded_pauses: list[float],
) -> None:
    host.configure(retry=attrs.evolve(host.options.retry, max_retry_after=60.0, max_time=0.0))
    before = time.time()
    date = math.floor(before) + 30  # an HTTP date has whole seconds
    sandbox.add_fault(
        "rate_limit", endpoint="profile", retry_after=email.utils.formatdate(date, usegmt=True)
    )
    with pytest.raises(TransientError) as caught:
        await host.access(connection, ALICE_IDS)
    after = time.time()
    # The date is read as 30 s from now: the wait lies between the date less the time the
    # call was made and the date less the time it started (the time budget then ends it).
    assert caught.value.retry_after is not None
    assert date - after <= caught.value.retry_after <= date - before
    assert recorded_pauses and date - after <= recorded_pauses[0] <= date - before


async def test_429_pauses_every_request_for_real(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """With real sleeping the throttle really holds every request back after a 429."""
    host.configure(sleep=asyncio.sleep, retry=attrs.evolve(host.options.retry, max_retry_after=1))
    sandbox.add_fault("rate_limit", endpoint="profile", retry_after="0.3")
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    (limited,) = [r for r in sandbox.log if r.status == 429]
    retried = [r.time - limited.time for r in sandbox.log if r.endpoint == "profile"][1:]
    assert retried and retried[0] >= 0.28
    # Nothing new starts during the pause: what still arrives in it are only the member
    # searches that started together with the profile lookup, before its 429 came back.
    during = [r for r in sandbox.log if limited.time < r.time < limited.time + 0.28]
    assert {r.endpoint for r in during} <= {"member_search"}
    assert len(during) <= 2  # is_active=1 and is_active=0


async def test_503_twice_then_success(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], retries: RetryLog
) -> None:
    sandbox.add_fault("status", endpoint="purchases", status=503, times=2)
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    assert len(retries.delays) == 2
    assert requests_to(sandbox, "purchases") == [503, 503, 200, 200, 200]


@pytest.mark.parametrize(
    ("endpoint", "template"),
    [
        ("profile", "GET /v2/users/{user_id}"),
        ("member_search", "POST /v2/members"),
        ("receipts", "GET /v2/users/{user_id}/receipts"),
        ("activity_history", "GET /v2/users/{user_id}/activity_history"),
        ("redemption_history", "GET /v2.2/users/{user_id}/redemption_history"),
        ("purchases", "GET /users/{user_id}/purchases (POS host)"),
    ],
)
@pytest.mark.parametrize("status", [503, 500, 429])
async def test_persistent_failure_is_retryable_and_names_the_template(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    retries: RetryLog,
    recorded_pauses: list[float],
    endpoint: str,
    template: str,
    status: int,
) -> None:
    kind = "rate_limit" if status == 429 else "status"
    sandbox.add_fault(kind, endpoint=endpoint, status=status, times=None)
    with pytest.raises(TransientError) as caught:
        await host.access(connection, ALICE_IDS)
    exc = caught.value
    assert exc.retryable is True
    assert str(exc).startswith(f"{template}: HTTP {status}")
    assert "gave up" in str(exc)
    for text in exception_texts(exc):
        assert str(ALICE.crowdtwist_id) not in text.split("Traceback")[0]
        assert ALICE.email not in text
        assert "127.0.0.1" not in text
    # six tries per request (several requests to one endpoint may run concurrently)
    assert len(retries.delays) >= 5
    assert requests_to(sandbox, endpoint).count(status) >= 6


@pytest.mark.parametrize(
    ("fault", "fields", "error", "message"),
    [
        ("malformed_json", {}, ResponseError, "malformed JSON body (HTTP 200"),
        ("empty", {}, ResponseError, "malformed JSON body (HTTP 200, 0 bytes)"),
        ("html", {}, ResponseError, "expected a JSON body, got text/html (HTTP 200)"),
        ("wrong_content_type", {}, ResponseError, "expected a JSON body, got text/plain"),
        ("status", {"status": 403}, AuthenticationError, "rejected the API key (HTTP 403)"),
        ("status", {"status": 400}, ResponseError, "unexpected HTTP 400"),
        ("status", {"status": 302, "body": "empty"}, ResponseError, "unexpected redirect"),
    ],
    ids=["malformed-json", "empty", "html", "text-plain", "403", "400", "redirect"],
)
@pytest.mark.parametrize("endpoint", ["receipts", "purchases", "profile"])
async def test_bad_answers_are_not_retryable(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    retries: RetryLog,
    fault: str,
    fields: dict[str, Any],
    error: type[CrowdTwistError],
    message: str,
    endpoint: str,
) -> None:
    sandbox.add_fault(fault, endpoint=endpoint, **fields)
    with pytest.raises(error) as caught:
        await host.access(connection, ALICE_IDS)
    assert caught.value.retryable is False
    assert message in str(caught.value)
    assert retries.delays == []  # not retried
    assert len(requests_to(sandbox, endpoint)) == 1


@pytest.mark.parametrize("endpoint", ["receipts", "purchases", "member_search"])
async def test_dropped_connection_is_retried(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    retries: RetryLog,
    endpoint: str,
) -> None:
    sandbox.add_fault("drop_connection", endpoint=endpoint, times=1)
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    # aiohttp itself re-sends an idempotent request once when a reused connection drops;
    # otherwise the plugin's retry does, after one (millisecond) wait.
    assert len(retries.delays) <= 1
    statuses = requests_to(sandbox, endpoint)
    assert statuses[0] == 0  # dropped without an answer
    assert statuses.count(0) == 1 and 200 in statuses


@pytest.mark.parametrize("endpoint", ["user_rewards", "purchases", "member_search"])
async def test_dropped_connection_forever_is_retryable(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], endpoint: str
) -> None:
    sandbox.add_fault("drop_connection", endpoint=endpoint, times=None)
    with pytest.raises(TransientError, match="connection dropped") as caught:
        await host.access(connection, ALICE_IDS)
    assert caught.value.retryable is True
    assert "gave up after retrying" in str(caught.value)


@pytest.mark.parametrize("fault", ["loop_next_page", "foreign_next_page"])
async def test_next_page_links_are_never_followed(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], fault: str
) -> None:
    sandbox.add_fault(fault, times=None)
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    assert all(r.status == 200 for r in sandbox.log)
    assert len({(r.raw_path, tuple(sorted(r.query.items()))) for r in sandbox.log}) == len(
        [r for r in sandbox.log if r.method == "GET"]
    ) + len({r.query.get("is_active") for r in sandbox.log if r.method == "POST"})


@pytest.mark.parametrize("endpoint", ["receipts", "purchases", "redemption_history"])
async def test_duplicated_items_never_pass_as_complete(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], endpoint: str
) -> None:
    sandbox.add_fault("duplicate_items", endpoint=endpoint, times=None)
    with pytest.raises(CrowdTwistError, match=r"paging\.total") as caught:
        await host.access(connection, ALICE_IDS)
    assert str(caught.value).startswith("GET /")


async def test_throttle_stays_under_the_service_limit(host: Host, sandbox: Sandbox) -> None:
    sandbox.set_rate_limit(50.0, capacity=5)
    connection = connection_for(sandbox, rate_limit_per_minute=3000, target_utilization=0.75)
    report = await host.access(connection, {"email": [ALICE.email, "bob+loyalty@example.com"]})
    assert len(report["subjects"]) == 2
    assert sandbox.counters.by_status.get(429, 0) == 0
    times = sorted(r.time for r in sandbox.log)
    assert len(times) > 30
    # 37.5 requests/s with bursts of one: no second holds much more than that
    for index, start in enumerate(times):
        in_window = sum(1 for t in times[index:] if t - start < 1.0)
        assert in_window <= 40


async def test_limiter_429s_are_absorbed(host: Host, sandbox: Sandbox, retries: RetryLog) -> None:
    """The service's limit is lower than the connection claims: 429s, then success."""
    sandbox.set_rate_limit(40.0, capacity=3, retry_after="0.01")
    connection = connection_for(sandbox, rate_limit_per_minute=12000, target_utilization=1.0)
    report = await host.access(connection, {"email": ["bob+loyalty@example.com"]})
    assert len(report["subjects"]) == 1
    limited = sandbox.counters.by_status[429]
    assert limited >= 1
    assert retries.delays == [0.01] * limited


# --- the API key never escapes ---------------------------------------------------------------


@pytest.mark.parametrize("sandbox_config", [CANARY], ids=["canary-key"])
async def test_canary_key_round_trips_and_is_never_logged(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox.add_fault("status", endpoint="receipts", status=503, times=1)
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    check = await host.validate(connection)
    assert check["ok"] is True
    for record in sandbox.log:
        assert not leaks_in(" ".join([record.raw_path, *record.query.values()]), [CANARY_KEY])
        if record.origin == "pos":
            assert "api_key" not in record.query
    assert not leaks_in(caplog.text, [CANARY_KEY])
    assert not leaks_in(repr(report), [CANARY_KEY])


CANARY_FAULTS = [
    ("status", {"status": 503, "times": None}, True),
    ("rate_limit", {"times": None, "retry_after": "0"}, True),
    ("drop_connection", {"times": None}, True),
    ("malformed_json", {}, False),
    ("html", {}, False),
    ("empty", {}, False),
    ("wrong_content_type", {}, False),
    ("status", {"status": 403}, False),
    ("status", {"status": 301, "body": "empty"}, False),
]


@pytest.mark.parametrize("sandbox_config", [CANARY], ids=["canary-key"])
@pytest.mark.parametrize(("fault", "fields", "retryable"), CANARY_FAULTS)
@pytest.mark.parametrize(
    ("hook", "endpoint"),
    [
        ("handle_access", "receipts"),
        ("handle_access", "purchases"),
        ("handle_access", "profile"),
        ("submit_deletion", "profile"),
        ("submit_deletion", "delete_user"),
    ],
)
async def test_key_absent_from_every_exception(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    fault: str,
    fields: dict[str, Any],
    retryable: bool,
    endpoint: str,
    hook: str,
) -> None:
    if endpoint == "delete_user" and fault in ("malformed_json", "wrong_content_type"):
        pytest.skip("not an error path: CrowdTwist queued the deletion, the status shows it")
    caplog.set_level(logging.DEBUG)
    sandbox.add_fault(fault, endpoint=endpoint, **fields)
    call = host.access if hook == "handle_access" else host.submit
    with pytest.raises(CrowdTwistError) as caught:
        await call(connection, ALICE_IDS)
    exc = caught.value
    assert exc.retryable is retryable
    for text in exception_texts(exc):
        assert not leaks_in(text, [CANARY_KEY]), text
    for arg in exc.args:
        assert not leaks_in(str(arg), [CANARY_KEY])
    assert not leaks_in(caplog.text, [CANARY_KEY])


@pytest.mark.parametrize("sandbox_config", [CANARY], ids=["canary-key"])
@pytest.mark.parametrize(
    ("fault", "fields"),
    [("status", {"status": 503, "times": None}), ("drop_connection", {"times": None})],
)
async def test_key_absent_from_deletion_status_errors(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], fault: str, fields: dict[str, Any]
) -> None:
    ticket = await host.submit(connection, ALICE_IDS)
    sandbox.add_fault(fault, endpoint="deletion_status", **fields)
    with pytest.raises(TransientError) as caught:
        await host.check(connection, ticket)
    assert "/v2/users/delete/{user_id}" in str(caught.value)
    for text in exception_texts(caught.value):
        assert not leaks_in(text, [CANARY_KEY]), text


@pytest.mark.parametrize("sandbox_config", [CANARY], ids=["canary-key"])
async def test_key_absent_from_credential_details(host: Host, sandbox: Sandbox) -> None:
    sandbox.add_fault("status", status=503, times=None)
    check = await host.validate(connection_for(sandbox))
    assert check["ok"] is False
    assert not leaks_in(repr(check), [CANARY_KEY])
    wrong = await host.validate(connection_for(sandbox, api_key=CANARY_KEY + "x"))
    assert not leaks_in(repr(wrong), [CANARY_KEY])


@pytest.mark.parametrize("hook", ["handle_access", "submit_deletion"])
async def test_overall_deadline_gives_a_retryable_error(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], hook: str
) -> None:
    sandbox.add_fault("latency", endpoint="member_search", seconds=0.3, times=None)
    host.configure(deadline=0.1)
    call = host.access if hook == "handle_access" else host.submit
    with pytest.raises(TransientError, match=rf"{hook} did not finish within 0\.1 s"):
        await call(connection, ALICE_IDS)
