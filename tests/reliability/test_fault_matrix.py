"""Fault matrix against the live sandbox: every outcome is an exact result or the right error.

For each (hook, endpoint, fault) the hook is first run fault-free on the same sandbox (the
baseline), then with the fault armed. The outcome must be one of:

* ``exact``: the very same report / ticket as the baseline (no partial data, no duplicate);
* ``accepted``: for a DELETE whose answer was unreadable, the baseline ticket with "queued"
  and "in progress" folded together (the status endpoint shows the queued deletion);
* ``retryable``: a ``CrowdTwistError`` with ``retryable=True`` (429, 5xx, timeouts, dropped
  connections that outlast the retry policy; a collection that moved while it was read);
* ``final``: a ``CrowdTwistError`` with ``retryable=False`` (403, malformed or unexpected
  answers), per the table in CONTRACT.md;

with every retry wait within the policy's clamp, and no connection is ever opened to
anything but the configured origins (``next_page`` links to another host are never
followed; the process's own audit events show every connection and name lookup).

Endpoints cover both hosts: profile, member_search, receipts, redemption_history (main),
purchases (POS) for ``handle_access``; deletion_status for ``check_deletion``;
deletion_status and delete_user for ``submit_deletion``. Cases the sandbox cannot inject
(a page count that changes between pages, a repeated ``Retry-After`` header) go through a
small programmable proxy on loopback in front of the sandbox.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import attrs
import pytest
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from crowdtwist_plugin.errors import (
    AuthenticationError,
    CrowdTwistError,
    InconsistentDataError,
    ResponseError,
    TransientError,
)
from crowdtwist_sandbox import Sandbox, run_sandbox
from tests.helpers.host import SHORT_READ, TEST_RETRY, Host, RetryLog, connection_for
from tests.helpers.network import NetworkLog
from tests.helpers.outcomes import OUTCOMES, classify
from tests.helpers.people import ALICE, ALICE_COUNTS, ALICE_IDS, CAROL, CAROL_IDS
from tests.helpers.proxy import Exchange, run_proxy
from tests.helpers.records import assert_no_duplicates
from tests.helpers.tickets import ticket_for, without_time
from tests.helpers.waiting import HANG_GUARD

TEMPLATES = {
    "profile": ("GET /v2/users/{user_id}",),
    "member_search": ("POST /v2/members",),
    "receipts": ("GET /v2/users/{user_id}/receipts",),
    "redemption_history": ("GET /v2.2/users/{user_id}/redemption_history",),
    "activity_history": ("GET /v2/users/{user_id}/activity_history",),
    "purchases": ("GET /users/{user_id}/purchases (POS host)",),
    "deletion_status": ("GET /v2/users/delete/{user_id}", "GET /v2/user_deletion/{user_id}"),
    "delete_user": ("DELETE /v2/users/{user_id}",),
}
BACKOFF_RANGE = (0.0, TEST_RETRY.base)  # the first full-jitter wait: uniform(0, base)
LONGEST_WAIT = max(TEST_RETRY.max_backoff, TEST_RETRY.max_retry_after)  # the policy's clamp
CLAMP = 0.1  # max_retry_after here: long enough to tell the forms apart, short to sleep


@attrs.frozen
class Fault:
    label: str
    kind: str
    fields: dict[str, Any]
    expect: str  # exact | accepted | retryable | final
    error: type[CrowdTwistError] | None = None


def _status(code: int, times: int | None, **extra: Any) -> dict[str, Any]:
    return {"status": code, "times": times, **extra}


TIMEOUT = {"seconds": 0.3}  # longer than the short 0.1 s socket-read timeout
TRANSIENT = [
    Fault("timeout x1", "latency", {**TIMEOUT, "times": 1}, "exact"),
    Fault("latency below timeout", "latency", {"seconds": 0.02, "times": None}, "exact"),
    Fault("drop_connection x2", "drop_connection", {"times": 2}, "exact"),
    *(Fault(f"HTTP {c} x2", "status", _status(c, 2), "exact") for c in (500, 502, 503, 504)),
    Fault("HTTP 408 x1", "status", _status(408, 1), "exact"),
    Fault("HTTP 503 empty body x2", "status", _status(503, 2, body="empty"), "exact"),
    Fault("429 no Retry-After x2", "rate_limit", {"times": 2}, "exact"),
]
PERSISTENT = [
    Fault("timeout always", "latency", {**TIMEOUT, "times": None}, "retryable", TransientError),
    Fault(
        "drop_connection always", "drop_connection", {"times": None}, "retryable", TransientError
    ),
    *(
        Fault(f"HTTP {c} always", "status", _status(c, None), "retryable", TransientError)
        for c in (500, 502, 503, 504, 408)
    ),
    Fault("429 always", "rate_limit", {"times": None}, "retryable", TransientError),
    Fault(
        "429 always, Retry-After 2",
        "rate_limit",
        {"times": None, "retry_after": "2"},
        "retryable",
        TransientError,
    ),
]
FINAL = [
    Fault("malformed JSON", "malformed_json", {"times": 1}, "final", ResponseError),
    Fault("HTML with 200", "html", {"times": 1}, "final", ResponseError),
    Fault("empty body", "empty", {"times": 1}, "final", ResponseError),
    Fault("wrong content type", "wrong_content_type", {"times": 1}, "final", ResponseError),
    Fault("HTTP 403", "status", _status(403, 1), "final", AuthenticationError),
    # Refused credentials, like 403 (an HMAC signature is refused with either).
    Fault("HTTP 401", "status", _status(401, 1), "final", AuthenticationError),
    Fault("HTTP 302 (redirect)", "status", _status(302, 1), "final", ResponseError),
]
PAGING = [
    Fault("next_page loops", "loop_next_page", {"times": None}, "exact"),
    Fault("next_page to another host", "foreign_next_page", {"times": None}, "exact"),
    Fault(
        "duplicate items across pages",
        "duplicate_items",
        {"times": None},
        "retryable",
        InconsistentDataError,
    ),
]
ACCESS_ENDPOINTS = ("profile", "member_search", "receipts", "redemption_history", "purchases")
PAGED_ENDPOINTS = ("receipts", "redemption_history", "purchases")


# Which hook exercises which endpoint. ``full`` endpoints (one per host, plus the deletion
# status) get every fault; the others get every fault kind with the 5xx codes rotated.
TARGETS = (
    ("access", "profile", True),
    ("access", "member_search", False),
    ("access", "receipts", False),
    ("access", "redemption_history", False),
    ("access", "purchases", True),
    ("check", "deletion_status", True),
    ("submit", "deletion_status", False),
    ("submit", "delete_user", True),
)
CODES = (500, 502, 503, 504)


def _faults_for(index: int, hook: str, endpoint: str, full: bool) -> list[Fault]:
    faults = [f for f in TRANSIENT if not f.label.startswith("HTTP 50")]
    faults += [f for f in PERSISTENT if not f.label.startswith("HTTP 50")]
    if not full:  # covered on the full endpoints
        faults = [f for f in faults if f.label not in ("latency below timeout", "HTTP 408 x1")]
    if full:
        faults += [f for f in (*TRANSIENT, *PERSISTENT) if f.label.startswith("HTTP 50")]
        faults += FINAL
    else:
        faults += [
            next(f for f in TRANSIENT if f.label == f"HTTP {CODES[index % 4]} x2"),
            next(f for f in PERSISTENT if f.label == f"HTTP {CODES[(index + 2) % 4]} always"),
        ]
        faults += FINAL[:4]  # the body faults; 401/403/302 on the full endpoints
    if hook == "submit":
        # A server-side delay of a DELETE is its own (failing) test in test_restart_safety.
        faults = [f for f in faults if f.kind != "latency" or f.label == "latency below timeout"]
    if hook == "submit" and endpoint == "deletion_status":
        # The status of a user not queued yet is a 404: served as text/plain it still means
        # "not queued", and the submission goes on exactly.
        faults = [
            attrs.evolve(f, expect="exact", error=None) if f.kind == "wrong_content_type" else f
            for f in faults
        ]
    if hook == "submit" and endpoint == "delete_user":
        # CrowdTwist queued the deletion but its answer is unreadable: the status endpoint
        # shows the deletion, and the ticket says so.
        faults = [
            attrs.evolve(f, expect="accepted", error=None)
            if f.kind in ("malformed_json", "wrong_content_type")
            else f
            for f in faults
        ]
    return faults


def _matrix() -> list[Any]:
    cases = []
    for index, (hook, endpoint, full) in enumerate(TARGETS):
        for fault in _faults_for(index, hook, endpoint, full):
            cases.append(pytest.param(hook, endpoint, fault, id=f"{hook}-{endpoint}-{fault.label}"))
    for endpoint in PAGED_ENDPOINTS:
        for fault in PAGING:
            cases.append(
                pytest.param("access", endpoint, fault, id=f"access-{endpoint}-{fault.label}")
            )
    for fault in (TRANSIENT[0], TRANSIENT[5], PERSISTENT[4], FINAL[0]):
        cases.append(
            pytest.param(
                "access", "activity_history", fault, id=f"access-activity_history-{fault.label}"
            )
        )
    return cases


def _separate_budget(connection: dict[str, Any]) -> dict[str, Any]:
    """The same connection with its own throttle (the throttle is keyed by the rate): the
    faulted call starts with a fresh budget, whatever the baseline run taught the shared one."""
    return {**connection, "rate_limit_per_minute": connection["rate_limit_per_minute"] + 1}


async def _baseline(
    hook: str, host: Host, connection: dict[str, Any], needed: bool = True
) -> tuple[Any, Any]:
    """The fault-free result (when ``needed``: only an exact outcome is compared with it),
    and the input the faulted call gets."""
    connection = _separate_budget(connection)
    if hook == "access" and not needed:
        return None, ALICE_IDS
    if hook == "access":
        report = await host.access(connection, ALICE_IDS)
        assert_no_duplicates(report)
        assert [s["crowdtwist_id"] for s in report["subjects"]] == [ALICE.crowdtwist_id]
        return report, ALICE_IDS
    if hook == "check":
        ticket = await host.submit(connection, CAROL_IDS)
        if not needed:
            return None, ticket
        refreshed = await host.check(connection, ticket)
        assert refreshed["users"][0]["status"] == "in_progress"
        return refreshed, ticket
    return without_time(ticket_for(CAROL)), CAROL_IDS


async def _call(hook: str, host: Host, connection: dict[str, Any], given: Any) -> Any:
    if hook == "access":
        return await host.access(connection, given)
    if hook == "check":
        return await host.check(connection, given)
    return without_time(await host.submit(connection, given))


async def _outcome(hook: str, host: Host, connection: dict[str, Any], given: Any) -> Any:
    """The result or the CrowdTwist error; only a hang (past the guard) fails here."""
    try:
        async with asyncio.timeout(HANG_GUARD):
            result: Any = await _call(hook, host, connection, given)
    except CrowdTwistError as exc:
        result = exc
    return result


def _under_way(ticket: dict[str, Any]) -> dict[str, Any]:
    """A ticket with "queued" and "in progress" folded together (the DELETE's own answer
    says Queued; the status endpoint already says Deletion_initiated)."""
    evidence = ("initiated_by", "status_history")  # present once the status was read
    users = [
        {k: v for k, v in u.items() if k not in evidence} | {"status": "under way", "detail": ""}
        if u["status"] in ("queued", "in_progress")
        else u
        for u in ticket["users"]
    ]
    return {**ticket, "users": users}


def _assert_outcome(result: Any, baseline: Any, fault: Fault, endpoint: str) -> None:
    if fault.expect == "accepted":
        assert not isinstance(result, BaseException), f"expected a ticket, got {result!r}"
        assert _under_way(result) == _under_way(baseline)
        return
    if fault.expect == "exact":
        assert not isinstance(result, BaseException), f"expected the exact result, got {result!r}"
        assert result == baseline
        if "subjects" in result:
            assert_no_duplicates(result)
        return
    assert isinstance(result, CrowdTwistError), f"expected an error, got a result: {result!r}"
    assert result.retryable is (fault.expect == "retryable"), repr(result)
    if fault.error is not None:
        assert isinstance(result, fault.error), repr(result)
    assert str(result).startswith(TEMPLATES[endpoint]), f"message must name the endpoint: {result}"


def _assert_only_sandbox(network: NetworkLog, sandbox: Sandbox) -> None:
    assert sandbox.log, "no request reached the sandbox"
    assert network.origins() <= {sandbox.api_base_url, sandbox.pos_base_url}, network.origins()
    assert network.lookups == [], network.lookups  # no host name, so no other host


def _assert_waits_bounded(retries: RetryLog) -> None:
    """Every wait the call made lies within the policy's clamp: it ends in bounded time."""
    assert all(0.0 <= d <= LONGEST_WAIT for d in retries.delays), retries.delays
    assert all(0.0 <= p <= TEST_RETRY.max_retry_after for p in retries.pauses), retries.pauses


