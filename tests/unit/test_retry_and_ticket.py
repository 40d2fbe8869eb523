"""Retry-After parsing, backoff delays, deletion ticket rules, redemption windows."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from crowdtwist_plugin.errors import ConfigurationError
from crowdtwist_plugin.identifiers import Held
from crowdtwist_plugin.pacing.rules import RetryPolicy, parse_retry_after
from crowdtwist_plugin.redemption_dates import CLOCK_MARGIN, utc_day, year_windows
from crowdtwist_plugin.ticket import (
    STILL_THERE,
    Check,
    Proof,
    Reported,
    Status,
    Ticket,
    UserDeletion,
)
from tests.helpers.people import CAROL
from tests.helpers.tickets import SUBMITTED_AT, deletion_user, ticket_for

NOW = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        (" 2.5 ", 2.5),
        ("-4", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Fri, 27 Nov 2026 10:00:30 GMT", 30.0),
        ("Fri, 27 Nov 2026 09:00:00 GMT", 0.0),
        ("1e9", 1e9),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_delay_honours_retry_after_without_jitter_and_caps_it() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    assert policy.delay(1, 7.0) == 7.0
    assert policy.delay(3, 1e9) == 60.0


def test_delay_is_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(base=0.5, factor=2.0, max_backoff=30.0, rng=random.Random(1))
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (8, 30.0), (20, 30.0)]:
        delays = [policy.delay(attempt, None) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8


def user(status: str, cid: int = 1) -> UserDeletion:
    return UserDeletion(cid, ("email:a@example.com",), Status(status), status)


@pytest.mark.parametrize(
    ("statuses", "on_submit", "state"),
    [
        ((), False, "complete"),
        (("queued",), False, "pending"),
        (("queued",), True, "complete"),
        (("in_progress", "completed"), False, "pending"),
        (("completed", "completed"), False, "complete"),
        (("completed", "rejected"), False, "failed"),
        (("in_progress", "rejected"), False, "pending"),
        (("rejected",), True, "failed"),
        (("queued", "rejected"), True, "failed"),
        (("queued", "rejected"), False, "pending"),
    ],
)
def test_ticket_state(statuses: tuple[str, ...], on_submit: bool, state: str) -> None:
    users = tuple(user(s, i + 1) for i, s in enumerate(statuses))
    ticket = Ticket("crowdtwist", "2026-11-27T10:00:00Z", users, ())
    assert ticket.state(on_submit, verify=False) == state
    # with verification, completed users count only once proved gone
    proved = tuple(attrs.evolve(u, proof=Proof(True, "2026-11-27T11:00:00Z", ())) for u in users)
    assert attrs.evolve(ticket, users=proved).state(on_submit) == state
    if state == "complete" and not on_submit and users:
        assert ticket.state(on_submit) == "pending"
        assert ticket.verification(on_submit, verify=True) == "failed"


@pytest.mark.parametrize(
    ("statuses", "on_submit", "verify", "verification"),
    [
        ((), False, True, "not_applicable"),
        (("queued",), True, True, "not_applicable"),
        (("completed", "rejected"), False, True, "not_applicable"),
        (("queued",), False, False, "off"),
        (("queued", "completed"), False, True, "pending"),
    ],
)
def test_ticket_verification(
    statuses: tuple[str, ...], on_submit: bool, verify: bool, verification: str
) -> None:
    users = tuple(user(s, i + 1) for i, s in enumerate(statuses))
    ticket = Ticket("crowdtwist", "2026-11-27T10:00:00Z", users, ())
    assert ticket.verification(on_submit, verify) == verification


def test_a_proved_ticket_round_trips() -> None:
    proof = Proof(
        False,
        "2026-11-27T11:00:00Z",
        (Check("GET /v2/users/{user_id}", "crowdtwist_id", STILL_THERE),),
        "still resolves",
    )
    reported = Reported("API", (("Deletion_completed", "2026-11-27T10:59:00.000+00:00"),))
    proved = attrs.evolve(user("completed"), proof=proof, reported=reported)
    ticket = Ticket("crowdtwist", "2026-11-27T10:00:00Z", (proved,), ())
    assert Ticket.from_json(ticket.to_json(False), "crowdtwist") == ticket


def test_status_never_goes_backwards() -> None:
    assert user("completed").advance("in_progress", "x").status == "completed"
    assert (
        user("queued").advance("in_progress", "Deletion_initiated").detail == "Deletion_initiated"
    )


def test_ticket_round_trip() -> None:
    ticket = Ticket("crowdtwist", "2026-11-27T10:00:00Z", (user("queued"),), ("user_id:X",))
    data = ticket.to_json(False)
    assert Ticket.from_json(data, "crowdtwist") == ticket


def test_a_ticket_of_an_older_version_without_profile_identifiers_is_read() -> None:
    old = ticket_for(CAROL, users=[deletion_user(CAROL, held=False)])
    assert Ticket.from_json(old, "crowdtwist").users[0].held == ()


@pytest.mark.parametrize(
    ("statuses", "verified", "kept"),
    [
        (("queued",), False, True),  # pending: the proof will need them
        (("completed",), False, True),  # pending, proof failed: checked again
        (("completed",), True, False),  # complete: the host stores none
        (("completed", "in_progress"), True, False),  # a verified user needs none
        (("rejected",), False, False),  # failed: nothing left to prove
    ],
)
def test_profile_identifiers_are_written_only_while_they_may_be_needed(
    statuses: tuple[str, ...], verified: bool, kept: bool
) -> None:
    held = (Held("email", CAROL.email),)
    proof = Proof(verified, "2026-11-27T11:00:00Z", ())
    first = UserDeletion(1, (), Status(statuses[0]), "x", proof=proof, held=held)
    others = [
        UserDeletion(2 + i, (), Status(s), "x", held=held) for i, s in enumerate(statuses[1:])
    ]
    written = Ticket("crowdtwist", SUBMITTED_AT, (first, *others), ()).to_json(False)
    assert ("profile_identifiers" in written["users"][0]) is kept
    assert all("profile_identifiers" in u for u in written["users"][1:])


def test_the_tests_tickets_are_the_plugins_own() -> None:
    """``ticket_for`` builds exactly what the plugin writes, so the tickets tests make by
    hand would notice a change in the shape."""
    carol = UserDeletion(
        CAROL.crowdtwist_id,
        (f"email:{CAROL.email}",),
        Status("queued"),
        "Queued",
        held=(
            Held("email", CAROL.email),
            Held("third_party_id", CAROL.third_party_id),
            Held("username", CAROL.username),
        ),
    )
    assert ticket_for(CAROL) == Ticket("crowdtwist", SUBMITTED_AT, (carol,), ()).to_json(False)
    assert Ticket.from_json(ticket_for(CAROL), "crowdtwist") == Ticket(
        "crowdtwist", SUBMITTED_AT, (carol,), ()
    )


GOOD: dict[str, Any] = ticket_for(CAROL)


@pytest.mark.parametrize(
    ("ticket", "message"),
    [
        ("garbage", "ticket must be a mapping"),
        ({**GOOD, "integration": "other"}, "belongs to integration 'other'"),
        ({**GOOD, "extra": 1}, "exactly the keys"),
        ({**GOOD, "state": "done"}, "ticket.state"),
        ({**GOOD, "submitted_at": "yesterday"}, "submitted_at"),
        ({**GOOD, "users": [{**GOOD["users"][0], "crowdtwist_id": "1"}]}, "positive integer"),
        ({**GOOD, "users": [{**GOOD["users"][0], "status": "gone"}]}, "status must be one of"),
        ({**GOOD, "users": [GOOD["users"][0], GOOD["users"][0]]}, "CrowdTwist id twice"),
        (
            {**GOOD, "users": [{**GOOD["users"][0], "profile_identifiers": ["user_id:X"]}]},
            "profile_identifiers must hold kind:value labels",
        ),
        (
            {**GOOD, "users": [{**GOOD["users"][0], "profile_identifiers": "email:a@b.c"}]},
            "profile_identifiers must be a list",
        ),
        (
            {**GOOD, "users": [{**GOOD["users"][0], "profile_identifiers": ["phone:"]}]},
            "profile_identifiers must hold kind:value labels",
        ),
        ({**GOOD, "users": [{**GOOD["users"][0], "verified": True}]}, "once verified"),
    ],
)
def test_tampered_tickets_are_refused(ticket: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Ticket.from_json(ticket, "crowdtwist")


def test_windows_reach_from_the_start_past_today_in_sub_year_ranges() -> None:
    start, today = date(2009, 1, 1), date(2026, 11, 27)
    ranges = year_windows(start, today)
    assert ranges[0][0] == start
    # Past today by a month: a service whose clock is up to 30 days ahead loses nothing,
    # whatever span its undated answer covers.
    assert ranges[-1][1] == today + CLOCK_MARGIN > today + timedelta(days=30)
    assert len(ranges) == 19  # 6,573 days in windows of 364
    for (_, end), (next_start, _) in itertools.pairwise(ranges):
        assert end == next_start
    assert all(timedelta(0) < e - s < timedelta(days=365) for s, e in ranges)


def test_a_start_within_the_last_year_still_gets_its_window() -> None:
    today = date(2026, 11, 27)
    assert year_windows(today - timedelta(days=100), today) == [
        (today - timedelta(days=100), today + CLOCK_MARGIN)
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1623193418, date(2021, 6, 8)),
        ("1623193418", date(2021, 6, 8)),
        ("2021-06-08T23:03:38Z", date(2021, 6, 8)),
        (None, None),
        ("garbage", None),
        (True, None),
    ],
)
def test_utc_day(value: Any, expected: date | None) -> None:
    assert utc_day(value) == expected
