"""``validate_credentials``: can this connection reach and authenticate to both hosts?

It reports, never raises: a bad mapping, a rejected key or signature, a clock CrowdTwist
refuses, HMAC required where the key is sent, or an unreachable host each become a failed
check with a precise detail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import attrs

from crowdtwist_plugin import catalogue
from crowdtwist_plugin.client import CrowdTwistClient, open_client
from crowdtwist_plugin.errors import AuthenticationError, CrowdTwistError
from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.pacing.throttle import Throttles
from crowdtwist_plugin.reply import Endpoint
from crowdtwist_plugin.settings import ConnectionSettings
from crowdtwist_plugin.stats import CallStats
from crowdtwist_plugin.tasks import gather_all

CHECKS = ("main_api", "pos_api")
# No CrowdTwist id is 0, so the purchase history of user 0 exercises the POS key only.
IMPOSSIBLE_USER = 0


async def validate_credentials(
    connection: Mapping[str, Any], options: ClientOptions, throttles: Throttles | None = None
) -> dict[str, Any]:
    try:
        settings = ConnectionSettings.from_mapping(connection)
    except CrowdTwistError as exc:
        check = {"name": "connection", "ok": False, "detail": str(exc)}
        return {"ok": False, "checks": [check], "stats": CallStats().to_json()}
    # A check should answer quickly; one retry covers a passing glitch.
    quick = attrs.evolve(options, retry=attrs.evolve(options.retry, max_tries=2, max_time=20.0))
    stats = CallStats()
    try:
        async with asyncio.timeout(options.credentials_deadline):
            checks = await _run_checks(settings, quick, throttles, stats)
    except TimeoutError:
        detail = f"no complete answer within {options.credentials_deadline:g} s"
        checks = [{"name": name, "ok": False, "detail": detail} for name in CHECKS]
    return {"ok": all(c["ok"] for c in checks), "checks": checks, "stats": stats.to_json()}


async def _run_checks(
    settings: ConnectionSettings,
    options: ClientOptions,
    throttles: Throttles | None,
    stats: CallStats,
) -> list[dict[str, Any]]:
    async with open_client(settings, options, throttles, stats) as client:
        (main, main_refused), (pos, _) = await gather_all(
            [
                _check(client, "main_api", catalogue.PROGRAM_ACTIVITIES, {}, (200,)),
                _check(
                    client,
                    "pos_api",
                    catalogue.PURCHASES.endpoint,
                    {"user_id": IMPOSSIBLE_USER},
                    (200, 400, 404),
                    {"id_type": "id"},
                ),
            ]
        )
    if main_refused and pos["ok"] and settings.hmac_keys is None:
        # The same key works on POS, which has no HMAC: the main host wants signatures.
        main["detail"] = (
            f"HMAC required: {main['detail']}, while the POS host accepts the same key, so "
            "this program requires HMAC-signed requests on the main host; set auth = "
            "'hmac' with hmac_public_key and hmac_private_key (POS keeps api_key)"
        )
    return [main, pos]


async def _check(
    client: CrowdTwistClient,
    name: str,
    endpoint: Endpoint,
    path_args: Mapping[str, str | int],
    accepted: tuple[int, ...],
    params: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any], bool]:
    """The check's result, and whether CrowdTwist refused the credentials."""
    try:
        reply = await client.request(endpoint, path_args, params=params)
    except AuthenticationError as exc:
        return {"name": name, "ok": False, "detail": exc.reason}, True
    except CrowdTwistError as exc:
        return {"name": name, "ok": False, "detail": str(exc)}, False
    if reply.status in accepted and reply.is_json:
        signed = endpoint.origin == "api" and client.settings.hmac_keys is not None
        accepted_what = "HMAC signature accepted" if signed else "key accepted"
        detail = f"reachable, {accepted_what} (HTTP {reply.status})"
        return {"name": name, "ok": True, "detail": detail}, False
    return {
        "name": name,
        "ok": False,
        "detail": f"unexpected answer from {endpoint.name}: HTTP {reply.status} "
        f"({reply.content_kind}); "
        "is the subdomain right?",
    }, False