@pytest.mark.parametrize(("hook", "endpoint", "fault"), _matrix())
async def test_fault_matrix(
    hook: str,
    endpoint: str,
    fault: Fault,
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    network: NetworkLog,
    retries: RetryLog,
    request: pytest.FixtureRequest,
) -> None:
    baseline, given = await _baseline(hook, host, connection, needed=fault.expect == "exact")
    deletes_before = dict(sandbox.counters.deletes_by_user)
    if fault.kind == "latency" and fault.fields["seconds"] > SHORT_READ:
        # Only where the latency is to outlast the read timeout: a short read timeout
        # elsewhere could fire on a busy machine and add a retry the case does not expect.
        request.getfixturevalue("short_timeout")
    sandbox.add_fault(fault.kind, endpoint=endpoint, **fault.fields)

    if fault.label == "timeout always":
        # Three attempts of 0.1 s instead of six: the same path, half the wall time.
        host.configure(retry=attrs.evolve(host.options.retry, max_tries=3))
    result = await _outcome(hook, host, connection, given)

    OUTCOMES[fault.label, classify(result)] += 1
    _assert_outcome(result, baseline, fault, endpoint)
    _assert_waits_bounded(retries)
    _assert_only_sandbox(network, sandbox)
    assert all(not r.raw_path.startswith("http") for r in sandbox.log)
    if hook == "check":
        assert dict(sandbox.counters.deletes_by_user) == deletes_before  # never a DELETE
    if hook == "submit":
        # (A submission's only latency fault stays below the read timeout: the call has
        # read the DELETE's answer, so no DELETE is still on its way.)
        deletes = sandbox.counters.deletes_by_user[CAROL.crowdtwist_id]
        assert deletes <= 1, "a second DELETE was sent"
        if fault.expect == "exact":
            assert deletes == 1


