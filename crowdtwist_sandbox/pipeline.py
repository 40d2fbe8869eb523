"""The path of a CrowdTwist request: limiter, latency, faults, routing, auth, handler, log."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, unquote_plus

from aiohttp import web
from aiohttp.typedefs import Middleware

from .api_errors import ApiError, Origin, forbidden, html_response
from .faults import PAGING_KINDS, Fault, FaultKind
from .hmac_auth import claimed_public_key, verify
from .sandbox_config import SandboxConfig
from .state import PAGING_FAULT, SandboxState, state_of

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ADMIN_PREFIX = "/_sandbox/"
AUTH_HEADER = "X-CT-Authorization"
AUTH_SCHEME = "CTApiKey "
UNKNOWN_ROUTE = "unknown_route"
PAGED_ENDPOINTS = frozenset({"receipts", "purchases", "redemption_history", "badges"})
COOKIE_NAMES = ("prod_prod_ss_ctjr_2_68", "prod_prod_ctjr_2_68")
COOKIE_MAX_AGE = 31_536_000


def endpoint_of(request: web.Request) -> str:
    info = request.match_info
    if info.http_exception is not None:
        return UNKNOWN_ROUTE
    return getattr(info.route.handler, "__name__", UNKNOWN_ROUTE)


def _header_keys(request: web.Request) -> list[str]:
    # A header in another scheme (e.g. HMAC's CTApiV2Auth) counts as a wrong key.
    return [
        value[len(AUTH_SCHEME) :] if value.startswith(AUTH_SCHEME) else ""
        for value in request.headers.getall(AUTH_HEADER, [])
    ]


def presented_key(request: web.Request) -> str:
    """The key this request claims to use: the limiter's bucket identity."""
    keys = _header_keys(request) + request.query.getall("api_key", [])
    return keys[0] if keys else ""


def bucket_key(request: web.Request, config: SandboxConfig) -> str:
    """The limiter's bucket: in HMAC mode a request naming the client's public key draws
    from the client's bucket, the one its API key draws from (on both origins)."""
    public = claimed_public_key(request) if config.hmac_enabled else None
    if public is not None and public == config.hmac_public_key:
        return config.api_key
    return presented_key(request)


async def authenticate(request: web.Request, origin: Origin, config: SandboxConfig) -> None:
    """Raise the 403 (or, for HMAC, the 400 of a non-JSON body) that refuses the request.

    In HMAC mode the main origin accepts signed requests only; POS keeps the API key.
    """
    if config.hmac_enabled and origin == "api":
        await verify(request, config)
    elif not authorized(request, origin, config.api_key):
        raise forbidden()


def authorized(request: web.Request, origin: Origin, api_key: str) -> bool:
    """Main origin: ``api_key`` query and/or the header, every copy right. POS: header only."""
    headers = _header_keys(request)
    queries = request.query.getall("api_key", [])
    if origin == "pos" and queries:
        return False
    keys = headers + queries
    return bool(keys) and all(hmac.compare_digest(k.encode(), api_key.encode()) for k in keys)


def too_many_requests(retry_after: str | None) -> web.Response:
    """The limiter's answer, the same on both origins (it sits in front of both)."""
    response = ApiError.for_status(429).response("api")
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response


async def _fault_before(fault: Fault, request: web.Request, origin: Origin) -> web.Response | None:
    """Answer in place of CrowdTwist, or ``None`` to let the request go on."""
    kind = fault.kind
    if kind is FaultKind.LATENCY:
        await asyncio.sleep(fault.seconds)
        return None
    if kind is FaultKind.STATUS:
        if fault.body == "json":
            error = ApiError.for_status(fault.status)
            if fault.code is not None:
                error = ApiError(fault.status, fault.code, error.message)
            return error.response(origin)
        return web.Response(status=fault.status)
    if kind is FaultKind.ECHO:
        return await _echo(fault, request, origin)
    if kind is FaultKind.RATE_LIMIT:
        return too_many_requests(fault.retry_after)
    if kind is FaultKind.HTML:
        return html_response(200, "Service Temporarily Unavailable")
    if kind is FaultKind.EMPTY:
        return web.Response(status=200, body=b"", content_type="application/json")
    if kind is FaultKind.DROP_CONNECTION:
        if request.transport is not None:
            request.transport.close()
        # aiohttp treats this like a client that went away: no answer is written.
        raise asyncio.CancelledError
    return None


