"""What CrowdTwist answered: the operation asked (``Endpoint``) and the response read in
full (``Reply``), with the checks every caller needs (JSON, records, "user not found")."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any, Literal

import attrs

from crowdtwist_plugin.errors import Detached, ResponseError

JSONValue = Any
_MALFORMED = object()

# What an error answer may show of CrowdTwist's own words: its documented codes and fixed
# messages, and the sandbox's. Any other text of an answer may repeat the request (its
# path, query or body: the person's identifiers, in any encoding or case), so it never
# reaches an exception, a log record or a ticket. A code the plugin acts on (such as
# ``page_not_found``) must be listed: ``error_fields`` withholds any other.
KNOWN_CODES = frozenset(
    {
        "bad_gateway",
        "bad_request",
        "conflict",
        "error",
        "forbidden",
        "gateway_timeout",
        "input_error",
        "internal_error",
        "invalid",
        "method_not_allowed",
        "not_found",
        "page_not_found",
        "param_error",
        "receipt_scanning_inactive",
        "request_timeout",
        "request_too_large",
        "service_unavailable",
        "too_many_requests",
        "unauthorized",
        "user_not_found",
    }
)
KNOWN_MESSAGES = frozenset(
    {
        "At least one search parameter is required",
        "Content-Type must be application/json",
        "Date range should not exceed one year.",
        "HMAC authentication is required for this client",
        "HMAC signature does not match",
        "Invalid API key",
        "Invalid id_type",
        "Invalid page_number",
        "Invalid page_size",
        "Member ID is invalid",
        "Member does not exist or not queued for deletion",
        "Member is inactive but has redeemable points",
        "Member not found",
        "Missing the user_id parameter",
        "Receipt scanning is not active for this program.",
        "Service Unavailable",
        "Something went wrong on our end.",
        "The request body is too large",
        "The request body must be JSON",
        "Too many requests. Slow down.",
        "Unable to initiate deletion",
        "User does not exist.",
        "User is inactive.",
        "X-CT-Authorization is malformed: expected one CTApiV2Auth [public key]:[signature]",
        "X-CT-Authorization is missing: expected CTApiV2Auth [public key]:[signature]",
        "X-CT-Timestamp is malformed: expected UNIX time in milliseconds",
        "X-CT-Timestamp is missing: expected UNIX time in milliseconds",
        "X-CT-Timestamp is not within 15 minutes of the current time",
        "date_end must be greater than date_start.",
        "date_end must not be before date_start.",
        "is_active must be 1, 0, true or false",
        "member_id must be an integer",
        "page_size and page_number must be used together",
        "unknown HMAC public key",
    }
)
WITHHELD_CODE = "(unlisted code withheld)"
WITHHELD_MESSAGE = "(unlisted message withheld: it may repeat the request)"
# The content types an error may name; any other is a header the server wrote freely.
KNOWN_CONTENT_TYPES = frozenset(
    {
        "application/json",
        "application/octet-stream",
        "application/xml",
        "text/html",
        "text/plain",
        "text/xml",
    }
)


@attrs.frozen
class Endpoint:
    """An API operation; ``template`` names it in messages without any identifier."""

    method: Literal["GET", "POST", "DELETE"]
    origin: Literal["api", "pos"]
    template: str
    # Computed once: every request names its endpoint in stats and logs.
    name: str = attrs.field(
        init=False,
        eq=False,
        repr=False,
        default=attrs.Factory(
            lambda self: (
                f"{self.method} {self.template}" + (" (POS host)" if self.origin == "pos" else "")
            ),
            takes_self=True,
        ),
    )


def _loads(body: bytes) -> JSONValue:
    """``json.loads`` whose every failure is a ``ValueError``.

    Integers too long to convert (CVE-2020-10735) raise a plain ``ValueError`` and deep
    nesting a ``RecursionError``; both are a malformed body here.
    """
    deep = Detached(RecursionError, into=lambda _: ValueError("JSON nested too deeply"))
    with deep:
        return json.loads(body.decode("utf-8"))
    deep.raise_caught()


# Not slotted: the parsed body is cached in the instance dict (attrs < 23.2 cannot cache
# a property on a slotted class).
@attrs.frozen(slots=False)
class Reply:
    """A response read in full inside the request context."""

    status: int
    content_type: str
    body: bytes = attrs.field(repr=False)
    endpoint: Endpoint

    @property
    def is_json(self) -> bool:
        return self.content_type == "application/json" or self.content_type.endswith("+json")

    @property
    def content_kind(self) -> str:
        """The content type, as an error may name it."""
        if self.is_json:
            return "JSON"
        if not self.content_type:
            return "no content type"
        known = self.content_type in KNOWN_CONTENT_TYPES
        return self.content_type if known else "an unlisted content type"

    def json(self) -> JSONValue:
        """The JSON body, or a ``ResponseError`` naming what came instead."""
        if not self.is_json:
            raise ResponseError(
                f"expected a JSON body, got {self.content_kind} (HTTP {self.status})",
                endpoint=self.endpoint.name,
            )
        parsed = self._parsed
        if parsed is not _MALFORMED:
            return parsed
        raise ResponseError(
            f"malformed JSON body (HTTP {self.status}, {len(self.body)} bytes)",
            endpoint=self.endpoint.name,
        )

    @functools.cached_property
    def _parsed(self) -> JSONValue:
        try:
            return _loads(self.body)
        except ValueError:
            return _MALFORMED

    def expect_ok(self) -> Reply:
        """This reply if it is a 200; otherwise a ``ResponseError`` with CrowdTwist's listed
        words."""
        if self.status != 200:
            code, message = self.error_fields()
            detail = f": {code} {message}".rstrip() if code or message else ""
            raise ResponseError(
                f"unexpected HTTP {self.status}{detail}", endpoint=self.endpoint.name
            )
        return self

    def records(self, keys: Sequence[str] = ()) -> list[Any]:
        """The record list of a 200: a bare array or the first of ``keys`` present."""
        body = self.expect_ok().json()
        if isinstance(body, list):
            return body
        if isinstance(body, dict):
            for key in keys:
                value = body.get(key)
                if isinstance(value, list):
                    return value
        expected = " or ".join(("a JSON array", *(f"an object with {k!r}" for k in keys)))
        raise ResponseError(f"expected {expected}", endpoint=self.endpoint.name)

    def json_object(self) -> dict[str, Any]:
        """The JSON object of a 200."""
        body = self.expect_ok().json()
        if not isinstance(body, dict):
            raise ResponseError("expected a JSON object", endpoint=self.endpoint.name)
        return body

    @property
    def user_not_found(self) -> bool:
        """CrowdTwist's documented "User does not exist." answer, and nothing else.

        A 404 from anything else (a retired route, a proxy, the wrong origin) proves nothing
        about the person and must not be read as their absence.
        """
        return self.status == 404 and self.error_fields()[0] == "page_not_found"

    def says_none(self, codes: frozenset[str]) -> bool:
        """A collection's way of saying the member has none of it: HTTP 400 or 404 with one
        of ``codes`` (e.g. ``receipt_scanning_inactive``)."""
        return self.status in (400, 404) and self.error_fields()[0] in codes

    def error_fields(self) -> tuple[str, str]:
        """CrowdTwist's error code and message from either envelope (main: ``error`` and
        ``message``; POS: ``reason`` and ``description``), each as sent if it is listed
        (``KNOWN_CODES``, ``KNOWN_MESSAGES``), withheld if not, empty if absent."""
        body = self._parsed if self.is_json else None
        if not isinstance(body, dict):
            return "", ""
        code = body.get("error") or body.get("reason")
        message = body.get("message") or body.get("description")
        return _listed(code, KNOWN_CODES, WITHHELD_CODE), _listed(
            message, KNOWN_MESSAGES, WITHHELD_MESSAGE
        )


def _listed(value: object, known: frozenset[str], withheld: str) -> str:
    if not value:
        return ""
    return value if isinstance(value, str) and value in known else withheld
