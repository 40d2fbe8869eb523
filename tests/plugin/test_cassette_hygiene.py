"""The recorded cassettes never hold the API key, and the scrubber removes every trace of it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tests.helpers.cassettes import CASSETTES, scrub_response
from tests.helpers.secrets import (
    CANARY_KEY,
    DEFAULT_KEY,
    HMAC_PRIVATE_KEY,
    key_forms,
    leaks_in,
    scrub_text,
)

CASSETTE_MODULES = ("test_cassette_access", "test_cassette_credentials", "test_cassette_deletion")
# Stricter than the leak scanners: a cassette holds no api_key value at all, not even "***".
ANY_QUERY_KEY = re.compile(r"api_key=[^&\s\"'#]")
ANY_HEADER_KEY = re.compile(r"CTApiKey\s+\S")


def cassette_files() -> list[Path]:
    return sorted(p for p in CASSETTES.rglob("*") if p.is_file())


def test_every_cassette_module_has_recordings() -> None:
    for module in CASSETTE_MODULES:
        assert list((CASSETTES / module).glob("*.yaml")), module


@pytest.mark.parametrize("path", cassette_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_cassette_holds_no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for variant in key_forms(DEFAULT_KEY) | key_forms(HMAC_PRIVATE_KEY):
        assert variant not in text
    assert not ANY_QUERY_KEY.search(text), ANY_QUERY_KEY.search(text)
    assert not ANY_HEADER_KEY.search(text), ANY_HEADER_KEY.search(text)
    assert "x-ct-authorization" not in text.lower()
    data: dict[str, Any] = yaml.safe_load(text)
    for interaction in data["interactions"]:
        request = interaction["request"]
        assert re.match(r"http://(127\.0\.0\.1|localhost):\d+/", request["uri"]), request["uri"]
        assert "api_key" not in request["uri"]
        assert not any(name.lower() == "x-ct-authorization" for name in request["headers"])


@pytest.mark.parametrize("key", [DEFAULT_KEY, CANARY_KEY])
def test_scrubber_removes_the_key_from_bodies_and_headers(key: str) -> None:
    leaked = [
        f"http://127.0.0.1:1/v2/x?page=2&api_key={variant}&id_type=id" for variant in key_forms(key)
    ]
    response: dict[str, Any] = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Link": [f"<{leaked[0]}>"], "X-Echo": f"CTApiKey {key}"},
        "body": {"string": (" ".join(leaked) + f" CTApiKey {key}").encode()},
    }
    scrubbed = scrub_response(response)
    assert scrubbed is response  # vcrpy needs the response back
    text = repr(scrubbed)
    assert not leaks_in(text, [DEFAULT_KEY])
    assert "api_key=***" in text
    assert not leaks_in(scrub_text(f"api_key={key}&CTApiKey {key}", key), [key])
