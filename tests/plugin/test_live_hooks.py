"""Hook wiring, credential checks and configuration errors, against the live sandbox."""

from __future__ import annotations

import inspect
import re
import socket
from typing import Any

import pytest

import crowdtwist_plugin.plugin
from crowdtwist_plugin.errors import CrowdTwistError
from crowdtwist_sandbox import Sandbox
from tests.helpers.host import FAST_RATE, Host, RetryLog, connection_for
from tests.helpers.tickets import deletion_user, ticket_for

HOOKS = ("validate_credentials", "handle_access", "submit_deletion", "check_deletion")
HOOK_ARGS: dict[str, dict[str, Any]] = {
    "validate_credentials": {"connection": {}},
    "handle_access": {"connection": {}, "identifiers": {"email": ["alice@example.com"]}},
    "submit_deletion": {"connection": {}, "identifiers": {"email": ["alice@example.com"]}},
    "check_deletion": {"connection": {}, "ticket": {}},
}


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_all_four_hooks_are_implemented(host: Host) -> None:
    callers = host.pm.get_hookcallers(host.plugin) or []
    assert {caller.name for caller in callers} == set(HOOKS)
    host.pm.check_pending()


def test_hookimpls_have_no_default_arguments() -> None:
    for name in HOOKS:
        parameters = inspect.signature(getattr(crowdtwist_plugin.plugin.plugin, name)).parameters
        assert all(p.default is inspect.Parameter.empty for p in parameters.values()), name


@pytest.mark.parametrize("hook", HOOKS)
def test_another_integration_gets_none_synchronously(host: Host, hook: str) -> None:
    caller = getattr(host.pm.hook, hook)
    result = caller(integration="mailchimp", **HOOK_ARGS[hook])
    assert result is None  # no coroutine was created, so nothing is left un-awaited


@pytest.mark.parametrize("hook", HOOKS)
async def test_own_integration_gets_a_coroutine(host: Host, hook: str) -> None:
    result = getattr(host.pm.hook, hook)(integration="crowdtwist", **HOOK_ARGS[hook])
    assert inspect.iscoroutine(result)
    if hook == "validate_credentials":
        check = await result  # reports, never raises
        assert check["ok"] is False
        assert "api_key is required" in check["checks"][0]["detail"]
    else:
        with pytest.raises(ValueError, match="api_key is required"):
            await result


async def test_validate_credentials_ok(host: Host, connection: dict[str, Any]) -> None:
    check = await host.validate(connection)
    assert check["ok"] is True
    assert [c["name"] for c in check["checks"]] == ["main_api", "pos_api"]
    assert all(c["ok"] for c in check["checks"])


async def test_validate_credentials_bad_key(host: Host, sandbox: Sandbox) -> None:
    check = await host.validate(connection_for(sandbox, api_key="not-the-key"))
    assert check["ok"] is False
    assert len(check["checks"]) == 2
    for item in check["checks"]:
        assert item["ok"] is False
        assert "rejected the API key" in item["detail"]
        assert "not-the-key" not in item["detail"]


async def test_validate_credentials_wrong_origin(host: Host, sandbox: Sandbox) -> None:
    """The POS origin given as the main API: it answers, but not as the main API would."""
    check = await host.validate(connection_for(sandbox, api_base_url=sandbox.pos_base_url))
    assert check["ok"] is False
    main, pos = check["checks"]
    assert main["ok"] is False and pos["ok"] is True
    assert "GET /v2/activities" in main["detail"] and "HTTP 404" in main["detail"]
    assert "subdomain" in main["detail"]


async def test_validate_credentials_unreachable_host(host: Host, retries: RetryLog) -> None:
    port = closed_port()
    connection = {
        "api_key": "secret-key-123",
        "api_base_url": f"http://127.0.0.1:{port}",
        "pos_base_url": f"http://127.0.0.1:{port}",
        "rate_limit_per_minute": FAST_RATE,
    }
    check = await host.validate(connection)
    assert check["ok"] is False
    for item in check["checks"]:
        assert item["ok"] is False
        assert f"127.0.0.1:{port}" in item["detail"]
        assert "connect" in item["detail"]
        assert "secret-key-123" not in item["detail"]
    assert len(retries.delays) == 2  # one quick retry per check, never really slept


@pytest.mark.parametrize(
    ("connection", "expected"),
    [
        ({"api_key": "k", "api_subdomain": "evil.com/#", "pos_subdomain": "pos1"}, "api_subdomain"),
        ({"api_subdomain": "api1", "pos_subdomain": "pos1"}, "api_key"),
        ({"api_key": "k", "api_subdomain": "api1", "pos_subdomain": "pos1", "x": 1}, "x"),
        ("not a mapping", "mapping"),
        ({"api_key": "secret key", "api_subdomain": "a", "pos_subdomain": "p"}, "value not shown"),
    ],
    ids=["bad-subdomain", "missing-key", "unknown-setting", "not-a-mapping", "key-with-space"],
)
async def test_validate_credentials_reports_bad_mapping(
    host: Host, connection: Any, expected: str
) -> None:
    check = await host.validate(connection)
    assert check["ok"] is False
    assert len(check["checks"]) == 1
    assert check["checks"][0]["ok"] is False
    assert expected in check["checks"][0]["detail"]
    assert "secret" not in check["checks"][0]["detail"]


