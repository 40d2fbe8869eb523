"""The host side of issue 11 through the CLI: typed errors (item 5), the key in any
encoding (item 6), folders and report files (item 12), origins (item 14), and the
cli <-> demo import cycle (issue 9, item 4). Each test failed on the code before.

The plugin is a throwaway ``scripted`` integration on a fresh plugin manager; the
canary steps echo the key from the connection in every encoding into a credential check,
a report, a ticket's detail and exception messages.
"""

from __future__ import annotations

import ast
import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest

from host_stub import demo
from host_stub.cli import main
from host_stub.config import hmac_key_env_var
from host_stub.console import Console
from host_stub.plugins import make_plugin_manager
from tests.helpers.cli import Cli
from tests.host.echo_plugin import EchoConfigError, EchoFailure
from tests.host.key_echoes import CANARY_KEYS, echo_text, leaks, leaks_in_file
from tests.host.scripted_plugin import NAME, ScriptedPlugin, ticket

KEY = "hardening+key/=&%#?;~0123"
REPORT = {"integration": NAME, "subjects": [{"crowdtwist_id": 1, "data": {"x": [1]}}]}


@pytest.fixture
def plugin() -> ScriptedPlugin:
    return ScriptedPlugin()


@pytest.fixture
def pm(plugin: ScriptedPlugin) -> Iterator[pluggy.PluginManager]:
    manager = make_plugin_manager(load_entrypoints=False)
    manager.register(plugin, name=NAME)
    try:
        yield manager
    finally:
        manager.unregister(plugin)


@pytest.fixture
def cli(tmp_path: Path, pm: pluggy.PluginManager) -> Cli:
    running = Cli(tmp_path / "host", pm, KEY, integration=NAME)
    running.root.mkdir()
    running.write_config(api_subdomain="api1")
    return running


@pytest.fixture
def umask_000() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


# --- item 5: only the plugin's own configuration errors are exit 2 ---------------------------


@pytest.mark.parametrize(
    "raised",
    [
        ValueError("Exceeds the limit (4300 digits) for integer string conversion"),
        RecursionError("maximum recursion depth exceeded while decoding a JSON array"),
        KeyError("paging"),
    ],
)
def test_an_untyped_exception_fails_the_request_and_is_not_a_configuration_error(
    cli: Cli, plugin: ScriptedPlugin, raised: Exception
) -> None:
    plugin.script["handle_access"].append(raised)
    code, _, err = cli("access", "--email", "a@example.com")
    assert code == 1, err
    assert "plugin bug or a response the plugin did not handle" in err
    assert "configuration" in err and "not a configuration error" in err
    (request,) = cli.requests()
    assert request.state == "failed"
    assert request.error is not None and type(raised).__name__ in request.error


def test_the_plugins_configuration_error_is_exit_2(cli: Cli, plugin: ScriptedPlugin) -> None:
    plugin.script["handle_access"].append(EchoConfigError("email 'x' is not an email address"))
    code, _, err = cli("access", "--email", "x")
    assert code == 2
    assert "email 'x' is not an email address" in err


# --- item 6: the key in any encoding never reaches the store, a report or the terminal -------


def _echo_steps(plugin: ScriptedPlugin, secret: str) -> None:
    """Every answer and failure the canary session below meets echoes the ``secret``
    connection key."""

    def echo(kwargs: dict[str, Any]) -> str:
        return echo_text(str(kwargs["connection"][secret]))

    def echoing_ticket(state: str, status: str) -> Any:
        return lambda kw: {**ticket(state, status, echo(kw)), "raw": echo(kw)}

    plugin.script["validate_credentials"].append(
        lambda kw: {"ok": False, "checks": [{"name": "main_api", "ok": False, "detail": echo(kw)}]}
    )
    plugin.script["handle_access"] += [
        lambda kw: {**REPORT, "echo": echo(kw), echo(kw): [echo(kw)]},
        lambda kw: EchoFailure(echo(kw), retryable=True),
        lambda kw: ValueError(echo(kw)),
        lambda kw: EchoConfigError(echo(kw)),
        lambda kw: {**REPORT, "echo": echo(kw)},  # its --output cannot be written
    ]
    plugin.script["submit_deletion"] += [
        lambda kw: EchoFailure(echo(kw), retryable=True),
        echoing_ticket("pending", "queued"),
    ]
    plugin.script["check_deletion"] += [
        lambda kw: EchoFailure(echo(kw), retryable=True),
        lambda kw: RecursionError(echo(kw)),
    ]


