"""A rate budget held in Redis and shared by every worker that uses one API key.

Each call is one EVALSHA of ``gcra.lua``, which applies ``rules.reserve`` and
``rules.penalise`` on Redis's own clock: a 429 seen by any worker pauses all of them and
cuts the shared rate, and the rate recovers for all. The state is one hash per budget,
named by the connection's fingerprint (``settings.connection_fingerprint``: a hash of the
API key and origins), that expires when idle.

When Redis cannot answer, every call raises ``BudgetStoreError`` (retryable, URL password
redacted) within the connect timeout: a worker never falls back to sending unshared.
``redis`` is imported lazily, so the plugin works without the ``redis`` extra until a
``rate_limit_redis_url`` is configured.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.resources
import math
import re
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from crowdtwist_plugin.errors import CrowdTwistError, Detached
from crowdtwist_plugin.pacing import rules
from crowdtwist_plugin.pacing.rules import Limits, Reservation
from crowdtwist_plugin.redis_url import RedisURL, url_error

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

T = TypeVar("T")

IDLE_SECONDS: Final = 60.0  # an idle budget's state expires after this (or more)
KEY_PREFIX: Final = "crowdtwist:budget:"
INSTALL_HINT: Final = "install crowdtwist-privacy-plugin[redis]"
_NAMESPACE = re.compile(r"[0-9a-f]{64}")
# The rules' constants, passed to the script in this order (ARGV[8] on, see gcra.lua).
_RULES: Final = (
    rules.DECREASE,
    rules.RECOVERY_PER_SECOND,
    rules.MIN_RATE_FRACTION,
    rules.CEILING_CREEP_PER_SECOND,
    rules.CEILING_QUIET,
    IDLE_SECONDS,
)


class BudgetStoreError(CrowdTwistError):
    """The Redis server holding the shared rate budget did not answer; nothing may be sent
    until it does. Not retryable only when Redis refused the URL's credentials."""

    retryable = True

    def __init__(
        self, message: str, *, endpoint: str | None = None, retryable: bool = True
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.retryable = retryable


@functools.cache
def _script_text() -> str:
    return importlib.resources.files(__package__).joinpath("gcra.lua").read_text("utf-8")


@attrs.define(eq=False)
class _Connection:
    """One Redis client per event loop, URL and timeout, shared by its budgets."""

    # Some redis-py versions (6.x) put the password in the client's repr.
    client: Redis = attrs.field(repr=False)
    script: AsyncScript = attrs.field(repr=False)
    users: int = 0


_ConnectionKey = tuple[RedisURL, float]
_connections: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[_ConnectionKey, _Connection]
] = weakref.WeakKeyDictionary()


def _open(url: RedisURL, timeout: float) -> _Connection:
    missing = Detached(
        ImportError, into=lambda _: url_error(f"needs the redis package: {INSTALL_HINT}")
    )
    with missing:
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
    if missing:
        missing.raise_caught()
    no_backoff: Any = NoBackoff  # untyped in redis-py 5.0
    # The URL is revealed to redis-py here: its errors could quote it.
    refused = Detached(
        ValueError, TypeError, into=lambda _: url_error("has an option value redis-py rejects")
    )
    with refused:
        # One immediate retry on a fresh connection covers a connection that a Redis
        # restart closed; the whole call stays within ``timeout`` (see _store_call).
        client = redis.asyncio.Redis.from_url(
            url.reveal(),
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(no_backoff(), 1, supported_errors=(RedisConnectionError,)),
            retry_on_error=[RedisConnectionError],
        )
    if refused:
        refused.raise_caught()
    return _Connection(client=client, script=client.register_script(_script_text()))


