"""host-stub with the real CrowdTwist plugin against the sandbox (issue 12, items 2 and 3):
whatever the plugin reports - stats or not, progress records or none - the host prints
one cost line per call that matches the output's ``stats``, stores the same stats, shows
the last state of every collection the plugin reported, names no identifier on stderr, and
leaves the plugin's progress logger as it found it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from crowdtwist_sandbox import Sandbox, SandboxThread
from host_stub.progress import LOGGER_NAME, Event, event_from
from host_stub.stats import accumulate, summary
from host_stub.store import RequestStore
from tests.helpers.cli import Cli
from tests.helpers.people import ALICE, BOB

POLL = ["--poll-interval", "0.05", "--max-poll-interval", "0.1", "--max-wait", "10"]


class Events(logging.Handler):
    """The progress records the plugin emitted (seen while host-stub lowers the level)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.events: list[Event] = []

    def emit(self, record: logging.LogRecord) -> None:
        event = event_from(record)
        if event is not None:
            self.events.append(event)


@pytest.fixture
def events() -> Iterator[Events]:
    logger = logging.getLogger(LOGGER_NAME)
    before = (list(logger.handlers), logger.level)
    handler = Events()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    assert (list(logger.handlers), logger.level) == before  # host-stub left nothing behind


def _cost_lines(err: str, label: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(f"{label}: ")]


def _no_identifier(err: str) -> None:
    for identifier in (ALICE.email, ALICE.third_party_id, str(ALICE.crowdtwist_id)):
        assert identifier not in err


def test_access_prints_and_stores_the_reports_stats_and_the_last_progress(
    cli: Cli, events: Events
) -> None:
    code, out, err = cli.run("access", "--email", ALICE.email)
    assert code == 0, (out, err)
    (request,) = RequestStore(cli.store_path).list()
    assert request.report_path is not None
    report = json.loads(Path(request.report_path).read_text(encoding="utf-8"))
    stats = report.get("stats")
    line = summary(stats)
    costs = [
        c for c in _cost_lines(err, "crowdtwist") if c.removeprefix("crowdtwist: ")[:1].isdigit()
    ]
    assert costs == ([] if line is None else [f"crowdtwist: {line}"])
    assert request.stats == accumulate(None, stats)
    last: dict[str, Event] = {}
    for event in events.events:
        last[event.collection] = event
    for event in last.values():  # the final state of every collection is on stderr
        assert f"crowdtwist: {event.describe()}" in err.splitlines()
    _no_identifier(err)


def test_a_deletions_stored_total_is_every_request_it_made(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox]
) -> None:
    thread, sandbox = cli_sandbox
    thread.call(sandbox.reset)
    code, out, err = cli.run("delete", "--email", BOB.email, *POLL)
    assert code == 0, (out, err)
    (request,) = RequestStore(cli.store_path).list()
    made = thread.call(lambda: len(sandbox.log))
    costs = _cost_lines(err, f"crowdtwist, deletion request {request.id}")
    if request.stats is None:  # a plugin without stats: nothing printed, nothing stored
        assert costs == []
        return
    assert request.stats["total"]["requests"] == made
    assert request.stats["calls"] == len(costs)
    assert costs[-1].endswith(summary(request.stats["last"]) or "")
