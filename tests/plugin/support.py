"""Helpers specific to the plugin tests: cassette key scrubbing and fixed jitter.

The host, fake sleeps and leak scanners are shared with the reliability suite
(``tests/support.py``).
"""

from __future__ import annotations

import random

from host_stub.sandbox import SandboxConfig
from tests.support import (
    ALICE,
    CATEGORIES,
    FAST_RATE,
    HEADER_KEY,
    QUERY_KEY,
    Host,
    RetryLog,
    connection_for,
    exception_texts,
    key_forms,
    leaks_in,
    record_ids,
)

__all__ = [
    "ALICE",
    "CATEGORIES",
    "FAST_RATE",
    "Host",
    "RetryLog",
    "connection_for",
    "exception_texts",
]

DEFAULT_KEY = SandboxConfig().api_key
CANARY_KEY = "a+b/c=d&e%"
REDACTED = "***"


class CeilingRandom(random.Random):
    """Full jitter without the jitter: ``uniform(a, b)`` is always ``b``."""

    def uniform(self, a: float, b: float) -> float:
        return b


def scrub_text(text: str, key: str) -> str:
    for variant in sorted(key_forms(key), key=len, reverse=True):
        text = text.replace(variant, REDACTED)
    text = QUERY_KEY.sub(r"\g<1>" + REDACTED, text)
    return HEADER_KEY.sub(r"\g<1>" + REDACTED, text)


def key_leaks(text: str, key: str) -> list[str]:
    """Every way ``text`` reveals ``key`` or any api_key / CTApiKey value."""
    return leaks_in(text, [key])


def ids(records: list[object]) -> list[str]:
    """A stable identity per record, for duplicate checks."""
    return record_ids(list(records))
