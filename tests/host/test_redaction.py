"""The host redacts the key in every form it can take on the wire or in an echo (issue 11,
item 6). The expected forms are derived here independently of host_stub.redaction."""

from __future__ import annotations

import pytest

from host_stub.redaction import Redactor, secret_forms
from tests.host.key_echoes import CANARY_KEYS, echoes


def test_the_wire_form_from_the_issue() -> None:
    assert "Can4ry%2B/%3D%26%25%23?:!*$,%3B~KEY" in secret_forms("Can4ry+/=&%#?:!*$,;~KEY")


@pytest.mark.parametrize("key", [*CANARY_KEYS, "plain-key-0123456789"])
def test_every_echoed_form_is_masked(key: str) -> None:
    redactor = Redactor.of([key])
    for form in echoes(key):
        text = f"GET /v2/users?api_key={form}&x=1 failed: {form!r} <{form}>"
        masked = redactor.text(text)
        assert form not in masked, form
        assert "***" in masked


def test_a_long_key_cut_short_is_still_masked() -> None:
    key = "Q" * 5 + "0123456789abcdefghijklmnopqrstuvwxyz" * 3
    masked = Redactor.of([key]).text(f"detail: {key[:40]}...")
    assert key[:20] not in masked
    assert masked == "detail: ***..."


def test_json_values_and_keys_are_masked_and_the_shape_kept() -> None:
    key = "a+b/c=d&e%"
    value = {"detail": f"echo {key}", key: ["a%2Bb%2Fc%3Dd%26e%25", 3, None, {"n": True}]}
    assert Redactor.of([key]).json(value) == {
        "detail": "echo ***",
        "***": ["***", 3, None, {"n": True}],
    }


def test_no_secret_no_change() -> None:
    assert Redactor.of([""]).text("a+b") == "a+b"


@pytest.mark.parametrize(
    "key", ["canary+key/with=odd&chars%", "Can4ry+/=&%#?:!*$,;~KEY", "a" * 20 + "&<>\"'" + "b"]
)
def test_no_part_of_a_key_with_escapable_characters_stays_visible(key: str) -> None:
    """Regression: an escaped form sharing the key's first 16 characters used to mask only
    that beginning and leave the rest of the plain key visible."""
    redactor = Redactor.of([key])
    assert redactor.text(f"x {key} y") == "x *** y"
    assert redactor.text(f"cut {key[:-3]}") == "cut ***"