# --- Retry-After values ---------------------------------------------------------------------

FUTURE = "<http-date 30 s from now>"
RETRY_AFTER = [
    ("absent", None, BACKOFF_RANGE),
    ("integer", "0", 0.0),
    ("float", "0.015", 0.015),
    ("padded", "  0.07 ", 0.07),
    ("http-date-past", "Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ("http-date-future", FUTURE, CLAMP),  # about 30 s: clamped
    ("http-date-far-future-no-zone", "Fri, 31 Dec 9999 23:59:59", CLAMP),
    ("garbage", "soon, please", BACKOFF_RANGE),
    ("negative", "-5", BACKOFF_RANGE),
    ("huge", "99999999", CLAMP),
    ("overflowing float", "1e400", BACKOFF_RANGE),
    ("nan", "NaN", BACKOFF_RANGE),
    ("empty", "", BACKOFF_RANGE),
    ("folded repeated header", "3, 9", (0.0, CLAMP)),
]


def _in_expected(value: float, expected: float | tuple[float, float]) -> bool:
    if isinstance(expected, tuple):
        return expected[0] <= value <= expected[1]
    return value == pytest.approx(expected)


# The header is read the same way on both hosts (client._final_or_raise): every value on the main
# host, a representative few on POS.
POS_RETRY_AFTER = ("absent", "integer", "http-date-future", "garbage", "huge")


@pytest.mark.parametrize(
    ("endpoint", "retry_after", "expected"),
    [
        *(pytest.param("profile", v, e, id=f"main-{n}") for n, v, e in RETRY_AFTER),
        *(
            pytest.param("purchases", v, e, id=f"pos-{n}")
            for n, v, e in RETRY_AFTER
            if n in POS_RETRY_AFTER
        ),
    ],
)
async def test_429_retry_after_values(
    endpoint: str,
    retry_after: str | None,
    expected: float | tuple[float, float],
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    retries: RetryLog,
    recorded_pauses: list[float],
    network: NetworkLog,
) -> None:
    """429 then success: the exact report, a wait within the clamp."""
    host.configure(retry=attrs.evolve(host.options.retry, max_retry_after=CLAMP))
    baseline = await host.access(_separate_budget(connection), ALICE_IDS)
    if retry_after == FUTURE:
        retry_after = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), True)
    sandbox.add_fault("rate_limit", endpoint=endpoint, retry_after=retry_after, times=1)
    result = await _outcome("access", host, connection, ALICE_IDS)
    OUTCOMES[f"429 Retry-After {retry_after!r}"[:34], classify(result)] += 1
    assert result == baseline
    (delay,) = retries.delays
    assert _in_expected(delay, expected), delay
    assert 0.0 <= delay <= CLAMP
    (pause,) = recorded_pauses
    assert 0.0 <= pause <= CLAMP
    _assert_only_sandbox(network, sandbox)


