"""The sandbox's HMAC mode: signed requests only on the main origin, verified by its own
implementation of Oracle's page. The signer here is the test's own (neither the plugin's
nor the sandbox's), and a known answer pins it to ``openssl``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp
import pytest

from crowdtwist_sandbox import DEMO_PEOPLE, Sandbox, SandboxConfig
from crowdtwist_sandbox.sandbox_cli import parse_config

from .sandbox_client import Reply

ALICE = DEMO_PEOPLE["alice"]
PUBLIC = "sandbox-test-public"
PRIVATE = "sandbox+test/private=%key"


class Clock:
    """The sandbox's wall clock, moved by the test (a replay 16 minutes later)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


CLOCK = Clock()
HMAC_MODE = SandboxConfig(
    hmac_public_key=PUBLIC,
    hmac_private_key=PRIVATE,
    deletion_step_seconds=0.1,
    wall_clock=CLOCK,
)
in_hmac_mode = pytest.mark.parametrize("sandbox", [HMAC_MODE], indirect=True, ids=["hmac"])


@pytest.fixture(autouse=True)
def _reset_clock() -> None:
    CLOCK.offset = 0.0


def sign(private: str, method: str, body: bytes, content_type: str, stamp: str, uri: str) -> str:
    md5 = hashlib.md5(body, usedforsecurity=False).hexdigest() if body else ""
    message = "\n".join((method, md5, content_type if body else "", stamp, uri))
    hex_digest = hmac.new(private.encode(), message.encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(hex_digest.encode()).decode()


def test_the_test_signer_matches_openssl() -> None:
    # printf 'GET\n\n\n1700000000000\n/v2/activities' \
    #   | openssl dgst -sha256 -hmac secret | cut -d' ' -f2 | tr -d '\n' | base64 -w0
    assert sign("secret", "GET", b"", "", "1700000000000", "/v2/activities") == (
        "N2FkYWJmZTYyMjJhZjM1YWI3ZDhiZjNiYThkYjdlMDVmMmVjMjNiN2ZmZDZjMDI3ZWE1YmU5YWE4MTUxNDQyNQ=="
    )


class Signed:
    """Sends signed requests to the sandbox's main origin and keeps the last one's parts,
    so a test can replay it or tamper with it."""

    def __init__(self, session: aiohttp.ClientSession, sandbox: Sandbox) -> None:
        self.session, self.sandbox = session, sandbox

    async def send(
        self,
        method: str,
        uri: str,
        body: Any = None,
        *,
        private: str = PRIVATE,
        public: str = PUBLIC,
        stamp: str | None = None,
        sent_body: bytes | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Reply:
        data = b"" if body is None else json.dumps(body).encode()
        stamp = stamp or str(int(time.time() * 1000))
        content_type = "application/json" if data else ""
        headers = {
            "X-CT-Authorization": f"CTApiV2Auth {public}:"
            + sign(private, method, data, content_type, stamp, uri),
            "X-CT-Timestamp": stamp,
            **({"Content-Type": content_type} if data else {}),
            **(extra_headers or {}),
        }
        async with self.session.request(
            method,
            self.sandbox.api_base_url + uri,
            data=data if sent_body is None else sent_body,
            headers=headers,
            allow_redirects=False,
        ) as response:
            return Reply(response.status, response.headers, await response.text())


@pytest.fixture
async def signed(sandbox: Sandbox) -> Any:
    async with aiohttp.ClientSession() as session:
        yield Signed(session, sandbox)


PROFILE = f"/v2/users/{ALICE.crowdtwist_id}?id_type=id"
SEARCH = "/v2/members"


@in_hmac_mode
async def test_a_signed_get_and_post_are_served(signed: Signed, sandbox: Sandbox) -> None:
    profile = await signed.send("GET", PROFILE)
    assert profile.status == 200, profile.text
    assert profile.json()["email_address"] == ALICE.email
    found = await signed.send("POST", SEARCH, {"email_address": ALICE.email})
    assert found.status == 200, found.text
    assert [m["member_id"] for m in found.json()] == [int(ALICE.crowdtwist_id)]
    assert [r.auth for r in sandbox.log] == ["hmac", "hmac"]
    assert "Date" in profile.headers


@in_hmac_mode
async def test_a_replay_sixteen_minutes_later_is_refused(signed: Signed) -> None:
    stamp = str(int(time.time() * 1000))
    assert (await signed.send("GET", PROFILE, stamp=stamp)).status == 200
    CLOCK.offset = 16 * 60
    replay = await signed.send("GET", PROFILE, stamp=stamp)
    assert replay.status == 403
    assert "not within 15 minutes" in replay.json()["message"]
    CLOCK.offset = 14 * 60
    assert (await signed.send("GET", PROFILE, stamp=stamp)).status == 200


@in_hmac_mode
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sent_body": b'{"email_address": "someone.else@example.com"}'}, "does not match"),
        ({"private": "not-the-private-key"}, "does not match"),
        ({"public": "someone-elses-public"}, "unknown HMAC public key"),
        ({"stamp": "soon"}, "X-CT-Timestamp is malformed"),
    ],
    ids=["tampered-body", "wrong-private-key", "unknown-public-key", "junk-timestamp"],
)
async def test_a_request_not_signed_by_the_pair_is_refused(
    signed: Signed, change: dict[str, Any], message: str
) -> None:
    reply = await signed.send("POST", SEARCH, {"email_address": ALICE.email}, **change)
    assert reply.status == 403
    assert message in reply.json()["message"]


