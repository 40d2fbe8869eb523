"""The plugin on its own, as a host installs it: only the plugin, its dependencies and pluggy.

The CrowdTwist sandbox runs in a separate process (``$CROWDTWIST_SANDBOX_PYTHON -m
crowdtwist_sandbox``, by default this interpreter), so this module needs neither
host_stub's dependencies nor the test suite's fixtures. ``make test-lowest`` runs it with
``--noconftest`` in an environment holding the plugin's lowest declared versions (where
aiohttp is older than the sandbox allows), with the sandbox from another environment;
``make test`` runs it as part of the suite.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pluggy
import pytest

import crowdtwist_plugin.plugin
import host_stub.hookspecs  # the contract's hookspecs: pluggy only, no host dependency

REPO = Path(__file__).resolve().parents[2]
SANDBOX_PYTHON = os.environ.get("CROWDTWIST_SANDBOX_PYTHON") or sys.executable
DELETION_STEP = 0.05
FAST_RATE = 600_000
EXPECTED = """
import json
from crowdtwist_sandbox import DEMO_PEOPLE
people = {}
for name in ("alice", "bob", "carol"):
    person = DEMO_PEOPLE[name]
    counts = person.records
    people[name] = {
        "email": person.email,
        "crowdtwist_id": person.crowdtwist_id,
        "counts": {
            "activities": counts.activities,
            "activity_history": counts.activity_history,
            "rewards": counts.rewards,
            "purchases": counts.purchases,
            "purchase_details": counts.purchases,
            "receipts": counts.receipts,
            "redemptions": counts.redemptions + counts.old_redemptions,
            "usable_coupons": min(counts.redemptions + counts.old_redemptions, 6),
            "points": 1,
            "points_expiration": 1,
            "badges": min(counts.activities, 3),
            "household_invitations": person.invitations,
        },
    }
print(json.dumps(people))
"""


class SandboxProcess:
    """``python -m crowdtwist_sandbox`` on free loopback ports, with its admin interface."""

    def __init__(self) -> None:
        command = [SANDBOX_PYTHON, "-m", "crowdtwist_sandbox", "--api-port", "0", "--pos-port"]
        command += ["0", "--deletion-step", str(DELETION_STEP)]
        self.process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        banner: dict[str, str] = {}
        assert self.process.stdout is not None
        for line in self.process.stdout:
            label, _, value = line.strip().partition(": ")
            banner[label] = value.strip()
            if label == "API key":
                break
        assert {"main API", "POS API", "API key"} <= set(banner), banner
        self.api, self.pos, self.key = banner["main API"], banner["POS API"], banner["API key"]
        expected = subprocess.run(
            [SANDBOX_PYTHON, "-c", EXPECTED], cwd=REPO, check=True, capture_output=True, text=True
        )
        self.people: dict[str, dict[str, Any]] = json.loads(expected.stdout)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.communicate(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        # Loopback only: the sandbox's admin interface, on the URL it printed.
        request = urllib.request.Request(  # noqa: S310
            f"{self.api}/_sandbox/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return json.loads(answer.read())

    def connection(self, **extra: Any) -> dict[str, Any]:
        return {
            "api_key": self.key,
            "api_base_url": self.api,
            "pos_base_url": self.pos,
            "rate_limit_per_minute": FAST_RATE,
            **extra,
        }


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    running = SandboxProcess()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def pm() -> Iterator[pluggy.PluginManager]:
    manager = pluggy.PluginManager(host_stub.hookspecs.PROJECT_NAME)
    manager.add_hookspecs(host_stub.hookspecs)
    plugin = crowdtwist_plugin.plugin.CrowdTwistPlugin()
    manager.register(plugin, name="crowdtwist")
    try:
        yield manager
    finally:
        manager.unregister(plugin)


async def call(pm: pluggy.PluginManager, hook: str, **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = await getattr(pm.hook, hook)(integration="crowdtwist", **kwargs)
    return result


def test_versions_under_test() -> None:
    print(f"aiohttp {aiohttp.__version__}, pluggy {pluggy.__version__}")


async def test_credentials_ok_rejected_and_unreachable(
    pm: pluggy.PluginManager, sandbox: SandboxProcess
) -> None:
    good = await call(pm, "validate_credentials", connection=sandbox.connection())
    assert good["ok"] is True, good
    bad = await call(pm, "validate_credentials", connection=sandbox.connection(api_key="nope"))
    assert [c["ok"] for c in bad["checks"]] == [False, False]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = f"http://127.0.0.1:{port}"
    unreachable = sandbox.connection(api_base_url=nowhere, pos_base_url=nowhere)
    check = await call(pm, "validate_credentials", connection=unreachable)  # reports, no raise
    assert check["ok"] is False
    assert all(f"cannot connect to 127.0.0.1:{port}" in c["detail"] for c in check["checks"])


async def test_access_is_complete(pm: pluggy.PluginManager, sandbox: SandboxProcess) -> None:
    alice = sandbox.people["alice"]
    report = await call(
        pm,
        "handle_access",
        connection=sandbox.connection(),
        identifiers={"email": [alice["email"]], "user_id": ["NOPE-1"]},
    )
    assert [s["crowdtwist_id"] for s in report["subjects"]] == [alice["crowdtwist_id"]]
    assert report["not_found"] == ["user_id:NOPE-1"]
    data = report["subjects"][0]["data"]
    assert {category: len(records) for category, records in data.items()} == alice["counts"]


async def settle(
    pm: pluggy.PluginManager, connection: dict[str, Any], ticket: dict[str, Any]
) -> dict[str, Any]:
    for _ in range(400):
        if ticket["state"] != "pending":
            return ticket
        await asyncio.sleep(DELETION_STEP / 2)
        ticket = await call(pm, "check_deletion", connection=connection, ticket=ticket)
    raise AssertionError(f"still pending: {ticket}")


async def test_deletion_lifecycle(pm: pluggy.PluginManager, sandbox: SandboxProcess) -> None:
    carol = sandbox.people["carol"]
    connection = sandbox.connection()
    ticket = await call(
        pm, "submit_deletion", connection=connection, identifiers={"email": [carol["email"]]}
    )
    assert ticket["state"] == "pending"
    done = await settle(pm, connection, ticket)
    assert done["state"] == "complete"
    assert [u["status"] for u in done["users"]] == ["completed"]


async def test_a_dropped_delete_is_checked_before_it_is_sent_again(
    pm: pluggy.PluginManager, sandbox: SandboxProcess
) -> None:
    bob = sandbox.people["bob"]
    sandbox.admin("POST", "reset")
    fault = {"kind": "drop_connection", "endpoint": "delete_user", "times": 1}
    sandbox.admin("POST", "faults", fault)
    ticket = await call(
        pm,
        "submit_deletion",
        connection=sandbox.connection(),
        identifiers={"email": [bob["email"]]},
    )
    assert [u["status"] for u in ticket["users"]] == ["queued"], ticket
    calls = [
        (r["method"], r["endpoint"], r["status"])
        for r in sandbox.admin("GET", "log")["requests"]
        if str(bob["crowdtwist_id"]) in r["path"]
        and r["endpoint"] in ("delete_user", "deletion_status")
    ]
    deletes = [i for i, c in enumerate(calls) if c[1] == "delete_user"]
    assert [calls[i][2] for i in deletes] == [0, 200], calls  # dropped, then answered
    between = calls[deletes[0] + 1 : deletes[1]]
    assert between and all(c[1] == "deletion_status" for c in between), calls
