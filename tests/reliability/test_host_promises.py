"""Issue 29: the host keeps its promises through crashes, interruptions and odd data.

One test per row of the issue's table (those of item 1, 2 and 3 are in tests/host:
test_erasure_person.py, test_erasure_key.py, test_erasure_evidence.py). Signals and
``kill -9`` need a real process: ``tests.helpers.process`` runs ``host-stub`` as one, and
``HOST_STUB_CRASH_AT`` makes it end with ``os._exit`` at a named point.
"""

from __future__ import annotations

import signal
from functools import partial
from pathlib import Path

from crowdtwist_sandbox import Sandbox, SandboxConfig, SandboxThread
from host_stub.erasure import KEY_ENV
from host_stub.plugins import make_plugin_manager
from host_stub.store import PrivacyRequest, RequestStore
from tests.helpers import process
from tests.helpers.cli import Cli
from tests.helpers.host import Host
from tests.helpers.people import ALICE, BOB, CAROL
from tests.host.scripted_plugin import NAME, ScriptedPlugin
from tests.host.test_erasure_evidence import cli_for

ERASURE_KEY = "promises-erasure-key-0123456789abcdef0123"  # the scripted host's
POLL = ["--poll-interval", "0.05", "--max-poll-interval", "0.1", "--max-wait", "30"]


def _rows(cli: Cli) -> list[PrivacyRequest]:
    return RequestStore(cli.store_path).list() if cli.store_path.exists() else []


def _stored(cli: Cli) -> bool:
    return bool(_rows(cli))


def _failed_once(cli: Cli) -> bool:
    return any(request.failures for request in _rows(cli))


def test_sigterm_during_access_fails_the_request_and_the_erasure_minimises_it(
    tmp_path: Path, host: Host
) -> None:
    slow = SandboxConfig(deletion_step_seconds=0.05, latency_seconds=0.2)
    for cli in cli_for(tmp_path, host, slow):
        running = process.spawn(cli, "access", "--email", CAROL.email)
        process.wait_until(partial(_stored, cli), "the access request is stored")
        running.send_signal(signal.SIGTERM)
        _, err = running.communicate(timeout=process.CONDITION_TIMEOUT)
        assert running.returncode == 143, err
        assert err.strip().splitlines()[-1] == "error: interrupted (SIGTERM)"
        assert "Traceback" not in err
        [access] = cli.requests()
        assert (access.state, access.error) == ("failed", "interrupted")
        assert cli.run("delete", "--email", CAROL.email, *POLL)[0] == 0
        access = cli.requests()[0]
        assert access.state == "failed"
        assert access.identifiers["email"][0].startswith("hmac-sha256:")


def test_ctrl_c_during_the_backoff_wait_is_one_line_and_exit_130(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox]
) -> None:
    thread, running_sandbox = cli_sandbox
    thread.call(
        lambda: running_sandbox.add_fault(
            "status", endpoint="member_search", status=503, times=None
        )
    )
    running = process.spawn(cli, "delete", "--email", CAROL.email)
    process.wait_until(partial(_failed_once, cli), "the first attempt failed; the command waits")
    running.send_signal(signal.SIGINT)
    _, err = running.communicate(timeout=process.CONDITION_TIMEOUT)
    assert running.returncode == 130, err
    assert err.strip().splitlines()[-1] == "error: interrupted"
    assert "Traceback" not in err and "CancelledError" not in err
    [request] = cli.requests()
    assert request.state == "submitting" and request.owner is None  # resume continues it


def test_a_refused_deletion_prints_its_reason(cli: Cli) -> None:
    cli.key = "not-the-sandbox-key"
    code, out, err = cli.run("delete", "--email", BOB.email, *POLL)
    assert code == 1
    assert "failed (0 users: none; 0 not found)" in out
    assert f"deletion request {cli.requests()[0].id} failed: " in err
    assert "403" in err or "rejected" in err.lower()


def test_check_with_an_invalid_setting_is_a_configuration_error(cli: Cli) -> None:
    cli.write_config(user_id_type="passport_number")
    code, out, _ = cli.run("check")
    assert code == 2
    assert "FAIL connection" in out and "user_id_type" in out


def test_an_edited_ticket_is_named_not_the_settings(cli: Cli) -> None:
    assert cli.run("delete", "--email", BOB.email, "--no-wait")[0] == 0
    [request] = cli.requests()
    assert request.ticket is not None and request.state == "pending"
    edited = {**request.ticket, "submitted_at": "yesterday"}
    RequestStore(cli.store_path).update(request.id, state="pending", ticket=edited)
    code, _, err = cli.run("resume", "--max-wait", "0")
    assert code == 1
    assert "ticket.submitted_at" in err and "the stored ticket is refused" in err
    assert "fix the settings" not in err


def test_a_ticket_whose_time_says_plus_00_00_resumes(cli: Cli) -> None:
    """The same instant written by another tool is not an odd ticket: never pending for ever."""
    assert cli.run("delete", "--email", BOB.email, "--no-wait")[0] == 0
    [request] = cli.requests()
    assert request.ticket is not None
    edited = {**request.ticket, "submitted_at": "2026-11-27T10:00:00+00:00"}
    RequestStore(cli.store_path).update(request.id, state="pending", ticket=edited)
    code, _, err = cli.run("resume")
    assert code == 0, err
    [done] = cli.requests()
    assert done.state == "complete"


def test_a_record_nested_960_deep_is_reported_not_stuck(tmp_path: Path) -> None:
    deep: dict[str, object] = {"value": "bottom"}
    for _ in range(960):
        deep = {"nested": deep}
    plugin = ScriptedPlugin()
    plugin.script["handle_access"].append(
        {"integration": NAME, "subjects": [{"crowdtwist_id": 7, "deep": deep}], "not_found": []}
    )
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(plugin, name=NAME)
    cli = Cli(tmp_path, pm, "scripted-key-0123", integration=NAME)
    cli.env[KEY_ENV] = ERASURE_KEY
    cli.write_config(api_subdomain="api1")
    code, _, err = cli.run("access", "--email", ALICE.email)
    [access] = cli.requests()
    assert code == 0, err
    assert access.state == "complete"
    assert access.report_path and "bottom" in Path(access.report_path).read_text()
