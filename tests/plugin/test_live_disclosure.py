"""Issue 17: what the real service sends. Credentials never reach a report, the stored
report or host-stub's output; the client keeps no cookies; gzip answers are read."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from crowdtwist_sandbox import Sandbox, SandboxConfig, SandboxThread
from tests.helpers.cli import Cli
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE, BOB
from tests.helpers.records import KIT_CREDENTIALS, as_disclosed

CANARY = "CANARY-credential-7f3a"
# Credentials a program may nest (custom data, extra data, the tier object, a record):
# field path in the profile -> where the report must say it was withheld.
NESTED = {
    ("custom_data", "loyalty_app_token"): "subjects[0].profile.custom_data.loyalty_app_token",
    ("extra_data", "oauth", "refresh_token"): "subjects[0].profile.extra_data.oauth.refresh_token",
    ("tier_info", "current_level", "api_secret"): (
        "subjects[0].profile.tier_info.current_level.api_secret"
    ),
    ("extra_data", "Partner.Password"): 'subjects[0].profile.extra_data["Partner.Password"]',
}
HISTORY_PATH = "subjects[0].data.activity_history[0].extra_data.access_token"


def _canary(field: str) -> str:
    return f"{CANARY}-{field}"


def plant_canaries(sandbox: Sandbox) -> dict[str, Any]:
    """Fill every credential of alice's profile (top level and nested) and one record's
    ``extra_data`` with canary values; return her profile as it was before."""
    member = sandbox.state.store.members[ALICE.crowdtwist_id]
    original = copy.deepcopy(member.profile)
    for field in KIT_CREDENTIALS:
        member.profile[field] = _canary(field)
    member.profile["extra_data"] = {"campaign": "spring", "oauth": {}}
    for path in NESTED:
        target = member.profile
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = _canary(path[-1])
    history = member.records.activity_history[0]
    history["extra_data"] = {**history["extra_data"], "access_token": _canary("history")}
    return original


def expected_profile(profile: dict[str, Any]) -> dict[str, Any]:
    """alice's planted profile as a report must show it: the credential keys left out,
    every other field (nested ones too) exactly as served."""
    shown = as_disclosed(copy.deepcopy(profile))
    for path in NESTED:
        target = shown
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
    return shown


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    # host-only cookies, which an ordinary cookie jar would send back to this loopback host
    return SandboxConfig(deletion_step_seconds=0.05, cookie_domain=None)


async def test_report_holds_no_credential_and_lists_each_one(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    plant_canaries(sandbox)
    member = sandbox.state.store.members[ALICE.crowdtwist_id]
    report = await host.access(connection, {"email": [ALICE.email]})
    # (host.access checks every output against the schema the plugin ships)
    assert CANARY not in repr(report)
    subject = report["subjects"][0]
    assert subject["profile"] == expected_profile(member.profile)
    assert subject["profile"]["custom_data"] == {"opt_in_email": "true", "store_loc": "575"}
    assert subject["profile"]["extra_data"] == {"campaign": "spring", "oauth": {}}
    paths = [w["path"] for w in report["withheld"]]
    kit = [f"subjects[0].profile.{field}" for field in KIT_CREDENTIALS]
    assert sorted(paths) == sorted([*kit, *NESTED.values(), HISTORY_PATH])
    assert {w["reason"] for w in report["withheld"]} == {"security credential"}
    history = subject["data"]["activity_history"][0]
    assert "access_token" not in history["extra_data"]
    assert history["extra_data"]["message"] == "Check this out!"


async def test_null_credentials_are_left_out_without_an_entry(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    member = sandbox.state.store.members[BOB.crowdtwist_id]
    assert member.profile["password"] is None  # bob signed up without social accounts
    report = await host.access(connection, {"email": [BOB.email]})
    profile = report["subjects"][0]["profile"]
    assert profile == as_disclosed(member.profile)
    # hash_algorithm_id and password_generated hold a value for every member, as in the kit
    assert [w["path"] for w in report["withheld"]] == [
        "subjects[0].profile.hash_algorithm_id",
        "subjects[0].profile.password_generated",
    ]


async def test_no_request_carries_a_cookie_after_the_service_set_one(
    host: Host, sandbox: Sandbox
) -> None:
    # The sandbox on "localhost", where an ordinary client keeps its host-only cookies.
    connection = connection_for(sandbox)
    for origin in ("api_base_url", "pos_base_url"):
        connection[origin] = connection[origin].replace("127.0.0.1", "localhost")
    await host.access(connection, {"email": [ALICE.email], "user_id": [ALICE.third_party_id]})
    await host.submit(connection, {"email": [BOB.email]})
    log = sandbox.log
    assert len(log) > 20
    assert [r.endpoint for r in log if r.sent_cookie] == []
    # The same requests from an ordinary client do send the cookie back: the test can fail.
    url = f"{connection['api_base_url']}/v2/users/{ALICE.crowdtwist_id}"
    async with aiohttp.ClientSession() as session:
        for _ in range(2):
            async with session.get(url, params={"api_key": sandbox.api_key}) as response:
                assert response.headers.getall("Set-Cookie")
                await response.read()
    assert [r.sent_cookie for r in sandbox.log[-2:]] == [False, True]


async def test_gzip_answers_are_read(host: Host, sandbox: Sandbox) -> None:
    url = f"{sandbox.api_base_url}/v2/users/{ALICE.crowdtwist_id}"
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(url, params={"api_key": sandbox.api_key}) as response,
    ):
        assert response.headers["Content-Encoding"] == "gzip"
    report = await host.access(connection_for(sandbox), {"email": [ALICE.email]})
    assert report["subjects"][0]["profile"]["email_address"] == ALICE.email


def test_host_stub_shows_the_count_and_paths_and_keeps_no_value(tmp_path: Path, host: Host) -> None:
    with SandboxThread(SandboxConfig(deletion_step_seconds=0.05)) as sandbox:
        plant_canaries(sandbox)
        cli = Cli.for_crowdtwist(
            tmp_path, sandbox.api_base_url, sandbox.pos_base_url, sandbox.api_key, host.pm
        )
        cli.write_config()
        code, out, err = cli.run("access", "--email", ALICE.email)
    assert code == 0, err
    withheld = len(KIT_CREDENTIALS) + len(NESTED) + 1
    assert f"withheld: {withheld} security credential field(s)" in out
    assert "  subjects[0].profile.twitter_oauth_token" in out
    assert f"  {HISTORY_PATH}" in out
    assert CANARY not in out + err
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".json" for p in stored) and any(p.suffix == ".db" for p in stored)
    for path in stored:
        assert CANARY.encode() not in path.read_bytes(), path