async def _echo(fault: Fault, request: web.Request, origin: Origin) -> web.Response:
    """An error answer that repeats the request, as some servers' error pages do: the path
    and query raw and decoded (in the code, message, description and reason phrase) and
    the body."""
    raw = request.rel_url.raw_path_qs
    body = (await request.read()).decode("utf-8", "replace")
    said = f"bad request {request.method} {raw} ({unquote(raw)}; {unquote_plus(raw)}) body {body}"
    code = fault.code
    if code is None:
        code = request.path.rstrip("/").rsplit("/", 1)[-1]
    response = ApiError(fault.status, code, said).response(origin)
    response.set_status(fault.status, f"Bad request {raw}")
    return response


def _fault_after(fault: Fault, response: web.Response) -> web.Response:
    body = response.body if isinstance(response.body, bytes) else b""
    if fault.kind is FaultKind.MALFORMED_JSON:
        cut = body[: max(1, len(body) // 2)]
        return web.Response(status=200, body=cut, content_type="application/json")
    if fault.kind is FaultKind.WRONG_CONTENT_TYPE:
        return web.Response(status=response.status, body=body, content_type="text/plain")
    return response


async def _serve(
    state: SandboxState,
    origin: Origin,
    endpoint: str,
    request: web.Request,
    handler: Handler,
    arrived: float,
) -> web.StreamResponse:
    if not state.limiter.admit(bucket_key(request, state.config), arrived):
        await asyncio.sleep(state.config.latency_seconds)
        return too_many_requests(state.limiter.retry_after)
    await asyncio.sleep(state.config.latency_seconds)
    path = request.rel_url.raw_path
    fault = state.faults.take(origin, request.method, endpoint, path, endpoint in PAGED_ENDPOINTS)
    if fault is not None:
        early = await _fault_before(fault, request, origin)
        if early is not None:
            return early
    not_routed = request.match_info.http_exception
    if not_routed is not None:
        return html_response(not_routed.status, not_routed.reason)
    try:
        await authenticate(request, origin, state.config)
    except ApiError as err:
        return err.response(origin)
    if fault is not None and fault.kind in PAGING_KINDS:
        request[PAGING_FAULT] = fault.kind
    try:
        response = await handler(request)
    except ApiError as err:
        response = err.response(origin)
    if fault is not None and isinstance(response, web.Response):
        response = _fault_after(fault, response)
    return response


def _as_served(state: SandboxState, request: web.Request, response: web.StreamResponse) -> None:
    """The real service's headers: Apache, its session cookies, gzip when accepted."""
    response.headers["Server"] = "Apache"
    config = state.config
    # The service's clock, so a client can see how far off its own is (in HMAC mode the
    # one timestamps are checked against, unless ``today`` moves it).
    response.headers["Date"] = email.utils.formatdate(state.service_clock(), usegmt=True)
    value = hashlib.sha256(f"{config.seed}:{len(state.log)}".encode()).hexdigest()
    for name in COOKIE_NAMES:
        if config.cookie_domain is None:
            response.set_cookie(name, value, max_age=COOKIE_MAX_AGE, path="/")
        else:
            # The first cookie is the SameSite=None twin, as in the real answers.
            response.set_cookie(
                name,
                value,
                max_age=COOKIE_MAX_AGE,
                path="/",
                domain=config.cookie_domain,
                secure=True,
                samesite="None" if name == COOKIE_NAMES[0] else None,
            )
    accepts_gzip = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    compressible = isinstance(response, web.Response) and bool(response.body)
    if config.compress_responses and accepts_gzip and compressible:
        response.enable_compression(web.ContentCoding.gzip)


def crowdtwist_middleware(origin: Origin) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        state = state_of(request)
        arrived = state.clock()
        endpoint = endpoint_of(request)
        status = 0
        try:
            response = await _serve(state, origin, endpoint, request, handler, arrived)
            _as_served(state, request, response)
            status = response.status
            return response
        finally:
            state.record(origin, request, endpoint, status, arrived)

    return middleware
