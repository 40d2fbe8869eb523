"""Identifier canary: whatever a CrowdTwist error repeats of the request, no identifier of
the person reaches what a host could log or store (issue 28, item 4).

The sandbox's ``echo`` fault answers with an error that repeats the request (path and
query raw and decoded, the JSON body, the last path segment as the code, the reason
phrase), in the main host's envelope and in POS's. Each hook runs with canary identifiers
against that fault on every endpoint it calls, for statuses that end in each kind of
error (400, 404 without ``page_not_found`` and 409 unexpected answers, 403 refused
credentials, 500 and 503 after the retries give up). No form of any identifier (raw,
percent- or plus-encoded, ``+`` read as a space, JSON-escaped, in any case, an email's
local part) may be in the exception (``str``, ``repr``, ``args``, attributes such as
``reason``, formatted traceback, and the same for its ``__cause__``/``__context__``
chain), in any log record at DEBUG, or in the words a returned ticket or credential check
carries. Nor does any of the echoed text.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

import attrs
import pytest
from yarl import URL

from crowdtwist_plugin.errors import CrowdTwistError
from crowdtwist_sandbox import Sandbox, SandboxConfig, run_sandbox
from tests.helpers.host import Host, connection_for
from tests.helpers.people import BOB
from tests.helpers.secrets import exception_texts, log_texts

CANARY_EMAIL = "cañary.7f3a+x@example.com"  # nobody's: an identifier that finds no one
CANARY_USER_ID = "CANARY-7F3A"
# Each way of asking: the connection's user_id_type and the identifiers (bob is found, so
# every endpoint after the lookups is reached with his CrowdTwist id in its path).
ASKED: dict[str, dict[str, list[str]]] = {
    "third_party_id": {
        "email": [CANARY_EMAIL, BOB.email],
        "user_id": [BOB.third_party_id, CANARY_USER_ID],
    },
    "id": {"email": [CANARY_EMAIL], "user_id": [str(BOB.crowdtwist_id)]},
    "username": {"user_id": [BOB.username]},
}
CANARIES = (
    CANARY_EMAIL,
    CANARY_USER_ID,
    BOB.email,
    BOB.third_party_id,
    str(BOB.crowdtwist_id),
    BOB.username,
)
ECHOED = "bad request"  # the echo fault's own words: none of its text may pass either

# Every endpoint each hook calls (the sandbox's endpoint names).
HOOK_ENDPOINTS = {
    "validate_credentials": ("program_activities", "purchases"),
    "handle_access": (
        "profile",
        "member_search",
        "user_activities",
        "activity_history",
        "user_rewards",
        "receipts",
        "redemption_history",
        "purchases",
        "purchase_detail",
        "usable_coupons",
        "points",
        "points_expiration",
        "badges",
        "household_invitations",
    ),
    "submit_deletion": ("profile", "member_search", "deletion_status", "delete_user"),
    # Deletions complete at once: a check reads the status, then proves the erasure.
    "check_deletion": ("deletion_status", "profile", "member_search"),
}
STATUSES = (400, 403, 404, 409, 500, 503)


def identifier_forms(values: Iterable[str]) -> set[str]:
    """Every form in which an identifier may be repeated, lowercased (texts are compared
    lowercased: a server may change the case)."""
    forms: set[str] = set()
    for value in values:
        parts = [value]
        if "@" in value:
            parts.append(value.split("@")[0])  # the local part alone names the person too
        for part in parts:
            forms |= {
                part,
                quote(part, safe=""),
                quote(part),
                quote_plus(part, safe=""),
                part.replace("+", " "),
                json.dumps(part)[1:-1],
                URL("http://x/").with_query(k=part).raw_query_string.removeprefix("k="),
            }
    return {form.lower() for form in forms}


FORMS = identifier_forms(CANARIES)


def _scan(*texts: str) -> None:
    for text in texts:
        lowered = text.lower()
        found = sorted(form for form in FORMS if form in lowered)
        assert not found, f"identifier leaked: {found[:3]} in {text[:400]!r}"
        assert ECHOED not in lowered, f"echoed text passed: {text[:400]!r}"


def _returned_words(hook: str, result: dict[str, Any]) -> list[str]:
    """What a returned output says in CrowdTwist's or the plugin's words (its identifiers
    in ``matched`` and the records of a report are the output's purpose)."""
    if hook == "validate_credentials":
        return [repr(result)]
    if hook in ("submit_deletion", "check_deletion"):
        return [repr([(u["detail"], u.get("verification_failure")) for u in result["users"]])]
    return []


def _cases() -> list[Any]:
    cases = [
        pytest.param(hook, endpoint, status, "third_party_id", id=f"{hook}-{endpoint}-{status}")
        for hook, endpoints in HOOK_ENDPOINTS.items()
        for endpoint in endpoints
        for status in STATUSES
    ]
    # The other kinds of user_id (a CrowdTwist id, a username that is a plain lowercase
    # word) through every endpoint once.
    cases += [
        pytest.param(hook, endpoint, 400, asked, id=f"{hook}-{endpoint}-400-{asked}")
        for asked in ("id", "username")
        for hook, endpoints in HOOK_ENDPOINTS.items()
        if hook != "validate_credentials"
        for endpoint in endpoints
    ]
    return cases


async def _run(
    host: Host, sandbox: Sandbox, hook: str, asked: str, fault: dict[str, Any]
) -> tuple[dict[str, Any] | None, CrowdTwistError | None]:
    connection = connection_for(sandbox, user_id_type=asked)
    identifiers = ASKED[asked]
    kwargs: dict[str, Any] = {"identifiers": identifiers}
    if hook == "validate_credentials":
        kwargs = {}
    if hook == "check_deletion":
        kwargs = {"ticket": await host.submit(connection, identifiers)}
    sandbox.add_fault("echo", times=None, **fault)
    try:
        return await host.call(hook, connection=connection, **kwargs), None
    except CrowdTwistError as exc:
        return None, exc


@pytest.mark.parametrize(("hook", "endpoint", "status", "asked"), _cases())
async def test_no_identifier_echoed_by_crowdtwist_reaches_an_error_or_a_log(
    hook: str,
    endpoint: str,
    status: int,
    asked: str,
    host: Host,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="crowdtwist_plugin")
    host.configure(retry=attrs.evolve(host.options.retry, max_tries=2, rng=random.Random(1)))
    config = SandboxConfig(deletion_step_seconds=0.0)
    async with run_sandbox(config) as sandbox:
        result, error = await _run(
            host, sandbox, hook, asked, {"endpoint": endpoint, "status": status}
        )
        hit = [r for r in sandbox.log if r.endpoint == endpoint and r.status == status]
    assert hit, f"the fault on {endpoint} was never served"
    if error is not None:
        _scan(*exception_texts(error), error.reason)
    else:
        assert result is not None and hook != "handle_access", "access must fail"
        _scan(*_returned_words(hook, result))
    _scan(*log_texts(caplog.records), caplog.text)


def test_the_scanner_finds_every_form() -> None:
    """The canary scan is only as good as its forms: each way a server may repeat an
    identifier is caught."""
    repeated = [
        "/v2/users/ca%C3%B1ary.7f3a%2Bx%40example.com?id_type=email",
        "email_address=ca%c3%b1ary.7f3a%2bx%40example.com",
        "members?email=cañary.7f3a x@example.com",
        '{"email_address": "ca\\u00f1ary.7f3a+x@example.com"}',
        "USER BOBLOYALTY NOT FOUND",
        "/v2/users/564865656/receipts",
        "b7781qk",
        "bob%2Bloyalty",
    ]
    for text in repeated:
        with pytest.raises(AssertionError, match="identifier leaked"):
            _scan(text)
    _scan("GET /v2/users/{user_id}/receipts: unexpected HTTP 409")
