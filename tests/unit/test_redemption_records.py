"""Redemption records: the date that proves an undated answer whole; records read twice
(overlapping date windows) appear once, in first order."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdtwist_plugin.access import holds_one_before, without_repeats

dates = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["2026-01-01", "x"]), st.floats())
records = st.one_of(
    st.fixed_dictionaries({"order_date": dates}, optional={"id": st.integers(0, 2)}),
    st.fixed_dictionaries({"orderDate": dates, "title": st.sampled_from(["a", "b"])}),
    st.dictionaries(st.sampled_from(["title", "quantity"]), st.integers(0, 1), max_size=2),
    st.integers(0, 2),
)


def every_record_once(items: list[Any]) -> list[Any]:
    """The obvious way: compare every record as canonical JSON."""
    seen: set[str] = set()
    unique = []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


@given(st.lists(records, max_size=30))
def test_the_same_as_comparing_every_record(items: list[Any]) -> None:
    assert without_repeats(items) == every_record_once(items)


def test_equal_dates_alone_do_not_make_a_repeat() -> None:
    first, second = {"order_date": 5, "id": 1}, {"order_date": 5, "id": 2}
    assert without_repeats([first, second, dict(first)]) == [first, second]


DAY = date(2025, 11, 22)  # midnight UTC: 1763769600


@pytest.mark.parametrize(
    ("record", "before"),
    [
        ({"order_date": 1763769599}, True),  # the last second of the day before
        ({"order_date": 1763769600}, False),
        ({"order_date": "1763769599"}, True),  # unix seconds as text
        ({"orderDate": "2025-11-21T23:59:59Z"}, True),
        ({"redemption_date": "2025-11-22"}, False),
        ({"order_date": "garbage", "date_redeemed": "2020-01-01"}, True),  # next field
        ({"order_date": True}, False),  # not a date, and no other field
        ({"order_date": 1763769600, "orderDate": 1}, False),  # only the first date counts
        ({"date_created": 1}, False),  # not a redemption date field
        ("2020-01-01", False),
    ],
)
def test_a_record_dated_before_the_day(record: Any, before: bool) -> None:
    assert holds_one_before([{"title": "no date"}, record], DAY) is before
