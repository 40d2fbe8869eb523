"""A hostile or broken peer on loopback: huge and bomb bodies, poisoned JSON, echoed keys,
implausible plans, trickling answers; and odd identifiers. Each case failed before."""

from __future__ import annotations

import asyncio
import gzip
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from crowdtwist_plugin.errors import (
    ConfigurationError,
    InconsistentDataError,
    ResponseError,
    TransientError,
)
from crowdtwist_plugin.identifiers import email_key, parse_identifiers
from crowdtwist_plugin.settings import ConnectionSettings
from tests.helpers.host import Host
from tests.helpers.secrets import exception_texts, key_forms

CANARY = "Can4ry+/=&%#?:!*$,;~KEY"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Peer:
    """A loopback server standing in for both CrowdTwist origins, one handler per test."""

    def __init__(self) -> None:
        self.handler: Handler = self._not_found
        self.seen: list[str] = []
        self.url = ""

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"error": "page_not_found", "message": "x"}, status=404)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(f"{request.method} {request.path}")
        return await self.handler(request)


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    served = Peer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", served.dispatch)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    served.url = f"http://127.0.0.1:{port}"
    try:
        yield served
    finally:
        await runner.cleanup()


def connection(peer: Peer, **extra: Any) -> dict[str, Any]:
    return {
        "api_key": CANARY,
        "api_base_url": peer.url,
        "pos_base_url": peer.url,
        "rate_limit_per_minute": 600_000,
        **extra,
    }


ALICE = {"email": ["alice@example.com"]}


async def test_a_body_past_the_cap_is_refused_not_buffered(host: Host, peer: Peer) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"members": [' + b" " * 64 * 1024)
        for _ in range(64):  # 4 MiB, never finished: the client must stop reading
            await response.write(b" " * 64 * 1024)
        return response

    peer.handler = huge
    host.configure(max_body_bytes=1024 * 1024)
    with pytest.raises(ResponseError, match="larger than 1048576 bytes") as caught:
        await host.access(connection(peer), ALICE)
    assert caught.value.retryable is False
    assert caught.value.endpoint is not None


async def test_the_cap_counts_decompressed_bytes(host: Host, peer: Peer) -> None:
    bomb = gzip.compress(b"[" + b" " * (8 * 1024 * 1024) + b"]")  # 8 MiB in about 8 KiB

    async def gzipped(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
        )

    peer.handler = gzipped
    host.configure(max_body_bytes=1024 * 1024)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(ResponseError, match="larger than"):
        await host.access(connection(peer), ALICE)


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": ' + b"9" * 5000 + b"}",  # past Python's int conversion limit
        b"[" * 100_000 + b"]" * 100_000,  # nesting past the recursion limit
    ],
    ids=["5000-digit-int", "deep-nesting"],
)
@pytest.mark.parametrize("status", [200, 404])
async def test_poisoned_json_is_a_response_error(
    host: Host, peer: Peer, body: bytes, status: int
) -> None:
    async def poisoned(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, status=status, content_type="application/json")

    peer.handler = poisoned
    with pytest.raises(ResponseError) as caught:
        await host.access(connection(peer), ALICE)
    assert caught.value.retryable is False


async def test_a_request_echoed_by_the_server_is_withheld(host: Host, peer: Peer) -> None:
    """Neither the key nor the identifier the server repeats; its listed code is kept."""

    async def echo(request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {"error": "param_error", "message": f"bad request {request.path_qs}"}, status=400
        )

    peer.handler = echo
    with pytest.raises(ResponseError) as caught:
        await host.access(connection(peer), ALICE)
    forms = key_forms(CANARY) | {"alice@example.com", "alice%40example.com"}
    for text in exception_texts(caught.value):
        assert not [f for f in forms if f in text.lower()], text
    assert str(caught.value) == (
        "GET /v2/users/{user_id}: unexpected HTTP 400: param_error "
        "(unlisted message withheld: it may repeat the request)"
    )


