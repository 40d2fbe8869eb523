"""The progress display: events from the plugin's log records, plain lines rate-limited on
an injected clock, bars on a (forced) terminal, and the handler only while a call runs."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from host_stub.progress import (
    LOGGER_NAME,
    Event,
    PlainLines,
    ProgressDisplay,
    RichBars,
    display_for,
    event_from,
)

LOGGER = logging.getLogger(LOGGER_NAME)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def plain(lines: list[str], clock: FakeClock) -> PlainLines:
    return PlainLines(lines.append, prefix="ct: ", clock=clock, interval=1.0)


@pytest.fixture(autouse=True)
def logger_untouched() -> Iterator[None]:
    before = (list(LOGGER.handlers), LOGGER.level)
    yield
    assert (list(LOGGER.handlers), LOGGER.level) == before


def record(**fields: object) -> logging.LogRecord:
    return LOGGER.makeRecord(LOGGER_NAME, logging.INFO, "f", 1, "msg", (), None, extra=fields)


def test_event_fields_are_read_from_the_record() -> None:
    event = event_from(record(collection="receipts", pages_done=3, pages_known=5, records=75))
    assert event == Event("receipts", 3, 5, 75)
    assert event.describe() == "receipts: 3/5 pages, 75 records"
    assert Event("receipts", 1).describe() == "receipts: 1/? pages"


def test_records_without_a_collection_are_ignored_and_odd_fields_tolerated() -> None:
    assert event_from(record()) is None
    assert event_from(record(collection=7)) is None
    odd = event_from(record(collection="rewards", pages_done="2", pages_known=True, records=1.5))
    assert odd == Event("rewards", 0, None, None)


def test_plain_lines_show_at_most_one_line_per_collection_per_interval(
    plain: PlainLines, lines: list[str], clock: FakeClock
) -> None:
    plain.update(Event("receipts", 1, None, 25))  # first: shown
    clock.now += 0.5
    plain.update(Event("receipts", 2, 9, 50))  # held
    plain.update(Event("purchases", 1, 4, 10))  # another collection: shown
    clock.now += 0.4
    plain.update(Event("receipts", 3, 9, 75))  # 0.9 s after the last line: held
    clock.now += 0.1
    plain.update(Event("receipts", 4, 9, 100))  # 1.0 s: shown
    assert lines == [
        "ct: receipts: 1/? pages, 25 records",
        "ct: purchases: 1/4 pages, 10 records",
        "ct: receipts: 4/9 pages, 100 records",
    ]


def test_a_complete_collection_is_shown_at_once_and_held_lines_at_the_end(
    plain: PlainLines, lines: list[str], clock: FakeClock
) -> None:
    plain.update(Event("receipts", 1, 2, 25))
    plain.update(Event("purchases", 1, 4, 10))
    plain.update(Event("purchases", 2, 4, 20))  # held
    plain.update(Event("receipts", 2, 2, 30))  # complete: shown though within the second
    assert lines[-1] == "ct: receipts: 2/2 pages, 30 records"
    plain.close()
    assert lines[-1] == "ct: purchases: 2/4 pages, 20 records"  # the final line
    assert len(lines) == 4
    plain.close()
    assert len(lines) == 4  # nothing held twice


def test_the_handler_is_attached_only_while_a_call_runs(
    plain: PlainLines, lines: list[str]
) -> None:
    display = ProgressDisplay(lambda: plain, lines.append)
    LOGGER.info("before", extra={"collection": "receipts", "pages_done": 1})
    with display.attached():
        assert len(LOGGER.handlers) == 1
        assert LOGGER.isEnabledFor(logging.INFO)
        with display.attached():  # a second concurrent call shares the one handler
            assert len(LOGGER.handlers) == 1
            LOGGER.info("r", extra={"collection": "receipts", "pages_done": 1, "records": 5})
        assert len(LOGGER.handlers) == 1
        display.note("a line of the host's own")
    LOGGER.info("after", extra={"collection": "purchases", "pages_done": 1})
    assert lines == ["ct: receipts: 1/? pages, 5 records", "a line of the host's own"]
    display.note("not during a call")
    assert lines[-1] == "not during a call"


def test_the_handler_is_removed_when_the_call_raises(plain: PlainLines) -> None:
    display = ProgressDisplay(lambda: plain, print)
    with pytest.raises(RuntimeError), display.attached():
        raise RuntimeError("plugin failed")
    assert display.logger.handlers == []


def test_a_logger_level_set_by_someone_else_is_restored() -> None:
    LOGGER.setLevel(logging.ERROR)
    try:
        with ProgressDisplay(lambda: PlainLines(print), print).attached():
            assert LOGGER.level == logging.INFO
        assert LOGGER.level == logging.ERROR
    finally:
        LOGGER.setLevel(logging.NOTSET)


def test_a_failing_display_does_not_fail_the_call(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(PlainLines):
        def update(self, event: Event) -> None:
            raise OSError("stderr closed")

    monkeypatch.setattr(logging, "raiseExceptions", False)
    with ProgressDisplay(lambda: Broken(print), print).attached():
        LOGGER.info("r", extra={"collection": "receipts"})


def test_bars_on_a_terminal_show_each_collection_and_notes_above_them() -> None:
    out = io.StringIO()
    bars = RichBars(out, redact=lambda text: text.replace("SECRET", "***"), force_terminal=True)
    bars.update(Event("receipts", 1, None, 25))
    bars.update(Event("purchases", 2, 2, 13))
    bars.update(Event("receipts", 3, 3, 60))
    bars.note("note with SECRET")
    bars.close()
    text = out.getvalue()
    assert "receipts" in text and "3/3" in text and "60 records" in text
    assert "purchases" in text and "2/2" in text
    assert "note with ***" in text and "SECRET" not in text
    bars.note("after the bars")  # no live display: written as it is
    assert out.getvalue().endswith("after the bars\n")


def test_no_terminal_means_plain_lines() -> None:
    written: list[str] = []
    display = display_for(io.StringIO(), written.append, str, prefix="echo: ")
    with display.attached():
        LOGGER.info("r", extra={"collection": "receipts", "pages_done": 1, "pages_known": 1})
    assert written == ["echo: receipts: 1/1 pages"]
