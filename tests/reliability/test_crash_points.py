"""Issue 29, acceptance: an access request by user id and a deletion by email of the same
person leave none of the person's identifiers in any file of the store, the reports
folder or the key folder, also when ``host-stub`` is killed (``os._exit``, as kill -9) at
any injected point of finishing and then ``resume`` runs; and a DELETE sent just before
the crash is completed with its CrowdTwist id, status history and proof (item 4)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from crowdtwist_sandbox import Sandbox, SandboxConfig, SandboxThread
from host_stub.crash import CRASH_EXIT, POINTS
from host_stub.store import RequestStore
from tests.helpers import process
from tests.helpers.cli import Cli
from tests.helpers.host import Host
from tests.helpers.people import ALICE
from tests.host.test_erasure_evidence import forms_of

POLL = ["--poll-interval", "0.05", "--max-poll-interval", "0.1", "--max-wait", "30"]
PERSON = [ALICE.email, ALICE.third_party_id, ALICE.mobile_phone_number or ""]
FINISHING = [p for p in POINTS if p != "erasure-key-written"]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with SandboxThread(SandboxConfig(deletion_step_seconds=0.05)) as running:
        yield running


@pytest.fixture
def cli(tmp_path: Path, sandbox: Sandbox, host: Host) -> Cli:
    running = Cli.for_crowdtwist(
        tmp_path, sandbox.api_base_url, sandbox.pos_base_url, sandbox.api_key, host.pm
    )
    running.write_config()
    return running  # no HOST_STUB_ERASURE_KEY: the key file lives beside the store


def _deletion(cli: Cli) -> object:
    [deletion] = RequestStore(cli.store_path).list(kind="deletion")
    return deletion


@pytest.mark.parametrize("point", FINISHING)
def test_killed_at_any_point_then_resumed_nothing_of_the_person_is_left(
    cli: Cli, point: str
) -> None:
    access = process.run(cli, "access", "--user-id", ALICE.third_party_id, crash_at=point)
    if point == "access-report-written":
        assert access.returncode == CRASH_EXIT, access.stderr
        resumed = process.run(cli, "resume", *POLL)
        assert resumed.returncode == 0, resumed.stderr
        assert "closed as failed, its process is gone" in resumed.stderr
    else:
        assert access.returncode == 0, access.stderr
    delete = process.run(cli, "delete", "--email", ALICE.email, *POLL, crash_at=point)
    if point != "access-report-written":
        assert delete.returncode == CRASH_EXIT, (delete.stdout, delete.stderr)
    resumed = process.run(cli, "resume", *POLL)
    assert resumed.returncode == 0, resumed.stderr
    deletion = RequestStore(cli.store_path).list(kind="deletion")[0]
    assert deletion.state == "complete", (resumed.stdout, resumed.stderr)
    assert deletion.ticket is not None
    [user] = deletion.ticket["users"]
    assert user["crowdtwist_id"] == ALICE.crowdtwist_id and user["verified"] is True
    assert user["status_history"], user
    leftovers = [
        (path, form)
        for path in sorted(cli.root.rglob("*"))
        if path.is_file() and path != cli.config
        for value in PERSON
        for form in forms_of(value)
        if form in path.read_bytes()
    ]
    assert leftovers == []
    rows = RequestStore(cli.store_path).list()
    crowdtwist_id = str(ALICE.crowdtwist_id)
    holding = [r.id for r in rows if crowdtwist_id in json.dumps(r.to_json())]
    assert holding == [deletion.id]  # the CrowdTwist id only in the erasure record
