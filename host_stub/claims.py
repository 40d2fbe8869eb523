"""Claims: at most one host process works on a deletion request at a time.

A process claims a request row before it calls the plugin for it: in one
``BEGIN IMMEDIATE`` transaction it writes its owner id (``host:pid:random``) and a lease
expiry into the row, but only if the row is open (``submitting`` or ``pending``) and
unclaimed, already its own, or claimed by an owner whose lease has run out. While it works
it renews the lease (every third of the lease) and every write it makes checks that it
still owns the row; when it is done it releases the claim. A process that crashed keeps
its claim only until the lease runs out; then ``resume`` (or a ``delete`` of the same
identifiers) takes the request over. An owner on this host whose process is gone loses
its claim at once: the owner id names the host, the pid and the process's start time
(``host:pid:start:random``), so a pid the system has since given to another process is
not taken for the crashed one.

``delete`` does not create a second request for identifiers that already have an open
deletion of the same integration: the lookup and the insert are one transaction, so two
``delete`` commands started together create one request, and the second follows it.
Identifiers are the same when each category holds the same set of values, emails compared
with only their ASCII letters lower-cased (``Bob@Example.com`` is ``bob@example.com``; the
Kelvin sign is not ``k``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from pathlib import Path

import attrs

from host_stub.store import Kind, PrivacyRequest, RequestStore, iso

LEASE_SECONDS = 120.0
OPEN_STATES = ("submitting", "pending")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
DELETION: Kind = "deletion"


def process_start(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``), or ``None``
    if there is no such process; ``"?"`` where the system does not say."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else _exists_elsewhere(pid)
    except OSError:
        return "?"
    # The command name (field 2) may hold spaces and parentheses: split after its end.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else "?"


def _exists_elsewhere(pid: int) -> str | None:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except OSError:
        return "?"
    return "?"


def make_owner_id() -> str:
    """``host:pid:start:random``: names the process in ``status``, stays unique across
    hosts, and lets a later process on this host tell that the owner is gone."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start(pid) or '?'}:{uuid.uuid4().hex[:6]}"


def owner_is_gone(owner: str) -> bool:
    """Whether ``owner`` was a process on this host that no longer runs (its pid is free,
    or now belongs to a process that started at another time). Unknown: ``False``."""
    parts = owner.split(":")
    if len(parts) not in (3, 4) or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    started = process_start(int(parts[1]))
    if started is None:
        return True
    recorded = parts[2] if len(parts) == 4 else "?"
    return "?" not in (started, recorded) and started != recorded


def same_subject_key(identifiers: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The identifiers in the form two deletions are compared by (see the module docstring)."""
    key: dict[str, list[str]] = {}
    for category, values in identifiers.items():
        norm = {v.translate(_ASCII_LOWER) if category == "email" else v for v in values}
        if norm:
            key[category] = sorted(norm)
    return key


@attrs.define
class Claims:
    """This process's claims on rows of ``store``."""

    store: RequestStore
    owner: str = attrs.field(factory=make_owner_id)
    lease_seconds: float = LEASE_SECONDS
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep  # the heartbeat's wait

    def _lease_until(self) -> str:
        return iso(self.store.clock() + self.lease_seconds)

    def open_deletion(
        self, integration: str, identifiers: Mapping[str, Sequence[str]]
    ) -> tuple[PrivacyRequest, bool]:
        """The open deletion for these identifiers, or a new one claimed by this process.

        Returns ``(request, created)``. An existing request is returned as it is (not
        claimed): ``claim`` it to work on it.
        """
        wanted = same_subject_key(identifiers)
        with self.store.transaction() as db:
            for request in self.store.list(
                kind=DELETION, states=OPEN_STATES, integration=integration, db=db
            ):
                if same_subject_key(request.identifiers) == wanted:
                    return request, False
            created = self.store.create(
                DELETION,
                integration,
                identifiers,
                "submitting",
                db=db,
                owner=self.owner,
                lease_until=self._lease_until(),
            )
        return created, True

    def claim(self, request_id: str) -> tuple[PrivacyRequest | None, str | None]:
        """Claim an open request. Returns ``(request, previous)``: the claimed row (``None``
        if it is closed or another owner's lease is still running) and the owner whose
        expired lease was taken over, if any."""
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT state, owner, lease_until FROM requests WHERE id = ?", (request_id,)
            ).fetchone()
            if row is None:
                raise KeyError(request_id)
            state, owner, lease_until = row
            if state not in OPEN_STATES:
                return None, None
            expired = lease_until is None or lease_until <= self.store.now()
            expired = expired or (owner not in (None, self.owner) and owner_is_gone(owner))
            if owner not in (None, self.owner) and not expired:
                return None, None
            db.execute(
                "UPDATE requests SET owner = ?, lease_until = ? WHERE id = ?",
                (self.owner, self._lease_until(), request_id),
            )
            claimed = self.store.get(request_id, db=db)
        previous = owner if owner not in (None, self.owner) else None
        return claimed, previous

    def renew(self, request_id: str) -> bool:
        """Extend this process's lease; ``False`` if the claim was lost."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE requests SET lease_until = ? WHERE id = ? AND owner = ?",
                (self._lease_until(), request_id, self.owner),
            )
            return cursor.rowcount == 1

    def release(self, request_id: str) -> None:
        """Give the claim up (if this process still holds it)."""
        with self.store.transaction() as db:
            db.execute(
                "UPDATE requests SET owner = NULL, lease_until = NULL WHERE id = ? AND owner = ?",
                (request_id, self.owner),
            )

    @contextlib.asynccontextmanager
    async def held(self, request_id: str) -> AsyncIterator[None]:
        """Keep the claim alive while the block runs; release it afterwards, however the
        block ends (a crash skips this: the lease then runs out)."""

        async def heartbeat() -> None:
            while True:
                await self.sleep(self.lease_seconds / 3)
                if not await asyncio.to_thread(self.renew, request_id):
                    return

        beating = asyncio.ensure_future(heartbeat())
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beating
            self.release(request_id)
