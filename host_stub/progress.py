"""Progress of a long hook call, shown on stderr while the call runs.

A plugin reports progress without any change to the hooks (``docs/contract.md``): log
records at INFO on the logger ``crowdtwist_plugin.progress`` with the attributes
``collection`` (str), ``pages_done`` (int), ``pages_known`` (int, or ``None`` while
unknown) and ``records`` (int so far); never an identifier. While at least one hook call
runs, ``ProgressDisplay`` attaches one handler to that logger (and lowers the logger's
level to INFO if it would drop them); after the last call it removes the handler and
restores the level. A record without a string ``collection`` is ignored.

Two renderers:

- ``RichBars`` when stderr is a terminal: one live bar per collection (pages done of
  pages known, ``?`` while unknown, records so far), left on screen when the call ends;
- ``PlainLines`` otherwise (a log file, CI): ``crowdtwist: receipts: 3/5 pages, 75
  records``, at most one line per collection per ``interval`` seconds (1 s), a line at
  once when a collection is complete, and at the end the last state of every collection
  whose latest event was held back. The clock is injected (tests need no wall clock).

Everything shown goes through the host's redactor like every other line it prints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO

import attrs

LOGGER_NAME = "crowdtwist_plugin.progress"
Write = Callable[[str], None]
Clock = Callable[[], float]


@attrs.frozen
class Event:
    """One progress record's fields."""

    collection: str
    pages_done: int = 0
    pages_known: int | None = None
    records: int | None = None

    @property
    def complete(self) -> bool:
        return self.pages_known is not None and self.pages_done >= self.pages_known

    def describe(self) -> str:
        """``receipts: 3/5 pages, 75 records`` (``3/? pages`` while the total is unknown)."""
        known = "?" if self.pages_known is None else str(self.pages_known)
        text = f"{self.collection}: {self.pages_done}/{known} pages"
        return text if self.records is None else f"{text}, {self.records} records"


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def event_from(record: logging.LogRecord) -> Event | None:
    """The event a progress record carries, or ``None`` if it names no collection."""
    collection = getattr(record, "collection", None)
    if not isinstance(collection, str) or not collection:
        return None
    return Event(
        collection=collection,
        pages_done=_count(getattr(record, "pages_done", None)) or 0,
        pages_known=_count(getattr(record, "pages_known", None)),
        records=_count(getattr(record, "records", None)),
    )


class Renderer(Protocol):
    def update(self, event: Event) -> None: ...

    def note(self, text: str) -> None:
        """Print a line of the host's own (above the bars, if any)."""

    def close(self) -> None: ...


@attrs.define
class PlainLines:
    """Rate-limited lines, one per collection per ``interval`` at most, and a final line."""

    write: Write
    prefix: str = ""
    clock: Clock = time.monotonic
    interval: float = 1.0
    _shown_at: dict[str, float] = attrs.field(factory=dict, init=False)
    _held: dict[str, Event] = attrs.field(factory=dict, init=False)

    def update(self, event: Event) -> None:
        now = self.clock()
        last = self._shown_at.get(event.collection)
        if last is None or event.complete or now - last >= self.interval:
            self._shown_at[event.collection] = now
            self._held.pop(event.collection, None)
            self.write(self.prefix + event.describe())
        else:
            self._held[event.collection] = event

    def note(self, text: str) -> None:
        self.write(text)

    def close(self) -> None:
        for event in self._held.values():
            self.write(self.prefix + event.describe())
        self._held.clear()
        self._shown_at.clear()


class RichBars:
    """One live bar per collection on a terminal (rich), started at the first event."""

    def __init__(
        self,
        file: TextIO,
        *,
        redact: Callable[[str], str] = str,
        write: Write | None = None,
        force_terminal: bool | None = None,
    ) -> None:
        self.file = file
        self.redact = redact
        self.write = write
        self.force_terminal = force_terminal
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}

    def _start(self) -> Any:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(file=self.file, force_terminal=self.force_terminal, highlight=False)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("pages, {task.fields[records]} records"),
            TimeElapsedColumn(),
            console=console,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._progress.start()
        return self._progress

    def update(self, event: Event) -> None:
        progress = self._progress or self._start()
        records = "?" if event.records is None else event.records
        task = self._tasks.get(event.collection)
        if task is None:
            description = self.redact(event.collection)
            self._tasks[event.collection] = progress.add_task(
                description, total=event.pages_known, completed=event.pages_done, records=records
            )
        else:
            progress.update(
                task, total=event.pages_known, completed=event.pages_done, records=records
            )

    def note(self, text: str) -> None:
        if self._progress is None and self.write is not None:
            self.write(text)
        elif self._progress is None:
            print(self.redact(text), file=self.file, flush=True)
        else:
            self._progress.console.print(self.redact(text), markup=False, highlight=False)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
        self._progress = None
        self._tasks.clear()


class _Handler(logging.Handler):
    def __init__(self, renderer: Renderer) -> None:
        super().__init__(logging.INFO)
        self.renderer = renderer

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = event_from(record)
            if event is not None:
                self.renderer.update(event)
        except Exception:  # a display problem must never fail the request
            self.handleError(record)


class ProgressDisplay:
    """Shows the plugin's progress records while at least one hook call is running."""

    def __init__(
        self, renderer: Callable[[], Renderer], write: Write, logger_name: str = LOGGER_NAME
    ) -> None:
        self.make_renderer = renderer
        self.write = write
        self.logger = logging.getLogger(logger_name)
        self._active = 0
        self._renderer: Renderer | None = None
        self._handler: _Handler | None = None
        self._saved_level = logging.NOTSET

    @contextmanager
    def attached(self) -> Iterator[None]:
        """Listen for progress for the duration of the ``with`` block (re-entrant)."""
        if self._active == 0:
            self._renderer = self.make_renderer()
            self._handler = _Handler(self._renderer)
            self._saved_level = self.logger.level
            if not self.logger.isEnabledFor(logging.INFO):
                self.logger.setLevel(logging.INFO)
            self.logger.addHandler(self._handler)
        self._active += 1
        try:
            yield
        finally:
            self._active -= 1
            if self._active == 0:
                self._detach()

    def _detach(self) -> None:
        if self._handler is not None:
            self.logger.removeHandler(self._handler)
        self.logger.setLevel(self._saved_level)
        renderer, self._renderer, self._handler = self._renderer, None, None
        if renderer is not None:
            renderer.close()

    def note(self, text: str) -> None:
        """A line of the host's own: above the live bars while they are shown."""
        if self._renderer is not None:
            self._renderer.note(text)
        else:
            self.write(text)


def display_for(
    err: TextIO, write: Write, redact: Callable[[str], str], prefix: str
) -> ProgressDisplay:
    """Bars when ``err`` is a terminal, else plain rate-limited lines through ``write``."""
    if _is_terminal(err):
        return ProgressDisplay(lambda: RichBars(err, redact=redact, write=write), write)
    return ProgressDisplay(lambda: PlainLines(write, prefix=prefix), write)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False
