"""Issue 19, item 7: a deletion whose owner crashed on this host is taken over at once,
not after its lease; a pid reused by another process does not fool the check."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from crowdtwist_sandbox import Sandbox, SandboxThread
from host_stub.claims import Claims, make_owner_id, owner_is_gone, process_start
from host_stub.store import RequestStore
from tests.helpers.cli import Cli
from tests.helpers.host import Host
from tests.helpers.people import BOB

HOST = socket.gethostname()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def test_an_owner_whose_process_is_gone_is_recognised() -> None:
    assert owner_is_gone(f"{HOST}:{dead_pid()}:12345:abcdef")
    assert owner_is_gone(f"{HOST}:{dead_pid()}:abcdef")  # an owner id of the older form


def test_a_reused_pid_does_not_keep_a_dead_owner_alive() -> None:
    # our own pid, but recorded with another start time: the process that held it is gone
    assert owner_is_gone(f"{HOST}:{os.getpid()}:1:abcdef")
    started = process_start(os.getpid())
    assert not owner_is_gone(f"{HOST}:{os.getpid()}:{started}:abcdef")
    assert not owner_is_gone(make_owner_id())


def test_owners_on_other_hosts_or_unreadable_are_left_to_their_lease() -> None:
    assert not owner_is_gone(f"another-{HOST}:{dead_pid()}:1:abcdef")
    assert not owner_is_gone("garbage")


def crashed_delete(cli: Cli) -> str:
    """A ``delete`` that claimed its new row and died before its DELETE."""
    store = RequestStore(cli.store_path)
    crashed = Claims(store, owner=f"{HOST}:{dead_pid()}:98765:dead00")
    request, created = crashed.open_deletion("crowdtwist", {"email": [BOB.email]})
    assert created and request.owner == crashed.owner and request.state == "submitting"
    return request.id


def test_two_resumes_right_after_a_crash_send_exactly_one_delete(
    tmp_path: Path, host: Host
) -> None:
    with SandboxThread() as sandbox:
        cli = _cli(tmp_path, sandbox, host)
        request_id = crashed_delete(cli)
        first = cli.run("resume", "--poll-interval", "0.05", "--max-wait", "0")
        second = cli.run("resume", "--poll-interval", "0.05", "--max-wait", "0")
        deletes = sandbox.state.counters.deletes_by_user[BOB.crowdtwist_id]
    assert first[0] == 0 and second[0] == 0, (first, second)
    assert deletes == 1
    assert "taking over from" in first[2] and "whose process is gone" in first[2]
    [request] = cli.requests()
    assert request.id == request_id and request.ticket is not None


def test_a_resume_that_leaves_a_request_to_a_live_owner_says_so(tmp_path: Path, host: Host) -> None:
    with SandboxThread() as sandbox:
        cli = _cli(tmp_path, sandbox, host)
        live = Claims(RequestStore(cli.store_path))  # this very process: alive
        request, _ = live.open_deletion("crowdtwist", {"email": [BOB.email]})
        code, _, err = cli.run("resume", "--max-wait", "0")
        deletes = sandbox.state.counters.deletes_by_user[BOB.crowdtwist_id]
    assert code == 0 and deletes == 0
    assert f"deletion request {request.id} is being worked by {live.owner}" in err
    assert "claim until" in err and "stopped waiting" in err


def _cli(tmp_path: Path, sandbox: Sandbox, host: Host) -> Cli:
    cli = Cli.for_crowdtwist(
        tmp_path, sandbox.api_base_url, sandbox.pos_base_url, sandbox.api_key, host.pm
    )
    cli.write_config()
    return cli
