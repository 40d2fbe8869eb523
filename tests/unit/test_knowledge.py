"""This process's memory of proven readings: per connection, and only as long as the
fleet's (a program may change its configuration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crowdtwist_plugin.knowledge import FLEET_TTL, Knowledge, ProgramReadings, fingerprint
from crowdtwist_plugin.readings import UNDATED, Learned

PROVED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def test_a_reading_is_forgotten_after_the_fleet_expiry() -> None:
    now = [PROVED]
    knowledge = Knowledge(now=lambda: now[0])
    knowledge.put("c", UNDATED, Learned("everything", PROVED.isoformat(), "a date"))
    now[0] = PROVED + timedelta(seconds=FLEET_TTL - 1)
    assert knowledge.get("c", UNDATED) is not None
    assert knowledge.get("other connection", UNDATED) is None
    now[0] = PROVED + timedelta(seconds=FLEET_TTL)
    assert knowledge.get("c", UNDATED) is None


def test_the_fingerprint_depends_on_key_and_origins_and_hides_the_key() -> None:
    one = fingerprint("key-1", "https://api.example", "https://pos.example")
    assert one != fingerprint("key-2", "https://api.example", "https://pos.example")
    assert one != fingerprint("key-1", "https://api.example", "https://other.example")
    assert "key-1" not in one and len(one) == 64


async def test_a_pin_is_not_overwritten_by_evidence_but_the_call_follows_it() -> None:
    knowledge = Knowledge()
    readings = ProgramReadings({UNDATED: "last_365_days"}, "c", knowledge)
    await readings.load()
    await readings.proved(UNDATED, "everything", "undated answer held a 2020-01-01 redemption")
    assert readings.value(UNDATED) == "everything"
    assert readings.uses[UNDATED].used == "pinned"
    assert knowledge.get("c", UNDATED) is None  # the pin stays the operator's statement


async def test_answers_that_prove_both_values_are_followed_by_the_one_that_skips_nothing() -> None:
    knowledge = Knowledge()
    readings = ProgramReadings({}, "c", knowledge)
    await readings.load()
    await readings.proved(UNDATED, "everything", "undated answer held a redemption of 2020-01")
    await readings.proved(UNDATED, "last_365_days", "a year window held a redemption of 2021-02")
    assert readings.value(UNDATED) == "last_365_days"
    use = readings.uses[UNDATED].to_json()
    assert use["contradicted_by"].startswith("conflicting evidence: undated answer held")
    assert use["followed"] == "last_365_days"
    learned = knowledge.get("c", UNDATED)
    assert learned is not None and learned.value == "last_365_days"


async def test_evidence_near_the_threshold_is_followed_but_not_remembered() -> None:
    knowledge = Knowledge()
    readings = ProgramReadings({}, "c", knowledge)
    await readings.load()
    await readings.proved(UNDATED, "everything", "a date", remember=False)
    assert readings.value(UNDATED) == "everything"
    assert knowledge.get("c", UNDATED) is None
