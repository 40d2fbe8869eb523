"""Identifiers compared with what CrowdTwist holds: exact matches only, and the loose ones
named as possible matches for a person."""

from __future__ import annotations

import pytest

from crowdtwist_plugin.identifiers import (
    e164,
    parse_identifiers,
    possibly_same,
    same,
)


@pytest.mark.parametrize(
    ("stored", "exact"),
    [
        ("2098090783", True),
        ("+12098090783", True),
        ("(209) 809-0783", True),
        (2098090783, True),
        ("20980907831", False),  # one digit more: another number
        ("209809078", False),
        ("+442098090783", False),
        ("", False),
        (None, False),
    ],
)
def test_a_phone_matches_as_e164_only(stored: object, exact: bool) -> None:
    phone = parse_identifiers({"phone": ["+1 209-809-0783"]}, "third_party_id")[0]
    assert same(phone, stored) is exact
    assert not possibly_same(phone, stored)


def test_phones_written_differently_collapse_into_one_identifier() -> None:
    found = parse_identifiers(
        {"phone": ["+1 209-809-0783", "(209) 809-0783", "2098090783"]}, "third_party_id", "US"
    )
    assert [i.label for i in found] == ["phone:+12098090783"]
    assert found[0].phone_forms() == ("2098090783", "+12098090783")


def test_a_region_reads_national_numbers() -> None:
    assert e164("020 7946 0018", "GB") == "+442079460018"
    assert e164("020 7946 0018", None) is None


@pytest.mark.parametrize(
    ("asked", "stored", "exact", "possible"),
    [
        ("alice@example.com", "ALICE@example.com", True, False),
        ("\u00c9mile@example.com", "\u00e9mile@example.com", False, True),  # é: not ASCII
        ("kate@example.com", "\u212aate@example.com", False, True),  # the Kelvin sign
        ("stra\u00dfe@example.com", "STRASSE@example.com", False, True),  # full case folding
        ("bob@example.com", "bobby@example.com", False, False),
    ],
)
def test_only_ascii_case_is_exact_and_the_rest_goes_to_a_person(
    asked: str, stored: str, exact: bool, possible: bool
) -> None:
    (email,) = parse_identifiers({"email": [asked]}, "third_party_id")
    assert same(email, stored) is exact
    assert possibly_same(email, stored) is possible
