"""No redemption is ever lost without a pin, whatever the service does where its
documentation is silent: ``read_redemptions`` against a model of redemption history whose
undated answer covers everything or the last N days (30 to 3,000), whose clock is up to
30 days off the host's (or off its own ``Date``), and whose records carry one to three
date fields in any order, filtered on any one of them. Several subjects share one call."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdtwist_plugin.access import read_redemptions, undated_reading
from crowdtwist_plugin.readings import UNDATED, PinContradicted, ProgramReadings
from crowdtwist_plugin.redemption_dates import REDEMPTION_DATE_FIELDS, year_windows

HOST_TODAY = date(2026, 12, 3)
START = date(2009, 1, 1)
DAY = 86_400


def unix(day: date) -> int:
    return int(datetime.combine(day, time(), UTC).timestamp())


class Service:
    """One member's redemption history as the service serves it."""

    def __init__(self, records: list[dict[str, Any]], field: str, undated: int | None, now: date):
        self.records, self.field, self.undated, self.now = records, field, undated, now
        self.reads = 0

    def when(self, record: Mapping[str, Any]) -> int:
        value = record[self.field]
        return value if isinstance(value, int) else unix(date.fromisoformat(value[:10]))

    async def read(self, query: Mapping[str, str | int]) -> list[Any]:
        self.reads += 1
        if "date_start" not in query:
            if self.undated is None:
                return list(self.records)
            low = unix(self.now - timedelta(days=self.undated))
            return [r for r in self.records if self.when(r) >= low]
        first = date.fromisoformat(str(query["date_start"]))
        last = date.fromisoformat(str(query["date_end"]))
        assert first < last <= first + timedelta(365), "the service refuses this range"
        low, high = unix(first), unix(last) + DAY - 1
        return [r for r in self.records if low <= self.when(r) <= high]


@st.composite
def histories(draw: st.DrawFn, now: date, field: str) -> list[dict[str, Any]]:
    """Records dated (by ``field``) from the start to the service's today; each carries
    ``field`` and up to two other date fields, unix seconds or ISO text, in any order."""
    span = (now - START).days
    records = []
    for n in range(draw(st.integers(0, 12))):
        others = draw(st.lists(st.sampled_from(REDEMPTION_DATE_FIELDS), max_size=2, unique=True))
        fields = draw(st.permutations([field, *(f for f in others if f != field)]))
        record: dict[str, Any] = {}
        for name in fields:
            day = now - timedelta(days=draw(st.integers(0, span)))
            seconds = unix(day) + draw(st.integers(0, DAY - 1))
            iso = datetime.fromtimestamp(seconds, UTC).isoformat()[:19] + "Z"
            record[name] = seconds if draw(st.booleans()) else iso
        record["n"] = n
        records.append(record)
    return records


@st.composite
def calls(draw: st.DrawFn) -> tuple[list[Service], date]:
    """Subjects of one call on one service, and the ``today`` the client plans from: the
    later of the host's day and the service's ``Date`` (which may itself be off the clock
    the service filters by)."""
    now = HOST_TODAY + timedelta(days=draw(st.integers(-30, 30)))
    field = draw(st.sampled_from(REDEMPTION_DATE_FIELDS))
    undated = draw(st.one_of(st.none(), st.just(365), st.integers(30, 3000)))
    said = now + timedelta(days=draw(st.sampled_from([0, 0, -30, 30])))
    services = [
        Service(draw(histories(now, field)), field, undated, now)
        for _ in range(draw(st.integers(1, 4)))
    ]
    return services, max(HOST_TODAY, said)


def found(records: list[Any]) -> list[int]:
    return sorted(r["n"] for r in records)


async def read_all(services: list[Service], today: date, readings: ProgramReadings) -> None:
    plan = year_windows(START, today)
    results = await asyncio.gather(
        *(read_redemptions(s.read, {}, plan, today, readings) for s in services)
    )
    for service, records in zip(services, results, strict=True):
        assert found(records) == list(range(len(service.records)))


@settings(max_examples=300, deadline=None)
@given(call=calls())
def test_without_a_pin_every_redemption_is_found_exactly_once(
    call: tuple[list[Service], date],
) -> None:
    services, today = call
    readings = ProgramReadings({})
    asyncio.run(read_all(services, today, readings))
    seen = readings.uses[UNDATED].observed
    if seen is not None and seen.value == "everything":  # never claimed of a partial answer
        assert all(s.undated is None or s.undated > 365 for s in services)


@settings(max_examples=100, deadline=None)
@given(call=calls())
def test_a_pinned_everything_true_of_the_service_loses_nothing_in_one_read(
    call: tuple[list[Service], date],
) -> None:
    services, today = call
    for service in services:
        service.undated = None
    readings = ProgramReadings({UNDATED: "everything"})
    asyncio.run(read_all(services, today, readings))
    assert [s.reads for s in services] == [1] * len(services)
    assert readings.uses[UNDATED].saved_requests == len(services) * len(year_windows(START, today))


def old(n: int, days: int) -> dict[str, Any]:
    return {"order_date": unix(HOST_TODAY - timedelta(days=days)), "n": n}


def test_everything_is_observed_only_with_every_window_record_and_a_year_of_history() -> None:
    windows = [[old(1, 800)], [old(2, 30)]]
    seen = undated_reading([old(2, 30), old(1, 800)], windows, HOST_TODAY)
    assert seen is not None and seen.value == "everything" and seen.back_to == "2024-09"
    # Within the last year: nothing proved, whatever the undated answer held.
    assert undated_reading([old(2, 30)], [[old(2, 30)]], HOST_TODAY) is None
    # One old record of the undated answer alone proves nothing.
    assert undated_reading([old(1, 800)], [], HOST_TODAY) is None


def test_a_record_a_window_held_and_the_undated_answer_lacked_disproves_everything() -> None:
    seen = undated_reading([old(2, 30)], [[old(1, 800)], [old(2, 30)]], HOST_TODAY)
    assert seen is not None and seen.value == "not_everything"
    assert "lacked 1 redemption(s)" in seen.evidence and "2024-09" in seen.evidence
    assert str(HOST_TODAY - timedelta(days=800)) not in seen.evidence  # a month, not a day


def test_one_subject_disproving_everything_outweighs_anothers_proof() -> None:
    readings = ProgramReadings({})
    proof = undated_reading([old(1, 800)], [[old(1, 800)]], HOST_TODAY)
    disproof = undated_reading([], [[old(1, 800)]], HOST_TODAY)
    assert proof is not None and disproof is not None
    for first, second in itertools.permutations([proof, disproof]):
        readings.uses[UNDATED].observed = None
        readings.observe(UNDATED, first)
        readings.observe(UNDATED, second)
        assert readings.uses[UNDATED].observed == disproof


def test_a_contradicted_saving_pin_stops_the_call_and_names_the_pin() -> None:
    readings = ProgramReadings({"member_search_is_active_0": "all"})
    with pytest.raises(PinContradicted, match="member_search_is_active_0 is pinned 'all'"):
        readings.contradicted("member_search_is_active_0", "an answer said so")
    ProgramReadings({}).contradicted("member_search_is_active_0", "ignored while unpinned")
    ProgramReadings({"member_search_is_active_0": "all"}, decide=True).contradicted(
        "member_search_is_active_0", "ignored when deciding"
    )
