"""Privacy requests in SQLite: one row per request, surviving restarts, owner-only files."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import attrs

Kind = Literal["access", "deletion"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'deletion')),
    integration TEXT NOT NULL,
    identifiers TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ticket TEXT,
    report_path TEXT,
    error TEXT
)
"""
_COLUMNS = (
    "id, kind, integration, identifiers, state, created_at, updated_at, ticket, report_path, error"
)


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string with a ``Z`` suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) readable by the owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, whatever the umask."""
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@attrs.frozen
class PrivacyRequest:
    """One stored privacy request."""

    id: str
    kind: Kind
    integration: str
    identifiers: dict[str, list[str]]
    state: str
    created_at: str
    updated_at: str
    ticket: dict[str, Any] | None = None
    report_path: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


class RequestStore:
    """The host's request table in one SQLite file, created on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            make_private_dir(path.parent)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        os.chmod(path, 0o600)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            yield db

    def create(
        self, kind: Kind, integration: str, identifiers: Mapping[str, Sequence[str]], state: str
    ) -> PrivacyRequest:
        now = utc_now()
        request = PrivacyRequest(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            integration=integration,
            identifiers={k: list(v) for k, v in identifiers.items()},
            state=state,
            created_at=now,
            updated_at=now,
        )
        with self._connect() as db:
            db.execute(
                f"INSERT INTO requests ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
                (
                    request.id,
                    kind,
                    integration,
                    json.dumps(request.identifiers),
                    state,
                    now,
                    now,
                ),
            )
        return request

    def update(
        self,
        request_id: str,
        *,
        state: str,
        ticket: Mapping[str, Any] | None = None,
        report_path: str | None = None,
        error: str | None = None,
    ) -> PrivacyRequest:
        """Set the state and, where given, the ticket, report path and error."""
        current = self.get(request_id)
        if current is None:
            raise KeyError(request_id)
        updated = attrs.evolve(
            current,
            state=state,
            updated_at=utc_now(),
            ticket=dict(ticket) if ticket is not None else current.ticket,
            report_path=report_path if report_path is not None else current.report_path,
            error=error,
        )
        with self._connect() as db:
            db.execute(
                "UPDATE requests SET state = ?, updated_at = ?, ticket = ?, report_path = ?, "
                "error = ? WHERE id = ?",
                (
                    updated.state,
                    updated.updated_at,
                    json.dumps(updated.ticket) if updated.ticket is not None else None,
                    updated.report_path,
                    updated.error,
                    request_id,
                ),
            )
        return updated

    def get(self, request_id: str) -> PrivacyRequest | None:
        with self._connect() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM requests WHERE id = ?", (request_id,)
            ).fetchone()
        return _from_row(row) if row else None

    def list(self, *, kind: Kind | None = None, states: Sequence[str] = ()) -> list[PrivacyRequest]:
        """Requests in creation order, optionally only of one kind and some states."""
        query = f"SELECT {_COLUMNS} FROM requests"
        clauses: list[str] = []
        params: list[str] = []
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if states:
            clauses.append(f"state IN ({', '.join('?' for _ in states)})")
            params.extend(states)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY created_at, rowid", params).fetchall()
        return [_from_row(row) for row in rows]


def _from_row(row: tuple[Any, ...]) -> PrivacyRequest:
    rid, kind, integration, identifiers, state, created, updated, ticket, report, error = row
    return PrivacyRequest(
        id=rid,
        kind=kind,
        integration=integration,
        identifiers=json.loads(identifiers),
        state=state,
        created_at=created,
        updated_at=updated,
        ticket=json.loads(ticket) if ticket else None,
        report_path=report,
        error=error,
    )
