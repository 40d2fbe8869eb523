"""HTTP to the two CrowdTwist origins: authentication, throttling, retries, safe errors.

The key goes only to the configured origins: every URL is built here from the origin in
the settings and an endpoint template, never taken from a response.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
import attrs
import backoff
from yarl import URL

from crowdtwist_plugin.errors import (
    AuthenticationError,
    CrowdTwistError,
    ResponseError,
    TransientError,
)
from crowdtwist_plugin.retry import (
    RETRYABLE_STATUSES,
    RetryPolicy,
    current_retry_policy,
    parse_retry_after,
)
from crowdtwist_plugin.settings import ConnectionSettings
from crowdtwist_plugin.throttle import Throttle, throttle_for

log = logging.getLogger("crowdtwist_plugin")

TIMEOUT = aiohttp.ClientTimeout(total=None, connect=10, sock_connect=10, sock_read=30)
DEFAULT_429_PAUSE = 1.0
JSONValue = Any


@attrs.frozen
class Endpoint:
    """An API operation; ``template`` names it in messages without any identifier."""

    method: Literal["GET", "POST", "DELETE"]
    origin: Literal["api", "pos"]
    template: str

    @property
    def name(self) -> str:
        suffix = " (POS host)" if self.origin == "pos" else ""
        return f"{self.method} {self.template}{suffix}"


@attrs.frozen
class Reply:
    """A response read in full inside the request context."""

    status: int
    content_type: str
    body: bytes = attrs.field(repr=False)
    endpoint: Endpoint

    @property
    def is_json(self) -> bool:
        return self.content_type == "application/json" or self.content_type.endswith("+json")

    def json(self) -> JSONValue:
        """The JSON body, or a ``ResponseError`` naming what came instead."""
        if not self.is_json:
            raise ResponseError(
                f"expected a JSON body, got {self.content_type or 'no content type'} "
                f"(HTTP {self.status})",
                endpoint=self.endpoint.name,
            )
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ResponseError(
                f"malformed JSON body (HTTP {self.status}, {len(self.body)} bytes)",
                endpoint=self.endpoint.name,
            ) from None

    @property
    def user_not_found(self) -> bool:
        """CrowdTwist's documented "User does not exist." answer, and nothing else.

        A 404 from anything else (a retired route, a proxy, the wrong origin) proves nothing
        about the person and must not be read as their absence.
        """
        return self.status == 404 and self.error_fields()[0] == "page_not_found"

    def error_fields(self) -> tuple[str, str]:
        """CrowdTwist's error code and message from either envelope, if the body has them."""
        try:
            body = json.loads(self.body.decode("utf-8")) if self.is_json else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        if not isinstance(body, dict):
            return "", ""
        code = body.get("error") or body.get("reason") or ""
        message = body.get("message") or body.get("description") or ""
        return str(code), str(message)


def _connection_failure(exc: BaseException, endpoint: Endpoint) -> TransientError:
    """A safe description of a transport failure: never the URL, never the key."""
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        reason = "timed out waiting for CrowdTwist"
    elif isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        reason = "TLS failure (certificate or handshake)"
    elif isinstance(exc, aiohttp.ClientConnectorDNSError):
        reason = f"host not found: {exc.host}"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        reason = f"cannot connect to {exc.host}:{exc.port} ({exc.os_error.strerror or 'refused'})"
    elif isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        reason = "connection dropped before the response was complete"
    elif isinstance(exc, ssl.SSLError):
        reason = "TLS failure"
    else:
        reason = f"connection failed ({type(exc).__name__})"
    return TransientError(reason, endpoint=endpoint.name)


