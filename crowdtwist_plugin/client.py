"""HTTP to the two CrowdTwist origins: sending, retrying and reading, with safe errors.

The key goes only to the configured origins: every URL is built from the origin in the
settings and an endpoint template, never taken from a response. How each attempt
authenticates is auth.py's; when it may start, pacing's; the session and the request as
sent, transport.py's.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, date
from typing import Any, TypeVar

import aiohttp
import backoff
from yarl import URL

from crowdtwist_plugin.auth import auth_by_origin
from crowdtwist_plugin.errors import (
    AuthenticationError,
    CrowdTwistError,
    Detached,
    ResponseError,
    TransientError,
)
from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.pacing import Budget, Flow, Priority
from crowdtwist_plugin.pacing.rules import (
    RETRYABLE_STATUSES,
    http_date,
    parse_retry_after,
    retry_waits,
)
from crowdtwist_plugin.pacing.throttle import Throttle, Throttles, budget_for, hold_back
from crowdtwist_plugin.reply import Endpoint, JSONValue, Reply
from crowdtwist_plugin.settings import ConnectionSettings
from crowdtwist_plugin.stats import CallStats
from crowdtwist_plugin.transport import (
    FAILURES,
    Prepared,
    endpoint_url,
    failure_text,
    open_session,
    read_capped,
)

log = logging.getLogger("crowdtwist_plugin")
T = TypeVar("T")


def _ended(exc: BaseException) -> TransientError:
    assert isinstance(exc, TransientError)
    return exc.ended("not resent" if exc.maybe_processed else "gave up after retrying")


def _checked(
    attempt: Callable[..., Awaitable[T]], before_resend: Callable[..., Awaitable[T | None]]
) -> Callable[..., Awaitable[T]]:
    """``attempt`` that, after a failure CrowdTwist may have acted on, first asks
    ``before_resend`` (one per logical request: it remembers the last failure)."""
    uncertain = False

    async def once(*args: Any) -> T:
        nonlocal uncertain
        if uncertain and (known := await before_resend(*args)) is not None:
            return known
        try:
            return await attempt(*args)
        except TransientError as exc:
            uncertain = exc.maybe_processed
            raise

    return once


class CrowdTwistClient:
    """Sends one logical request with throttling and retries; see ``request``."""

    def __init__(
        self,
        settings: ConnectionSettings,
        session: aiohttp.ClientSession,
        *,
        throttle: Throttle,
        options: ClientOptions,
        stats: CallStats | None = None,
        budget: Budget | None = None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.stats = stats or CallStats()
        self._session = session
        self._auth = auth_by_origin(settings, options.wall_clock)
        self._throttle = throttle
        self._flow = Flow()  # this call's requests take turns with other calls'
        self._budget = budget or throttle.local  # pacing.throttle.budget_for chooses
        self._served_day: date | None = None  # CrowdTwist's day, by its latest ``Date``
        self._send = self.retrying(self._attempt)

    def retrying(
        self,
        attempt: Callable[..., Awaitable[T]],
        *,
        before_resend: Callable[..., Awaitable[T | None]] | None = None,
    ) -> Callable[..., Awaitable[T]]:
        """``attempt`` under the retry policy: the plugin's one retry loop (backoff).

        Every ``TransientError`` is tried again until the policy gives up, except one
        after which CrowdTwist may have acted on the request (``maybe_processed``): with
        ``before_resend``, the loop awaits ``before_resend(*args)`` before sending again
        and returns its answer unless that is None (deletion reads the status before it
        sends a DELETE again); without, that failure ends the loop ("not resent").
        """
        policy = self.options.retry
        retry = backoff.on_exception(
            retry_waits,
            TransientError,
            max_tries=policy.max_tries,
            max_time=policy.max_time,
            jitter=None,  # retry_waits applies full jitter itself, never to Retry-After
            giveup=lambda exc: (
                isinstance(exc, TransientError) and exc.maybe_processed and before_resend is None
            ),
            on_backoff=self._log_retry,
            logger=None,  # _log_retry names the endpoint template, never the URL
            policy=policy,
        )
        retried: Callable[..., Awaitable[T]] = retry(attempt)

        async def run(*args: Any) -> T:
            call = retried if before_resend is None else retry(_checked(attempt, before_resend))
            caught = Detached(TransientError, into=_ended)
            with caught:
                return await call(*args)
            caught.raise_caught()

        return run

    def url(self, endpoint: Endpoint, path_args: Mapping[str, str | int]) -> URL:
        """The URL on the configured origin; path identifiers are percent-encoded."""
        origin = self.settings.api_origin if endpoint.origin == "api" else self.settings.pos_origin
        return endpoint_url(origin, endpoint, path_args)

    async def request(
        self,
        endpoint: Endpoint,
        path_args: Mapping[str, str | int] | None = None,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: JSONValue = None,
        priority: Priority = Priority.BULK,
    ) -> Reply:
        """Send and retry until a final answer; 401/403 raise, 4xx other than 408/429 return.

        Raises ``TransientError`` when 429, 408, 5xx, timeouts or connection failures
        outlast the retry policy, ``AuthenticationError`` on 401/403 and ``ResponseError``
        on a redirect (never followed, it could lead the key elsewhere).
        ``Priority.URGENT`` requests (their answer decides what to request next) start
        before queued bulk ones.
        """
        prepared = Prepared.build(self.url(endpoint, path_args or {}), params, json_body)
        return await self._send(endpoint, prepared, True, priority)

    async def send_once(
        self,
        endpoint: Endpoint,
        path_args: Mapping[str, str | int] | None = None,
        *,
        params: Mapping[str, str | int] | None = None,
    ) -> Reply:
        """One attempt of a request that must not simply be sent again (a DELETE): a
        failure after which CrowdTwist may have acted raises with ``maybe_processed`` set.
        Retry it with ``retrying(..., before_resend=...)``."""
        prepared = Prepared.build(self.url(endpoint, path_args or {}), params, None)
        return await self._attempt(endpoint, prepared, False, Priority.BULK)

    async def _attempt(
        self, endpoint: Endpoint, prepared: Prepared, resend: bool, priority: Priority
    ) -> Reply:
        url, headers, body = prepared.url, prepared.headers, prepared.body
        dropped = Detached(
            *FAILURES,
            into=lambda exc: TransientError(
                failure_text(exc), endpoint=endpoint.name, maybe_processed=not resend
            ),
        )
        self.stats.waiting()
        try:
            started = await self._throttle.acquire(self._budget, priority, self._flow)
        finally:
            self.stats.done_waiting()
        auth = self._auth[endpoint.origin]
        try:
            self.stats.sent(endpoint.name)
            # The key is added only here, inside the call's arguments: no frame of the
            # plugin holds a keyed URL or header (aiohttp's own frames do). A signature is
            # made here too, so that every attempt carries a fresh timestamp.
            with dropped:
                async with self._session.request(
                    endpoint.method,
                    auth.url(url),
                    headers=auth.headers(endpoint.method, url, headers, body),
                    data=body,
                    allow_redirects=False,
                ) as response:
                    content = await read_capped(response, self.options.max_body_bytes)
                    reply = Reply(response.status, response.content_type, content or b"", endpoint)
                    retry_after_header = response.headers.get("Retry-After")
                    served_at = response.headers.get("Date")
        finally:
            self._throttle.release()
        if dropped:
            dropped.raise_caught()
        if content is None:
            raise ResponseError(
                f"response body larger than {self.options.max_body_bytes} bytes; not read",
                endpoint=endpoint.name,
            )
        log.debug("%s -> HTTP %d", endpoint.name, reply.status)
        if (served := http_date(served_at or "")) is not None:
            self._served_day = served.astimezone(UTC).date()
        return await self._final_or_raise(reply, retry_after_header, served_at, resend, started)

    def today(self) -> date:
        """The later of CrowdTwist's today (its latest answer's ``Date``) and this
        machine's: date ranges planned from it reach the service's today either way."""
        host = self.options.today()
        return host if self._served_day is None else max(host, self._served_day)

    def _log_retry(self, details: Mapping[str, Any]) -> None:
        self.stats.retries += 1
        failure = details["exception"]
        log.info(
            "%s; retrying in %.2fs (attempt %d)",
            failure,
            details["wait"],
            details["tries"],
            extra={"endpoint": getattr(failure, "endpoint", None), "wait": details["wait"]},
        )

    async def _final_or_raise(
        self,
        reply: Reply,
        retry_after_header: str | None,
        served_at: str | None,
        resend: bool,
        started: float,
    ) -> Reply:
        status, name = reply.status, reply.endpoint.name
        if status == 429:
            # The whole path of a 429: the pause and the cut (pacing.throttle.hold_back),
            # the retry's own wait in RetryPolicy.delay, the next start from the budget.
            self.stats.responses_429 += 1
            retry_after = parse_retry_after(retry_after_header)
            await hold_back(self._budget, self.options.retry.pause_after_429(retry_after), started)
            raise TransientError("HTTP 429", endpoint=name, retry_after=retry_after)
        if status in (401, 403):
            refusal = self._auth[reply.endpoint.origin].refusal(reply, served_at)
            raise AuthenticationError(refusal, endpoint=name)
        if status in RETRYABLE_STATUSES or status >= 500:
            raise TransientError(
                f"HTTP {status}",
                endpoint=name,
                retry_after=parse_retry_after(retry_after_header),
                maybe_processed=not resend,
            )
        if 300 <= status < 400:
            raise ResponseError(f"unexpected redirect (HTTP {status}); not followed", endpoint=name)
        return reply


@asynccontextmanager
async def open_client(
    settings: ConnectionSettings,
    options: ClientOptions,
    throttles: Throttles | None = None,
    stats: CallStats | None = None,
) -> AsyncIterator[CrowdTwistClient]:
    """A client with its own session (always closed) and the connection's shared throttle."""
    async with open_session(options) as session:
        throttle = (throttles or Throttles(options)).for_settings(settings)
        try:
            async with budget_for(settings, throttle, options) as budget:
                yield CrowdTwistClient(
                    settings,
                    session,
                    throttle=throttle,
                    options=options,
                    stats=stats,
                    budget=budget,
                )
        except CrowdTwistError as exc:
            exc.redact(settings.redact)
            raise
