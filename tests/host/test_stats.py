"""The cost summary line and the stored stats: tolerant of whatever a plugin sends."""

from __future__ import annotations

from typing import Any

import pytest

from host_stub.stats import accumulate, stats_of, stored_summary, summary

FULL = {
    "requests": 847,
    "by_endpoint": {"GET /v2/users/{user_id}": 1, "GET /v2/users/{user_id}/receipts": 846},
    "retries": 3,
    "responses_429": 0,
    "budget_wait_s": 10.94,
    "elapsed_s": 11.7,
}


def test_summary_line_of_full_stats() -> None:
    assert summary(FULL) == (
        "847 requests (3 retried, 0 x 429), waited 10.9 s for the budget, 11.7 s in all"
    )


def test_one_request_is_singular() -> None:
    assert summary({"requests": 1}) == "1 request"


@pytest.mark.parametrize(
    ("stats", "line"),
    [
        (None, None),
        ({}, None),
        ("847", None),
        ([1, 2], None),
        ({"requests": "many", "elapsed_s": True}, None),
        ({"requests": 5, "retries": None}, "5 requests"),
        ({"elapsed_s": 2}, "2.0 s in all"),
        ({"requests": 2, "responses_429": 1}, "2 requests (1 x 429)"),
    ],
)
def test_summary_never_fails_on_missing_or_odd_keys(stats: Any, line: str | None) -> None:
    assert summary(stats) == line


def test_stats_of_an_output_without_stats_is_none() -> None:
    assert stats_of({"ok": True}) is None
    assert stats_of({"stats": "x"}) is None
    assert stats_of({"stats": FULL}) == FULL


def test_one_call_keeps_its_stats_as_last_and_total() -> None:
    stored = accumulate(None, FULL)
    assert stored == {"calls": 1, "last": FULL, "total": FULL}
    assert stored_summary(stored) == summary(FULL)


def test_polls_add_up_and_the_last_call_is_kept() -> None:
    endpoints = {"DELETE /v2/users/{user_id}": 1, "POST /v2/members": 2}
    submit = {"requests": 3, "by_endpoint": endpoints}
    poll = {"requests": 1, "by_endpoint": {"GET /v2/user_deletion/{user_id}": 1}, "elapsed_s": 0.2}
    stored = accumulate(accumulate(accumulate(None, submit), poll), poll)
    assert stored["calls"] == 3
    assert stored["last"] == poll
    assert stored["total"] == {
        "requests": 5,
        "elapsed_s": 0.4,
        "by_endpoint": {
            "DELETE /v2/users/{user_id}": 1,
            "POST /v2/members": 2,
            "GET /v2/user_deletion/{user_id}": 2,
        },
    }
    assert stored_summary(stored) == "5 requests, 0.4 s in all over 3 calls"


def test_a_call_without_stats_changes_nothing() -> None:
    stored = accumulate(None, FULL)
    assert accumulate(stored, None) == stored
    assert accumulate(None, None) is None


def test_garbage_in_stored_or_new_stats_is_skipped() -> None:
    stored = {"calls": "two", "total": {"requests": "x", "by_endpoint": ["no"]}}
    latest = {"requests": 2, "retries": False, "by_endpoint": {"GET /a": "1", "GET /b": 1}}
    assert accumulate(stored, latest) == {
        "calls": 1,
        "last": latest,
        "total": {"requests": 2, "by_endpoint": {"GET /b": 1}},
    }
    assert stored_summary({"calls": 2}) is None
    assert stored_summary("junk") is None  # type: ignore[arg-type]


READINGS = {
    "redemption_history_undated": {
        "used": "pinned",
        "value": "everything",
        "saved_requests": 17,
    },
    "member_search_is_active_0": {
        "used": "unknown",
        "value": "unknown",
        "saved_requests": 0,
        "observed": {"value": "inactive_only", "evidence": "an is_active=0 answer lacked 1"},
    },
}


def test_the_cost_line_says_how_each_reading_was_used() -> None:
    line = summary({"requests": 9, "readings": READINGS})
    assert line == (
        "9 requests, readings: member_search_is_active_0 unknown (answers showed "
        "inactive_only); redemption_history_undated everything (pinned, saved 17)"
    )
    stored = accumulate(None, {"requests": 9, "readings": READINGS})
    assert stored["total"]["readings"] == READINGS
    assert stored_summary(stored) == line


@pytest.mark.parametrize("readings", [None, [], {}, {"x": 3}, {"x": {"used": 1}}, "text"])
def test_odd_readings_never_fail_the_cost_line(readings: Any) -> None:
    assert summary({"requests": 1, "readings": readings}) is not None
