"""Helpers for the reliability suite: a pluggy host, fake waits, key-leak scanners, a proxy.

Nothing here waits for real except where a test needs real time (socket timeouts, the
overall deadline, cancellation): retry sleeps are recorded, 429 pauses are recorded.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import json
import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import attrs
import pluggy
from aiohttp import web
from yarl import URL

from tests.support import (
    ALICE,
    CAROL,
    CATEGORIES,
    FAST_RATE,
    Host,
    RetryLog,
    assert_no_duplicates,
    connection_for,
    exception_texts,
    key_forms,
    leaks_in,
    record_ids,
)

__all__ = [
    "ALICE",
    "CAROL",
    "CATEGORIES",
    "FAST_RATE",
    "Host",
    "RetryLog",
    "assert_no_duplicates",
    "connection_for",
    "exception_texts",
    "leaks_in",
    "record_ids",
]

REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes"
SECRET_NOTE = "never shown"


def without_time(ticket: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ticket.items() if k != "submitted_at"}


# --- secrets ----------------------------------------------------------------------------------


def leaks_in_bytes(data: bytes, keys: list[str]) -> list[str]:
    return leaks_in(data.decode("utf-8", "replace"), keys) + [
        f for key in keys for f in key_forms(key) if f.encode("utf-8") in data
    ]


def log_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in records:
        yield formatter.format(record)
        yield repr(record.args)
        yield repr(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            yield from exception_texts(record.exc_info[1])


# --- outcomes for the closing table -----------------------------------------------------------

OUTCOMES: collections.Counter[tuple[str, str]] = collections.Counter()


def classify(result: Any) -> str:
    if isinstance(result, BaseException):
        return "retryable error" if getattr(result, "retryable", False) else "final error"
    return "exact result"


# --- outbound requests ------------------------------------------------------------------------


@attrs.define
class Outbound:
    """Every request any aiohttp session in the test sent: (method, URL)."""

    sent: list[tuple[str, URL]] = attrs.field(factory=list)

    def origins(self) -> set[str]:
        return {str(url.origin()) for _, url in self.sent}


# --- a programmable proxy in front of the sandbox ---------------------------------------------


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
    async with aiohttp.ClientSession(auto_decompress=False) as upstream:

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


def is_task_of_plugin(task: asyncio.Task[Any]) -> bool:
    """Does this task run plugin or aiohttp-client code (not the sandbox's server side)?"""
    markers = ("crowdtwist_plugin", "aiohttp/client", "aiohttp/connector", "asyncio_throttle")
    coro = task.get_coro()
    names = [getattr(getattr(coro, "cr_code", None), "co_filename", "")]
    names += [frame.f_code.co_filename for frame in task.get_stack(limit=50)]
    return any(marker in name for name in names for marker in markers)


# --- the host CLI -----------------------------------------------------------------------------


@attrs.define
class Cli:
    """``host-stub`` with a private config, store and reports folder, and a given key."""

    root: Path
    api_base_url: str
    pos_base_url: str
    api_key: str
    pm: pluggy.PluginManager
    runs: list[tuple[list[str], int, str, str]] = attrs.field(factory=list)

    @property
    def config(self) -> Path:
        return self.root / "host-stub.toml"

    @property
    def store_path(self) -> Path:
        return self.root / "state" / "requests.db"

    @property
    def reports_dir(self) -> Path:
        return self.root / "state" / "reports"

    @property
    def environ(self) -> dict[str, str]:
        """The key and the origins: host-stub takes origin overrides only from here or the
        command line, never from the settings file."""
        return {
            "CROWDTWIST_API_KEY": self.api_key,
            "CROWDTWIST_API_BASE_URL": self.api_base_url,
            "CROWDTWIST_POS_BASE_URL": self.pos_base_url,
        }

    def write_config(self, **extra: Any) -> None:
        lines = [
            "[host]",
            f'store = "{self.store_path}"',
            f'reports_dir = "{self.reports_dir}"',
            "",
            "[integrations.crowdtwist]",
            f"rate_limit_per_minute = {FAST_RATE}",
            *(f"{k} = {json.dumps(v)}" for k, v in extra.items()),
        ]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(self, *args: str) -> tuple[int, str, str]:
        """One ``host-stub`` process in miniature: a fresh ``main`` call (a "restart")."""
        from io import StringIO

        from host_stub.cli import main

        out, err = StringIO(), StringIO()
        argv = ["--config", str(self.config), *args]
        code = main(
            argv,
            environ=self.environ,
            out=out,
            err=err,
            plugin_manager=self.pm,
        )
        self.runs.append((argv, code, out.getvalue(), err.getvalue()))
        return code, out.getvalue(), err.getvalue()

    def files(self) -> dict[Path, bytes]:
        """Everything the host wrote: the store (and SQLite side files) and the reports."""
        found = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                found[path] = path.read_bytes()
        return found


# --- leftovers after cancellation ----------------------------------------------------------


@contextlib.asynccontextmanager
async def nothing_left_behind(
    sessions: list[aiohttp.ClientSession], *, opened: bool = True
) -> AsyncIterator[None]:
    before = asyncio.all_tasks()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
        for _ in range(5):
            await asyncio.sleep(0)
        gc.collect()
    current = asyncio.current_task()
    left = [t for t in asyncio.all_tasks() - before if t is not current and is_task_of_plugin(t)]
    assert left == [], f"pending plugin tasks: {left}"
    if opened:
        assert sessions, "the plugin opened no session"
    assert all(s.closed for s in sessions), "an aiohttp session was left open"
    assert all(s.connector is None or s.connector.closed for s in sessions)
    bad = [
        w
        for w in caught
        if issubclass(w.category, ResourceWarning)
        or (issubclass(w.category, RuntimeWarning) and "never awaited" in str(w.message))
    ]
    assert bad == [], [str(w.message) for w in bad]
