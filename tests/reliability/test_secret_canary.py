"""Secret canary: the API key never shows up anywhere a host could log, print or store.

The sandbox is configured with canary keys that URL encoding changes (``a+b/c=d&e%``), a
300-character key and a key of every printable special character; non-ASCII keys are
refused (see test_hostile_inputs). On every error path the key, raw, percent-encoded and
plus-encoded, must be absent from the exception (``str``, ``repr``, ``args``, attributes,
``__cause__``, ``__context__``, formatted traceback), from every log record (DEBUG, root and
``crowdtwist_plugin``), from the CLI's stdout and stderr, from the SQLite store, from the
written reports, from a cassette recorded with the key and from every file under
``cassettes/``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import string
from pathlib import Path
from typing import Any

import attrs
import pytest
import vcr

from crowdtwist_plugin.errors import CrowdTwistError
from crowdtwist_sandbox import Sandbox, SandboxConfig, SandboxThread, run_sandbox
from tests.helpers.cassettes import CASSETTES, FILTERS
from tests.helpers.cli import Cli
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ALICE, ALICE_IDS, CAROL, CAROL_IDS
from tests.helpers.secrets import (
    CANARY_KEY,
    DEFAULT_KEY,
    exception_texts,
    leaks_in,
    leaks_in_bytes,
    log_texts,
)

_rng = random.Random(6)
_PRINTABLE = string.ascii_letters + string.digits + string.punctuation
CANARY_KEYS = {
    "url-syntax": CANARY_KEY,
    "long-300": "".join(_rng.choice(_PRINTABLE) for _ in range(300)),
    "specials": "k#?;:@[]!$'()*,~`^{}|\\\"<>=&%+/",
    "random-32": "".join(_rng.choice(_PRINTABLE) for _ in range(32)),
}
OTHER_KEY = "the-sandbox-expects-this-one"


@pytest.fixture(params=sorted(CANARY_KEYS))
def canary(request: pytest.FixtureRequest) -> str:
    return CANARY_KEYS[request.param]


# The error paths do not depend on the key's characters beyond encoding: three keys cover
# every encoding difference (the random key still runs through the CLI and the checks).
ERROR_PATH_KEYS = ["url-syntax", "long-300", "specials"]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="crowdtwist_plugin")
    return caplog


@pytest.fixture
def quick_retries(host: Host) -> None:
    """Two attempts instead of six: the error paths are the same, the timeouts shorter."""
    host.configure(retry=attrs.evolve(host.options.retry, max_tries=2, rng=random.Random(1)))


def _scan(keys: list[str], *texts: str) -> None:
    for text in texts:
        found = leaks_in(text, keys)
        assert not found, f"key leaked: {found[:3]} in {text[:300]!r}"


# (name, hook, sandbox fault or None, fault fields, how the connection is spoiled)
SCENARIOS: list[tuple[str, str, str | None, dict[str, Any], str]] = [
    ("403 wrong key (main)", "handle_access", None, {}, "wrong-key"),
    (
        "403 (POS)",
        "handle_access",
        "status",
        {"endpoint": "purchases", "status": 403},
        "",
    ),
    (
        "503 always (main)",
        "handle_access",
        "status",
        {"endpoint": "receipts", "status": 503, "times": None},
        "",
    ),
    (
        "503 always (POS)",
        "handle_access",
        "status",
        {"endpoint": "purchases", "status": 503, "times": None},
        "",
    ),
    (
        "429 always (DELETE)",
        "submit_deletion",
        "rate_limit",
        {"endpoint": "delete_user", "times": None, "retry_after": "1"},
        "",
    ),
    (
        "dropped connection",
        "handle_access",
        "drop_connection",
        {"endpoint": "member_search", "times": None},
        "",
    ),
    (
        "timeout (POS)",
        "handle_access",
        "latency",
        {"endpoint": "purchases", "seconds": 0.3, "times": None},
        "short-timeout",
    ),
    ("malformed JSON", "handle_access", "malformed_json", {"endpoint": "redemption_history"}, ""),
    ("HTML 200", "check_deletion", "html", {"endpoint": "deletion_status"}, ""),
    (
        "wrong content type (POS)",
        "handle_access",
        "wrong_content_type",
        {"endpoint": "purchases"},
        "",
    ),
    (
        "duplicate items (POS)",
        "handle_access",
        "duplicate_items",
        {"endpoint": "purchases", "times": None},
        "",
    ),
    ("redirect", "submit_deletion", "status", {"endpoint": "profile", "status": 302}, ""),
    ("connection refused", "handle_access", None, {}, "refused"),
    (
        "overall deadline",
        "handle_access",
        "latency",
        {"endpoint": "receipts", "seconds": 0.4},
        "deadline",
    ),
    ("bad setting next to the key", "handle_access", None, {}, "bad-setting"),
    ("bad identifier", "submit_deletion", None, {}, "bad-identifier"),
    ("bad ticket", "check_deletion", None, {}, "bad-ticket"),
]


@pytest.mark.parametrize("canary", ERROR_PATH_KEYS, indirect=True)
@pytest.mark.parametrize(
    ("hook", "fault", "fields", "spoil"),
    [pytest.param(h, f, x, s, id=n) for n, h, f, x, s in SCENARIOS],
)
async def test_key_absent_on_every_error_path(
    canary: str,
    hook: str,
    fault: str | None,
    fields: dict[str, Any],
    spoil: str,
    host: Host,
    debug_logs: pytest.LogCaptureFixture,
    quick_retries: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected_key = OTHER_KEY if spoil == "wrong-key" else canary
    async with run_sandbox(SandboxConfig(api_key=expected_key, deletion_step_seconds=1000)) as sb:
        connection = connection_for(sb, api_key=canary)
        ticket = None
        if hook == "check_deletion":
            ticket = await host.submit(connection, CAROL_IDS)
        if spoil == "refused":
            connection["api_base_url"] = "http://127.0.0.1:9"
        if spoil == "bad-setting":
            connection["api_secret"] = canary
        if spoil == "short-timeout":
            host.configure(read_timeout=0.1)
        if spoil == "deadline":
            host.configure(deadline=0.15)
        if fault is not None:
            sb.add_fault(fault, **fields)
        identifiers: Any = ALICE_IDS
        if spoil == "bad-identifier":
            identifiers = {"email": ["not an email"]}
        kwargs: dict[str, Any] = {"identifiers": identifiers}
        if hook == "check_deletion":
            kwargs = {
                "ticket": {**ticket, "state": "nonsense"} if spoil == "bad-ticket" else ticket
            }
        with pytest.raises(CrowdTwistError) as caught:
            await host.call(hook, connection=connection, **kwargs)
        sandbox_log = repr(sb.log)
    keys = [canary, OTHER_KEY]
    _scan(keys, *exception_texts(caught.value))
    _scan(keys, *log_texts(debug_logs.records))
    _scan(keys, debug_logs.text, sandbox_log)


async def test_validate_credentials_details_never_carry_the_key(
    canary: str, host: Host, debug_logs: pytest.LogCaptureFixture
) -> None:
    async with run_sandbox(SandboxConfig(api_key=canary)) as sb:
        good = await host.validate(connection_for(sb))
        assert good["ok"] is True  # the key round-trips through query and header encoding
        sb.add_fault("status", status=503, times=None)
        failing = await host.validate(connection_for(sb))
        wrong = await host.validate(connection_for(sb, api_key=OTHER_KEY))
    assert failing["ok"] is False and wrong["ok"] is False
    _scan([canary, OTHER_KEY], repr(good), repr(failing), repr(wrong))
    _scan([canary, OTHER_KEY], *log_texts(debug_logs.records))


async def test_successful_access_with_canary_key_is_exact(canary: str, host: Host) -> None:
    """The key survives query encoding (main) and the header (POS): same report as with
    the default key."""
    async with run_sandbox(SandboxConfig(api_key=canary)) as sb:
        report = await host.access(connection_for(sb), ALICE_IDS)
        log = repr(sb.log)
    async with run_sandbox() as sb:
        expected = await host.access(connection_for(sb), ALICE_IDS)
    assert report == expected
    _scan([canary], repr(report), log)


# --- through the CLI: stdout, stderr, store, reports ------------------------------------------


def _cli_session(canary: str, root: Path, host: Host) -> Cli:
    """Run a host through every command and failure it has, with the canary key."""
    with SandboxThread(SandboxConfig(api_key=canary, deletion_step_seconds=0.05)) as sandbox:
        thread_faults = sandbox.state.faults

        def fault(kind: str, **fields: Any) -> None:
            # FaultSet is plain data; the sandbox reads it on its next request.
            sandbox.add_fault(kind, **fields)

        cli = Cli.for_crowdtwist(root, sandbox.api_base_url, sandbox.pos_base_url, canary, host.pm)
        cli.write_config()
        poll = ["--poll-interval", "0.05", "--max-poll-interval", "0.1", "--max-wait", "5"]
        assert cli.run("check")[0] == 0
        assert cli.run("access", "--email", ALICE.email, "--user-id", ALICE.third_party_id)[0] == 0
        fault("status", endpoint="receipts", status=503, times=None)
        assert cli.run("access", "--email", ALICE.email)[0] == 1
        fault("status", endpoint="program_activities", status=503, times=None)
        assert cli.run("--debug", "check")[0] == 1
        thread_faults.clear()
        fault("malformed_json", endpoint="purchases")
        assert cli.run("--debug", "access", "--email", ALICE.email)[0] == 1
        fault("drop_connection", endpoint="profile", times=None)
        assert cli.run("delete", "--email", CAROL.email, "--no-wait")[0] == 1
        thread_faults.clear()
        assert cli.run("delete", "--email", CAROL.email, "--no-wait")[0] == 0
        fault("status", endpoint="deletion_status", status=500, times=None)
        assert cli.run("resume", *poll)[0] == 1
        thread_faults.clear()
        assert cli.run("resume", *poll)[0] == 0
        assert cli.run("status")[0] == 0
        assert cli.run("--debug", "access", "--email", "bad email")[0] == 2
        cli.write_config(api_subdomain="evil.com/#", user_id_typ="x")
        assert cli.run("check")[0] == 2  # a configuration error (issue 29)
        assert cli.run("access", "--email", ALICE.email)[0] == 2
        cli.write_config()
        cli.key = OTHER_KEY  # the wrong key: 403 on both hosts
        assert cli.run("--debug", "access", "--email", ALICE.email)[0] == 1
        assert cli.run("check")[0] == 1
        cli.key = canary
        for request_id in _request_ids(cli):
            assert cli.run("status", request_id)[0] == 0
    return cli


def _request_ids(cli: Cli) -> list[str]:
    from host_stub.store import RequestStore

    return [r.id for r in RequestStore(cli.store_path).list()]


def test_cli_never_prints_or_stores_the_key(
    canary: str, tmp_path: Path, host: Host, debug_logs: pytest.LogCaptureFixture
) -> None:
    cli = _cli_session(canary, tmp_path, host)
    keys = [canary, OTHER_KEY]
    assert len(cli.runs) >= 18
    for argv, _code, out, err in cli.runs:
        _scan(keys, " ".join(argv), out, err)
    files = cli.files()
    assert any(p.suffix == ".db" for p in files) and any(p.suffix == ".json" for p in files)
    for path, data in files.items():
        assert not leaks_in_bytes(data, keys), f"key in {path}"
    _scan(keys, *log_texts(debug_logs.records))
    # The failures were recorded (so the paths above were really taken).
    errors = "".join(err for *_, err in cli.runs)
    assert "HTTP 503" in errors and "malformed JSON" in errors and "HTTP 403" in errors


# --- cassettes --------------------------------------------------------------------------------


def test_no_cassette_holds_any_key() -> None:
    files = [p for p in sorted(CASSETTES.rglob("*")) if p.is_file()]
    keys = [DEFAULT_KEY, *CANARY_KEYS.values()]
    for path in files:
        assert not leaks_in_bytes(path.read_bytes(), keys), f"key in {path}"


def test_a_cassette_recorded_with_the_canary_key_does_not_hold_it(
    tmp_path: Path, host: Host
) -> None:
    """Record with the project's filters (without the response scrubber), then look."""
    recorder = vcr.VCR(record_mode="all", **FILTERS)
    canary = CANARY_KEYS["url-syntax"]
    cassette = tmp_path / "canary.yaml"

    async def scenario(sandbox: Sandbox) -> None:
        await host.access(connection_for(sandbox), ALICE_IDS)
        sandbox.add_fault("status", endpoint="purchases", status=503, times=None)
        with pytest.raises(CrowdTwistError):
            await host.access(connection_for(sandbox), ALICE_IDS)
        await host.submit(connection_for(sandbox), CAROL_IDS)

    async def record() -> None:
        async with run_sandbox(SandboxConfig(api_key=canary)) as sandbox:
            with recorder.use_cassette(str(cassette)):
                await scenario(sandbox)

    asyncio.run(record())
    data = cassette.read_bytes()
    assert b"/purchases" in data and b"DELETE" in data
    assert not leaks_in_bytes(data, [canary])
