"""Deletions through ``host-stub`` against the sandbox, with the real plugin (issue 11,
items 8 and 10): an outage keeps a deletion open and ``resume`` finishes it; a second
``delete`` follows the open request; claims held by other processes are respected and a
crashed owner's claim is taken over once it has expired. Each test failed on the code
before. Retry waits are recorded, not slept (tests/conftest.py)."""

from __future__ import annotations

import time

from crowdtwist_sandbox import DEMO_PEOPLE, Sandbox, SandboxThread
from host_stub.claims import Claims
from host_stub.store import RequestStore
from tests.helpers.cli import Cli
from tests.helpers.people import CAROL

BOB = DEMO_PEOPLE["bob"]
POLL = ["--poll-interval", "0.05", "--max-poll-interval", "0.1", "--max-wait", "10"]


def _deletes(cli_sandbox: tuple[SandboxThread, Sandbox]) -> dict[int, int]:
    thread, sandbox = cli_sandbox
    return thread.call(lambda: dict(sandbox.counters.deletes_by_user))


def _fault(cli_sandbox: tuple[SandboxThread, Sandbox], endpoint: str, status: int) -> None:
    thread, sandbox = cli_sandbox
    thread.call(lambda: sandbox.add_fault("status", endpoint=endpoint, status=status, times=None))


def _clear(cli_sandbox: tuple[SandboxThread, Sandbox]) -> None:
    thread, sandbox = cli_sandbox
    thread.call(sandbox.clear_faults)


# --- item 10: a retryable failure keeps the deletion open --------------------------------------


def test_an_outage_during_resume_keeps_the_deletion_pending_and_resume_finishes_it(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox]
) -> None:
    assert cli.run("delete", "--email", CAROL.email, "--no-wait")[0] == 0
    _fault(cli_sandbox, "deletion_status", 503)

    code, out, err = cli.run("resume", *POLL)

    assert code == 1, (out, err)
    (request,) = RequestStore(cli.store_path).list()
    assert request.state == "pending"
    assert request.error is not None and "503" in request.error
    assert request.next_attempt_at is not None and request.failures == 1
    assert f"next attempt after {request.next_attempt_at}" in err
    assert "next attempt after" in cli.run("status")[1]

    _clear(cli_sandbox)
    code, out, err = cli.run("resume", *POLL)
    assert code == 0, (out, err)
    (request,) = RequestStore(cli.store_path).list()
    assert (request.state, request.error, request.next_attempt_at) == ("complete", None, None)
    assert _deletes(cli_sandbox) == {CAROL.crowdtwist_id: 1}


def test_an_outage_during_submit_keeps_it_open_and_the_next_delete_follows_it(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox]
) -> None:
    _fault(cli_sandbox, "member_search", 503)
    code, _, err = cli.run("delete", "--email", CAROL.email, "--no-wait")
    assert code == 1
    assert "retryable: kept submitting" in err
    (first,) = RequestStore(cli.store_path).list()
    assert first.state == "submitting" and first.ticket is None

    _clear(cli_sandbox)
    code, out, err = cli.run("delete", "--email", CAROL.email.upper(), *POLL)
    assert code == 0, (out, err)
    assert f"deletion request {first.id} for the same identifiers is already open" in err
    (request,) = RequestStore(cli.store_path).list()  # one request, followed to the end
    assert (request.id, request.state) == (first.id, "complete")
    assert _deletes(cli_sandbox) == {CAROL.crowdtwist_id: 1}


# --- item 8: claims held by other processes -------------------------------------------------


def test_resume_leaves_a_request_another_live_process_holds(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox]
) -> None:
    store = RequestStore(cli.store_path)
    other = Claims(store, owner="other-host:4242", lease_seconds=3600.0)
    request, created = other.open_deletion("crowdtwist", {"email": [CAROL.email]})
    assert created

    code, out, err = cli.run("resume", "--poll-interval", "0.05", "--max-wait", "0.2")

    assert code == 0, (out, err)
    assert f"deletion request {request.id} is being worked by other-host:4242" in err
    assert _deletes(cli_sandbox) == {}
    code, out, err = cli.run("delete", "--email", CAROL.email, "--no-wait")
    assert code == 0 and "not touched here" in err
    assert _deletes(cli_sandbox) == {}
    assert "claimed by other-host:4242" in cli.run("status")[1]


def test_resume_takes_over_from_a_crashed_owner_whose_lease_expired(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox]
) -> None:
    store = RequestStore(cli.store_path, clock=lambda: time.time() - 600.0)
    crashed = Claims(store, owner="crashed-host:1", lease_seconds=60.0)
    request, _ = crashed.open_deletion("crowdtwist", {"email": [CAROL.email, BOB.email]})

    code, out, err = cli.run("resume", *POLL)

    assert code == 0, (out, err)
    assert "taking over from crashed-host:1, whose claim expired" in err
    done = RequestStore(cli.store_path).get(request.id)
    assert done is not None and (done.state, done.owner) == ("complete", None)
    assert _deletes(cli_sandbox) == {CAROL.crowdtwist_id: 1, BOB.crowdtwist_id: 1}
