"""The admin interface under ``/_sandbox/`` (both origins, loopback callers only).

Admin calls are neither logged as CrowdTwist calls nor rate limited.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .faults import Fault
from .state import state_of

AdminHandler = Callable[[web.Request], Awaitable[web.Response]]


def _loopback_only(handler: AdminHandler) -> AdminHandler:
    async def guarded(request: web.Request) -> web.Response:
        remote = request.remote or ""
        try:
            loopback = ipaddress.ip_address(remote).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            return web.json_response({"error": "forbidden", "message": "loopback only"}, status=403)
        try:
            return await handler(request)
        except (TypeError, ValueError) as err:
            return web.json_response({"error": "bad_request", "message": str(err)}, status=400)

    return guarded


async def _json_body(request: web.Request) -> Any:
    if not await request.read():
        return None
    return await request.json()


async def get_log(request: web.Request) -> web.Response:
    return web.json_response({"requests": [r.to_json() for r in state_of(request).log]})


async def get_counters(request: web.Request) -> web.Response:
    return web.json_response(state_of(request).counters.to_json())


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response({"faults": state_of(request).faults.snapshot()})


async def add_faults(request: web.Request) -> web.Response:
    """Body: one fault object or a list of them (see ``Fault`` for the fields)."""
    body = await _json_body(request)
    specs = body if isinstance(body, list) else [body]
    faults = [Fault.from_json(spec) for spec in specs]
    state = state_of(request)
    ids = [state.faults.add(fault) for fault in faults]
    return web.json_response({"ids": ids, "faults": state.faults.snapshot()}, status=201)


async def clear_faults(request: web.Request) -> web.Response:
    state_of(request).faults.clear()
    return web.json_response({"faults": []})


async def set_rate_limit(request: web.Request) -> web.Response:
    """Body: ``{"rate_per_second": float|null, "capacity": int?, "retry_after": str|null?}``."""
    body = await _json_body(request)
    if not isinstance(body, dict) or "rate_per_second" not in body:
        raise ValueError("rate_per_second is required (null switches the limiter off)")
    limiter = state_of(request).limiter
    limiter.update(
        body["rate_per_second"],
        body.get("capacity"),
        body.get("retry_after", limiter.retry_after),
    )
    return web.json_response(limiter.to_json())


async def reset(request: web.Request) -> web.Response:
    state_of(request).reset()
    return web.json_response({"log": 0, "counters": {}})


def add_admin_routes(app: web.Application) -> None:
    prefix = "/_sandbox"
    for method, path, handler in (
        ("GET", "/log", get_log),
        ("GET", "/counters", get_counters),
        ("GET", "/faults", get_faults),
        ("POST", "/faults", add_faults),
        ("DELETE", "/faults", clear_faults),
        ("POST", "/rate_limit", set_rate_limit),
        ("POST", "/reset", reset),
    ):
        app.router.add_route(method, prefix + path, _loopback_only(handler))
