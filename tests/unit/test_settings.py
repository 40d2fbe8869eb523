"""Connection settings and identifiers: precise errors, no secret echoed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from crowdtwist_plugin.errors import ConfigurationError
from crowdtwist_plugin.identifiers import parse_identifiers
from crowdtwist_plugin.settings import ConnectionSettings

KEY = "canary+key/with=odd&chars%"
BASE = {"api_key": KEY, "api_subdomain": "sb-api306", "pos_subdomain": "sb-pos306"}


def settings(**changes: Any) -> ConnectionSettings:
    return ConnectionSettings.from_mapping({**BASE, **changes})


def test_defaults_and_hosts() -> None:
    s = settings()
    assert s.api_origin == "https://sb-api306.crowdtwist.com"
    assert s.pos_origin == "https://sb-pos306.crowdtwist.com"
    assert (s.user_id_type, s.rate_limit_per_minute, s.target_utilization) == (
        "third_party_id",
        10_000.0,
        0.75,
    )
    assert s.requests_per_second == pytest.approx(125.0)
    assert KEY not in repr(s)


@pytest.mark.parametrize("value", ["2015-06-01", date(2015, 6, 1)])  # TOML gives a date
def test_redemptions_since(value: Any) -> None:
    assert settings().redemptions_since == date(2009, 1, 1)
    assert settings(redemptions_since=value).redemptions_since == date(2015, 6, 1)


def test_loopback_override() -> None:
    s = settings(api_base_url="http://127.0.0.1:8765", pos_base_url="http://localhost:8766/")
    assert (s.api_origin, s.pos_origin) == ("http://127.0.0.1:8765", "http://localhost:8766")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"api_subdomain": "evil.com/#"}, "api_subdomain must match [a-z0-9-]+, got 'evil.com/#'"),
        ({"api_subdomain": "api1.evil.com"}, "api_subdomain must match [a-z0-9-]+"),
        ({"pos_subdomain": "POS1"}, "pos_subdomain must match"),
        ({"api_base_url": "http://10.0.0.5:80"}, "http:// only for a loopback address"),
        ({"api_base_url": "http://127.0.0.1.evil.com"}, "http:// only for a loopback address"),
        ({"api_base_url": "https://x.example/v2"}, "must be a bare origin"),
        ({"api_base_url": "https://u:p@x.example"}, "must be a bare origin"),
        ({"api_base_url": "ftp://x.example"}, "must be an http(s) origin"),
        ({"target_utilization": 0}, "target_utilization must lie in (0, 1], got 0"),
        ({"target_utilization": 1.5}, "target_utilization must lie in (0, 1]"),
        ({"rate_limit_per_minute": -5}, "rate_limit_per_minute must be greater than 0"),
        ({"rate_limit_per_minute": True}, "rate_limit_per_minute must be a finite number"),
        ({"user_id_type": "email"}, "user_id_type must be one of third_party_id, id, username"),
        ({"deletion_complete_on_submit": "yes"}, "must be true or false"),
        ({"surprise": 1}, "unknown connection setting(s): surprise"),
        ({"api_key": ""}, "api_key is required"),
        ({"api_key": "bad key\n"}, "api_key must be printable ASCII"),
        ({"api_key": "clé-secrète"}, "api_key must be printable ASCII"),
        ({"redemptions_since": "2015"}, "redemptions_since must be a date YYYY-MM-DD, got '2015'"),
        ({"redemptions_since": "2015-02-30"}, "redemptions_since must be a date YYYY-MM-DD"),
        ({"redemptions_since": datetime(2015, 1, 1)}, "redemptions_since must be a date"),
        ({"redemptions_since": 2015}, "redemptions_since must be a date"),
        ({"redemptions_since": "2999-01-01"}, "redemptions_since must not be in the future"),
        ({"redemptions_since": "2021-W01-1"}, "redemptions_since must be a date YYYY-MM-DD"),
        ({"redemptions_since": "1980-01-01"}, "year windows (at most 40)"),
    ],
)
def test_bad_settings_are_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        settings(**changes)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert info.value.retryable is False
    assert KEY not in str(info.value)
    if changes.get("api_key"):
        assert changes["api_key"] not in str(info.value)


def test_missing_subdomain() -> None:
    with pytest.raises(ConfigurationError, match=r"pos_subdomain is required \(or pos_base_url\)"):
        ConnectionSettings.from_mapping({"api_key": KEY, "api_subdomain": "api1"})


def test_identifiers_collapse_case_insensitive_email_duplicates() -> None:
    parsed = parse_identifiers(
        {"email": ["Ann@Example.com", "ann@example.com"], "user_id": ["A1", "A1"]},
        "third_party_id",
    )
    assert [i.label for i in parsed] == ["email:Ann@Example.com", "user_id:A1"]


@pytest.mark.parametrize(
    ("identifiers", "message"),
    [
        ({}, "at least one identifier"),
        ({"email": [], "user_id": []}, "at least one identifier"),
        ({"fax": ["1"]}, "unsupported identifier category 'fax'"),
        ({"phone": ["2098090783"]}, "identifiers.phone[0] has no country code"),
        ({"phone": ["+1 209"]}, "identifiers.phone[0] is not a valid phone number"),
        ({"email": "a@b.co"}, "identifiers.email must be a list of strings"),
        ({"email": [""]}, "identifiers.email[0] is empty"),
        ({"email": ["   "]}, "identifiers.email[0] is empty"),
        ({"email": ["not-an-email"]}, "identifiers.email[0] is not an email address"),
        ({"email": ["a@b.co\r\nX: y"]}, "control characters"),
        ({"user_id": ["A1", 7]}, "identifiers.user_id[1] must be a string"),
        ({"user_id": ["x" * 10_000]}, "is 10000 characters long"),
        ({"user_id": ["a%00b"]}, None),
    ],
)
def test_bad_identifiers_are_named(identifiers: dict[str, Any], message: str | None) -> None:
    if message is None:  # odd but harmless characters are encoded, not refused
        assert parse_identifiers(identifiers, "third_party_id")
        return
    with pytest.raises(ConfigurationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_identifiers(identifiers, "third_party_id")


def test_numeric_user_ids_when_type_is_id() -> None:
    with pytest.raises(ConfigurationError, match="must be a numeric CrowdTwist id"):
        parse_identifiers({"user_id": ["../1"]}, "id")
    assert parse_identifiers({"user_id": ["464565755"]}, "id")[0].value == "464565755"
