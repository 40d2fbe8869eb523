"""Redemption records: how old a record surely is (its newest date); records read twice
(overlapping date windows) appear once, in first order."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdtwist_plugin.access import without_repeats
from crowdtwist_plugin.redemption_dates import newest_day

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


@pytest.mark.parametrize(
    ("record", "newest"),
    [
        ({"order_date": 1763769599}, date(2025, 11, 21)),  # the last second of the day
        ({"order_date": "1763769600"}, date(2025, 11, 22)),  # unix seconds as text
        ({"orderDate": "2025-11-21T23:59:59Z"}, date(2025, 11, 21)),
        # Whichever field the service dates a record by, the record is no older than this.
        ({"order_date": 0, "redemption_date": "2025-11-22"}, date(2025, 11, 22)),
        ({"redemption_date": "2025-11-22", "order_date": 0}, date(2025, 11, 22)),
        ({"order_date": "garbage", "date_redeemed": "2020-01-01"}, date(2020, 1, 1)),
        ({"order_date": True}, None),  # not a date
        ({"date_created": 1}, None),  # not a redemption date field
        ("2020-01-01", None),
    ],
)
def test_a_records_newest_date(record: Any, newest: date | None) -> None:
    assert newest_day(record) == newest