class RedisBudget:
    """The shared budget for every worker that uses the same Redis and namespace. Create
    with ``connect``."""

    def __init__(
        self,
        connection: _Connection,
        *,
        url: RedisURL,
        namespace: str,
        limits: Limits,
        timeout: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._connection = connection
        self._url = url
        self.namespace = namespace
        self.key = f"{KEY_PREFIX}{{{namespace}}}"
        self.limits = limits
        self.rate = limits.target  # the shared rate as of this worker's latest call
        self._timeout = timeout
        self._loop = loop
        self._closed = False

    @classmethod
    def connect(
        cls,
        url: RedisURL | str,
        *,
        namespace: str,
        rate: float,
        burst: int | None = None,
        utilization: float = 1.0,
        connect_timeout: float = 5.0,
    ) -> RedisBudget:
        """A budget of ``rate`` starts per second (``burst`` at once, default
        ``rules.burst_for(rate)``) on the running loop's client for ``url`` (created on
        first use; no I/O here: the first call connects). Close it with ``aclose()``."""
        if isinstance(url, str):
            url = RedisURL.parse(url)
        if not _NAMESPACE.fullmatch(namespace):
            raise ValueError("namespace must be a sha256 hex digest (a connection's fingerprint)")
        limits = Limits(rate, utilization, rules.burst_for(rate) if burst is None else burst)
        if not (math.isfinite(connect_timeout) and connect_timeout > 0):
            raise ValueError("connect_timeout must be a positive number of seconds")
        loop = asyncio.get_running_loop()
        per_loop = _connections.setdefault(loop, {})
        key = (url, connect_timeout)
        connection = per_loop.get(key)
        if connection is None:
            connection = per_loop[key] = _open(url, connect_timeout)
        connection.users += 1
        return cls(
            connection,
            url=url,
            namespace=namespace,
            limits=limits,
            timeout=connect_timeout,
            loop=loop,
        )

    async def reserve(self) -> Reservation:
        """The next start, on Redis's clock (see ``Budget.reserve``)."""
        return await self._run("reserve")

    async def penalise(self, pause: float, started: float) -> None:
        """A 429: hold every worker's starts back until ``pause`` seconds from now (Redis
        clock) and cut the shared rate, once per episode (see ``Budget.penalise``)."""
        if math.isnan(pause) or math.isnan(started):
            raise ValueError("pause and started must be numbers of seconds")
        await self._run("penalise", pause=min(max(pause, 0.0), 1e9), started=started)

    async def aclose(self) -> None:
        """Release this budget; the loop's client closes with its last budget."""
        if self._closed:
            return
        self._closed = True
        self._connection.users -= 1
        if self._connection.users > 0:
            return
        per_loop = _connections.get(self._loop, {})
        key = (self._url, self._timeout)
        if per_loop.get(key) is self._connection:
            del per_loop[key]
        await self._connection.client.aclose()

    async def __aenter__(self) -> RedisBudget:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"RedisBudget({self._url.redacted!r}, namespace={self.namespace[:12]}..., "
            f"rate={self.limits.target:g}, burst={self.limits.burst})"
        )

    async def _run(
        self, mode: str, *, pause: float = 0.0, started: float = 0.0, clock: float | None = None
    ) -> Reservation:
        """One script call. ``clock`` replaces Redis TIME (golden tests only)."""
        limits = self.limits
        args = [
            mode,
            repr(float(limits.target)),
            str(limits.burst),
            repr(float(pause)),
            repr(float(limits.utilization)),
            "" if clock is None else repr(float(clock)),
            repr(float(started)),
            *(repr(value) for value in _RULES),
        ]
        script = self._connection.script
        raw = await self._store_call(lambda: script(keys=[self.key], args=args))
        wait, now, rate = (float(value) for value in raw)
        self.rate = rate
        return Reservation(wait=wait, at=now, rate=rate)

    async def _store_call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` within the timeout; any failure becomes a ``BudgetStoreError``
        with nothing of redis's exception (its text may quote the URL) chained."""
        if self._closed:
            raise RuntimeError("this RedisBudget is closed")
        from redis.exceptions import RedisError

        caught = Detached(TimeoutError, RedisError, OSError, into=self._store_failure)
        with caught:
            async with asyncio.timeout(self._timeout):
                return await call()
        caught.raise_caught()

    def _store_failure(self, exc: BaseException) -> BudgetStoreError:
        from redis import exceptions as rx

        retryable = True
        if isinstance(exc, TimeoutError | rx.TimeoutError):
            failure = f"did not answer within {self._timeout:g} s"
        elif isinstance(exc, rx.AuthenticationError | rx.AuthenticationWrongNumberOfArgsError):
            failure, retryable = f"refused the URL's credentials ({type(exc).__name__})", False
        elif isinstance(exc, rx.NoPermissionError):
            failure = f"refused the script to the URL's user ({type(exc).__name__})"
            retryable = False
        elif isinstance(exc, rx.ConnectionError | OSError):
            failure = f"could not be reached ({type(exc).__name__})"
        else:
            failure = f"failed ({type(exc).__name__})"
        return BudgetStoreError(
            f"the shared rate budget store {self._url.redacted} {failure}", retryable=retryable
        )
