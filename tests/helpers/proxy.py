"""A programmable proxy on loopback in front of the sandbox: what the sandbox cannot inject."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import attrs
from aiohttp import web
from yarl import URL


@attrs.define
class Exchange:
    """One request through the proxy and the sandbox's answer to it."""

    request: web.Request
    number: int  # 1-based count of requests through this proxy
    status: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Rule = Callable[[Exchange], Awaitable[web.StreamResponse | None]]


@attrs.define
class Proxy:
    """Forwards everything to ``target``; ``rule`` may answer differently afterwards."""

    target: str
    url: str = ""
    rule: Rule | None = None
    count: int = 0


@contextlib.asynccontextmanager
async def run_proxy(target: str) -> AsyncIterator[Proxy]:
    proxy = Proxy(target)
    async with aiohttp.ClientSession() as upstream:

        async def forward(request: web.Request) -> web.StreamResponse:
            proxy.count += 1
            number = proxy.count
            body = await request.read()
            headers = {
                k: v
                for k, v in request.headers.items()
                if k.lower() in ("x-ct-authorization", "content-type", "accept")
            }
            url = URL(proxy.target + request.raw_path, encoded=True)
            async with upstream.request(
                request.method, url, headers=headers, data=body or None, allow_redirects=False
            ) as answer:
                payload = await answer.read()
                status, content_type = answer.status, answer.headers.get("Content-Type", "")
            exchange = Exchange(request, number, status, content_type, payload)
            if proxy.rule is not None:
                replaced = await proxy.rule(exchange)
                if replaced is not None:
                    return replaced
            return web.Response(status=status, body=payload, headers={"Content-Type": content_type})

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            proxy.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            yield proxy
        finally:
            await runner.cleanup()


def drop(exchange: Exchange) -> web.StreamResponse:
    """Close the client's connection without an answer (after the sandbox acted)."""
    transport = exchange.request.transport
    if transport is not None:
        transport.close()
    raise asyncio.CancelledError
