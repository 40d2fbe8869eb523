"""No redemption is ever lost, whichever reading the service serves, while the reading is
unknown and once it is learned: ``read_redemptions`` against a model of redemption
history under each reading (the documented date rules; undated: every redemption, or the
last 365 days), for generated histories and subjects taken in any order."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crowdtwist_plugin.access import read_redemptions
from crowdtwist_plugin.knowledge import Knowledge, ProgramReadings
from crowdtwist_plugin.readings import UNDATED

TODAY = date(2026, 12, 3)
START = date(2009, 1, 1)
ReadingServed = str


class Service:
    """Redemption history of one member under one reading of the undated request."""

    def __init__(self, days_ago: list[int], undated: ReadingServed, hour: int = 12) -> None:
        self.records: list[dict[str, Any]] = [
            {"order_date": self.unix(TODAY - timedelta(d), hour), "n": i}
            for i, d in enumerate(days_ago)
        ]
        self.undated = undated
        self.reads = 0

    @staticmethod
    def unix(day: date, hour: int = 12) -> int:
        return int(datetime.combine(day, time(hour), UTC).timestamp())

    async def read(self, query: Mapping[str, str | int]) -> list[Any]:
        self.reads += 1
        if "date_start" not in query:
            if self.undated == "everything":
                return list(self.records)
            # A record without a date cannot be filtered out by date: always returned.
            low = self.unix(TODAY - timedelta(365))
            return [r for r in self.records if r.get("order_date", low) >= low]
        first = date.fromisoformat(str(query["date_start"]))
        last = date.fromisoformat(str(query["date_end"]))
        assert first < last <= first + timedelta(365), "the service refuses this range"
        low, high = self.unix(first) - 12 * 3600, self.unix(last) + 12 * 3600
        return [r for r in self.records if low <= r.get("order_date", -1) < high]


# Most redemptions within the last year, some older, back to the plan's start.
histories = st.lists(
    st.one_of(st.integers(0, 364), st.integers(365, (TODAY - START).days)), max_size=25
)
readings_served = st.sampled_from(["everything", "last_365_days"])


def ids(records: list[Any]) -> list[int]:
    return sorted(r["n"] for r in records)


@settings(max_examples=150, deadline=None)
@given(served=readings_served, subjects=st.lists(histories, min_size=1, max_size=6))
def test_no_redemption_is_lost_unknown_or_learned(
    served: ReadingServed, subjects: list[list[int]]
) -> None:
    knowledge = Knowledge()

    async def run() -> None:
        for days_ago in subjects:  # one hook call per subject: learned readings carry over
            readings = ProgramReadings({}, "connection", knowledge)
            await readings.load()
            service = Service(days_ago, served)
            params = {"id_type": "id"}
            found = await read_redemptions(service.read, params, START, TODAY, readings)
            assert ids(found) == list(range(len(days_ago)))
            learned = knowledge.get("connection", UNDATED)
            assert learned is None or learned.value == served  # evidence never misleads

    asyncio.run(run())


@settings(max_examples=60, deadline=None)
@given(served=readings_served, days_ago=histories)
def test_a_pinned_reading_true_of_the_service_loses_nothing(
    served: ReadingServed, days_ago: list[int]
) -> None:
    async def run() -> int:
        readings = ProgramReadings({UNDATED: served}, "connection", Knowledge())
        await readings.load()
        service = Service(days_ago, served)
        found = await read_redemptions(service.read, {}, START, TODAY, readings)
        assert ids(found) == list(range(len(days_ago)))
        return service.reads

    reads = asyncio.run(run())
    assert reads == 1 or served == "last_365_days"


@settings(max_examples=100, deadline=None)
@given(
    served=readings_served,
    subjects=st.lists(histories, min_size=1, max_size=6),
    hour=st.integers(0, 23),
    undated_records=st.integers(0, 2),
)
def test_no_redemption_is_lost_with_subjects_read_concurrently(
    served: ReadingServed, subjects: list[list[int]], hour: int, undated_records: int
) -> None:
    """Several subjects of one call share one ProgramReadings, records fall at any hour,
    and some carry no date at all."""
    knowledge = Knowledge()

    async def one(readings: ProgramReadings, days_ago: list[int]) -> None:
        service = Service(days_ago, served, hour)
        service.records += [
            {"title": "no date", "n": len(days_ago) + i} for i in range(undated_records)
        ]
        found = await read_redemptions(service.read, {}, START, TODAY, readings)
        assert ids(found) == list(range(len(days_ago) + undated_records))

    async def run() -> None:
        for _ in range(2):  # a second call starts from what the first proved
            readings = ProgramReadings({}, "connection", knowledge)
            await readings.load()
            await asyncio.gather(*(one(readings, days_ago) for days_ago in subjects))
            learned = knowledge.get("connection", UNDATED)
            assert learned is None or learned.value == served

    asyncio.run(run())
