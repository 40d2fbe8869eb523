"""What both origins share while the sandbox runs: data, limiter, faults, log, counters."""

from __future__ import annotations

import datetime
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import attrs
from aiohttp import web

from .api_errors import Origin
from .faults import FaultKind, FaultSet
from .hmac_auth import AuthKind, auth_kind
from .limiter import RateLimiter
from .members import Store
from .sandbox_config import SandboxConfig
from .seed import today_anchor

REDACTED = "***"


@attrs.frozen
class LogRecord:
    """One CrowdTwist call as the sandbox saw it. Neither the API key nor the HMAC private
    key is ever kept: wherever either appears in the path or query, it is shown as ``***``.

    ``auth`` is the credential the request presented, whether or not it was accepted
    (``status`` says that): ``api_key_query`` (the URL carried a key; wins over the rest),
    ``api_key_header`` (``CTApiKey``), ``hmac`` (``CTApiV2Auth``) or ``none``.
    """

    origin: Origin
    method: str
    path: str
    raw_path: str
    query: dict[str, str]
    endpoint: str
    status: int  # 0 when the connection was dropped without an answer
    time: float  # time.monotonic() on arrival, also the limiter's admission time
    sent_cookie: bool = False  # whether the request carried a Cookie header (never its value)
    auth: AuthKind = "none"

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class Counters:
    by_endpoint: Counter[str] = attrs.field(factory=Counter)
    by_status: Counter[int] = attrs.field(factory=Counter)
    by_endpoint_status: Counter[tuple[str, int]] = attrs.field(factory=Counter)
    deletes_by_user: Counter[int] = attrs.field(factory=Counter)

    def count(self, endpoint: str, status: int) -> None:
        self.by_endpoint[endpoint] += 1
        self.by_status[status] += 1
        self.by_endpoint_status[endpoint, status] += 1

    def clear(self) -> None:
        for counter in (
            self.by_endpoint,
            self.by_status,
            self.by_endpoint_status,
            self.deletes_by_user,
        ):
            counter.clear()

    def to_json(self) -> dict[str, Any]:
        return {
            "by_endpoint": dict(self.by_endpoint),
            "by_status": {str(k): v for k, v in self.by_status.items()},
            "by_endpoint_status": {f"{e} {s}": n for (e, s), n in self.by_endpoint_status.items()},
            "deletes_by_user": {str(k): v for k, v in self.deletes_by_user.items()},
        }


def _scrubbed(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def redacted_query(query: Any, secrets: tuple[str, ...] = ()) -> dict[str, str]:
    """The query as a plain dict (last value wins), with the api_key value hidden, and each
    of ``secrets`` hidden wherever else it appears."""
    return {
        _scrubbed(key, secrets): REDACTED if key == "api_key" else _scrubbed(value, secrets)
        for key, value in query.items()
    }


@attrs.define
class SandboxState:
    config: SandboxConfig
    store: Store
    limiter: RateLimiter
    faults: FaultSet = attrs.field(factory=FaultSet)
    log: list[LogRecord] = attrs.field(factory=list)
    counters: Counters = attrs.field(factory=Counters)
    clock: Callable[[], float] = time.monotonic
    # Seconds from ``config.wall_clock`` to the service's clock (``Date``): what moves the
    # service's day to ``config.today`` when one is given.
    clock_shift: float = 0.0

    @classmethod
    def build(cls, config: SandboxConfig) -> SandboxState:
        now = config.wall_clock()
        anchor = today_anchor(
            now
            if config.today is None
            else datetime.datetime.combine(config.today, datetime.time(), datetime.UTC).timestamp()
        )
        return cls(
            config,
            Store.build(config, anchor),
            RateLimiter(config.rate_limit_per_second, config.bucket_capacity, config.retry_after),
            clock_shift=anchor - today_anchor(now),
        )

    def service_clock(self) -> float:
        """The service's time, seconds since the epoch: its answers' ``Date``."""
        return self.config.wall_clock() + self.clock_shift

    @property
    def secrets(self) -> tuple[str, ...]:
        """What the log must never hold: the API key and the HMAC private key."""
        keys = (self.config.api_key, self.config.hmac_private_key)
        # The longer first, so that one secret inside the other is hidden whole.
        return tuple(sorted((key for key in keys if key), key=len, reverse=True))

    def record(
        self, origin: Origin, request: web.Request, endpoint: str, status: int, when: float
    ) -> None:
        secrets = self.secrets
        self.log.append(
            LogRecord(
                origin,
                request.method,
                _scrubbed(request.path, secrets),
                _scrubbed(request.rel_url.raw_path, secrets),
                redacted_query(request.query, secrets),
                endpoint,
                status,
                when,
                "Cookie" in request.headers,
                auth_kind(request),
            )
        )
        self.counters.count(endpoint, status)

    def reset(self) -> None:
        self.log.clear()
        self.counters.clear()


STATE = web.AppKey("sandbox_state", SandboxState)
PAGING_FAULT = web.RequestKey("sandbox_paging_fault", FaultKind)


def state_of(request: web.Request) -> SandboxState:
    return request.app[STATE]
