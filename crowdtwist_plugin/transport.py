"""What the client sends over: the request as every attempt sends it, the aiohttp session
as the plugin configures it, the capped read, and transport failures described without
the URL.

Nothing here adds a credential: auth.py does, per attempt, inside aiohttp's call.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from urllib.parse import quote

import aiohttp
import attrs
from yarl import URL

from crowdtwist_plugin import signing
from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.reply import Endpoint, JSONValue

READ_CHUNK = 64 * 1024
# What a failed attempt raises below the plugin (the client turns each into a retryable
# error with failure_text).
FAILURES = (TimeoutError, aiohttp.ClientError, ssl.SSLError)


@attrs.frozen
class Prepared:
    """A request as every attempt sends it, before the key or a signature is added."""

    url: URL
    headers: Mapping[str, str]
    body: bytes | None

    @classmethod
    def build(
        cls, url: URL, params: Mapping[str, str | int] | None, json_body: JSONValue
    ) -> Prepared:
        query = {k: str(v) for k, v in (params or {}).items()}
        headers = {"Accept": "application/json"}
        # Serialised once, here: an HMAC signature covers these exact bytes.
        body = None if json_body is None else json.dumps(json_body).encode()
        if body is not None:
            headers["Content-Type"] = signing.JSON
        return cls(url.with_query(query) if query else url, headers, body)


def endpoint_url(origin: str, endpoint: Endpoint, path_args: Mapping[str, str | int]) -> URL:
    """``endpoint``'s template on ``origin``; path identifiers are percent-encoded."""
    encoded = {k: quote(str(v), safe="") for k, v in path_args.items()}
    return URL(origin + endpoint.template.format(**encoded), encoded=True)


def failure_text(exc: BaseException) -> str:
    """A safe description of a transport failure: never the URL, never the key."""
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return "timed out waiting for CrowdTwist"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
        return "TLS failure (certificate or handshake)"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"host not found: {exc.host}"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect to {exc.host}:{exc.port} ({exc.os_error.strerror or 'refused'})"
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return "connection dropped before the response was complete"
    if isinstance(exc, ssl.SSLError):
        return "TLS failure"
    return f"connection failed ({type(exc).__name__})"


async def read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes | None:
    """The body, decompressed, or None once it passes ``cap`` bytes (the rest is not read)."""
    if (response.content_length or 0) > cap and not response.headers.get("Content-Encoding"):
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(READ_CHUNK):
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@asynccontextmanager
async def open_session(options: ClientOptions) -> AsyncIterator[aiohttp.ClientSession]:
    """One hook call's session (always closed): no cookies, no resend of aiohttp's own."""
    timeout = aiohttp.ClientTimeout(
        # A body that trickles in never trips the read timeout; one attempt may not take
        # longer than the retry policy's whole time budget.
        total=options.retry.max_time,
        connect=options.connect_timeout,
        sock_connect=options.connect_timeout,
        sock_read=options.read_timeout,
    )
    # CrowdTwist sets cookies (domain .crowdtwist.com, both hosts); a key-authenticated
    # client sends none back, so no request is tied to another by state the API never asks for.
    async with aiohttp.ClientSession(
        timeout=timeout, raise_for_status=False, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        # aiohttp resends an idempotent request (DELETE included) once by itself when the
        # connection drops before the answer; a lost DELETE answer must be checked against
        # the deletion status instead, and every other retry is ours. aiohttp's own test
        # client switches this off the same way (there is no public option).
        session._retry_connection = False
        yield session
