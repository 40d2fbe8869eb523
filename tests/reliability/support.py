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
import re
import traceback
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
import attrs
import pluggy
from aiohttp import web
from yarl import URL

import crowdtwist_plugin.plugin
import host_stub.hookspecs
from host_stub.sandbox import DEMO_PEOPLE, Sandbox

FAST_RATE = 600_000  # requests per minute: the throttle never holds anything back
ALICE = DEMO_PEOPLE["alice"]
CAROL = DEMO_PEOPLE["carol"]
CATEGORIES = ("activities", "activity_history", "rewards", "purchases", "receipts", "redemptions")
REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes"
SECRET_NOTE = "never shown"


# --- a host in miniature ----------------------------------------------------------------------


class Host:
    """A fresh plugin manager with only the CrowdTwist plugin, as a pluggy host builds it."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("privacy_host")
        self.pm.add_hookspecs(host_stub.hookspecs)
        self.plugin = crowdtwist_plugin.plugin
        self.pm.register(self.plugin, name="crowdtwist")

    def close(self) -> None:
        self.pm.unregister(self.plugin)

    async def call(self, hook: str, **kwargs: Any) -> dict[str, Any]:
        awaitable = getattr(self.pm.hook, hook)(integration="crowdtwist", **kwargs)
        result: dict[str, Any] = await awaitable
        return result

    async def validate(self, connection: Mapping[str, Any]) -> dict[str, Any]:
        return await self.call("validate_credentials", connection=connection)

    async def access(
        self, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.call("handle_access", connection=connection, identifiers=identifiers)

    async def submit(
        self, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.call("submit_deletion", connection=connection, identifiers=identifiers)

    async def check(
        self, connection: Mapping[str, Any], ticket: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self.call("check_deletion", connection=connection, ticket=ticket)


class RecordingSleep:
    """A retry sleep that records the requested delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def connection_for(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    return {
        "api_key": sandbox.api_key,
        "api_base_url": sandbox.api_base_url,
        "pos_base_url": sandbox.pos_base_url,
        "rate_limit_per_minute": FAST_RATE,
        **extra,
    }


def record_ids(records: list[Any]) -> list[str]:
    return [json.dumps(r, sort_keys=True) for r in records]


def assert_no_duplicates(report: Mapping[str, Any]) -> None:
    ids = [s["crowdtwist_id"] for s in report["subjects"]]
    assert len(ids) == len(set(ids)), "a CrowdTwist user appears twice"
    for subject in report["subjects"]:
        for category, records in subject["data"].items():
            keys = record_ids(records)
            assert len(keys) == len(set(keys)), f"duplicated record in {category}"


def without_time(ticket: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ticket.items() if k != "submitted_at"}


# --- secrets ----------------------------------------------------------------------------------


def key_forms(key: str) -> set[str]:
    """The key as it may appear in text: raw, percent-, plus- and yarl-encoded."""
    forms = {key, quote(key, safe=""), quote_plus(key, safe=""), quote(key)}
    forms.add(URL("http://x/").with_query(k=key).raw_query_string.removeprefix("k="))
    # A very long key could be cut by a log formatter: look for a long prefix too.
    if len(key) > 40:
        forms.add(key[:32])
    return {f for f in forms if f}


_QUERY_KEY = re.compile(r"api_key=(?!\*\*\*)[^&\s\"'#<>]+")
_HEADER_KEY = re.compile(r"CTApiKey\s+(?!\*\*\*)[^\s\"',}]+")


def leaks_in(text: str, keys: list[str]) -> list[str]:
    """Every form of any key found in ``text``, plus any unredacted api_key / CTApiKey value."""
    found = [f for key in keys for f in key_forms(key) if f in text]
    found += _QUERY_KEY.findall(text) + _HEADER_KEY.findall(text)
    return found


def leaks_in_bytes(data: bytes, keys: list[str]) -> list[str]:
    return leaks_in(data.decode("utf-8", "replace"), keys) + [
        f for key in keys for f in key_forms(key) if f.encode("utf-8") in data
    ]


def exception_texts(exc: BaseException, _seen: set[int] | None = None) -> Iterator[str]:
    """Every text a host could log or persist about ``exc`` and the exceptions behind it."""
    seen = _seen if _seen is not None else set()
    if id(exc) in seen:
        return
    seen.add(id(exc))
    yield str(exc)
    yield repr(exc)
    yield repr(exc.args)
    yield from (str(a) for a in exc.args)
    yield repr(vars(exc)) if hasattr(exc, "__dict__") else ""
    yield "".join(traceback.format_exception(exc))
    yield "".join(traceback.format_exception_only(exc))
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            yield from exception_texts(linked, seen)


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

    def write_config(self, **extra: Any) -> None:
        lines = [
            "[host]",
            f'store = "{self.store_path}"',
            f'reports_dir = "{self.reports_dir}"',
            "",
            "[integrations.crowdtwist]",
            f'api_base_url = "{self.api_base_url}"',
            f'pos_base_url = "{self.pos_base_url}"',
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
            environ={"CROWDTWIST_API_KEY": self.api_key},
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
