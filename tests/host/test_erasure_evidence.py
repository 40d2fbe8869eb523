"""Issue 19, host side: the erasure record and its digest, identifiers kept only as keyed
hashes once an erasure is complete, and a failed erasure reported as such."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from crowdtwist_sandbox import SandboxConfig, SandboxThread
from host_stub.erasure import KEY_ENV
from host_stub.evidence import canonical
from host_stub.store import RequestStore
from tests.helpers.cli import Cli
from tests.helpers.host import Host
from tests.helpers.people import BOB

POLL = ["--poll-interval", "0.05", "--max-poll-interval", "0.1"]
ERASURE_KEY = "test-erasure-key-0123456789abcdef0123456789"


def cli_for(tmp_path: Path, host: Host, config: SandboxConfig) -> Iterator[Cli]:
    with SandboxThread(config) as sandbox:
        cli = Cli.for_crowdtwist(
            tmp_path, sandbox.api_base_url, sandbox.pos_base_url, sandbox.api_key, host.pm
        )
        cli.env[KEY_ENV] = ERASURE_KEY
        cli.write_config()
        yield cli


@pytest.fixture
def cli(tmp_path: Path, host: Host) -> Iterator[Cli]:
    yield from cli_for(tmp_path, host, SandboxConfig(deletion_step_seconds=0.05))


def forms_of(address: str) -> list[bytes]:
    """Every form the address could be stored in: raw, case-folded, percent-encoded,
    JSON-escaped, and its local part."""
    forms = {
        address,
        address.upper(),
        urllib.parse.quote(address),
        urllib.parse.quote_plus(address),
    }
    forms |= {json.dumps(address)[1:-1], address.split("@")[0]}
    return [form.encode() for form in forms]


def stored_files(cli: Cli) -> list[Path]:
    return [p for p in cli.root.rglob("*") if p.is_file() and p.name != "host-stub.toml"]


def test_after_a_verified_erasure_the_store_keeps_only_keyed_hashes(cli: Cli) -> None:
    assert cli.run("access", "--email", BOB.email)[0] == 0
    [access] = cli.requests()
    assert access.report_path and Path(access.report_path).exists()
    code, out, err = cli.run("delete", "--email", BOB.email, *POLL)
    assert code == 0, err
    assert "verification verified" in out
    access, deletion = cli.requests()
    assert deletion.state == "complete" and deletion.ticket is not None
    assert deletion.ticket["verification"] == "verified"
    assert deletion.identifiers["email"][0].startswith("hmac-sha256:")
    assert access.report_path is None and access.error and deletion.id in access.error
    for path in stored_files(cli):
        content = path.read_bytes()
        for form in forms_of(BOB.email):
            assert form not in content, (path, form)
    # "was this address erased, and when?" is still answered, from the hash
    code, out, _ = cli.run("status", "--email", BOB.email.upper())
    assert code == 0
    assert f"deletion request {deletion.id} complete" in out and "verification verified" in out
    assert cli.run("status", "--email", "nobody@example.com")[0] == 1


def test_the_erasure_record_round_trips_and_a_one_byte_edit_fails(cli: Cli) -> None:
    assert cli.run("delete", "--email", BOB.email, *POLL)[0] == 0
    [deletion] = cli.requests()
    code, out, err = cli.run("evidence", deletion.id)
    assert code == 0, err
    record_path = next(cli.reports_dir.glob(f"erasure-{deletion.id}-*.json"))
    assert record_path.with_suffix(".md").exists()
    assert "# Erasure record" in out and "Verified gone: yes" in out
    record = json.loads(record_path.read_bytes())
    assert record["request_id"] == deletion.id
    assert record["verification"] == "verified"
    assert [u["crowdtwist_id"] for u in record["users"]] == [BOB.crowdtwist_id]
    assert record["users"][0]["initiated_by"] == "API"
    assert [s["status"] for s in record["users"][0]["status_history"]][-1] == "Deletion_completed"
    # by id; email, third-party id and username (bob's profile) 3 each; 11 data sets
    assert record["cost"]["verification_requests"] == 1 + 3 * 3 + 11
    stored = RequestStore(cli.store_path).get(deletion.id)
    assert stored is not None and stored.evidence_digest is not None
    assert stored.evidence_digest in out
    assert cli.run("evidence", "--check", str(record_path))[0] == 0
    body = bytearray(record_path.read_bytes())
    at = body.index(b"Deletion_completed")
    body[at] = ord("d")  # one byte
    edited = cli.root / "edited.json"
    edited.write_bytes(bytes(body))
    code, _, err = cli.run("evidence", "--check", str(edited))
    assert code == 1 and "does NOT match" in err
    # writing it again gives the same record, byte for byte
    assert cli.run("evidence", deletion.id)[0] == 0
    assert len(list(cli.reports_dir.glob(f"erasure-{deletion.id}-*.json"))) == 1


def test_a_failed_erasure_exits_1_and_status_says_why(tmp_path: Path, host: Host) -> None:
    failing = SandboxConfig(deletion_step_seconds=0.05, erasure_fails=True)
    for cli in cli_for(tmp_path, host, failing):
        code, _, err = cli.run("delete", "--email", BOB.email, *POLL, "--max-wait", "1")
        assert code == 1
        assert "the erasure is not verified" in err and "still resolves" in err
        [deletion] = cli.requests()
        assert deletion.state == "pending"
        assert deletion.identifiers == {"email": [BOB.email]}  # kept: not erased
        code, out, _ = cli.run("status")
        assert "the erasure is not verified" in out and "still resolves" in out


def test_a_short_erasure_key_is_a_configuration_error(cli: Cli) -> None:
    cli.env[KEY_ENV] = "short"
    code, _, err = cli.run("status", "--email", BOB.email)
    assert code == 2 and KEY_ENV in err and "32 bytes" in err and "short" not in err


def test_a_forged_record_with_its_sha256_recomputed_in_the_store_fails_the_check(
    cli: Cli,
) -> None:
    assert cli.run("delete", "--email", BOB.email, *POLL)[0] == 0
    [deletion] = cli.requests()
    assert cli.run("evidence", deletion.id)[0] == 0
    genuine = next(cli.reports_dir.glob(f"erasure-{deletion.id}-*.json"))
    record = json.loads(genuine.read_bytes())
    record["users"][0]["initiated_by"] = "Control Center: someone else"
    forged = cli.root / "forged.json"
    forged.write_bytes(canonical(record))
    with sqlite3.connect(cli.store_path) as db:
        db.execute(
            "UPDATE requests SET evidence_digest = ? WHERE id = ?",
            (hashlib.sha256(forged.read_bytes()).hexdigest(), deletion.id),
        )
    code, _, err = cli.run("evidence", "--check", str(forged))
    assert code == 1 and "not keyed" in err
    # the attacker cannot make a keyed digest either: anything else they store fails too
    with sqlite3.connect(cli.store_path) as db:
        db.execute(
            "UPDATE requests SET evidence_digest = ? WHERE id = ?",
            ("hmac-sha256:" + hashlib.sha256(forged.read_bytes()).hexdigest(), deletion.id),
        )
    assert cli.run("evidence", "--check", str(forged))[0] == 1
    # `evidence ID` does not silently put its own digest back over the stored one
    code, _, err = cli.run("evidence", deletion.id)
    assert code == 1 and "is not the one whose digest is stored" in err
    stored = RequestStore(cli.store_path).get(deletion.id)
    assert stored is not None and stored.evidence_digest is not None
    assert stored.evidence_digest.startswith("hmac-sha256:")
    code, _, err = cli.run("evidence", deletion.id, "--replace")
    assert code == 0 and f"replaced the stored digest {stored.evidence_digest}" in err
    assert cli.run("evidence", "--check", str(genuine))[0] == 0
    assert cli.run("evidence", "--check", str(forged))[0] == 1


def test_the_record_digest_depends_on_the_erasure_key(cli: Cli) -> None:
    assert cli.run("delete", "--email", BOB.email, *POLL)[0] == 0
    [deletion] = cli.requests()
    assert cli.run("evidence", deletion.id)[0] == 0
    genuine = next(cli.reports_dir.glob(f"erasure-{deletion.id}-*.json"))
    cli.env[KEY_ENV] = "another-erasure-key-0123456789abcdef0123"
    code, _, err = cli.run("evidence", "--check", str(genuine))
    assert code == 1 and "erasure key is not the one" in err