@pytest.mark.parametrize("secret", ["api_key", "hmac_private_key"])
@pytest.mark.parametrize("key", CANARY_KEYS)
def test_canary_key_in_every_encoding_is_never_stored_written_or_printed(
    cli: Cli, plugin: ScriptedPlugin, key: str, secret: str
) -> None:
    if secret == "api_key":
        cli.key = key
    else:  # the HMAC private key, which host-stub reads from its own variable
        cli.env[hmac_key_env_var(NAME)] = key
        cli.write_config(api_subdomain="api1", auth="hmac", hmac_public_key="public-1")
    _echo_steps(plugin, secret)
    not_a_folder = cli.root / "plain-file"
    not_a_folder.write_text("x")
    expected = [
        (["check"], 1),
        (["access", "--email", "a@example.com"], 0),
        (["access", "--email", "a@example.com"], 1),
        (["access", "--email", "a@example.com"], 1),
        (["access", "--email", "a@example.com"], 2),
        (["access", "--email", "a@example.com", "--output", str(not_a_folder / "r.json")], 1),
        (["delete", "--email", "c@example.com", "--no-wait"], 1),
        (["delete", "--email", "c@example.com", "--no-wait"], 0),
        (["resume", "--max-wait", "1"], 1),
        (["resume", "--max-wait", "1"], 1),
        (["status"], 0),
    ]
    for argv, code in expected:
        assert cli(*argv)[0] == code, (argv, cli.runs[-1])
    for request in cli.requests():
        assert cli("status", request.id)[0] == 0
    assert [h for h, _ in plugin.calls].count("check_deletion") == 2  # both paths were taken
    held = [r for r in cli.requests() if r.held_report]
    assert len(held) == 1 and "***" in (held[0].held_report or "")

    for argv, _, out, err in cli.runs:
        assert not leaks(out + err, key), (argv, leaks(out + err, key))
    files = cli.files()
    assert any(p.suffix == ".db" for p in files) and any(p.suffix == ".json" for p in files)
    for path, data in files.items():
        assert not leaks_in_file(data, key), (path, leaks_in_file(data, key))
    written = [json.loads(d) for p, d in files.items() if p.suffix == ".json"]
    assert written[0]["echo"].count("***") >= 10  # the echo was there, and masked


# --- item 12: private folders, reports that never clobber, failed writes fail ----------------


