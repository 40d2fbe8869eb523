"""``host-stub evidence``: the erasure record of a deletion request, for an auditor.

The record is JSON built from the stored request only: its id, integration, when it was
received, submitted and completed, CrowdTwist's user ids with ``initiated_by`` and
``status_history`` as CrowdTwist reported them, the plugin's verification of each user,
and what the request cost. Identifiers appear only as keyed hashes (``host_stub.erasure``).
Its digest, an HMAC-SHA256 under the host's erasure key of the canonical JSON (sorted
keys, no spaces, UTF-8), is stored with the request, so ``host-stub evidence --check FILE``
tells whether a record was changed after it was written. Keyed, because whoever can write
the store could otherwise edit the record, recompute a plain SHA-256 and store it. A
stored digest is never replaced silently: when the record built now differs, ``evidence``
refuses unless told to ``replace`` it, and then names the digest it replaced. A Markdown
rendering is written beside it for people.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from host_stub.erasure import KEYED, Keyed, removed_reports
from host_stub.errors import ConfigError, HostError
from host_stub.files import refuse_existing, write_new_private_file
from host_stub.store import PrivacyRequest, RequestStore

RECORD_KIND = "erasure record"
RECORD_VERSION = 1
USER_FIELDS = (
    "crowdtwist_id",
    "status",
    "detail",
    "initiated_by",
    "status_history",
    "verified",
    "verified_at",
    "checked_at",
    "checks",
    "verification_failure",
)


def canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(record: Mapping[str, Any], keyed: Keyed) -> str:
    """``hmac-sha256:<hex>``: the record's canonical form keyed with the erasure key."""
    return keyed.seal(canonical(record))


class DigestConflict(HostError):
    """The record built now is not the one whose digest is stored."""


def erasure_record(
    request: PrivacyRequest, keyed: Keyed, removed_reports: list[str]
) -> dict[str, Any]:
    ticket = request.ticket or {}
    users = [{k: user.get(k) for k in USER_FIELDS if k in user} for user in ticket.get("users", [])]
    return {
        "record": RECORD_KIND,
        "version": RECORD_VERSION,
        "request_id": request.id,
        "integration": request.integration,
        "state": request.state,
        "verification": ticket.get("verification"),
        "received_at": request.created_at,
        "submitted_at": ticket.get("submitted_at"),
        "completed_at": request.completed_at,
        "identifiers": keyed.identifiers(request.identifiers),
        "not_found": [keyed.label(label) for label in ticket.get("not_found", [])],
        "users": users,
        "access_reports_removed": removed_reports,
        "cost": (request.stats or {}).get("total"),
    }


def markdown(record: Mapping[str, Any], record_digest: str) -> str:
    """The record for people: what happened, when, and what proved it."""
    lines = [
        f"# Erasure record: request {record['request_id']}",
        "",
        f"- Integration: {record['integration']}",
        f"- State: **{record['state']}**, verification: **{record['verification']}**",
        f"- Received: {record['received_at']}",
        f"- Submitted to the service: {record['submitted_at']}",
        f"- Completed: {record['completed_at']}",
        f"- Identifiers (keyed hashes): {_identifiers(record['identifiers'])}",
        f"- Identifiers that matched no one: {len(record['not_found'])}",
        f"- Access reports removed: {', '.join(record['access_reports_removed']) or 'none'}",
        f"- Cost: {_cost(record['cost'])}",
        f"- Digest of the canonical JSON record (keyed with the erasure key): `{record_digest}`",
    ]
    for user in record["users"]:
        lines += ["", f"## CrowdTwist user {user.get('crowdtwist_id')}", ""]
        lines.append(f"- Status: {user.get('status')} ({user.get('detail')})")
        lines.append(f"- Initiated by: {user.get('initiated_by', 'not reported')}")
        for step in user.get("status_history", []):
            lines.append(f"  - {step.get('status')} at {step.get('date')}")
        if "verified" in user:
            proved = "yes" if user["verified"] else "no"
            lines.append(f"- Verified gone: {proved} (checked {user.get('checked_at')})")
            for check in user.get("checks", []):
                lines.append(f"  - {check['endpoint']} by {check['by']}: {check['outcome']}")
            if user.get("verification_failure"):
                lines.append(f"- Why not: {user['verification_failure']}")
    return "\n".join(lines) + "\n"