@in_hmac_mode
async def test_a_tampered_query_is_refused(signed: Signed, sandbox: Sandbox) -> None:
    stamp = str(int(time.time() * 1000))
    good = sign(PRIVATE, "GET", b"", "", stamp, PROFILE)
    headers = {"X-CT-Authorization": f"CTApiV2Auth {PUBLIC}:{good}", "X-CT-Timestamp": stamp}
    other = f"/v2/users/{DEMO_PEOPLE['bob'].crowdtwist_id}?id_type=id"
    async with signed.session.get(sandbox.api_base_url + other, headers=headers) as response:
        assert response.status == 403
        assert "does not match" in (await response.json())["message"]


@in_hmac_mode
async def test_the_api_key_is_refused_on_main_and_kept_on_pos(
    signed: Signed, sandbox: Sandbox
) -> None:
    session = signed.session
    for params, headers in (
        ({"api_key": sandbox.api_key}, {}),
        ({}, {"X-CT-Authorization": f"CTApiKey {sandbox.api_key}"}),
    ):
        url = sandbox.api_base_url + PROFILE
        async with session.get(url, params=params, headers=headers) as response:
            assert response.status == 403
            assert (await response.json())["message"] == (
                "HMAC authentication is required for this client"
            )
    pos = f"{sandbox.pos_base_url}/users/{ALICE.crowdtwist_id}/purchases"
    pos_key = {"X-CT-Authorization": f"CTApiKey {sandbox.api_key}"}
    async with session.get(pos, headers=pos_key) as response:
        assert response.status == 200
    assert [r.auth for r in sandbox.log] == ["api_key_query", "api_key_header", "api_key_header"]


@in_hmac_mode
async def test_a_post_not_sent_as_json_is_refused(signed: Signed) -> None:
    reply = await signed.send(
        "POST",
        SEARCH,
        {"email_address": ALICE.email},
        extra_headers={"Content-Type": "text/plain"},
    )
    assert reply.status == 400
    assert "application/json" in reply.json()["message"]


@in_hmac_mode
async def test_the_log_never_holds_the_private_key(signed: Signed, sandbox: Sandbox) -> None:
    await signed.send("GET", f"/v2/users/{PRIVATE}?id_type=email&note={PRIVATE}")
    logged = json.dumps([r.to_json() for r in sandbox.log])
    assert PRIVATE not in logged and "***" in logged
    assert PRIVATE not in repr(sandbox.config)


def test_the_cli_generates_the_missing_key_and_refuses_half_a_pair() -> None:
    config = parse_config(["--hmac"])
    assert config.hmac_enabled
    assert config.hmac_public_key and config.hmac_private_key
    assert config.hmac_public_key != config.hmac_private_key
    given = parse_config(["--hmac", "--hmac-public-key", "mine"])
    assert given.hmac_public_key == "mine" and given.hmac_private_key
    with pytest.raises(ValueError, match="go together"):
        parse_config(["--hmac-public-key", "mine"])
    with pytest.raises(ValueError, match="without whitespace or ':'"):
        SandboxConfig(hmac_public_key="a:b", hmac_private_key="x")
