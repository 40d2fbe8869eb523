"""Privacy requests in SQLite: one row per request, surviving restarts, owner-only files.

Every write is one ``BEGIN IMMEDIATE`` transaction, so two host processes sharing the file
never interleave a read and a write of the same row. Everything a plugin produced (tickets,
error text, a report kept after a failed write) is redacted before it is stored (see
``host_stub.redaction``). ``owner`` and ``lease_until`` are the claim a process holds while
it works on a deletion (see ``host_stub.claims``).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import attrs

from host_stub.errors import HostError
from host_stub.files import open_private_store_file
from host_stub.redaction import Redactor

Kind = Literal["access", "deletion"]
Clock = Callable[[], float]  # seconds since the epoch, like time.time
BUSY_TIMEOUT = 30.0  # seconds another process may hold the write lock before we give up

_BASE_COLUMNS = {
    "id": "TEXT PRIMARY KEY",
    "kind": "TEXT NOT NULL CHECK (kind IN ('access', 'deletion'))",
    "integration": "TEXT NOT NULL",
    "identifiers": "TEXT NOT NULL",
    "state": "TEXT NOT NULL",
    "created_at": "TEXT NOT NULL",
    "updated_at": "TEXT NOT NULL",
    "ticket": "TEXT",
    "report_path": "TEXT",
    "error": "TEXT",
}
# Added after the first release: stores created before are migrated on open.
_ADDED_COLUMNS = {
    "owner": "TEXT",
    "lease_until": "TEXT",
    "next_attempt_at": "TEXT",
    "failures": "INTEGER NOT NULL DEFAULT 0",
    "held_report": "TEXT",
    "stats": "TEXT",  # JSON: what the plugin calls cost (host_stub.stats)
    "completed_at": "TEXT",  # when the request first became complete
    "evidence_digest": "TEXT",  # keyed digest of the erasure record (host_stub.evidence)
    "subjects": "TEXT",  # JSON: an access report's CrowdTwist ids, keyed (host_stub.erasure)
    "ahead": "TEXT",  # JSON: CrowdTwist ids a DELETE may have reached (host_stub.writeahead)
}
_COLUMNS = {**_BASE_COLUMNS, **_ADDED_COLUMNS}
_ISO = "%Y-%m-%dT%H:%M:%S.%fZ"
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM requests"


def iso(timestamp: float) -> str:
    """``timestamp`` as a fixed-width ISO-8601 UTC string: sorts as it compares."""
    return datetime.fromtimestamp(timestamp, UTC).strftime(_ISO)


def parse_iso(text: str) -> float:
    """The timestamp ``iso`` wrote as ``text``."""
    return datetime.strptime(text, _ISO).replace(tzinfo=UTC).timestamp()


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string with a ``Z`` suffix."""
    return iso(time.time())


class ClaimLost(HostError):
    """Another process took over the request; this process must not write to it."""

    def __init__(self, request_id: str, holder: str | None) -> None:
        super().__init__(
            f"request {request_id} is now worked by {holder or 'nobody'}: this process lost "
            "its claim (its lease ran out) and did not store its result"
        )
        self.holder = holder


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
    owner: str | None = None
    lease_until: str | None = None
    next_attempt_at: str | None = None
    failures: int = 0
    held_report: str | None = attrs.field(default=None, repr=False)
    stats: dict[str, Any] | None = None
    completed_at: str | None = None
    evidence_digest: str | None = None
    subjects: list[str] | None = None
    ahead: list[int] | None = None

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


