"""validate_credentials replayed from cassettes."""

from __future__ import annotations

from typing import Any

import pytest
from vcr.cassette import Cassette

from tests.helpers.host import Host

pytestmark = pytest.mark.vcr


async def test_credentials_ok(host: Host, ct_connection: dict[str, Any], vcr: Cassette) -> None:
    check = await host.validate(ct_connection)
    assert check == {
        "ok": True,
        "checks": [
            {"name": "main_api", "ok": True, "detail": "reachable, key accepted (HTTP 200)"},
            {"name": "pos_api", "ok": True, "detail": "reachable, key accepted (HTTP 400)"},
        ],
    }
    assert sorted(r.path for r in vcr.requests) == ["/users/0/purchases", "/v2/activities"]


async def test_credentials_bad_key(host: Host, ct_connection: dict[str, Any]) -> None:
    check = await host.validate({**ct_connection, "api_key": "wrong-key"})
    assert check["ok"] is False
    assert [c["name"] for c in check["checks"]] == ["main_api", "pos_api"]
    for item in check["checks"]:
        assert item["ok"] is False
        # CrowdTwist's own words follow; with both hosts refusing, nothing says "HMAC".
        assert (
            item["detail"]
            == "CrowdTwist rejected the API key (HTTP 403): forbidden Invalid API key"
        )
