"""Write-ahead for deletions: the host knows which CrowdTwist users a DELETE may have
reached before the DELETE is sent.

The plugin logs an INFO record on ``crowdtwist_plugin.deletion`` with the attribute
``crowdtwist_id`` just before it sends each DELETE (``docs/contract.md``). While
``submit_deletion`` runs, ``recording`` writes each such id into the request's ``ahead``
column, synchronously, before the plugin goes on. If the process dies after the DELETE and
before the ticket is stored, and the erasure completes before ``resume``, the person can
no longer be found by their identifiers: the new ``submit_deletion`` answers "nobody", and
``with_ahead`` adds the users recorded ahead to that ticket as ``queued``, so that
``check_deletion`` reads their status history and proves them gone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from host_stub.crash import crash_point
from host_stub.store import RequestStore

LOGGER_NAME = "crowdtwist_plugin.deletion"
AHEAD_DETAIL = (
    "a DELETE may have been sent before host-stub stopped (recorded before sending); "
    "the status is read again"
)


class _Recorder(logging.Handler):
    def __init__(self, store: RequestStore, request_id: str) -> None:
        super().__init__(logging.INFO)
        self.store = store
        self.request_id = request_id

    def emit(self, record: logging.LogRecord) -> None:
        # No try/except: if the id cannot be stored, the plugin must not send the DELETE.
        crowdtwist_id = getattr(record, "crowdtwist_id", None)
        if isinstance(crowdtwist_id, int) and not isinstance(crowdtwist_id, bool):
            self.store.add_ahead(self.request_id, crowdtwist_id)
            crash_point("delete-ahead")


@contextmanager
def recording(store: RequestStore, request_id: str) -> Iterator[None]:
    """Record every DELETE the plugin announces for ``request_id`` while the block runs."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = _Recorder(store, request_id)
    level = logger.level
    if not logger.isEnabledFor(logging.INFO):
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def with_ahead(ticket: Mapping[str, Any], ahead: Sequence[int]) -> dict[str, Any]:
    """``ticket`` with every user recorded ahead that it lacks added as ``queued``: matched
    by the identifiers that now lead to no one (the erasure took them)."""
    users = [u for u in ticket.get("users", []) if isinstance(u, Mapping)]
    present = {u.get("crowdtwist_id") for u in users}
    missing = [i for i in ahead if i not in present]
    if not missing:
        return dict(ticket)
    matched = [label for label in ticket.get("not_found", []) if isinstance(label, str)]
    added = [
        {"crowdtwist_id": i, "matched": matched, "status": "queued", "detail": AHEAD_DETAIL}
        for i in missing
    ]
    return {
        **ticket,
        "state": "pending",
        "verification": "pending",
        "users": [*users, *added],
        "not_found": [],
    }
