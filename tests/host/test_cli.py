"""The CLI's exit codes, one-line errors and persistence, driven with a throwaway plugin."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pluggy
import pytest

from host_stub.cli import main
from host_stub.store import RequestStore
from tests.host.echo_plugin import EchoConfigError, EchoFailure, EchoPlugin

SECRET = "canary+key/with=odd&chars%"


class Run:
    def __init__(self, tmp_path: Path, pm: pluggy.PluginManager) -> None:
        self.config = tmp_path / "host-stub.toml"
        self.config.write_text(
            '[host]\nstore = "state/requests.db"\nreports_dir = "reports"\n\n'
            '[integrations.echo]\napi_subdomain = "echo1"\n'
        )
        self.env = {"ECHO_API_KEY": SECRET}
        self.pm = pm
        self.store_path = tmp_path / "state" / "requests.db"

    def __call__(self, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["--config", str(self.config), "--integration", "echo", *argv],
            environ=self.env if env is None else env,
            out=out,
            err=err,
            plugin_manager=self.pm,
        )
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def run(tmp_path: Path, echo_pm: pluggy.PluginManager) -> Run:
    return Run(tmp_path, echo_pm)


def test_access_without_configuration_exits_2_naming_the_file(tmp_path: Path) -> None:
    err = io.StringIO()
    code = main(
        ["--config", str(tmp_path / "missing.toml"), "access", "--email", "a@x.io"],
        environ={},
        out=io.StringIO(),
        err=err,
    )
    assert code == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    assert "missing.toml not found" in lines[0]


def test_missing_secret_names_the_environment_variable(run: Run) -> None:
    code, _, err = run("access", "--email", "a@example.com", env={})
    assert code == 2
    assert err.strip() == (
        "error: ECHO_API_KEY is not set: export the echo API key in the environment "
        "(secrets never go in host-stub.toml)"
    )


def test_key_in_config_file_is_refused_without_echoing_it(run: Run) -> None:
    run.config.write_text(f'[integrations.echo]\napi_key = "{SECRET}"\n')
    code, out, err = run("check")
    assert code == 2
    assert "must not contain api_key" in err
    assert SECRET not in out + err


def test_usage_errors_exit_2(run: Run) -> None:
    assert run("access")[0] == 2  # no identifier
    code, _, err = run("frobnicate")
    assert code == 2
    assert err.startswith("error: host-stub: argument command")


def test_access_writes_a_private_report_and_prints_counts(run: Run, tmp_path: Path) -> None:
    code, out, err = run("access", "--email", "a@example.com", "--output", str(tmp_path / "r.json"))
    assert code == 0, err
    assert "activities" in out and "     2" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["subjects"][0]["matched"] == ["email:a@example.com"]
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o600
    (stored,) = RequestStore(run.store_path).list()
    assert (stored.kind, stored.state, stored.report_path) == (
        "access",
        "complete",
        str(tmp_path / "r.json"),
    )


def test_plugin_failure_exits_1_with_one_redacted_line(run: Run, echo: EchoPlugin) -> None:
    echo.fail_with = EchoFailure(f"GET /v2/users failed for key {SECRET}", retryable=True)
    code, out, err = run("access", "--email", "a@example.com")
    assert code == 1
    assert len(err.splitlines()) == 1
    assert "retryable" in err
    assert SECRET not in out + err
    (stored,) = RequestStore(run.store_path).list()
    assert stored.state == "failed"
    assert stored.error is not None and "***" in stored.error
    assert SECRET not in run.store_path.read_bytes().decode("utf-8", "replace")


def test_plugin_configuration_error_exits_2(run: Run, echo: EchoPlugin) -> None:
    echo.fail_with = EchoConfigError("api_subdomain must match [a-z0-9-]+, got 'evil.com/#'")
    code, _, err = run("access", "--email", "a@example.com")
    assert code == 2
    assert "api_subdomain must match" in err
    (stored,) = RequestStore(run.store_path).list()
    assert stored.state == "failed"


def test_delete_polls_until_complete(run: Run) -> None:
    code, out, err = run("delete", "--email", "a@example.com", "--poll-interval", "0.01")
    assert code == 0, err
    assert "complete (1 user: 1 completed; 0 not found)" in out
    assert err.count("in_progress") == 1  # one progress line per check
    (stored,) = RequestStore(run.store_path).list()
    assert stored.state == "complete"


def test_refused_deletion_exits_1(run: Run) -> None:
    code, out, _ = run("delete", "--email", "refuse@example.com", "--poll-interval", "0.01")
    assert code == 1
    assert "failed (1 user: 1 rejected" in out


def test_resume_continues_pending_deletions_after_a_restart(run: Run, echo: EchoPlugin) -> None:
    code, out, _ = run("delete", "--email", "a@example.com", "--no-wait")
    assert code == 0
    assert "pending" in out
    store = RequestStore(run.store_path)
    # A crash between creating the row and persisting the ticket: resume submits again.
    store.create("deletion", "echo", {"email": ["b@example.com"]}, "submitting")

    code, out, err = run("resume", "--poll-interval", "0.01")
    assert code == 0, err
    assert out.count("complete (1 user: 1 completed") == 2
    assert {r.state for r in RequestStore(run.store_path).list()} == {"complete"}
    assert echo.calls.count("submit_deletion") == 2
    assert run("resume")[1].strip() == "no pending deletions"


def test_status_lists_requests_and_shows_one(run: Run) -> None:
    run("delete", "--email", "a@example.com", "--no-wait")
    code, out, _ = run("status")
    assert code == 0
    (line,) = out.splitlines()
    request_id = line.split()[0]
    assert "deletion" in line and "pending" in line and "resume" in line
    code, out, _ = run("status", request_id)
    assert json.loads(out)["id"] == request_id
    assert run("status", "nope")[0] == 2


def test_unknown_integration_exits_1(run: Run) -> None:
    run.config.write_text("[integrations.other]\nx = 1\n")
    code, _, err = main_other(run)
    assert code == 1
    assert "no installed plugin handles integration 'other'; installed: echo" in err


def test_unknown_integration_request_is_recorded_as_failed(run: Run, tmp_path: Path) -> None:
    run.config.write_text('[host]\nstore = "state/requests.db"\n\n[integrations.other]\nx = 1\n')
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--config", str(run.config), "--integration", "other", "access", "--email", "a@b.co"],
        environ={"OTHER_API_KEY": "k"},
        out=out,
        err=err,
        plugin_manager=run.pm,
    )
    assert code == 1
    (stored,) = RequestStore(run.store_path).list()
    assert stored.state == "failed"
    assert stored.error is not None and "no installed plugin" in stored.error


def main_other(run: Run) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--config", str(run.config), "--integration", "other", "check"],
        environ={"OTHER_API_KEY": "k"},
        out=out,
        err=err,
        plugin_manager=run.pm,
    )
    return code, out.getvalue(), err.getvalue()
