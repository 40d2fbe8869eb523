"""After an erasure: keep what an auditor needs, and not the person's identifiers.

**Minimise.** Once a deletion is complete, the store no longer holds the person's
identifiers in clear: each becomes a keyed hash, ``email:hmac-sha256:<hex>`` (HMAC-SHA256
with the host's erasure key, over the address with ASCII letters lower-cased, or the
user id as given). That is enough to answer "was this address erased, and when?" (hash
the address again and compare) without keeping it. Access requests for the same person
lose their identifiers the same way, and their reports are removed: the file is deleted
and a report held in the store is cleared. The same person is whoever shares an
identifier with the deletion or a CrowdTwist id with its ticket (an access by user id and
a deletion by email of one member): access requests keep their report's CrowdTwist ids
as keyed hashes (``subjects``) for that. Completion and minimisation are one transaction,
and an access report that finishes after the erasure of its person is not kept. SQLite's
``secure_delete`` (always on in ``host_stub.store``) zeroes what the old values occupied.

**The erasure key** comes from ``HOST_STUB_ERASURE_KEY`` (at least 32 bytes). Without
it, a random key is made once in ``erasure.key`` beside the store (0600, created under a
temporary name and linked into place, so two first calls agree on one key); an operator who
keeps the store's backups apart from the key should set the variable instead, since
whoever holds both can test guessed addresses against the hashes.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from host_stub.config import ERASURE_KEY_ENV
from host_stub.crash import crash_point
from host_stub.errors import ConfigError
from host_stub.files import FILE_MODE, make_private_dir
from host_stub.store import PrivacyRequest, RequestStore

KEY_ENV = ERASURE_KEY_ENV
KEY_FILE = "erasure.key"
MIN_KEY_LENGTH = 32
KEYED = "hmac-sha256:"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def erasure_key(environ: Mapping[str, str], store_path: Path) -> bytes:
    """The host's erasure key: from the environment, else the store's key file (made once).

    A key shorter than ``MIN_KEY_LENGTH`` bytes is refused, whichever the source: hashes
    under an empty or short key let a guessed address be matched by anyone.
    """
    configured = environ.get(KEY_ENV)
    if configured is not None:
        if len(configured.encode()) < MIN_KEY_LENGTH:
            raise ConfigError(f"{KEY_ENV} must be at least {MIN_KEY_LENGTH} bytes")
        return configured.encode()
    path = store_path.parent / KEY_FILE
    if not os.path.lexists(path):
        _create_key_file(path)
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the erasure key {path}: {exc.strerror}") from None
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"the erasure key {path} holds {len(key)} bytes, fewer than {MIN_KEY_LENGTH}: "
            f"restore it from a backup, or set {KEY_ENV} (a new key cannot match the "
            "hashes already stored)"
        )
    return key


def _create_key_file(path: Path) -> None:
    """Write a new random key to a temporary file of its own, then link it into place.

    The link fails if another process made the key first (``os.link`` never replaces,
    unlike a rename), and nobody ever reads a partly written key.
    """
    make_private_dir(path.parent)
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(temporary, flags, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        crash_point("erasure-key-written")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@attrs.frozen
class Keyed:
    """Identifiers as keyed hashes."""

    key: bytes = attrs.field(repr=False)

    def value(self, category: str, value: str) -> str:
        if value.startswith(KEYED):
            return value  # already minimised
        normal = value.translate(_ASCII_LOWER) if category == "email" else value
        digest = hmac.new(self.key, f"{category}:{normal}".encode(), hashlib.sha256)
        return KEYED + digest.hexdigest()

    def seal(self, data: bytes) -> str:
        """``hmac-sha256:<hex>`` of ``data`` (an erasure record), apart from identifiers."""
        return KEYED + hmac.new(self.key, b"erasure record\0" + data, hashlib.sha256).hexdigest()

    def identifiers(self, identifiers: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        return {c: [self.value(c, v) for v in values] for c, values in identifiers.items()}

    def label(self, label: str) -> str:
        category, _, value = label.partition(":")
        return f"{category}:{self.value(category, value)}"

    def ticket(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        """The ticket with every identifier label keyed (``matched``, ``not_found``, and
        ``profile_identifiers``, which the plugin drops itself once a ticket is finished)."""
        users = [
            {
                **user,
                "matched": [self.label(m) for m in user.get("matched", [])],
                **(
                    {"profile_identifiers": [self.label(p) for p in user["profile_identifiers"]]}
                    if "profile_identifiers" in user
                    else {}
                ),
            }
            for user in ticket.get("users", [])
        ]
        not_found = [self.label(label) for label in ticket.get("not_found", [])]
        return {**ticket, "users": users, "not_found": not_found}


REMOVED = "report removed after the erasure of deletion request "


def removal_note(deletion_id: str) -> str:
    return REMOVED + deletion_id


def removed_reports(store: RequestStore, deletion_id: str) -> list[str]:
    """The access requests whose reports the erasure of ``deletion_id`` removed."""
    note = removal_note(deletion_id)
    return [r.id for r in store.list(kind="access") if r.error == note]


def crowdtwist_labels(ids: Iterable[object], keyed: Keyed) -> list[str]:
    """``crowdtwist_id:hmac-sha256:<hex>`` per CrowdTwist id (anything else is skipped)."""
    labels = {
        keyed.label(f"crowdtwist_id:{i}")
        for i in ids
        if isinstance(i, int) and not isinstance(i, bool)
    }
    return sorted(labels)


def report_subjects(report: Mapping[str, Any]) -> list[object]:
    """The CrowdTwist ids an access report holds data of."""
    subjects = report.get("subjects")
    if not isinstance(subjects, list):
        return []
    return [s.get("crowdtwist_id") for s in subjects if isinstance(s, Mapping)]


def person(request: PrivacyRequest, keyed: Keyed) -> set[str]:
    """Everything that names the request's person, keyed: its identifiers, and the
    CrowdTwist ids of its ticket (a deletion) or of its report (an access request)."""
    forms = {
        f"{c}:{keyed.value(c, v)}" for c, values in request.identifiers.items() for v in values
    }
    if request.kind == "deletion":
        users = (request.ticket or {}).get("users", [])
        ids = [u.get("crowdtwist_id") for u in users if isinstance(u, Mapping)]
        return forms | set(crowdtwist_labels(ids, keyed))
    if request.subjects is not None:
        return forms | set(request.subjects)
    # Stored before access requests kept their keyed subjects: read the report itself.
    return forms | set(crowdtwist_labels(report_subjects(_stored_report(request)), keyed))


def _stored_report(request: PrivacyRequest) -> Mapping[str, Any]:
    text = request.held_report
    try:
        if text is None and request.report_path:
            text = Path(request.report_path).read_text(encoding="utf-8")
        report = json.loads(text) if text else {}
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    return report if isinstance(report, dict) else {}


def is_minimised(request: PrivacyRequest) -> bool:
    """Whether no identifier of the request (nor of its ticket) is left in clear."""
    labels = [v for values in request.identifiers.values() for v in values]
    ticket = request.ticket or {}
    for user in ticket.get("users", []):
        held = user.get("profile_identifiers", [])
        labels += [m.partition(":")[2] for m in [*user.get("matched", []), *held]]
    labels += [label.partition(":")[2] for label in ticket.get("not_found", [])]
    return all(value.startswith(KEYED) for value in labels)


def erase(
    db: sqlite3.Connection, store: RequestStore, deletion: PrivacyRequest, keyed: Keyed
) -> list[str]:
    """Inside the transaction that stores ``deletion`` complete: key its identifiers, and
    those of every access request of the same person (by identifier or by CrowdTwist id),
    whose reports are removed. Files are deleted before the commit: a crash in between
    leaves the deletion open, and the next check does it all again. The ids of the access
    requests touched; nothing is written when there is nothing to do."""
    who = person(deletion, keyed)
    touched = []
    for request in store.list(kind="access", integration=deletion.integration, db=db):
        removed = (request.error or "").startswith(REMOVED) and is_minimised(request)
        if removed or not who & person(request, keyed):
            continue
        if request.report_path:
            Path(request.report_path).unlink(missing_ok=True)
        note = removal_note(deletion.id)
        ids = keyed.identifiers(request.identifiers)
        store.minimise(db, request.id, ids, None, remove_report=note)
        touched.append(request.id)
    crash_point("erasure-files-removed")
    if not is_minimised(deletion):
        ticket = keyed.ticket(deletion.ticket) if deletion.ticket is not None else None
        store.minimise(db, deletion.id, keyed.identifiers(deletion.identifiers), ticket)
    return touched


def erased_in(
    db: sqlite3.Connection, store: RequestStore, request: PrivacyRequest, keyed: Keyed
) -> PrivacyRequest | None:
    """The complete deletion that erased the person of access ``request``, if any."""
    who = person(request, keyed)
    for deletion in store.list(
        kind="deletion", states=("complete",), integration=request.integration, db=db
    ):
        if who & person(deletion, keyed):
            return deletion
    return None


def erased_by(store: RequestStore, keyed: Keyed, category: str, value: str) -> list[PrivacyRequest]:
    """The deletion requests for this identifier (kept in clear or keyed)."""
    wanted = keyed.value(category, value)
    return [
        request
        for request in store.list(kind="deletion")
        if any(keyed.value(category, v) == wanted for v in request.identifiers.get(category, []))
    ]