def _identifiers(identifiers: Mapping[str, list[str]]) -> str:
    parts = [f"{c}:{v}" for c, values in identifiers.items() for v in values]
    return ", ".join(f"`{p}`" for p in parts) or "none"


def _cost(stats: Mapping[str, Any] | None) -> str:
    if not stats:
        return "not recorded"
    verification = stats.get("verification_requests")
    extra = f", {verification} of them to verify" if verification is not None else ""
    return f"{stats.get('requests', 0)} requests{extra}"


def write_record(
    store: RequestStore,
    keyed: Keyed,
    reports_dir: Path,
    request_id: str,
    output: Path | None,
    *,
    replace: bool = False,
) -> tuple[Path, Path, str, str]:
    """Write the request's erasure record (exactly its canonical JSON) and its Markdown
    beside it, and store the digest: the JSON path, the Markdown path, digest, Markdown.

    A digest already stored for another record is kept (``DigestConflict``) unless
    ``replace``: the store or the request changed since the record was written.
    """
    request = store.get(request_id)
    if request is None:
        raise ConfigError(f"no request with id {request_id!r} in {store.path}")
    if request.kind != "deletion":
        raise ConfigError(f"request {request_id} is an access request; evidence is for deletions")
    record = erasure_record(request, keyed, removed_reports(store, request.id))
    body, value = canonical(record), digest(record, keyed)
    stored = request.evidence_digest
    if stored is not None and stored != value and not replace:
        raise DigestConflict(
            f"the erasure record of request {request.id} built now (digest {value}) is not "
            f"the one whose digest is stored ({stored}): the store or the request changed "
            "since it was written. Check the written record with evidence --check FILE; "
            "evidence --replace writes the new record and stores its digest instead"
        )
    path = output or reports_dir / f"erasure-{request.id}-{value.removeprefix(KEYED)[:12]}.json"
    readable = markdown(record, value)
    written = output is None and path.exists() and path.read_bytes() == body
    if not written:
        refuse_existing(path, "--output" if output else "erasure record")
        write_new_private_file(path, body.decode())
    side = path.with_suffix(".md")
    if not side.exists():
        write_new_private_file(side, readable)
    store.set_evidence_digest(request.id, value)
    return path, side, value, readable


def check_record(store: RequestStore, keyed: Keyed, path: Path) -> tuple[bool, str]:
    """Whether the file is, byte for byte, the record whose digest is stored with its
    request; and a sentence saying so."""
    try:
        body = path.read_bytes()
        record = json.loads(body)
    except (OSError, ValueError) as exc:
        return False, f"{path}: not a readable erasure record ({type(exc).__name__})"
    request_id = record.get("request_id") if isinstance(record, dict) else None
    request = store.get(str(request_id)) if request_id is not None else None
    if request is None or request.evidence_digest is None:
        return False, f"{path}: no erasure record digest is stored for request {request_id!r}"
    stored = request.evidence_digest
    if not stored.startswith(KEYED):
        return False, (
            f"{path}: the digest stored for request {request_id} is not keyed (an older "
            "host-stub's plain SHA-256, or an edit of the store), so it proves nothing; "
            f"write the record again with host-stub evidence {request_id} --replace"
        )
    value = keyed.seal(body)
    if not hmac.compare_digest(value, stored):
        return False, (
            f"{path}: does NOT match the record of request {request_id} "
            f"(digest {value}, stored {stored}): the file or the stored digest was changed, "
            "or the erasure key is not the one it was written with"
        )
    return True, f"{path}: matches the erasure record of request {request_id} (digest {value})"
