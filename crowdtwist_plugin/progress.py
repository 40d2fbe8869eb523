"""Progress of long reads, as log records on ``crowdtwist_plugin.progress`` (INFO).

Each record has the attributes ``collection`` (e.g. ``"receipts"``), ``pages_done``,
``pages_known`` (``None`` while the page count is unknown) and ``records`` (read so far).
Never an identifier or a record's content: a host may show them to anyone.
"""

from __future__ import annotations

import logging

import attrs

log = logging.getLogger("crowdtwist_plugin.progress")


@attrs.define
class Progress:
    """One collection being read for one person."""

    collection: str
    pages_known: int | None = None
    pages_done: int = 0
    records: int = 0

    def expect(self, pages: int) -> None:
        """Another ``pages`` pages are known to be coming (e.g. one more date window)."""
        self.pages_known = (self.pages_known or 0) + pages

    def finish(self) -> None:
        """The end was found: every page there is has been read."""
        self.pages_known = self.pages_done
        self._emit()

    def page(self, records: int) -> None:
        self.pages_done += 1
        self.records += records
        self._emit()

    def _emit(self) -> None:
        if log.isEnabledFor(logging.INFO):
            known = "?" if self.pages_known is None else str(self.pages_known)
            log.info(
                "%s: %d/%s pages, %d records",
                self.collection,
                self.pages_done,
                known,
                self.records,
                extra={
                    "collection": self.collection,
                    "pages_done": self.pages_done,
                    "pages_known": self.pages_known,
                    "records": self.records,
                },
            )
