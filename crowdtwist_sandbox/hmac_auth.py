"""HMAC authentication (``CTApiV2Auth``) of the main origin, as Oracle's page describes it.

This is the sandbox's own verifier, written from Oracle's "API HMAC Authentication" page and
independent of any client's signer. Once HMAC is enabled for a client, every call to the
main host must carry ::

    X-CT-Authorization: CTApiV2Auth [public key]:[signature]
    X-CT-Timestamp: [UNIX time in milliseconds, within 15 minutes of the server's clock]

and POST and PUT must be sent as ``Content-Type: application/json``. The API key is then
refused on the main host (the POS host does not support HMAC and keeps ``CTApiKey``). The
signature is Base64 of the lowercase hex HMAC-SHA256, keyed by the private key, of ::

    HTTP-Verb \\n Content-MD5 \\n Content-Type \\n Timestamp \\n RequestURI

Readings taken where the page leaves the encoding open: Content-MD5 is the lowercase hex MD5
of the body bytes and Content-Type the header as sent, both empty for GET and DELETE and
for a request without a body; Timestamp is the header as sent; RequestURI is the request
target as received (raw path and raw query, no scheme or host).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Literal, get_args

from aiohttp import web

from .api_errors import ApiError, param_error
from .sandbox_config import SandboxConfig

AUTH_HEADER = "X-CT-Authorization"
TIMESTAMP_HEADER = "X-CT-Timestamp"
API_KEY_SCHEME = "CTApiKey "
HMAC_SCHEME = "CTApiV2Auth "
JSON = "application/json"
WINDOW_MS = 15 * 60 * 1000
WITH_BODY = frozenset({"POST", "PUT"})
# Longer than this, a run of digits is a time far outside any window (and int() of a very
# long string raises).
_MAX_TIMESTAMP_DIGITS = 20
_AUTHORIZATION = re.compile(r"CTApiV2Auth ([^\s:]+):([^\s:]+)")
_DIGITS = re.compile(r"[0-9]+")

# How a request presented itself, recorded in the log whether or not it was accepted:
# an ``api_key`` query parameter (the URL carried a key) wins over a ``CTApiKey`` header,
# which wins over a ``CTApiV2Auth`` header; ``none``: no credential of a known scheme.
AuthKind = Literal["api_key_query", "api_key_header", "hmac", "none"]
AUTH_KINDS: tuple[AuthKind, ...] = get_args(AuthKind)

HMAC_REQUIRED = "HMAC authentication is required for this client"
AUTHORIZATION_MISSING = f"{AUTH_HEADER} is missing: expected CTApiV2Auth [public key]:[signature]"
AUTHORIZATION_MALFORMED = (
    f"{AUTH_HEADER} is malformed: expected one CTApiV2Auth [public key]:[signature]"
)
TIMESTAMP_MISSING = f"{TIMESTAMP_HEADER} is missing: expected UNIX time in milliseconds"
TIMESTAMP_MALFORMED = f"{TIMESTAMP_HEADER} is malformed: expected UNIX time in milliseconds"
UNKNOWN_PUBLIC_KEY = "unknown HMAC public key"
STALE_TIMESTAMP = f"{TIMESTAMP_HEADER} is not within 15 minutes of the current time"
SIGNATURE_MISMATCH = "HMAC signature does not match"
NOT_JSON = "Content-Type must be application/json"


def _refused(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def auth_kind(request: web.Request) -> AuthKind:
    """The credential a request presented (see ``AuthKind``); never its value."""
    if "api_key" in request.query:
        return "api_key_query"
    headers = request.headers.getall(AUTH_HEADER, [])
    if any(value.startswith(API_KEY_SCHEME) for value in headers):
        return "api_key_header"
    if any(value.startswith(HMAC_SCHEME) for value in headers):
        return "hmac"
    return "none"


def _authorization(request: web.Request) -> re.Match[str] | None:
    """The one well-formed ``CTApiV2Auth`` header: groups public key and signature."""
    headers = request.headers.getall(AUTH_HEADER, [])
    return _AUTHORIZATION.fullmatch(headers[0]) if len(headers) == 1 else None


def claimed_public_key(request: web.Request) -> str | None:
    """The public key of a well-formed ``CTApiV2Auth`` header, verified or not."""
    found = _authorization(request)
    return None if found is None else found[1]


def _bytes(text: str) -> bytes:
    # aiohttp keeps undecodable request bytes as surrogates: give them back as they came.
    return text.encode("utf-8", "surrogateescape")


def string_to_sign(
    method: str, content_md5: str, content_type: str, timestamp: str, request_uri: str
) -> str:
    return "\n".join((method.upper(), content_md5, content_type, timestamp, request_uri))


def signature(private_key: str, message: str) -> str:
    """Base64 (standard, padded) of the 64-character lowercase hex HMAC-SHA256."""
    digest = hmac.new(_bytes(private_key), _bytes(message), hashlib.sha256).hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def _same(left: str, right: str) -> bool:
    return hmac.compare_digest(_bytes(left), _bytes(right))


def _credentials(request: web.Request) -> tuple[str, str, str]:
    """Public key, signature and timestamp as sent, or the 403 that names what is wrong."""
    if auth_kind(request) in ("api_key_query", "api_key_header"):
        raise _refused(HMAC_REQUIRED)
    if not request.headers.getall(AUTH_HEADER, []):
        raise _refused(AUTHORIZATION_MISSING)
    found = _authorization(request)
    if found is None:
        raise _refused(AUTHORIZATION_MALFORMED)
    stamps = request.headers.getall(TIMESTAMP_HEADER, [])
    if not stamps:
        raise _refused(TIMESTAMP_MISSING)
    if len(stamps) != 1 or not _DIGITS.fullmatch(stamps[0]):
        raise _refused(TIMESTAMP_MALFORMED)
    return found[1], found[2], stamps[0]


def _within_window(timestamp: str, now_seconds: float) -> bool:
    if len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        return False
    return abs(int(timestamp) - now_seconds * 1000) <= WINDOW_MS


async def _body_md5(request: web.Request) -> str:
    """MD5 of the body as received. aiohttp keeps what ``read()`` returned, so the
    endpoint reads the same bytes later."""
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "request_too_large", "The request body is too large") from None
    return hashlib.md5(body, usedforsecurity=False).hexdigest() if body else ""


async def verify(request: web.Request, config: SandboxConfig) -> None:
    """Raise the ``ApiError`` that refuses this main-origin request, or return if it is
    correctly signed by the configured key pair at ``config.wall_clock()``.

    Checked in this order: no API key presented; both headers well formed; a known public
    key; the timestamp window; JSON Content-Type on POST and PUT; the signature.
    """
    public_key, sent_signature, timestamp = _credentials(request)
    expected_public, private_key = config.hmac_public_key, config.hmac_private_key
    if expected_public is None or private_key is None:
        raise RuntimeError("verify() is only used in HMAC mode")
    if not _same(public_key, expected_public):
        raise _refused(UNKNOWN_PUBLIC_KEY)
    if not _within_window(timestamp, config.wall_clock()):
        raise _refused(STALE_TIMESTAMP)
    method = request.method.upper()
    content_md5 = content_type = ""
    if method in WITH_BODY:
        if request.content_type != JSON:
            raise param_error(NOT_JSON)
        content_type = request.headers.get("Content-Type", "")
        content_md5 = await _body_md5(request)
    message = string_to_sign(method, content_md5, content_type, timestamp, request.raw_path)
    if not _same(sent_signature, signature(private_key, message)):
        raise _refused(SIGNATURE_MISMATCH)