async def test_html_404_on_both_status_routes_is_retryable_and_sends_no_delete(
    host: Host, peer: Peer
) -> None:
    async def routes(request: web.Request) -> web.StreamResponse:
        if request.method == "GET" and request.path.startswith("/v2/users/alice"):
            return web.json_response({"id": 42, "email_address": "alice@example.com"})
        if request.method == "POST":
            return web.json_response({"members": []})
        return web.Response(status=404, text="<html>Not Found</html>", content_type="text/html")

    peer.handler = routes
    with pytest.raises(TransientError, match="deletion state is unknown") as caught:
        await host.submit(connection(peer), ALICE)
    assert caught.value.retryable is True
    assert not [s for s in peer.seen if s.startswith("DELETE")]


async def test_an_implausible_plan_is_refused(host: Host, peer: Peer) -> None:
    async def ancient(request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            return web.json_response({"members": []})
        if request.path == "/v2/users/alice@example.com":
            profile = {"id": 42, "email_address": "alice@example.com", "date_created": "0001-01-01"}
            return web.json_response(profile)
        if "activity_history" in request.path:
            return web.json_response([])
        empty = {"total": 0, "pages": 0}
        lists = {key: [] for key in ("activities", "rewards", "purchases", "receipts")}
        return web.json_response({**lists, "paging": empty})

    peer.handler = ancient
    with pytest.raises(ResponseError, match="year windows") as caught:
        await host.access(connection(peer), ALICE)
    assert caught.value.retryable is False
    assert len(peer.seen) < 20


async def test_credentials_report_within_their_deadline_against_a_trickle(
    host: Host, peer: Peer
) -> None:
    async def trickle(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b"{")
        await asyncio.sleep(3600)  # the rest never comes
        return response

    peer.handler = trickle
    host.configure(credentials_deadline=0.3)
    check = await host.validate(connection(peer))
    assert check["ok"] is False
    assert {c["detail"] for c in check["checks"]} == {"no complete answer within 0.3 s"}


@pytest.mark.parametrize("rate", [5e-324, 0.5])
async def test_a_rate_too_low_to_answer_is_reported(host: Host, peer: Peer, rate: float) -> None:
    check = await host.validate(connection(peer, rate_limit_per_minute=rate))
    assert check["ok"] is False
    assert "at least 1 request per minute" in check["checks"][0]["detail"]


def test_the_kelvin_sign_is_not_k() -> None:
    assert email_key("\u212aate@example.com") != email_key("kate@example.com")
    assert email_key("KATE@Example.COM") == email_key("kate@example.com")


def test_a_lone_surrogate_is_refused_before_any_request() -> None:
    with pytest.raises(ConfigurationError, match="unprintable"):
        parse_identifiers({"email": ["a\ud800@example.com"]}, "third_party_id")


def test_an_https_origin_outside_crowdtwist_is_named_in_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="crowdtwist_plugin")
    ConnectionSettings.from_mapping(
        {"api_key": "k", "api_base_url": "https://evil.example", "pos_subdomain": "pos1"}
    )
    assert "evil.example" in caplog.text
    caplog.clear()
    ConnectionSettings.from_mapping(
        {"api_key": "k", "api_base_url": "https://api1.crowdtwist.com", "pos_subdomain": "pos1"}
    )
    assert caplog.text == ""


async def test_records_after_a_short_legacy_page_are_an_inconsistency(
    host: Host, peer: Peer
) -> None:
    """Legacy history pages of 25, 25, 24, 25, 10: reading on past the short page finds
    records, which is an error, never 74 records passed off as the whole history."""
    sizes = [25, 25, 24, 25, 10]

    async def legacy(request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            return web.json_response({"members": []})
        if request.path == "/v2/users/alice@example.com":
            return web.json_response({"id": 42, "email_address": "alice@example.com"})
        if request.path.endswith("/activity_history"):
            number = int(request.query["page_number"])
            size = sizes[number - 1] if number <= len(sizes) else 0
            return web.json_response([{"n": number, "i": i} for i in range(size)])
        if request.path.endswith(("/activities", "/rewards")):
            return web.json_response([])
        lists = ("rewards", "purchases", "receipts", "coupons", "badges", "invitations")
        empty: dict[str, Any] = {key: [] for key in lists}
        return web.json_response({**empty, "paging": {"total": 0, "pages": 0}})

    peer.handler = legacy
    with pytest.raises(InconsistentDataError, match="after the short page 3") as caught:
        await host.access(connection(peer), ALICE)
    assert caught.value.retryable is True
