"""validate_credentials replayed from cassettes."""

from __future__ import annotations

from typing import Any

import pytest
from vcr.cassette import Cassette

from crowdtwist_sandbox import SandboxConfig
from tests.helpers.host import Host
from tests.helpers.secrets import HMAC_PRIVATE_KEY, HMAC_PUBLIC_KEY

pytestmark = pytest.mark.vcr
SIGNED = SandboxConfig(hmac_public_key=HMAC_PUBLIC_KEY, hmac_private_key=HMAC_PRIVATE_KEY)


@pytest.mark.parametrize("sandbox_config", [SIGNED], ids=["hmac"])
async def test_credentials_signed(host: Host, ct_connection: dict[str, Any], vcr: Cassette) -> None:
    """Recorded against the sandbox in HMAC mode: the main host was asked without a key."""
    connection = {
        **ct_connection,
        "auth": "hmac",
        "hmac_public_key": HMAC_PUBLIC_KEY,
        "hmac_private_key": HMAC_PRIVATE_KEY,
    }
    check = await host.validate(connection)
    assert [c["detail"] for c in check["checks"]] == [
        "reachable, HMAC signature accepted (HTTP 200)",
        "reachable, key accepted (HTTP 400)",
    ]
    main = [r for r in vcr.requests if r.path == "/v2/activities"]
    assert len(main) == 1 and "api_key" not in main[0].uri


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