@pytest.mark.parametrize("endpoint", ["profile", "purchases"], ids=["main", "pos"])
async def test_persistent_429_reports_the_servers_wait(
    endpoint: str,
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    retries: RetryLog,
) -> None:
    sandbox.add_fault("rate_limit", endpoint=endpoint, retry_after="0.02", times=None)
    result = await _outcome("access", host, connection, ALICE_IDS)
    assert isinstance(result, TransientError) and result.retryable
    assert result.retry_after == 0.02
    assert retries.delays == [0.02] * 5  # six attempts in all, each wait the server's


# --- through a proxy: what the sandbox cannot inject -----------------------------------------

PAGE_PATHS = {
    "receipts": re.compile(r"^/v2/users/[^/]+/receipts$"),
    "redemption_history": re.compile(r"^/v2\.2/users/[^/]+/redemption_history$"),
    "purchases": re.compile(r"^/users/[^/]+/purchases$"),
}
LIST_KEYS = ("submitted_receipts", "receipts", "rewards", "redemptions", "purchases")


def _grow(body: dict[str, Any]) -> None:
    body["paging"]["total"] += 1
    body["paging"]["pages"] += 1


def _shrink(body: dict[str, Any]) -> None:
    body["paging"]["total"] -= 1
    body["paging"]["pages"] -= 1