class CrowdTwistClient:
    """Sends one logical request with throttling and retries; see ``request``."""

    def __init__(
        self,
        settings: ConnectionSettings,
        session: aiohttp.ClientSession,
        *,
        throttle: Throttle,
        retry: RetryPolicy,
    ) -> None:
        self.settings = settings
        self._session = session
        self._throttle = throttle
        self._retry = retry
        self._send = backoff.on_exception(
            backoff.constant,
            TransientError,
            interval=0,
            jitter=None,
            max_tries=retry.max_tries,
            max_time=retry.max_time,
            giveup=lambda exc: getattr(exc, "maybe_processed", False),
            on_backoff=self._wait_before_retry,
            logger=None,  # this module logs each retry itself, by endpoint template only
        )(self._attempt)

    def url(self, endpoint: Endpoint, path_args: Mapping[str, str | int]) -> URL:
        """The URL on the configured origin; path identifiers are percent-encoded."""
        encoded = {k: quote(str(v), safe="") for k, v in path_args.items()}
        origin = self.settings.api_origin if endpoint.origin == "api" else self.settings.pos_origin
        return URL(origin + endpoint.template.format(**encoded), encoded=True)

    async def request(
        self,
        endpoint: Endpoint,
        path_args: Mapping[str, str | int] | None = None,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: JSONValue = None,
        resend: bool = True,
    ) -> Reply:
        """Send and retry until a final answer; 403 raises, 4xx other than 408/429 return.

        Raises ``TransientError`` when 429, 408, 5xx, timeouts or connection failures
        outlast the retry policy, ``AuthenticationError`` on 403 and ``ResponseError`` on
        a redirect (never followed, it could lead the key elsewhere). With ``resend=False``
        only a 429 is retried: any failure after which CrowdTwist may have acted on the
        request raises at once with ``maybe_processed`` set.
        """
        url = self.url(endpoint, path_args or {})
        headers = {"Accept": "application/json"}
        query = {k: str(v) for k, v in (params or {}).items()}
        if endpoint.origin == "api":
            query["api_key"] = self.settings.api_key
        else:
            headers["X-CT-Authorization"] = f"CTApiKey {self.settings.api_key}"
        url = url.with_query(query) if query else url
        failure: CrowdTwistError | None = None
        try:
            return await self._send(endpoint, url, headers, json_body, resend)
        except TransientError as exc:
            outcome = "not resent" if exc.maybe_processed else "gave up after retrying"
            failure = TransientError(
                f"{exc.args[0].removeprefix(f'{endpoint.name}: ')}; {outcome}",
                endpoint=endpoint.name,
                retry_after=exc.retry_after,
                maybe_processed=exc.maybe_processed,
            )
        raise failure

    async def _wait_before_retry(self, details: Mapping[str, Any]) -> None:
        await self.wait_before_retry(int(details["tries"]), details["exception"])

    async def wait_before_retry(self, attempt: int, failure: BaseException) -> None:
        """Back off after failed attempt number ``attempt``, per the retry policy."""
        delay = self._retry.delay(attempt, getattr(failure, "retry_after", None))
        log.info("%s; retrying in %.2fs (attempt %d)", failure, delay, attempt)
        await self._retry.sleep(delay)

    async def _attempt(
        self,
        endpoint: Endpoint,
        url: URL,
        headers: Mapping[str, str],
        json_body: JSONValue,
        resend: bool,
    ) -> Reply:
        failure: TransientError | None = None
        async with self._throttle.slot(self._retry.sleep):
            try:
                async with self._session.request(
                    endpoint.method,
                    url,
                    headers=headers,
                    json=json_body,
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                    reply = Reply(response.status, response.content_type, body, endpoint)
                    retry_after_header = response.headers.get("Retry-After")
            except (TimeoutError, aiohttp.ClientError, ssl.SSLError) as exc:
                failure = _connection_failure(exc, endpoint)
        if failure is not None:
            failure.maybe_processed = not resend
            log.info("%s", failure)
            raise failure
        log.debug("%s -> HTTP %d", endpoint.name, reply.status)
        try:
            return self._judge(reply, retry_after_header)
        except TransientError as exc:
            exc.maybe_processed = not resend and reply.status != 429
            failure = exc
        raise failure

    def _judge(self, reply: Reply, retry_after_header: str | None) -> Reply:
        status = reply.status
        if status == 429:
            retry_after = parse_retry_after(retry_after_header)
            pause = DEFAULT_429_PAUSE if retry_after is None else retry_after
            self._throttle.throttled_by_service(min(pause, self._retry.max_retry_after))
            raise TransientError("HTTP 429", endpoint=reply.endpoint.name, retry_after=retry_after)
        self._throttle.accepted()
        if status == 403:
            raise AuthenticationError(
                "CrowdTwist rejected the API key (HTTP 403)", endpoint=reply.endpoint.name
            )
        if status in RETRYABLE_STATUSES:
            raise TransientError(
                f"HTTP {status}",
                endpoint=reply.endpoint.name,
                retry_after=parse_retry_after(retry_after_header),
            )
        if 300 <= status < 400:
            raise ResponseError(
                f"unexpected redirect (HTTP {status}); not followed", endpoint=reply.endpoint.name
            )
        if status >= 500:
            raise TransientError(f"HTTP {status}", endpoint=reply.endpoint.name)
        return reply


@asynccontextmanager
async def open_client(
    settings: ConnectionSettings, retry: RetryPolicy | None = None
) -> AsyncIterator[CrowdTwistClient]:
    """A client with its own session (always closed) and the connection's shared throttle."""
    async with aiohttp.ClientSession(timeout=TIMEOUT, raise_for_status=False) as session:
        # aiohttp resends an idempotent request (DELETE included) once by itself when the
        # connection drops before the answer; a lost DELETE answer must be checked against
        # the deletion status instead, and every other retry is ours. aiohttp's own test
        # client switches this off the same way (there is no public option).
        session._retry_connection = False
        yield CrowdTwistClient(
            settings,
            session,
            throttle=throttle_for(settings),
            retry=retry or current_retry_policy(),
        )