def test_folders_are_0700_and_files_0600_under_umask_000(
    cli: Cli, plugin: ScriptedPlugin, umask_000: None
) -> None:
    plugin.script["handle_access"].append(REPORT)
    cli.write_config(api_subdomain="api1")
    output = cli.root / "out" / "deep" / "report.json"
    code, _, err = cli("access", "--email", "a@example.com", "--output", str(output))
    assert code == 0, err
    created = [
        cli.root / "state",
        cli.root / "out",
        cli.root / "out" / "deep",
    ]
    for folder in created:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(cli.store_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert cli("access", "--email", "b@example.com")[0] == 0
    assert stat.S_IMODE(cli.reports_dir.stat().st_mode) == 0o700


@pytest.mark.parametrize("kind", ["symlink", "dangling symlink", "existing file"])
def test_output_never_follows_a_symlink_nor_overwrites(
    cli: Cli, plugin: ScriptedPlugin, kind: str
) -> None:
    target = cli.root / "precious.txt"
    output = cli.root / "report.json"
    if kind == "existing file":
        output.write_text("ORIGINAL")
    else:
        if kind == "symlink":
            target.write_text("ORIGINAL")
        output.symlink_to(target)
    code, _, err = cli("access", "--email", "a@example.com", "--output", str(output))
    assert code == 2, err
    assert "never overwrites a report nor follows a symlink" in err
    assert plugin.calls == []  # refused before the (long) collection starts
    if kind == "dangling symlink":
        assert not target.exists()
    else:
        assert (target if kind == "symlink" else output).read_text() == "ORIGINAL"


def test_a_symlink_planted_during_collection_is_not_followed(
    cli: Cli, plugin: ScriptedPlugin
) -> None:
    target = cli.root / "precious.txt"
    target.write_text("ORIGINAL")
    output = cli.root / "report.json"

    def plant(kwargs: dict[str, Any]) -> dict[str, Any]:
        output.symlink_to(target)
        return REPORT

    plugin.script["handle_access"].append(plant)
    code, _, err = cli("access", "--email", "a@example.com", "--output", str(output))
    assert code == 1
    assert "is a symlink" in err
    assert target.read_text() == "ORIGINAL"
    (request,) = cli.requests()
    assert request.state == "failed" and "kept in the store" in (request.error or "")
    assert json.loads(request.held_report or "") == REPORT


def test_a_report_that_cannot_be_written_fails_the_request_and_is_kept(
    cli: Cli, plugin: ScriptedPlugin
) -> None:
    plugin.script["handle_access"].append(REPORT)
    (cli.root / "file").write_text("not a folder")
    cli.write_config(api_subdomain="api1")
    cli.reports_dir.parent.mkdir(parents=True, exist_ok=True)
    cli.reports_dir.write_text("a file where the reports folder should be")
    code, _, err = cli("access", "--email", "a@example.com")
    assert code == 1
    (request,) = cli.requests()
    assert request.state == "failed"  # not left "running"
    assert f"host-stub status {request.id}" in err
    code, out, _ = cli("status", request.id)
    assert code == 0
    assert json.loads(json.loads(out)["held_report"]) == REPORT
    assert "report kept in the store" in cli("status")[1]


# --- item 14: origins only from the environment or the command line --------------------------


def test_a_base_url_in_the_settings_file_is_refused(cli: Cli, plugin: ScriptedPlugin) -> None:
    cli.write_config(api_base_url="https://collector.example")
    code, _, err = cli("check")
    assert code == 2
    assert "must not set api_base_url" in err and "SCRIPTED_API_BASE_URL" in err
    assert plugin.calls == []


def test_origins_reach_the_plugin_from_the_environment_and_the_command_line(
    cli: Cli, plugin: ScriptedPlugin
) -> None:
    cli.env = {
        "SCRIPTED_API_BASE_URL": "http://127.0.0.1:1",
        "SCRIPTED_POS_BASE_URL": "http://[::1]:2",
    }
    assert cli("--pos-base-url", "http://localhost:3", "check")[0] == 0
    ((_, kwargs),) = plugin.calls
    connection = kwargs["connection"]
    assert connection["api_base_url"] == "http://127.0.0.1:1"
    assert connection["pos_base_url"] == "http://localhost:3"


def test_the_demo_keeps_origins_out_of_its_settings_file(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = demo.run_demo(Console(out, err), main, workdir=tmp_path / "demo")
    assert code == 0, out.getvalue() + err.getvalue()
    settings = (tmp_path / "demo" / "host-stub.toml").read_text()
    assert "base_url" not in settings
    assert "CROWDTWIST_API_BASE_URL" in out.getvalue()
    assert stat.S_IMODE((tmp_path / "demo").stat().st_mode) == 0o700


# --- issue 9, item 4: no import cycle between the CLI and the demo -----------------------------


def test_demo_does_not_import_the_cli() -> None:
    tree = ast.parse(Path(demo.__file__).read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "host_stub.cli" not in imported