def _total_moves(body: dict[str, Any]) -> None:
    body["paging"]["total"] += 1


def _short_page(body: dict[str, Any]) -> None:
    for key in LIST_KEYS:
        if isinstance(body.get(key), list) and body[key]:
            body[key].pop()
            return


PAGE_CHANGES = {
    "page count grows": _grow,
    "page count shrinks": _shrink,
    "total moves, same pages": _total_moves,
    "later page shorter than paging says": _short_page,
}


@pytest.mark.parametrize("endpoint", sorted(PAGE_PATHS))
@pytest.mark.parametrize("change", sorted(PAGE_CHANGES))
async def test_page_count_changes_between_pages(
    endpoint: str,
    change: str,
    host: Host,
    sandbox: Sandbox,
    retries: RetryLog,
    network: NetworkLog,
) -> None:
    """Pages after the first describe a different collection: never a partial report."""
    async with run_proxy(sandbox.api_base_url) as api, run_proxy(sandbox.pos_base_url) as pos:
        connection = {
            **connection_for(sandbox),
            "api_base_url": api.url,
            "pos_base_url": pos.url,
        }
        mutate = PAGE_CHANGES[change]
        changed: list[int] = []

        async def rule(exchange: Exchange) -> web.StreamResponse | None:
            request = exchange.request
            page = request.query.get("page", "1")
            if exchange.status != 200 or not PAGE_PATHS[endpoint].match(request.path):
                return None
            if page.isdigit() and int(page) >= 2:
                body = exchange.json()
                mutate(body)
                changed.append(int(page))
                return web.json_response(body)
            return None

        api.rule = pos.rule = rule
        result = await _outcome("access", host, connection, ALICE_IDS)
    OUTCOMES[f"page count changes ({change})"[:34], classify(result)] += 1
    assert changed, "the rule never applied"
    assert isinstance(result, InconsistentDataError), repr(result)
    assert result.retryable
    assert str(result).startswith(TEMPLATES[endpoint])
    assert network.origins() <= {api.url, pos.url, sandbox.api_base_url, sandbox.pos_base_url}
    assert network.lookups == []
    assert retries.delays == []  # not retried inside the call: the host retries later


