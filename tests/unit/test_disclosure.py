"""The credential rule on its own: which names, at which depth, with which paths."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crowdtwist_plugin.disclosure import is_credential, key_path, withhold, withhold_report
from tests.helpers.records import KIT_CREDENTIALS, KIT_PROFILE_FIELDS

# The real profile's other fields: personal data, kept.
KIT_PERSONAL = [f for f in KIT_PROFILE_FIELDS if f not in KIT_CREDENTIALS]


@pytest.mark.parametrize("name", KIT_CREDENTIALS)
def test_every_credential_of_the_real_profile_is_one(name: str) -> None:
    assert is_credential(name)


@pytest.mark.parametrize("name", KIT_PERSONAL)
def test_no_personal_field_of_the_real_profile_is_one(name: str) -> None:
    assert not is_credential(name)


@pytest.mark.parametrize(
    "name",
    [
        "api_key",
        "refresh_token",
        "google_id_token",
        "FacebookAccessToken",
        "twitterOAuthTokenSecret",
        "partner-api-key",
        "Partner.Password",
        "sso_secret",
        "password_salt",
        "tiktok_token_expires",
        "_access_token_",
    ],
)
def test_patterns_catch_fields_a_program_may_add(name: str) -> None:
    assert is_credential(name)


@pytest.mark.parametrize(
    "name", ["tokens", "token_count", "secret_question", "passwordless", "num_points", "salty"]
)
def test_patterns_do_not_catch_look_alikes(name: str) -> None:
    assert not is_credential(name)


def test_paths_name_lists_and_quote_odd_keys() -> None:
    withheld: list[Any] = []
    record = {"a": [{"x": 1}, {"my_token": "t"}], "odd key": {"salt": "s"}, 'q"k': {"secret": 1}}
    kept = withhold(record, "subjects[0].data", withheld)
    assert kept == {"a": [{"x": 1}, {}], "odd key": {}, 'q"k': {}}
    assert [w.path for w in withheld] == [
        "subjects[0].data.a[1].my_token",
        'subjects[0].data["odd key"].salt',
        'subjects[0].data["q\\"k"].secret',
    ]
    assert key_path("", "plain") == "plain"


@pytest.mark.parametrize("empty", [None, "", [], {}])
def test_a_credential_without_a_value_is_dropped_without_an_entry(empty: Any) -> None:
    withheld: list[Any] = []
    assert withhold({"password": empty, "name": "Al"}, "p", withheld) == {"name": "Al"}
    assert withheld == []


def test_a_credential_holding_an_object_goes_whole() -> None:
    withheld: list[Any] = []
    assert withhold({"oauth_token": {"value": "t", "scope": "x"}}, "p", withheld) == {}
    assert [w.path for w in withheld] == ["p.oauth_token"]


def test_the_report_is_copied_not_changed() -> None:
    report = {
        "integration": "crowdtwist",
        "subjects": [
            {
                "crowdtwist_id": 1,
                "matched": ["email:a@example.com"],
                "profile": {"id": 1, "password": "h", "custom_data": {"app_token": "t"}},
                "members": [{"member_id": 1, "api_key": "k"}],
                "data": {"activities": [{"id": 2, "extra": {"secret": "s"}}]},
            }
        ],
        "not_found": [],
    }
    before = copy.deepcopy(report)
    shown = withhold_report(report)
    assert report == before
    assert shown["subjects"][0]["profile"] == {"id": 1, "custom_data": {}}
    assert shown["subjects"][0]["members"] == [{"member_id": 1}]
    assert [w["path"] for w in shown["withheld"]] == [
        "subjects[0].profile.password",
        "subjects[0].profile.custom_data.app_token",
        "subjects[0].members[0].api_key",
        "subjects[0].data.activities[0].extra.secret",
    ]


names = st.sampled_from([*KIT_CREDENTIALS, *KIT_PERSONAL, "x_token", "refresh_token", "note"])
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3)
        | st.dictionaries(names, inner, min_size=1, max_size=4)
    ),
    max_leaves=20,
)


def _keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in _keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


def _strip(value: Any) -> Any:
    """The oracle: the same walk written the plain way, keeping only non-credential keys."""
    if isinstance(value, dict):
        return {
            k: _strip(v)
            for k, v in value.items()
            if k not in KIT_CREDENTIALS and k not in ("x_token", "refresh_token")
        }
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


@given(values)
def test_no_credential_survives_and_everything_else_is_kept(record: Any) -> None:
    withheld: list[Any] = []
    kept = withhold(record, "r", withheld)
    assert not any(is_credential(k) for k in _keys(kept))
    assert kept == _strip(record)
    assert all(w.reason == "security credential" for w in withheld)
    assert len(json.dumps(kept)) <= len(json.dumps(record))
