"""What an error answer may show: CrowdTwist's listed codes and messages, nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crowdtwist_plugin import catalogue
from crowdtwist_plugin.errors import ResponseError
from crowdtwist_plugin.reply import WITHHELD_CODE, WITHHELD_MESSAGE, Reply
from crowdtwist_sandbox import hmac_auth


def reply(body: Any, status: int = 400, content_type: str = "application/json") -> Reply:
    return Reply(status, content_type, json.dumps(body).encode(), catalogue.PROFILE)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"error": "input_error", "message": "Unable to initiate deletion"},
            ("input_error", "Unable to initiate deletion"),
        ),
        (
            {"system": "pos", "reason": "invalid", "description": "Invalid id_type"},
            ("invalid", "Invalid id_type"),
        ),
        (
            {"error": "param_error", "message": "bad request /v2/users/alice%40example.com"},
            ("param_error", WITHHELD_MESSAGE),
        ),
        # A plain lowercase word may be a username: only listed codes are shown.
        (
            {"error": "carolc", "message": "User does not exist."},
            (WITHHELD_CODE, "User does not exist."),
        ),
        (
            {
                "system": "pos",
                "reason": "user_not_found",
                "description": "User with id [A4364BX] can not be found.",
            },
            ("user_not_found", WITHHELD_MESSAGE),
        ),
        (
            {"error": {"id": "A4364BX"}, "message": ["alice@example.com"]},
            (WITHHELD_CODE, WITHHELD_MESSAGE),
        ),
        ({"error": 464565755, "message": 464565755}, (WITHHELD_CODE, WITHHELD_MESSAGE)),
        # Near misses of listed words are not listed words.
        (
            {"error": "Forbidden", "message": "Invalid API key alice"},
            (WITHHELD_CODE, WITHHELD_MESSAGE),
        ),
        ({"message": ""}, ("", "")),
        (["User does not exist."], ("", "")),
    ],
)
def test_error_fields_show_only_listed_words(body: Any, fields: tuple[str, str]) -> None:
    assert reply(body).error_fields() == fields


def test_expect_ok_names_listed_words_and_withholds_the_rest() -> None:
    listed = reply({"error": "forbidden", "message": "Invalid API key"}, status=409)
    with pytest.raises(ResponseError) as caught:
        listed.expect_ok()
    assert caught.value.reason == "unexpected HTTP 409: forbidden Invalid API key"
    echoed = reply({"error": "B7781QK", "message": "no user B7781QK"}, status=409)
    with pytest.raises(ResponseError) as caught:
        echoed.expect_ok()
    assert caught.value.reason == f"unexpected HTTP 409: {WITHHELD_CODE} {WITHHELD_MESSAGE}"


def test_only_a_listed_page_not_found_is_the_users_absence() -> None:
    assert reply({"error": "page_not_found"}, status=404).user_not_found
    assert not reply({"error": "page_not_found "}, status=404).user_not_found
    assert not reply({"error": "page_not_found"}, status=400).user_not_found


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("application/json", "JSON"),
        ("application/problem+json", "JSON"),
        ("text/html", "text/html"),
        ("", "no content type"),
        ("text/alice@example.com", "an unlisted content type"),
        ("application/b7781qk", "an unlisted content type"),
    ],
)
def test_an_error_names_only_a_listed_content_type(content_type: str, kind: str) -> None:
    answer = Reply(200, content_type, b"<html/>", catalogue.PROFILE)
    assert answer.content_kind == kind
    if kind != "JSON":
        with pytest.raises(ResponseError, match=f"got {kind} "):
            answer.json()


@pytest.mark.parametrize(
    "message",
    [
        hmac_auth.HMAC_REQUIRED,
        hmac_auth.AUTHORIZATION_MISSING,
        hmac_auth.AUTHORIZATION_MALFORMED,
        hmac_auth.TIMESTAMP_MISSING,
        hmac_auth.TIMESTAMP_MALFORMED,
        hmac_auth.UNKNOWN_PUBLIC_KEY,
        hmac_auth.STALE_TIMESTAMP,
        hmac_auth.SIGNATURE_MISMATCH,
        hmac_auth.NOT_JSON,
    ],
)
def test_the_sandbox_fixed_refusals_are_listed(message: str) -> None:
    """The sandbox's own fixed refusals reach the operator (its answers that repeat the
    request, such as POS's "User with id [...] can not be found.", do not)."""
    assert reply({"error": "forbidden", "message": message}).error_fields()[1] == message
