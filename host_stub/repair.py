"""What ``host-stub resume`` puts right before it follows open deletions.

- A complete deletion whose identifiers are still in clear, or whose person still has an
  access report (a store written by an older host-stub, which completed and minimised in
  two steps, or an access report that landed after the erasure): minimised now, in one
  transaction (``host_stub.erasure.erase``).
- An access request left ``running`` by a process that is gone (killed while it read or
  wrote the report): failed, with its report file removed, since it may be incomplete.
  Running the access again gives the whole report.
"""

from __future__ import annotations

from pathlib import Path

from host_stub.claims import owner_is_gone
from host_stub.erasure import Keyed, erase, is_minimised
from host_stub.store import RequestStore

ABANDONED = (
    "interrupted: the process ended before the request was finished (its report file, which "
    "may be incomplete, was removed); run the access request again"
)


def repair(store: RequestStore, integration: str, keyed: Keyed) -> list[str]:
    """Put right what a crash or an older host-stub left half done; one note per repair."""
    notes = []
    for request in store.list(kind="access", states=("running",), integration=integration):
        if request.owner is None or not owner_is_gone(request.owner):
            continue
        if request.report_path:
            Path(request.report_path).unlink(missing_ok=True)
        store.set_report_path(request.id, None)
        store.update(request.id, state="failed", error=ABANDONED)
        notes.append(f"access request {request.id}: closed as failed, its process is gone")
    for deletion in store.list(kind="deletion", states=("complete",), integration=integration):
        with store.transaction() as db:
            current = store.get(deletion.id, db=db) or deletion
            was_minimised = is_minimised(current)
            touched = erase(db, store, current, keyed)
        if touched or not was_minimised:
            removed = (
                f"; reports of access requests {', '.join(touched)} removed" if touched else ""
            )
            notes.append(
                f"deletion request {deletion.id}: the erasure's minimisation completed now{removed}"
            )
    return notes
