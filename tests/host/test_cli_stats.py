"""host-stub prints each call's cost, stores it with the request and shows the plugin's
progress as plain lines when stderr is not a terminal (a throwaway plugin with stats)."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pluggy
import pytest

from host_stub.cli import main
from host_stub.plugins import make_plugin_manager
from host_stub.store import RequestStore
from tests.host.progress_plugin import ProgressPlugin, stats

SECRET = "canary+key/with=odd&chars%"
ACCESS_LINE = "echo: 12 requests (1 retried, 1 x 429), waited 0.5 s for the budget, 1.2 s in all"
POLL = ["--poll-interval", "0.01", "--max-poll-interval", "0.01"]


@pytest.fixture
def plugin() -> ProgressPlugin:
    return ProgressPlugin(checks_to_complete=2)


@pytest.fixture
def pm(plugin: ProgressPlugin) -> Iterator[pluggy.PluginManager]:
    manager = make_plugin_manager(load_entrypoints=False)
    manager.register(plugin, name="echo")
    yield manager
    manager.unregister(plugin)


class Run:
    def __init__(self, tmp_path: Path, pm: pluggy.PluginManager) -> None:
        self.config = tmp_path / "host-stub.toml"
        self.config.write_text(
            '[host]\nstore = "requests.db"\nreports_dir = "reports"\n\n'
            '[integrations.echo]\napi_subdomain = "echo1"\n'
        )
        self.store = tmp_path / "requests.db"
        self.pm = pm

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["--config", str(self.config), "--integration", "echo", *argv],
            environ={"ECHO_API_KEY": SECRET},
            out=out,
            err=err,
            plugin_manager=self.pm,
        )
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def run(tmp_path: Path, pm: pluggy.PluginManager) -> Run:
    return Run(tmp_path, pm)


def test_access_prints_progress_and_the_summary_and_stores_the_stats(
    run: Run, plugin: ProgressPlugin
) -> None:
    code, _, err = run("access", "--email", "a@example.com")
    assert code == 0
    lines = err.splitlines()
    assert lines[-1] == ACCESS_LINE
    progress = [line for line in lines if "pages" in line]
    # the first and the last event of each collection; the rest within a second may be held
    assert progress[0] == "echo: receipts: 1/? pages, 25 records"
    assert "echo: purchases: 2/2 pages, 13 records" in progress
    assert progress[-1] == "echo: receipts: 3/3 pages, 60 records"
    assert not any("without fields" in line for line in lines)
    assert plugin.handlers_seen == [1]
    assert logging.getLogger("crowdtwist_plugin.progress").handlers == []
    (request,) = RequestStore(run.store).list()
    assert request.stats == {"calls": 1, "last": plugin.access_stats, "total": plugin.access_stats}


def test_status_shows_the_stored_stats(run: Run) -> None:
    run("access", "--email", "a@example.com")
    (request,) = RequestStore(run.store).list()
    code, out, _ = run("status")
    assert code == 0
    assert out.strip().endswith(f"cost: {ACCESS_LINE.removeprefix('echo: ')}")
    code, out, _ = run("status", request.id)
    assert json.loads(out)["stats"]["total"]["requests"] == 12


def test_check_prints_its_cost(run: Run) -> None:
    code, _, err = run("check")
    assert code == 1  # the echo plugin accepts only "good-key": the cost is printed all the same
    assert err.splitlines() == [
        "echo: 2 requests (0 retried, 0 x 429), waited 0.0 s for the budget, 0.1 s in all"
    ]


def test_each_deletion_call_prints_its_cost_and_the_store_adds_them_up(
    run: Run, plugin: ProgressPlugin
) -> None:
    code, _, err = run("delete", "--email", "b@example.com", *POLL)
    assert code == 0
    (request,) = RequestStore(run.store).list()
    costs = [line for line in err.splitlines() if line.startswith("echo, ")]
    assert costs == [
        f"echo, deletion request {request.id}: 3 requests (0 retried, 0 x 429), waited 0.0 s "
        "for the budget, 0.1 s in all",
        *[
            f"echo, deletion request {request.id}: 1 request (0 retried, 0 x 429), waited 0.0 s "
            "for the budget, 0.2 s in all"
        ]
        * 2,
    ]
    assert request.stats is not None
    assert request.stats["calls"] == 3
    assert request.stats["last"] == stats(1, elapsed_s=0.25)
    assert request.stats["total"]["requests"] == 5
    assert request.stats["total"]["elapsed_s"] == 0.6
    assert request.stats["total"]["by_endpoint"] == {"GET /v2/users/{user_id}/receipts": 5}


def test_resume_adds_to_the_stats_of_the_submission(run: Run) -> None:
    run("delete", "--email", "b@example.com", "--no-wait")
    code, _, _ = run("resume", *POLL)
    assert code == 0
    (request,) = RequestStore(run.store).list()
    assert request.state == "complete"
    assert request.stats is not None
    assert (request.stats["calls"], request.stats["total"]["requests"]) == (3, 5)
    assert "over 3 calls" in run("status")[1]


def test_outputs_without_or_with_broken_stats_print_no_summary(
    run: Run, plugin: ProgressPlugin
) -> None:
    plugin.access_stats = None
    code, _, err = run("access", "--email", "a@example.com")
    assert code == 0
    assert "requests" not in err
    plugin.access_stats = {"requests": "lots", "by_endpoint": None}
    code, _, err = run("access", "--email", "a@example.com")
    assert code == 0
    assert "requests" not in err
    stored = [r.stats for r in RequestStore(run.store).list()]
    assert stored[0] is None
    assert stored[1] == {"calls": 1, "last": plugin.access_stats, "total": {}}
    code, out, _ = run("status")
    assert "cost:" not in out


def test_stats_are_redacted_like_everything_stored(run: Run, plugin: ProgressPlugin) -> None:
    plugin.access_stats = stats(1, by_endpoint={f"GET /v2/x?api_key={SECRET}": 1})
    run("access", "--email", "a@example.com")
    assert SECRET not in run.store.read_bytes().decode("utf-8", "replace")
    (request,) = RequestStore(run.store).list()
    assert request.stats is not None
    (endpoint,) = request.stats["last"]["by_endpoint"]
    assert endpoint.startswith("GET /v2/x?api_key=***")


def test_a_store_from_before_stats_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE requests (id TEXT PRIMARY KEY, kind TEXT NOT NULL, integration TEXT "
            "NOT NULL, identifiers TEXT NOT NULL, state TEXT NOT NULL, created_at TEXT NOT "
            "NULL, updated_at TEXT NOT NULL, ticket TEXT, report_path TEXT, error TEXT, owner "
            "TEXT, lease_until TEXT, next_attempt_at TEXT, failures INTEGER NOT NULL DEFAULT "
            "0, held_report TEXT)"
        )
        db.execute(
            "INSERT INTO requests (id, kind, integration, identifiers, state, created_at, "
            "updated_at) VALUES ('old1', 'access', 'echo', '{}', 'complete', 'a', 'b')"
        )
    path.chmod(0o600)
    store = RequestStore(path)
    old = store.get("old1")
    assert old is not None and old.stats is None
    updated = store.update("old1", state="complete", stats={"calls": 1, "last": {}, "total": {}})
    assert store.get("old1") == updated