class RequestStore:
    """The host's request table in one SQLite file, created (0600) on first use."""

    def __init__(
        self, path: Path, *, redactor: Redactor | None = None, clock: Clock = time.time
    ) -> None:
        self.path = path
        self.redactor = redactor if redactor is not None else Redactor()
        self.clock = clock
        open_private_store_file(path)
        with self.transaction() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS requests ("
                + ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
                + ")"
            )
            present = {row[1] for row in db.execute("PRAGMA table_info(requests)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in present:
                    db.execute(f"ALTER TABLE requests ADD COLUMN {name} {kind}")

    def now(self) -> str:
        return iso(self.clock())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, else rolled back."""
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)) as db:
            db.execute("PRAGMA secure_delete = ON")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def within(self, db: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
        """``db``'s transaction when given, else a new one."""
        if db is not None:
            yield db
            return
        with self.transaction() as own:
            yield own

    def create(
        self,
        kind: Kind,
        integration: str,
        identifiers: Mapping[str, Sequence[str]],
        state: str,
        *,
        db: sqlite3.Connection | None = None,
        owner: str | None = None,
        lease_until: str | None = None,
    ) -> PrivacyRequest:
        """Insert a new request (inside ``db``'s transaction when given)."""
        now = self.now()
        request = PrivacyRequest(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            integration=integration,
            identifiers={k: list(v) for k, v in identifiers.items()},
            state=state,
            created_at=now,
            updated_at=now,
            owner=owner,
            lease_until=lease_until,
        )
        row = _to_row(request)
        sql = f"INSERT INTO requests ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})"
        with self.within(db) as tx:
            tx.execute(sql, tuple(row.values()))
        return request

    def update(
        self,
        request_id: str,
        *,
        state: str,
        ticket: Mapping[str, Any] | None = None,
        report_path: str | None = None,
        error: str | None = None,
        next_attempt_at: str | None = None,
        failures: int | None = None,
        held_report: str | None = None,
        stats: Mapping[str, Any] | None = None,
        subjects: Sequence[str] | None = None,
        as_owner: str | None = None,
        db: sqlite3.Connection | None = None,
    ) -> PrivacyRequest:
        """Set the state, error and next attempt time (``None`` clears those two) and, where
        given, the ticket, report path, failure count, held report, stats (redacted like
        a ticket; ``host_stub.stats`` says what they hold) and keyed subjects.

        With ``as_owner``, the update happens only while that owner holds the claim;
        otherwise ``ClaimLost`` is raised and nothing is written. Inside ``db``'s
        transaction when given.
        """
        with self.within(db) as tx:
            current = self.get(request_id, db=tx)
            if current is None:
                raise KeyError(request_id)
            if as_owner is not None and current.owner != as_owner:
                raise ClaimLost(request_id, current.owner)
            updated = attrs.evolve(
                current,
                state=state,
                updated_at=self.now(),
                ticket=self.redactor.json(dict(ticket)) if ticket is not None else current.ticket,
                report_path=report_path if report_path is not None else current.report_path,
                error=self.redactor.text(error) if error is not None else None,
                next_attempt_at=next_attempt_at,
                failures=failures if failures is not None else current.failures,
                held_report=(
                    self.redactor.text(held_report)
                    if held_report is not None
                    else current.held_report
                ),
                stats=self.redactor.json(dict(stats)) if stats is not None else current.stats,
                completed_at=current.completed_at or (self.now() if state == "complete" else None),
                subjects=list(subjects) if subjects is not None else current.subjects,
            )
            row = _to_row(updated)
            del row["id"]
            tx.execute(
                f"UPDATE requests SET {', '.join(f'{k} = ?' for k in row)} WHERE id = ?",
                (*row.values(), request_id),
            )
        return updated

    def minimise(
        self,
        db: sqlite3.Connection,
        request_id: str,
        identifiers: Mapping[str, Sequence[str]],
        ticket: Mapping[str, Any] | None,
        *,
        remove_report: str | None = None,
    ) -> None:
        """Inside ``db``'s transaction: replace the request's identifiers (and its ticket)
        with keyed forms (``host_stub.erasure``); with ``remove_report``, forget its report
        and say why."""
        db.execute(
            "UPDATE requests SET identifiers = ?, ticket = COALESCE(?, ticket), "
            "error = NULL, updated_at = ? WHERE id = ?",
            (
                json.dumps({k: list(v) for k, v in identifiers.items()}),
                json.dumps(ticket) if ticket is not None else None,
                self.now(),
                request_id,
            ),
        )
        if remove_report is not None:
            db.execute(
                "UPDATE requests SET report_path = NULL, held_report = NULL, error = ? "
                "WHERE id = ?",
                (remove_report, request_id),
            )

    def add_ahead(self, request_id: str, crowdtwist_id: int) -> None:
        """Record, committed, that a DELETE may reach this CrowdTwist user next."""
        with self.transaction() as db:
            current = self.get(request_id, db=db)
            if current is None:
                raise KeyError(request_id)
            ahead = sorted({*(current.ahead or []), crowdtwist_id})
            db.execute(
                "UPDATE requests SET ahead = ? WHERE id = ?", (json.dumps(ahead), request_id)
            )

    def set_report_path(self, request_id: str, path: str | None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE requests SET report_path = ? WHERE id = ?", (path, request_id))

    def set_evidence_digest(self, request_id: str, digest: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE requests SET evidence_digest = ? WHERE id = ?", (digest, request_id))

    def get(
        self, request_id: str, *, db: sqlite3.Connection | None = None
    ) -> PrivacyRequest | None:
        """The request, or ``None`` (read inside ``db``'s transaction when given)."""
        if db is None:
            with self._read() as own:
                return self.get(request_id, db=own)
        row = db.execute(f"{_SELECT} WHERE id = ?", (request_id,)).fetchone()
        return _from_row(row) if row else None

    def list(
        self,
        *,
        kind: Kind | None = None,
        states: Sequence[str] = (),
        integration: str | None = None,
        db: sqlite3.Connection | None = None,
    ) -> list[PrivacyRequest]:
        """Requests in creation order, optionally only of one kind, states and integration."""
        clauses: list[str] = []
        params: list[str] = []
        for column, value in (("kind", kind), ("integration", integration)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if states:
            clauses.append(f"state IN ({', '.join('?' for _ in states)})")
            params.extend(states)
        query = _SELECT + (" WHERE " + " AND ".join(clauses) if clauses else "")
        query += " ORDER BY created_at, rowid"
        if db is not None:
            return [_from_row(row) for row in db.execute(query, params).fetchall()]
        with self._read() as own:
            return [_from_row(row) for row in own.execute(query, params).fetchall()]

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)) as db:
            yield db


def _to_row(request: PrivacyRequest) -> dict[str, Any]:
    row = attrs.asdict(request)
    row["identifiers"] = json.dumps(request.identifiers)
    row["ticket"] = json.dumps(request.ticket) if request.ticket is not None else None
    row["stats"] = json.dumps(request.stats) if request.stats is not None else None
    row["subjects"] = json.dumps(request.subjects) if request.subjects is not None else None
    row["ahead"] = json.dumps(request.ahead) if request.ahead is not None else None
    return row


def _from_row(row: Sequence[Any]) -> PrivacyRequest:
    values = dict(zip(_COLUMNS, row, strict=True))
    values["identifiers"] = json.loads(values["identifiers"])
    values["ticket"] = json.loads(values["ticket"]) if values["ticket"] else None
    values["stats"] = json.loads(values["stats"]) if values["stats"] else None
    values["subjects"] = json.loads(values["subjects"]) if values["subjects"] else None
    values["ahead"] = json.loads(values["ahead"]) if values["ahead"] else None
    values["failures"] = int(values["failures"] or 0)
    return PrivacyRequest(**values)
