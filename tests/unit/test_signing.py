"""HMAC signing (``CTApiV2Auth``): known answers, what the signature covers, settings."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from crowdtwist_plugin import signing
from crowdtwist_plugin.errors import ConfigurationError
from crowdtwist_plugin.secret import Secret
from crowdtwist_plugin.settings import ConnectionSettings

# The sample key pair of Oracle's HMAC page (as quoted by an integration that signs for
# the real service) and the page's sample timestamp.
PUBLIC, PRIVATE = "ABCl3y7r0s5ukCXz5lCJOCrTZ427pjp5", "ABttp1b92Tb65445rmZL835f263n1q4Y"
STAMP = 1505325876486
SEARCH_BODY = b'{"email_address": "alice@example.com"}'
# Computed outside Python, with openssl and coreutils:
#   printf 'GET\n\n\n1505325876486\n/v2/activities' \
#     | openssl dgst -sha256 -hmac "$PRIVATE" -r | cut -d' ' -f1 | tr -d '\n' | base64 -w0
GET_SIGNATURE = (
    "OTA2MTk5ZDZlYjY1MzhjN2M0ODE0NmZjMWI4ZjA0MTczMGNjNGJlZGEwOGVmZWEwNTA5YWZmOTY4ODI3M2RiYw=="
)
# The same for 'POST\n<md5sum of SEARCH_BODY>\napplication/json\n1505325876486\n'
# '/v2/members?is_active=1'.
POST_SIGNATURE = (
    "MTkwMmJmYTc2ZDMyNGQ0MjBlNTgwNTdlYTBhZjU1MDA3MmQxYzQyODY4M2JjNmZmNjQ4NzJkMDJjNzQzMzEwMw=="
)
SEARCH_MD5 = "543915c7a9c4e0d5768f9a055e487a4c"


def sign(method: str, uri: str, body: bytes = b"", now: float = STAMP / 1000) -> dict[str, str]:
    return signing.signed_headers(
        method, uri, body, public_key=PUBLIC, private_key=Secret(PRIVATE), now=now
    )


def test_a_get_is_signed_over_verb_timestamp_and_uri_only() -> None:
    assert signing.string_to_sign("get", "/v2/activities", b"ignored", "text/x", "1") == (
        "GET\n\n\n1\n/v2/activities"
    )
    headers = sign("GET", "/v2/activities")
    assert headers == {
        "X-CT-Authorization": f"CTApiV2Auth {PUBLIC}:{GET_SIGNATURE}",
        "X-CT-Timestamp": str(STAMP),
    }


def test_a_post_covers_the_body_md5_and_its_json_content_type() -> None:
    message = signing.string_to_sign(
        "POST", "/v2/members?is_active=1", SEARCH_BODY, "application/json", str(STAMP)
    )
    assert message == f"POST\n{SEARCH_MD5}\napplication/json\n{STAMP}\n/v2/members?is_active=1"
    headers = sign("POST", "/v2/members?is_active=1", SEARCH_BODY)
    assert headers["X-CT-Authorization"] == f"CTApiV2Auth {PUBLIC}:{POST_SIGNATURE}"
    assert headers["Content-Type"] == "application/json"


def test_the_signature_is_base64_of_the_hex_digest() -> None:
    decoded = base64.b64decode(GET_SIGNATURE).decode("ascii")
    assert len(decoded) == 64 and set(decoded) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    ("method", "uri", "body"),
    [
        ("POST", "/v2/members?is_active=1", b'{"email_address": "mallory@example.com"}'),
        ("POST", "/v2/members?is_active=0", SEARCH_BODY),
        ("PUT", "/v2/members?is_active=1", SEARCH_BODY),
        ("POST", "/v2/members?is_active=1&api_key=x", SEARCH_BODY),
    ],
)
def test_any_change_to_what_is_signed_changes_the_signature(
    method: str, uri: str, body: bytes
) -> None:
    assert sign(method, uri, body)["X-CT-Authorization"].endswith(":" + POST_SIGNATURE) is False


def test_each_attempt_has_its_own_millisecond_timestamp() -> None:
    first, second = (
        sign("GET", "/v2/activities", now=1000.0),
        sign("GET", "/v2/activities", now=1000.001),
    )
    assert (first["X-CT-Timestamp"], second["X-CT-Timestamp"]) == ("1000000", "1000001")
    assert first["X-CT-Authorization"] != second["X-CT-Authorization"]


BASE = {"api_key": "pos-key", "api_subdomain": "api1", "pos_subdomain": "pos1"}
HMAC = {"auth": "hmac", "hmac_public_key": PUBLIC, "hmac_private_key": "canary-private-key"}


def test_hmac_settings_keep_the_private_key_secret() -> None:
    settings = ConnectionSettings.from_mapping({**BASE, **HMAC})
    assert settings.hmac_keys is not None
    public, private = settings.hmac_keys
    assert (public, private.reveal()) == (PUBLIC, "canary-private-key")
    assert "canary-private-key" not in repr(settings)
    assert settings.redact("echo canary-private-key and pos-key") == "echo *** and ***"
    assert ConnectionSettings.from_mapping(BASE).hmac_keys is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"auth": "oauth"}, "auth must be one of api_key, hmac, got 'oauth'"),
        ({"auth": "hmac", "hmac_private_key": "canary-private-key"}, "hmac_public_key is required"),
        ({**HMAC, "hmac_public_key": "pub:lic"}, "without spaces or ':'"),
        ({**HMAC, "hmac_private_key": None}, "hmac_private_key is required with auth = 'hmac'"),
        ({**HMAC, "hmac_private_key": "canary private key"}, "hmac_private_key must be printable"),
        (
            {"hmac_private_key": "canary-private-key"},
            "hmac_private_key is set but auth is 'api_key'",
        ),
        ({"hmac_public_key": PUBLIC}, "hmac_public_key is set but auth is 'api_key'"),
        ({**HMAC, "api_key": None}, "api_key is required (with auth = 'hmac' too: the POS"),
    ],
)
def test_bad_hmac_settings_are_named_without_the_key(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        ConnectionSettings.from_mapping({**BASE, **changes})
    assert message in str(info.value)
    assert "canary" not in str(info.value)
