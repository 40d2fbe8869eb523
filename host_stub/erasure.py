"""After an erasure: keep what an auditor needs, and not the person's identifiers.

**Minimise.** Once a deletion is complete, the store no longer holds the person's
identifiers in clear: each becomes a keyed hash, ``email:hmac-sha256:<hex>`` (HMAC-SHA256
with the host's erasure key, over the address with ASCII letters lower-cased, or the
user id as given). That is enough to answer "was this address erased, and when?" (hash
the address again and compare) without keeping it. Access requests for the same person
lose their identifiers the same way, and their reports are removed: the file is deleted
and a report held in the store is cleared. SQLite's ``secure_delete`` (always on in
``host_stub.store``) zeroes what the old values occupied.

**The erasure key** comes from ``HOST_STUB_ERASURE_KEY`` (at least 32 characters). Without
it, a random key is made once in ``erasure.key`` beside the store (0600); an operator who
keeps the store's backups apart from the key should set the variable instead, since
whoever holds both can test guessed addresses against the hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from host_stub.config import ERASURE_KEY_ENV
from host_stub.errors import ConfigError
from host_stub.files import open_private_store_file
from host_stub.store import PrivacyRequest, RequestStore

KEY_ENV = ERASURE_KEY_ENV
KEY_FILE = "erasure.key"
MIN_KEY_LENGTH = 32
KEYED = "hmac-sha256:"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def erasure_key(environ: Mapping[str, str], store_path: Path) -> bytes:
    """The host's erasure key: from the environment, else the store's key file (made once)."""
    configured = environ.get(KEY_ENV)
    if configured is not None:
        if len(configured) < MIN_KEY_LENGTH:
            raise ConfigError(f"{KEY_ENV} must be at least {MIN_KEY_LENGTH} characters")
        return configured.encode()
    path = store_path.parent / KEY_FILE
    if not path.exists():
        open_private_store_file(path)
        path.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
    return path.read_text(encoding="ascii").strip().encode()


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

    def identifiers(self, identifiers: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        return {c: [self.value(c, v) for v in values] for c, values in identifiers.items()}

    def label(self, label: str) -> str:
        category, _, value = label.partition(":")
        return f"{category}:{self.value(category, value)}"

    def ticket(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        """The ticket with every identifier label keyed (``matched``, ``not_found``)."""
        users = [
            {**user, "matched": [self.label(m) for m in user.get("matched", [])]}
            for user in ticket.get("users", [])
        ]
        not_found = [self.label(label) for label in ticket.get("not_found", [])]
        return {**ticket, "users": users, "not_found": not_found}


def _overlaps(a: Mapping[str, Sequence[str]], b: Mapping[str, Sequence[str]], keyed: Keyed) -> bool:
    def forms(ids: Mapping[str, Sequence[str]]) -> set[tuple[str, str]]:
        return {(c, keyed.value(c, v)) for c, values in ids.items() for v in values}

    return bool(forms(a) & forms(b))


def minimise(store: RequestStore, deletion: PrivacyRequest, keyed: Keyed) -> list[str]:
    """Key the identifiers of a completed ``deletion`` and of the same person's access
    requests, and remove those requests' reports; the ids of the access requests touched."""
    touched = []
    for request in store.list(kind="access", integration=deletion.integration):
        if not _overlaps(request.identifiers, deletion.identifiers, keyed):
            continue
        if request.report_path:
            Path(request.report_path).unlink(missing_ok=True)
        note = removal_note(deletion.id)
        store.minimise(request.id, keyed.identifiers(request.identifiers), None, remove_report=note)
        touched.append(request.id)
    ticket = keyed.ticket(deletion.ticket) if deletion.ticket is not None else None
    store.minimise(deletion.id, keyed.identifiers(deletion.identifiers), ticket)
    return touched


def removal_note(deletion_id: str) -> str:
    return f"report removed after the erasure of deletion request {deletion_id}"


def removed_reports(store: RequestStore, deletion_id: str) -> list[str]:
    """The access requests whose reports the erasure of ``deletion_id`` removed."""
    note = removal_note(deletion_id)
    return [r.id for r in store.list(kind="access") if r.error == note]


def erased_by(store: RequestStore, keyed: Keyed, category: str, value: str) -> list[PrivacyRequest]:
    """The deletion requests for this identifier (kept in clear or keyed)."""
    wanted = keyed.value(category, value)
    return [
        request
        for request in store.list(kind="deletion")
        if any(keyed.value(category, v) == wanted for v in request.identifiers.get(category, []))
    ]
