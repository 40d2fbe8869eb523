"""A rate budget held in Redis and shared by every worker that uses one API key.

Each reservation is one EVALSHA of ``gcra.lua`` (GCRA on Redis's own clock, FIFO by
arrival, bursts of at most ``burst`` starts); a 429 seen by any worker pauses all of them
and halves the shared rate once per episode, and the rate recovers additively for all.
The state is one hash per budget, named by a hash of the API key and origins, that
expires when idle.

When Redis cannot answer, every call raises ``BudgetStoreError`` (retryable, URL password
redacted) within the connect timeout: a worker never falls back to sending unshared.
``redis`` is imported lazily, so the plugin works without the ``redis`` extra until a
``rate_limit_redis_url`` is configured.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib.resources
import math
import re
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import parse_qsl, urlsplit

import attrs

from crowdtwist_plugin.errors import ConfigurationError, CrowdTwistError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

T = TypeVar("T")

DECREASE: Final = 0.5
CUT_COOLDOWN: Final = 1.0  # seconds: 429s closer than this to the last cut are one episode
RECOVERY_PER_SECOND: Final = 0.05  # of the target rate
MIN_RATE_FACTOR: Final = 1 / 64  # the rate never drops below target / 64
IDLE_SECONDS: Final = 60.0  # an idle budget's state expires after this (or more)
KEY_PREFIX: Final = "crowdtwist:budget:"
DEFAULT_PORT: Final = 6379
SCHEMES: Final = ("redis", "rediss", "unix")
# Query parameters passed on to redis-py; timeouts and retries are ours to set.
QUERY_PARAMETERS: Final = frozenset(
    {"db", "username", "password", "client_name"}
    | {"ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile"}
)
INSTALL_HINT: Final = "install crowdtwist-privacy-plugin[redis]"
_NAMESPACE = re.compile(r"[0-9a-f]{64}")
_DIGITS = re.compile(r"[0-9]+")


class BudgetStoreError(CrowdTwistError):
    """The Redis server holding the shared rate budget did not answer; nothing may be sent
    until it does. Not retryable only when Redis refused the URL's credentials."""

    retryable = True

    def __init__(
        self, message: str, *, endpoint: str | None = None, retryable: bool = True
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.retryable = retryable


def budget_namespace(api_key: str, api_origin: str, pos_origin: str) -> str:
    """The budget's name for one API key and its origins: a sha256, never the key."""
    material = "\n".join(("crowdtwist-rate-budget/1", api_key, api_origin, pos_origin))
    return hashlib.sha256(material.encode()).hexdigest()


def _url_error(problem: str) -> ConfigurationError:
    return ConfigurationError(f"rate_limit_redis_url {problem}")


@attrs.frozen(repr=False)
class RedisURL:
    """A ``redis://``, ``rediss://`` or ``unix://`` URL whose password never shows: repr and
    str give ``redacted``; only ``reveal()`` returns the URL itself."""

    redacted: str
    _secret: str = attrs.field(alias="secret")

    @classmethod
    def parse(cls, text: str) -> RedisURL:
        redacted, problem = _redact(text)
        if redacted is None:
            raise _url_error(problem)  # outside any except: nothing about the text is chained
        return cls(redacted=redacted, secret=text)

    def reveal(self) -> str:
        """The URL with its password, for the Redis client only."""
        return self._secret

    def __repr__(self) -> str:
        return f"RedisURL({self.redacted!r})"

    def __str__(self) -> str:
        return self.redacted


def _redact(text: str) -> tuple[str | None, str]:
    """(the URL with its credentials replaced by ``***``, "") or (None, what is wrong).
    No message quotes any part of the URL: a misplaced password can land anywhere."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None, "is not a valid URL (bad host or port)"
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not text.lower().startswith(f"{scheme}://"):
        return None, "must be a redis://, rediss:// or unix:// URL"
    if parts.fragment:
        return None, "must not have a #fragment (a '#' in a password must be written %23)"
    query: list[str] = []
    seen: set[str] = set()
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        return None, "has a malformed query string"
    for name, value in pairs:
        if name not in QUERY_PARAMETERS:
            allowed = ", ".join(sorted(QUERY_PARAMETERS))
            return None, f"has an unsupported query parameter (allowed: {allowed})"
        if name in seen:
            return None, "repeats a query parameter"
        seen.add(name)
        if name == "db" and not (value.isascii() and _DIGITS.fullmatch(value)):
            return None, "must give db as a number"
        query.append(f"{name}=***" if name == "password" else f"{name}={value}")
    userinfo = ""
    if parts.password:
        userinfo = f"{parts.username or ''}:***@"
    elif parts.username:
        userinfo = "***@"  # "redis://secret@host" puts a password where a username goes
    if scheme == "unix":
        if not parts.path.startswith("/"):
            return None, "must give the socket's absolute path (unix:///path/to/redis.sock)"
        if "@" in parts.path:  # a '/' in the password split it: the rest would show
            return None, "has '@' in the socket path (write '/' in a password as %2F)"
        location = parts.path
    else:
        host = parts.hostname
        if not host:
            return None, "must name a host (redis://host:6379/0)"
        path = parts.path.strip("/") or "0"
        if not (path.isascii() and _DIGITS.fullmatch(path)) or parts.path.count("/") > 1:
            return None, "must end in a database number such as /0"
        host = f"[{host}]" if ":" in host else host
        location = f"{host}:{port or DEFAULT_PORT}/{path}"
    suffix = f"?{'&'.join(query)}" if query else ""
    return f"{scheme}://{userinfo}{location}{suffix}", ""


@attrs.frozen
class Reservation:
    """One reservation as Redis computed it: start at ``redis_time + wait`` (Redis clock)."""

    wait: float
    redis_time: float
    rate: float  # the shared rate after this call, starts per second


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
    missing = False
    try:
        import redis.asyncio
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError
    except ImportError:
        missing = True
    if missing:
        raise _url_error(f"needs the redis package: {INSTALL_HINT}")
    no_backoff: Any = NoBackoff  # untyped in redis-py 5.0
    bad_option = False
    try:
        # One immediate retry on a fresh connection covers a connection that a Redis
        # restart closed; the whole call stays within ``timeout`` (see _store_call).
        client = redis.asyncio.Redis.from_url(
            url.reveal(),
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(no_backoff(), 1, supported_errors=(RedisConnectionError,)),
            retry_on_error=[RedisConnectionError],
        )
    except (ValueError, TypeError):
        bad_option = True
    if bad_option:
        raise _url_error("has an option value redis-py rejects")
    return _Connection(client=client, script=client.register_script(_script_text()))


class RedisBudget:
    """The shared budget: ``rate`` starts per second, at most ``burst`` at once, for every
    worker that uses the same Redis and namespace. Create with ``connect``."""

    def __init__(
        self,
        connection: _Connection,
        *,
        url: RedisURL,
        namespace: str,
        rate: float,
        burst: int,
        timeout: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._connection = connection
        self._url = url
        self.namespace = namespace
        self.key = f"{KEY_PREFIX}{{{namespace}}}"
        self.rate = rate
        self.burst = burst
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
        burst: int,
        connect_timeout: float = 5.0,
    ) -> RedisBudget:
        """A budget on the running loop's client for ``url`` (created on first use; no I/O
        here: the first call connects). Close it with ``aclose()``."""
        if isinstance(url, str):
            url = RedisURL.parse(url)
        if not _NAMESPACE.fullmatch(namespace):
            raise ValueError("namespace must be a sha256 hex digest (see budget_namespace)")
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError("rate must be a positive number of starts per second")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError("burst must be a positive integer")
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
            rate=rate,
            burst=burst,
            timeout=connect_timeout,
            loop=loop,
        )

    async def reserve(self) -> float:
        """Seconds to wait before this start (see ``Budget.reserve``)."""
        return (await self.reservation()).wait

    async def reservation(self) -> Reservation:
        """``reserve`` with Redis's clock and the shared rate, for tests and diagnostics."""
        return await self._run("reserve")

    async def penalise(self, pause: float) -> None:
        """A 429: hold every worker's starts back until ``pause`` seconds from now (Redis
        clock) and halve the shared rate, once per episode."""
        if math.isnan(pause):
            raise ValueError("pause must be a number of seconds")
        await self._run("penalise", pause=min(max(pause, 0.0), 1e9))

    async def ping(self) -> None:
        """Raise ``BudgetStoreError`` unless Redis answers (for credential checks)."""
        client = self._connection.client
        await self._store_call(lambda: client.ping())

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
            f"rate={self.rate:g}, burst={self.burst})"
        )

    async def _run(
        self, mode: str, *, pause: float = 0.0, clock: float | None = None
    ) -> Reservation:
        """One script call. ``clock`` replaces Redis TIME (golden tests only)."""
        args = [
            mode,
            repr(float(self.rate)),
            str(self.burst),
            repr(float(pause)),
            repr(DECREASE),
            repr(CUT_COOLDOWN),
            repr(RECOVERY_PER_SECOND),
            repr(MIN_RATE_FACTOR),
            repr(IDLE_SECONDS),
            "" if clock is None else repr(float(clock)),
        ]
        script = self._connection.script
        raw = await self._store_call(lambda: script(keys=[self.key], args=args))
        wait, now, rate = (float(value) for value in raw)
        return Reservation(wait=wait, redis_time=now, rate=rate)

    async def _store_call(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` within the timeout; any failure becomes a ``BudgetStoreError``
        raised outside the ``except`` blocks, so no redis exception text is chained."""
        if self._closed:
            raise RuntimeError("this RedisBudget is closed")
        from redis import exceptions as rx

        failure = ""
        retryable = True
        try:
            async with asyncio.timeout(self._timeout):
                return await call()
        except (TimeoutError, rx.TimeoutError):
            failure = f"did not answer within {self._timeout:g} s"
        except (rx.AuthenticationError, rx.AuthenticationWrongNumberOfArgsError) as exc:
            failure = f"refused the URL's credentials ({type(exc).__name__})"
            retryable = False
        except rx.NoPermissionError as exc:
            failure = f"refused the script to the URL's user ({type(exc).__name__})"
            retryable = False
        except (rx.ConnectionError, OSError) as exc:
            failure = f"could not be reached ({type(exc).__name__})"
        except rx.RedisError as exc:
            failure = f"failed ({type(exc).__name__})"
        raise BudgetStoreError(
            f"the shared rate budget store {self._url.redacted} {failure}", retryable=retryable
        )
