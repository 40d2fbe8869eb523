"""HMAC request signing (``CTApiV2Auth``) for programs that switched HMAC on.

Oracle's "API HMAC Authentication" page: once HMAC is enabled for a client, every call to
the main host must carry ``X-CT-Authorization: CTApiV2Auth [public key]:[signature]`` and
``X-CT-Timestamp`` (UNIX milliseconds, within 15 minutes of CrowdTwist's clock); the key
is then not sent in the URL. The POS host does not support HMAC and keeps ``CTApiKey``.

The signature is computed over ::

    HTTP-Verb \\n Content-MD5 \\n Content-Type \\n Timestamp \\n RequestURI

with HMAC-SHA256 keyed by the private key; the hex digest is then Base64-encoded. Where
the page leaves the encoding open, the reading taken (README, "HMAC-signed requests") is:
Content-MD5 is the lowercase hex MD5 of the body and Content-Type the header as sent,
both empty for a request without a body (GET, DELETE); RequestURI is the path and query
exactly as sent (percent-encoded, no scheme or host).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from crowdtwist_plugin.secret import Secret

SCHEME = "CTApiV2Auth"
JSON = "application/json"
# CrowdTwist refuses a timestamp further than this from its own clock.
WINDOW_SECONDS = 15 * 60
_WITH_BODY = frozenset({"POST", "PUT"})


def string_to_sign(
    method: str, request_uri: str, body: bytes, content_type: str, timestamp: str
) -> str:
    """The text the signature covers, one part per line, in the page's order."""
    verb = method.upper()
    with_body = verb in _WITH_BODY
    digest = hashlib.md5(body, usedforsecurity=False).hexdigest() if with_body else ""
    return "\n".join((verb, digest, content_type if with_body else "", timestamp, request_uri))


def signature(private_key: Secret, message: str) -> str:
    """Base64 of the lowercase hex HMAC-SHA256 of ``message`` under ``private_key``.

    The key is revealed only inside the call's argument: no frame holds it."""
    mac = hmac.new(private_key.reveal().encode(), message.encode(), hashlib.sha256)
    digest = mac.hexdigest()
    return base64.b64encode(digest.encode("ascii")).decode("ascii")


def signed_headers(
    method: str,
    request_uri: str,
    body: bytes,
    *,
    public_key: str,
    private_key: Secret,
    now: float,
) -> dict[str, str]:
    """The two headers (and, with a body, the JSON content type) of one signed attempt at
    the wall-clock time ``now`` (seconds since the epoch)."""
    timestamp = str(int(now * 1000))
    content_type = JSON if method.upper() in _WITH_BODY else ""
    message = string_to_sign(method, request_uri, body, content_type, timestamp)
    headers = {
        "X-CT-Authorization": f"{SCHEME} {public_key}:{signature(private_key, message)}",
        "X-CT-Timestamp": timestamp,
    }
    if content_type:
        headers["Content-Type"] = content_type
    return headers