@pytest.mark.parametrize(
    ("endpoint", "path", "origin"),
    [
        ("profile", re.compile(r"^/v2/users/[^/]+$"), "api"),
        ("purchases", PAGE_PATHS["purchases"], "pos"),
    ],
    ids=["main", "pos"],
)
async def test_repeated_retry_after_header(
    endpoint: str,
    path: re.Pattern[str],
    origin: str,
    host: Host,
    sandbox: Sandbox,
    retries: RetryLog,
) -> None:
    """Two ``Retry-After`` headers on one 429: one of them is honoured, within the clamp."""
    async with run_proxy(sandbox.api_base_url) as api, run_proxy(sandbox.pos_base_url) as pos:
        connection = {**connection_for(sandbox), "api_base_url": api.url, "pos_base_url": pos.url}
        baseline = await host.access(_separate_budget(connection), ALICE_IDS)
        served: list[int] = []

        async def rule(exchange: Exchange) -> web.StreamResponse | None:
            if served or not path.match(exchange.request.path):
                return None
            served.append(exchange.number)
            headers = CIMultiDict([("Retry-After", "0.03"), ("Retry-After", "0.09")])
            return web.json_response(
                {"error": "too_many_requests", "message": "slow down"}, status=429, headers=headers
            )

        (api if origin == "api" else pos).rule = rule
        result = await _outcome("access", host, connection, ALICE_IDS)
    OUTCOMES["429 repeated Retry-After header", classify(result)] += 1
    assert served
    assert result == baseline
    (delay,) = retries.delays
    assert delay in (0.03, 0.09)


async def test_the_proxy_is_transparent(host: Host, sandbox: Sandbox) -> None:
    """Through the proxy without a rule, the report is the same as straight from the sandbox
    (so what the proxy tests see is only the change their rule makes)."""
    direct = await host.access(connection_for(sandbox), ALICE_IDS)
    async with run_proxy(sandbox.api_base_url) as api, run_proxy(sandbox.pos_base_url) as pos:
        connection = {**connection_for(sandbox), "api_base_url": api.url, "pos_base_url": pos.url}
        assert await host.access(_separate_budget(connection), ALICE_IDS) == direct
    assert api.count > 10 and pos.count >= 3


async def test_the_network_log_sees_every_connection_and_lookup(
    sandbox: Sandbox, network: NetworkLog
) -> None:
    """What the origin checks above rely on: whoever sends a request, one to an address is
    seen as a connection to it and one to a host name as a lookup of that name."""
    port = URL(sandbox.api_base_url).port
    async with aiohttp.ClientSession() as session:
        for origin in (sandbox.api_base_url, f"http://localhost:{port}"):
            async with session.get(f"{origin}/v2/activities") as reply:
                assert reply.status == 403  # no key: but it got there
    assert network.connects.count(("127.0.0.1", port)) >= 2
    assert "localhost" in network.lookups
    assert network.origins() <= {sandbox.api_base_url}


async def test_baseline_is_the_same_on_every_sandbox(host: Host) -> None:
    """The matrix compares against a per-sandbox baseline; it is stable across sandboxes."""
    reports = []
    for _ in range(2):
        async with run_sandbox() as sandbox:
            reports.append(await host.access(connection_for(sandbox), ALICE_IDS))
    assert reports[0] == reports[1]
    (subject,) = reports[0]["subjects"]
    assert {k: len(v) for k, v in subject["data"].items()} == ALICE_COUNTS


# --- a JSON 404 that is not CrowdTwist's "user does not exist" ----------------------------------


@pytest.mark.parametrize("hook", ["access", "submit", "check"])
async def test_a_foreign_json_404_is_not_proof_of_absence(
    hook: str, host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """Regression (found by this suite, fixed in d13b337): any JSON 404 used to count as
    "user does not exist", so a front end answering JSON 404s produced an empty access
    report, a deletion ticket complete without a DELETE and a pending deletion marked done.
    Only CrowdTwist's own 404 ``page_not_found`` proves absence."""
    given: Any = ALICE_IDS if hook == "access" else CAROL_IDS
    if hook == "check":
        given = await host.submit(_separate_budget(connection), CAROL_IDS)
        assert given["state"] == "pending"
    deletes_before = sum(sandbox.counters.deletes_by_user.values())
    # Every answer: HTTP 404 {"error": "error", "message": "Service Unavailable"}.
    sandbox.add_fault("status", status=404, times=None)
    result = await _outcome(hook, host, connection, given)
    assert sum(sandbox.counters.deletes_by_user.values()) == deletes_before
    assert isinstance(result, CrowdTwistError), f"a 'complete' answer from 404s only: {result}"
    OUTCOMES["JSON 404 not page_not_found", classify(result)] += 1
