"""Helpers shared by the plugin and reliability suites: a pluggy host in miniature, fake
waits, connections to the sandbox, duplicate checks and key-leak scanners."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import traceback
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import attrs
from yarl import URL

from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.plugin import CrowdTwistPlugin
from crowdtwist_plugin.retry import RetryPolicy
from host_stub.plugins import call_hook, make_plugin_manager
from host_stub.sandbox import DEMO_PEOPLE, Sandbox
from tests.packaging.schema_check import assert_matches_schema

FAST_RATE = 600_000  # requests per minute: the throttle never holds anything back
CATEGORIES = ("activities", "activity_history", "rewards", "purchases", "receipts", "redemptions")
ALICE = DEMO_PEOPLE["alice"]
CAROL = DEMO_PEOPLE["carol"]
# What the sandbox holds on alice, per report category (redemptions include the older ones
# that only the date windows reach).
ALICE_COUNTS = {
    "activities": ALICE.records.activities,
    "activity_history": ALICE.records.activity_history,
    "rewards": ALICE.records.rewards,
    "purchases": ALICE.records.purchases,
    "receipts": ALICE.records.receipts,
    "redemptions": ALICE.records.redemptions + ALICE.records.old_redemptions,
}


# Retry waits are backoff's real sleeps: the tests' policy keeps them to milliseconds.
TEST_RETRY = RetryPolicy(base=0.001, max_backoff=0.03, max_retry_after=0.2)


async def instant_sleep(seconds: float) -> None:
    """The throttle's sleep in tests: the budget never holds a request back for real."""
    await asyncio.sleep(0)


def test_options(**changes: Any) -> ClientOptions:
    """Options for tests: millisecond retries, a throttle that never waits, seeded jitter."""
    defaults: dict[str, Any] = {
        "retry": attrs.evolve(TEST_RETRY, rng=random.Random(20261127)),
        "sleep": instant_sleep,
    }
    return ClientOptions(**{**defaults, **changes})


class Host:
    """The host stub's plugin manager with only a CrowdTwist plugin built with ``options``."""

    def __init__(self, options: ClientOptions | None = None) -> None:
        self.pm = make_plugin_manager(load_entrypoints=False)
        self.plugin = CrowdTwistPlugin(options or test_options())
        self.pm.register(self.plugin, name="crowdtwist")

    @property
    def options(self) -> ClientOptions:
        return self.plugin.options

    def configure(self, **changes: Any) -> None:
        """Swap in a plugin with these option changes (a fresh throttle with it)."""
        self.close()
        self.plugin = CrowdTwistPlugin(attrs.evolve(self.plugin.options, **changes))
        self.pm.register(self.plugin, name="crowdtwist")

    def close(self) -> None:
        self.pm.unregister(self.plugin)

    async def call(self, hook: str, **kwargs: Any) -> dict[str, Any]:
        """The hook's output, checked against the schema the plugin ships for it."""
        result = await call_hook(self.pm, hook, integration="crowdtwist", **kwargs)
        assert_matches_schema(hook, result)
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


class RetryLog(logging.Handler):
    """What the plugin logs about waiting: each retry's wait and each 429's pause."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.delays: list[float] = []
        self.pauses: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(wait := getattr(record, "wait", None), float | int):
            self.delays.append(float(wait))
        if isinstance(pause := getattr(record, "pause", None), float | int):
            self.pauses.append(float(pause))


def connection_for(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    return {
        "api_key": sandbox.api_key,
        "api_base_url": sandbox.api_base_url,
        "pos_base_url": sandbox.pos_base_url,
        "rate_limit_per_minute": FAST_RATE,
        **extra,
    }


def record_ids(records: list[Any]) -> list[str]:
    """A stable identity per record, for duplicate checks."""
    return [json.dumps(r, sort_keys=True) for r in records]


def assert_no_duplicates(report: Mapping[str, Any]) -> None:
    ids = [s["crowdtwist_id"] for s in report["subjects"]]
    assert len(ids) == len(set(ids)), "a CrowdTwist user appears twice"
    for subject in report["subjects"]:
        for category, records in subject["data"].items():
            keys = record_ids(records)
            assert len(keys) == len(set(keys)), f"duplicated record in {category}"


# --- secrets ----------------------------------------------------------------------------------


def key_forms(key: str) -> set[str]:
    """The key as it may appear in text: raw, percent-, plus- and yarl-encoded."""
    forms = {key, quote(key, safe=""), quote_plus(key, safe=""), quote(key)}
    forms.add(URL("http://x/").with_query(k=key).raw_query_string.removeprefix("k="))
    # A very long key could be cut by a log formatter: look for a long prefix too.
    if len(key) > 40:
        forms.add(key[:32])
    return {f for f in forms if f}


QUERY_KEY = re.compile(r"(api_key=)(?!\*\*\*)[^&\s\"'#<>]+")
HEADER_KEY = re.compile(r"(CTApiKey\s+)(?!\*\*\*)[^\s\"',}]+")


def leaks_in(text: str, keys: list[str]) -> list[str]:
    """Every form of any key found in ``text``, plus any unredacted api_key / CTApiKey value."""
    found = [f for key in keys for f in key_forms(key) if f in text]
    found += [m.group(0) for pattern in (QUERY_KEY, HEADER_KEY) for m in pattern.finditer(text)]
    return found


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
