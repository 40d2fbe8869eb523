"""HMAC-signed requests (``auth = "hmac"``) against the sandbox in HMAC mode, whose
verifier is its own implementation of Oracle's page (crowdtwist_sandbox/hmac_auth.py)."""

from __future__ import annotations

import logging
import time
from typing import Any

import attrs
import pytest

from crowdtwist_plugin.errors import AuthenticationError, CrowdTwistError
from crowdtwist_sandbox import Sandbox, SandboxConfig
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE, ALICE_COUNTS, ALICE_IDS, CATEGORIES
from tests.helpers.secrets import CANARY_KEY, exception_texts, leaks_in
from tests.plugin.test_live_deletion import poll_until_settled

PUBLIC = "sandbox-hmac-public"
PRIVATE = "canary+private/key=%"  # every URL-special character, like the canary API key
SIGNED = SandboxConfig(
    api_key=CANARY_KEY,
    hmac_public_key=PUBLIC,
    hmac_private_key=PRIVATE,
    deletion_step_seconds=0.1,
)


def signed(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    keys = {"auth": "hmac", "hmac_public_key": PUBLIC, "hmac_private_key": PRIVATE}
    return connection_for(sandbox, **{**keys, **extra})


def counts(report: dict[str, Any]) -> dict[str, int]:
    (subject,) = report["subjects"]
    return {c: len(subject["data"][c]) for c in CATEGORIES}


@pytest.mark.parametrize("sandbox_config", [SIGNED], ids=["hmac"])
async def test_every_hook_works_signed_and_no_main_host_url_carries_a_key(
    host: Host, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    connection = signed(sandbox)
    check = await host.validate(connection)
    assert check["ok"] is True, check
    assert check["checks"][0]["detail"] == "reachable, HMAC signature accepted (HTTP 200)"
    report = await host.access(connection, ALICE_IDS)
    assert counts(report) == ALICE_COUNTS
    ticket = await host.submit(connection, {"email": [ALICE.email]})
    tickets = await poll_until_settled(host, connection, ticket)
    assert tickets[-1]["state"] == "complete"
    assert tickets[-1]["verification"] == "verified"

    main = [r for r in sandbox.log if r.origin == "api"]
    assert main and {r.auth for r in main} == {"hmac"}
    assert all(r.status != 403 for r in main)
    assert not any("api_key" in r.query for r in main)
    assert {r.auth for r in sandbox.log if r.origin == "pos"} == {"api_key_header"}
    outputs = repr([check, report, tickets, host.last_stats])
    assert not leaks_in(outputs + caplog.text, [PRIVATE, CANARY_KEY])


class JumpOnRetry(logging.Handler):
    """Moves both clocks 16 minutes on when the plugin announces a retry: a retry that
    kept its first attempt's timestamp would then be 16 minutes stale."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        if "retrying in" in record.getMessage():
            self.seconds = 16 * 60.0

    def clock(self) -> float:
        return time.time() + self.seconds


JUMP = JumpOnRetry()
JUMPING = attrs.evolve(SIGNED, wall_clock=JUMP.clock)


@pytest.mark.parametrize("sandbox_config", [JUMPING], ids=["clocks-jump"])
async def test_every_retry_is_signed_again_with_a_fresh_timestamp(
    host: Host, sandbox: Sandbox
) -> None:
    logger = logging.getLogger("crowdtwist_plugin")
    JUMP.seconds = 0.0
    logger.addHandler(JUMP)
    try:
        host.configure(wall_clock=JUMP.clock)
        sandbox.add_fault("status", endpoint="program_activities", status=503, times=1)
        check = await host.validate(signed(sandbox))
    finally:
        logger.removeHandler(JUMP)
    assert JUMP.seconds > 0, "the plugin retried"
    assert check["ok"] is True, check
    main = [r.status for r in sandbox.log if r.endpoint == "program_activities"]
    assert main == [503, 200]


@pytest.mark.parametrize("sandbox_config", [SIGNED], ids=["hmac"])
async def test_the_plain_key_on_an_hmac_program_is_reported_as_hmac_required(
    host: Host, sandbox: Sandbox
) -> None:
    check = await host.validate(connection_for(sandbox))
    main, pos = check["checks"]
    assert check["ok"] is False
    assert main["detail"].startswith("HMAC required: CrowdTwist rejected the API key (HTTP 403)")
    assert "set auth = 'hmac' with hmac_public_key and hmac_private_key" in main["detail"]
    assert pos["ok"] is True
    assert not leaks_in(repr(check), [CANARY_KEY])


@pytest.mark.parametrize("sandbox_config", [SIGNED], ids=["hmac"])
async def test_a_wrong_private_key_names_the_signature_and_is_not_retried(
    host: Host, sandbox: Sandbox
) -> None:
    connection = signed(sandbox, hmac_private_key="not-the-private-key")
    check = await host.validate(connection)
    assert check["checks"][0]["ok"] is False
    assert check["checks"][0]["detail"] == (
        "CrowdTwist rejected the HMAC signature (HTTP 403): forbidden HMAC signature does not "
        "match; check hmac_public_key and hmac_private_key"
    )
    sandbox.reset()
    with pytest.raises(AuthenticationError) as info:
        await host.access(connection, ALICE_IDS)
    assert info.value.retryable is False
    assert len([r for r in sandbox.log if r.origin == "api"]) <= 3  # the lookups, once each
    assert not any(leaks_in(text, [PRIVATE]) for text in exception_texts(info.value))


@pytest.mark.parametrize("sandbox_config", [SIGNED], ids=["hmac"])
@pytest.mark.parametrize(("minutes", "side"), [(-16, "behind"), (20, "ahead of")])
async def test_a_clock_crowdtwist_refuses_names_the_machines_clock(
    host: Host, sandbox: Sandbox, minutes: int, side: str
) -> None:
    """Signed 16 minutes ago is a replay to the service; 20 minutes ahead, from the future."""
    host.configure(wall_clock=lambda: time.time() + minutes * 60)
    check = await host.validate(signed(sandbox))
    detail = check["checks"][0]["detail"]
    assert detail.startswith("CrowdTwist rejected the HMAC timestamp (HTTP 403)")
    assert f"this machine's clock is {abs(minutes)} minutes {side} CrowdTwist's" in detail
    assert "correct the machine's clock" in detail
    assert check["checks"][1]["ok"] is True  # POS has no HMAC, so no timestamp
    with pytest.raises(CrowdTwistError) as info:
        await host.access(signed(sandbox), ALICE_IDS)
    assert isinstance(info.value, AuthenticationError)
    assert info.value.retryable is False
