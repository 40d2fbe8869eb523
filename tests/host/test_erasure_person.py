"""Issue 29, item 1: an erasure minimises every request of the person, whatever identifiers
they used, in the transaction that completes it; ``resume`` repairs a half-done one, and a
report that lands after the erasure is not kept."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from host_stub import runner
from host_stub.store import RequestStore
from tests.helpers.cli import Cli
from tests.helpers.host import Host
from tests.helpers.people import ALICE
from tests.host.test_erasure_evidence import POLL, SandboxConfig, cli_for, forms_of, stored_files

PERSON = [ALICE.email, ALICE.third_party_id, ALICE.mobile_phone_number or "5964464767"]


@pytest.fixture
def cli(tmp_path: Path, host: Host) -> Iterator[Cli]:
    yield from cli_for(tmp_path, host, SandboxConfig(deletion_step_seconds=0.05))


def assert_nothing_of_the_person_left(cli: Cli) -> None:
    for path in stored_files(cli):
        content = path.read_bytes()
        for value in PERSON:
            for form in forms_of(value):
                assert form not in content, (path, form)


def test_access_by_user_id_then_deletion_by_email_minimises_both(cli: Cli) -> None:
    assert cli.run("access", "--user-id", ALICE.third_party_id)[0] == 0
    [access] = cli.requests()
    assert access.report_path and PERSON[2].encode() in Path(access.report_path).read_bytes()
    code, out, err = cli.run("delete", "--email", ALICE.email, *POLL)
    assert code == 0, err
    access, deletion = cli.requests()
    assert deletion.state == "complete"
    assert access.report_path is None and access.error and deletion.id in access.error
    assert access.identifiers["user_id"][0].startswith("hmac-sha256:")
    assert_nothing_of_the_person_left(cli)
    # the CrowdTwist id is kept only in the erasure record
    ids = str(ALICE.crowdtwist_id).encode()
    rows = sqlite3.connect(cli.store_path).execute("SELECT id, ticket FROM requests").fetchall()
    assert [row_id for row_id, ticket in rows if ticket and ids in ticket.encode()] == [deletion.id]
    code, out, _ = cli.run("evidence", deletion.id)
    assert code == 0 and access.id in out


def test_a_report_that_lands_after_the_erasure_is_not_kept(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted: list[tuple[int, str, str]] = []

    def erasure_completes_meanwhile(point: str) -> None:
        if point == "access-report-written" and not deleted:
            # another host-stub process finishes the erasure while this one writes
            thread = threading.Thread(
                target=lambda: deleted.append(cli.run("delete", "--email", ALICE.email, *POLL))
            )
            thread.start()
            thread.join()

    monkeypatch.setattr(runner, "crash_point", erasure_completes_meanwhile)
    code, out, err = cli.run("access", "--user-id", ALICE.third_party_id)
    assert deleted and deleted[0][0] == 0, deleted
    assert code == 0, err
    access, deletion = cli.requests()
    assert "report removed" in out and deletion.id in out
    assert access.report_path is None and access.error and deletion.id in access.error
    assert not list(cli.reports_dir.glob("access-*.json"))
    assert_nothing_of_the_person_left(cli)


def test_resume_completes_a_minimisation_a_crash_left_half_done(cli: Cli) -> None:
    assert cli.run("access", "--user-id", ALICE.third_party_id)[0] == 0
    assert cli.run("delete", "--email", ALICE.email, *POLL)[0] == 0
    access, deletion = cli.requests()
    assert cli.run("status")[0] == 0
    # As an older host-stub left it when killed between completion and minimisation: the
    # deletion stored complete with its identifiers in clear, the access report still there.
    report = cli.reports_dir / f"access-{access.id}.json"
    report.write_text(json.dumps({"subjects": [{"crowdtwist_id": ALICE.crowdtwist_id}]}))
    ticket = dict(deletion.ticket or {})
    ticket["users"] = [{**u, "matched": [f"email:{ALICE.email}"]} for u in ticket["users"]]
    with sqlite3.connect(cli.store_path) as db:
        db.execute(
            "UPDATE requests SET identifiers = ?, ticket = ? WHERE id = ?",
            (json.dumps({"email": [ALICE.email]}), json.dumps(ticket), deletion.id),
        )
        db.execute(
            "UPDATE requests SET identifiers = ?, report_path = ?, error = NULL, subjects = NULL "
            "WHERE id = ?",
            (json.dumps({"user_id": [ALICE.third_party_id]}), str(report), access.id),
        )
    code, _, err = cli.run("resume")
    assert code == 0, err
    assert f"deletion request {deletion.id}: the erasure's minimisation completed now" in err
    assert access.id in err and not report.exists()
    assert_nothing_of_the_person_left(cli)
    again = cli.run("resume")
    assert again[0] == 0 and "minimisation" not in again[2] and "no pending deletions" in again[1]
    stored = RequestStore(cli.store_path).get(access.id)
    assert stored is not None and stored.error and deletion.id in stored.error
