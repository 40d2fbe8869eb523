"""Fault injection: what can go wrong, where, and how many more times."""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterator
from typing import Any

import attrs


class FaultKind(enum.StrEnum):
    LATENCY = "latency"  # wait ``seconds``, then answer normally
    STATUS = "status"  # answer ``status`` with the origin's JSON envelope or an empty body
    ECHO = "echo"  # answer ``status`` with an error that repeats the request (path, query, body)
    RATE_LIMIT = "rate_limit"  # 429 with ``retry_after`` as the raw Retry-After value
    MALFORMED_JSON = "malformed_json"  # 200, application/json, the real body cut in half
    HTML = "html"  # 200 with an HTML page
    EMPTY = "empty"  # 200, application/json, no body
    WRONG_CONTENT_TYPE = "wrong_content_type"  # the real answer served as text/plain
    DROP_CONNECTION = "drop_connection"  # close the connection without an answer
    LOOP_NEXT_PAGE = "loop_next_page"  # next_page points at the page just served
    FOREIGN_NEXT_PAGE = "foreign_next_page"  # next_page points at another host
    DUPLICATE_ITEMS = "duplicate_items"  # pages after the first repeat the previous last item


PAGING_KINDS = frozenset(
    {FaultKind.LOOP_NEXT_PAGE, FaultKind.FOREIGN_NEXT_PAGE, FaultKind.DUPLICATE_ITEMS}
)


def _valid_regex(_: Fault, __: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None:
        re.compile(value)


def _valid_times(_: Fault, __: Any, value: int | None) -> None:
    if value is not None and value < 1:
        raise ValueError("times must be at least 1 (or None for unlimited)")


def _upper(value: str | None) -> str | None:
    return None if value is None else value.upper()


@attrs.frozen
class Fault:
    """One fault rule. ``None`` in a matcher field matches anything; ``times=None`` is unlimited."""

    kind: FaultKind = attrs.field(converter=FaultKind)
    endpoint: str | None = None
    method: str | None = attrs.field(default=None, converter=_upper)
    path_regex: str | None = attrs.field(default=None, validator=_valid_regex)
    origin: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.in_(("api", "pos")))
    )
    times: int | None = attrs.field(default=1, validator=_valid_times)
    status: int = attrs.field(
        default=503, validator=[attrs.validators.ge(100), attrs.validators.le(599)]
    )
    body: str = attrs.field(default="json", validator=attrs.validators.in_(("json", "empty")))
    # The error code of a JSON ``status`` answer; None: the usual code for that status
    # (for ``echo``, the request path's last segment, decoded).
    code: str | None = None
    retry_after: str | None = None
    seconds: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))

    def matches(self, origin: str, method: str, endpoint: str, path: str) -> bool:
        return (
            (self.origin is None or self.origin == origin)
            and (self.method is None or self.method == method)
            and (self.endpoint is None or self.endpoint == endpoint)
            and (self.path_regex is None or re.search(self.path_regex, path) is not None)
        )

    @classmethod
    def from_json(cls, spec: Any) -> Fault:
        if not isinstance(spec, dict):
            raise TypeError("a fault is a JSON object")
        return cls(**spec)


@attrs.define
class _Armed:
    id: int
    fault: Fault
    remaining: int | None


@attrs.define
class FaultSet:
    """Armed faults in the order they were added; the first match serves a request."""

    _armed: list[_Armed] = attrs.field(factory=list)
    _ids: Iterator[int] = attrs.field(factory=lambda: itertools.count(1))

    def add(self, fault: Fault) -> int:
        fault_id = next(self._ids)
        self._armed.append(_Armed(fault_id, fault, fault.times))
        return fault_id

    def clear(self) -> None:
        self._armed.clear()

    def take(self, origin: str, method: str, endpoint: str, path: str, paged: bool) -> Fault | None:
        """The fault for this request, if any, counting it as used once.

        Paging faults are only taken by paged endpoints, so they are not used up elsewhere.
        """
        for armed in self._armed:
            if armed.fault.kind in PAGING_KINDS and not paged:
                continue
            if armed.fault.matches(origin, method, endpoint, path):
                if armed.remaining is not None:
                    armed.remaining -= 1
                    if armed.remaining == 0:
                        self._armed.remove(armed)
                return armed.fault
        return None

    def snapshot(self) -> list[dict[str, Any]]:
        return [
            {"id": a.id, "remaining": a.remaining, **attrs.asdict(a.fault)} for a in self._armed
        ]
