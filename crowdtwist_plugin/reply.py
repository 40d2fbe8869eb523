"""What CrowdTwist answered: the operation asked (``Endpoint``) and the response read in
full (``Reply``), with the checks every caller needs (JSON, records, "user not found")."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, Literal

import attrs

from crowdtwist_plugin.errors import Detached, ResponseError

JSONValue = Any
_MALFORMED = object()
MAX_ERROR_TEXT = 300  # characters of CrowdTwist's own error words kept in messages


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
    # Hides every form of the API key in texts taken from the body (a server may echo the
    # request's URL in its error message).
    redact: Callable[[str], str] = attrs.field(default=str, repr=False, eq=False)

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
        """This reply if it is a 200; otherwise a ``ResponseError`` with CrowdTwist's words."""
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

    def error_fields(self) -> tuple[str, str]:
        """CrowdTwist's error code and message from either envelope, if the body has them."""
        body = self._parsed if self.is_json else None
        if not isinstance(body, dict):
            return "", ""
        code = body.get("error") or body.get("reason") or ""
        message = body.get("message") or body.get("description") or ""
        return self.redact(str(code)[:MAX_ERROR_TEXT]), self.redact(str(message)[:MAX_ERROR_TEXT])
