"""The request store survives restarts and keeps its files private."""

from __future__ import annotations

import stat
from pathlib import Path

from host_stub.files import write_new_private_file
from host_stub.store import RequestStore


def test_requests_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state" / "requests.db"
    store = RequestStore(path)
    created = store.create("deletion", "echo", {"email": ["a@example.com"]}, "submitting")
    store.update(created.id, state="pending", ticket={"state": "pending", "users": []})

    reopened = RequestStore(path)
    again = reopened.get(created.id)
    assert again is not None
    assert again.state == "pending"
    assert again.ticket == {"state": "pending", "users": []}
    assert again.identifiers == {"email": ["a@example.com"]}
    assert [r.id for r in reopened.list(kind="deletion", states=("pending",))] == [created.id]
    assert reopened.list(kind="access") == []


def test_update_keeps_fields_not_given(tmp_path: Path) -> None:
    store = RequestStore(tmp_path / "r.db")
    request = store.create("access", "echo", {"user_id": ["U1"]}, "running")
    store.update(request.id, state="complete", report_path="/tmp/r.json")
    failed = store.update(request.id, state="failed", error="boom")
    assert failed.report_path == "/tmp/r.json"
    assert failed.error == "boom"


def test_store_and_reports_are_owner_only(tmp_path: Path) -> None:
    store = RequestStore(tmp_path / "new" / "requests.db")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    report = tmp_path / "reports" / "r.json"
    write_new_private_file(report, "{}")
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