GOOD = {"api_key": "secret-key-123", "api_subdomain": "api1", "pos_subdomain": "pos1"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"api_subdomain": "evil.com/#"}, "api_subdomain must match [a-z0-9-]+, got 'evil.com/#'"),
        ({"pos_subdomain": "Pos1"}, "pos_subdomain must match [a-z0-9-]+"),
        ({"api_subdomain": None}, "api_subdomain is required"),
        ({"api_key": ""}, "api_key is required"),
        ({"api_key": "has space"}, "api_key must be printable ASCII"),
        ({"api_base_url": "http://api.example.com"}, "http:// only for a loopback address"),
        ({"api_base_url": "https://api.example.com/v2"}, "bare origin"),
        ({"pos_base_url": "ftp://127.0.0.1"}, "pos_base_url must be an http(s) origin"),
        ({"api_base_url": "http://127.0.0.1.nip.io:80"}, "http:// only for a loopback address"),
        ({"api_base_url": "http://localhost.evil.com"}, "http:// only for a loopback address"),
        ({"api_base_url": "https://u:p@api.example.com"}, "bare origin"),
        ({"target_utilization": 0}, "target_utilization must lie in (0, 1]"),
        ({"target_utilization": 1.5}, "target_utilization must lie in (0, 1]"),
        ({"target_utilization": "0.5"}, "target_utilization must be a finite number"),
        ({"rate_limit_per_minute": 0}, "rate_limit_per_minute must be greater than 0"),
        ({"rate_limit_per_minute": float("nan")}, "rate_limit_per_minute must be a finite"),
        ({"user_id_type": "email"}, "user_id_type must be one of third_party_id, id, username"),
        ({"deletion_complete_on_submit": "yes"}, "deletion_complete_on_submit must be true"),
        ({"apikey": "typo"}, "unknown connection setting(s): apikey"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
@pytest.mark.parametrize("hook", ["handle_access", "submit_deletion"])
async def test_bad_connection_raises_value_error(
    host: Host, hook: str, changes: dict[str, Any], expected: str
) -> None:
    connection = {k: v for k, v in {**GOOD, **changes}.items() if v is not None}
    call = host.access if hook == "handle_access" else host.submit
    with pytest.raises(ValueError, match=re.escape(expected)) as caught:
        await call(connection, {"email": ["alice@example.com"]})
    exc = caught.value
    assert isinstance(exc, CrowdTwistError)
    assert exc.retryable is False
    assert expected in str(exc)
    assert "secret-key-123" not in str(exc) and "secret-key-123" not in repr(exc)


@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        ({}, "at least one identifier"),
        ({"email": [], "user_id": []}, "at least one identifier"),
        ({"fax": ["5551234"]}, "unsupported identifier category 'fax'"),
        ({"phone": ["5551234"]}, "identifiers.phone[0] has no country code"),
        ({"email": "alice@example.com"}, "identifiers.email must be a list of strings"),
        ({"email": ["not-an-email"]}, "identifiers.email[0] is not an email address"),
        ({"email": [" alice@example.com"]}, "identifiers.email[0] has surrounding whitespace"),
        ({"email": ["alice@example.com", 7]}, "identifiers.email[1] must be a string"),
        ({"user_id": [""]}, "identifiers.user_id[0] is empty"),
        ({"user_id": ["x" * 255]}, "at most 254 allowed"),
        (["alice@example.com"], "identifiers must be a mapping"),
    ],
)
async def test_bad_identifiers_raise_value_error(
    host: Host, identifiers: Any, expected: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(expected)) as caught:
        await host.access(GOOD, identifiers)
    assert getattr(caught.value, "retryable", None) is False
    assert expected in str(caught.value)


async def test_numeric_user_id_required_for_id_type_id(host: Host) -> None:
    with pytest.raises(ValueError, match="must be a numeric CrowdTwist id"):
        await host.access({**GOOD, "user_id_type": "id"}, {"user_id": ["A4364BX"]})


@pytest.mark.parametrize(
    "ticket",
    [
        "garbage",
        {},
        {"integration": "crowdtwist"},
        ticket_for(integration="mailchimp"),
        ticket_for(deletion_user("464565755", detail="")),
        ticket_for(deletion_user(1, status="done", detail="")),
        ticket_for(state="weird"),
        ticket_for(submitted_at="yesterday"),
        ticket_for(extra=1),
    ],
    ids=[
        "string",
        "empty",
        "partial",
        "other-integration",
        "string-id",
        "unknown-status",
        "unknown-state",
        "bad-timestamp",
        "extra-key",
    ],
)
async def test_check_deletion_rejects_tampered_ticket(
    host: Host, connection: dict[str, Any], sandbox: Sandbox, ticket: Any
) -> None:
    with pytest.raises(ValueError, match="ticket") as caught:
        await host.check(connection, ticket)
    assert getattr(caught.value, "retryable", None) is False
    assert sandbox.log == []  # refused before any request
