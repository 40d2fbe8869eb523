"""The reliability suite's closing table: faults tried x outcomes (``RELIABILITY_TABLE=1``)."""

from __future__ import annotations

import collections
from typing import Any

OUTCOMES: collections.Counter[tuple[str, str]] = collections.Counter()


def classify(result: Any) -> str:
    if isinstance(result, BaseException):
        return "retryable error" if getattr(result, "retryable", False) else "final error"
    return "exact result"
