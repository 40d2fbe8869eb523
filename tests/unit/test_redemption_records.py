"""Redemption records: the date that proves an undated answer whole; records read twice
(overlapping date windows) appear once, in first order."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdtwist_plugin.access import without_repeats
from crowdtwist_plugin.redemption_dates import one_between

dates = st.one_of(st.none(), st.integers(0, 3), st.sampled_from(["2026-01-01", "x"]), st.floats())
records = st.one_of(
    st.fixed_dictionaries({"order_date": dates}, optional={"id": st.integers(0, 2)}),
    st.fixed_dictionaries({"orderDate": dates, "title": st.sampled_from(["a", "b"])}),
    st.dictionaries(st.sampled_from(["title", "quantity"]), st.integers(0, 1), max_size=2),
    st.integers(0, 2),
)


def each_record_once_across_reads(reads: list[list[Any]]) -> list[Any]:
    """The obvious way: compare every record with every earlier read's as canonical JSON."""
    seen: set[str] = set()
    unique = []
    for read in reads:
        keys = [json.dumps(item, sort_keys=True) for item in read]
        unique += [item for item, key in zip(read, keys, strict=True) if key not in seen]
        seen.update(keys)
    return unique


@given(st.lists(st.lists(records, max_size=12), max_size=4))
def test_the_same_as_comparing_every_record(reads: list[list[Any]]) -> None:
    assert without_repeats(reads) == each_record_once_across_reads(reads)


def test_equal_dates_alone_do_not_make_a_repeat() -> None:
    first, second = {"order_date": 5, "id": 1}, {"order_date": 5, "id": 2}
    assert without_repeats([[first], [second, dict(first)]]) == [first, second]


def test_two_equal_records_in_one_read_are_two_redemptions() -> None:
    same = {"order_date": 5, "title": "gift card"}
    assert without_repeats([[same, dict(same)], [dict(same)]]) == [same, same]


DAY = date(2025, 11, 22)  # midnight UTC: 1763769600
SINCE = date(2009, 1, 1)


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
        ({"order_date": 0}, False),  # before the plan's start: a placeholder, not a date
        ({"order_date": "1970-01-01"}, False),
        ({"order_date": 1230768000}, True),  # 2009-01-01, the start itself
    ],
)
def test_a_record_dated_between_the_start_and_the_day(record: Any, before: bool) -> None:
    assert (one_between([{"title": "no date"}, record], SINCE, DAY) is not None) is before
