"""Helpers shared by the plugin tests: a minimal pluggy host, fake sleeps, key scrubbing."""

from __future__ import annotations

import asyncio
import random
import re
import traceback
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import pluggy
from yarl import URL

import crowdtwist_plugin.plugin
import host_stub.hookspecs
from host_stub.sandbox import DEMO_PEOPLE, Sandbox, SandboxConfig

DEFAULT_KEY = SandboxConfig().api_key
CANARY_KEY = "a+b/c=d&e%"
FAST_RATE = 600_000  # requests per minute: the throttle never waits in tests
CATEGORIES = ("activities", "activity_history", "rewards", "purchases", "receipts", "redemptions")
ALICE = DEMO_PEOPLE["alice"]
REDACTED = "***"


class Host:
    """A host in miniature: a fresh plugin manager with only the CrowdTwist plugin."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("privacy_host")
        self.pm.add_hookspecs(host_stub.hookspecs)
        self.plugin = crowdtwist_plugin.plugin
        self.pm.register(self.plugin, name="crowdtwist")

    def close(self) -> None:
        self.pm.unregister(self.plugin)

    async def validate(self, connection: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.pm.hook.validate_credentials(
            integration="crowdtwist", connection=connection
        )
        return result

    async def access(
        self, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.pm.hook.handle_access(
            integration="crowdtwist", connection=connection, identifiers=identifiers
        )
        return result

    async def submit(
        self, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.pm.hook.submit_deletion(
            integration="crowdtwist", connection=connection, identifiers=identifiers
        )
        return result

    async def check(
        self, connection: Mapping[str, Any], ticket: Mapping[str, Any]
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.pm.hook.check_deletion(
            integration="crowdtwist", connection=connection, ticket=ticket
        )
        return result


class RecordingSleep:
    """A retry sleep that records the requested delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class CeilingRandom(random.Random):
    """Full jitter without the jitter: ``uniform(a, b)`` is always ``b``."""

    def uniform(self, a: float, b: float) -> float:
        return b


def connection_for(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    return {
        "api_key": sandbox.api_key,
        "api_base_url": sandbox.api_base_url,
        "pos_base_url": sandbox.pos_base_url,
        "rate_limit_per_minute": FAST_RATE,
        **extra,
    }


def key_variants(key: str) -> set[str]:
    """The key as it could appear in text: raw, percent-encoded, form-encoded, yarl-encoded."""
    variants = {key, quote(key, safe=""), quote_plus(key, safe=""), quote(key)}
    variants.add(URL("http://x/").with_query(k=key).raw_query_string.removeprefix("k="))
    return {v for v in variants if v}


_QUERY_KEY = re.compile(r"(api_key=)(?!\*\*\*)[^&\s\"'#<>]+")
_HEADER_KEY = re.compile(r"(CTApiKey\s+)(?!\*\*\*)[^\s\"',}]+")


def scrub_text(text: str, key: str) -> str:
    for variant in sorted(key_variants(key), key=len, reverse=True):
        text = text.replace(variant, REDACTED)
    text = _QUERY_KEY.sub(r"\g<1>" + REDACTED, text)
    return _HEADER_KEY.sub(r"\g<1>" + REDACTED, text)


def key_leaks(text: str, key: str) -> list[str]:
    """Every way ``text`` reveals ``key`` or any api_key / CTApiKey value."""
    found = [v for v in key_variants(key) if v in text]
    found += [m.group(0) for m in _QUERY_KEY.finditer(text)]
    found += [m.group(0) for m in _HEADER_KEY.finditer(text)]
    return found


def exception_texts(exc: BaseException) -> Iterator[str]:
    """Every text a host could log or persist about ``exc`` and the exceptions behind it."""
    yield str(exc)
    yield repr(exc)
    yield repr(exc.args)
    yield "".join(traceback.format_exception(exc))
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            yield from exception_texts(linked)


def ids(records: list[Any]) -> list[str]:
    """A stable identity per record, for duplicate checks."""
    import json

    return [json.dumps(r, sort_keys=True) for r in records]
