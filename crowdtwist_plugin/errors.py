"""The plugin's exceptions: each says whether a retry may help and never carries a secret.

An error is built once with its fields (``reason``, ``endpoint`` and, for transient
failures, ``retry_after`` and ``maybe_processed``); its message is derived from them.
Endpoints are named by template (``GET /v2/users/{user_id}/receipts``), never by a
concrete URL, so neither the API key nor the data subject's identifiers end up in logs,
exception text or the host's store.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, NoReturn, TypeVar

E = TypeVar("E", bound=BaseException)


class CrowdTwistError(Exception):
    """A hook could not do its job. ``retryable`` tells the host whether to try later."""

    retryable: bool = False

    def __init__(self, reason: str, *, endpoint: str | None = None) -> None:
        self.reason = reason
        self.endpoint = endpoint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.endpoint}: {self.reason}" if self.endpoint else self.reason

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, retryable={self.retryable})"

    def redact(self, scrub: Callable[[str], str]) -> None:
        """Scrub a secret from the reason (texts taken from a response may echo it)."""
        self.reason = scrub(self.reason)
        self.args = (self.message,)


class ConfigurationError(CrowdTwistError, ValueError):
    """The connection mapping, the identifiers or a ticket are invalid."""


class AuthenticationError(CrowdTwistError):
    """CrowdTwist rejected the API key (HTTP 403)."""


class TransientError(CrowdTwistError):
    """Rate limiting, server errors, timeouts or connection failures outlasted the retries.

    ``maybe_processed`` is true when the request may have reached CrowdTwist and been
    acted on (no answer, or a 5xx) for a request that must not simply be sent again;
    ``outcome`` says how the retrying ended (``"gave up after 6 attempts"``).
    """

    retryable: bool = True

    def __init__(
        self,
        reason: str,
        *,
        endpoint: str | None = None,
        retry_after: float | None = None,
        maybe_processed: bool = False,
        outcome: str | None = None,
    ) -> None:
        self.retry_after = retry_after
        self.maybe_processed = maybe_processed
        self.outcome = outcome
        super().__init__(reason, endpoint=endpoint)

    @property
    def message(self) -> str:
        base = super().message
        return f"{base}; {self.outcome}" if self.outcome else base

    def ended(self, outcome: str) -> TransientError:
        """The same failure, saying how the retrying ended."""
        return TransientError(
            self.reason,
            endpoint=self.endpoint,
            retry_after=self.retry_after,
            maybe_processed=self.maybe_processed,
            outcome=outcome,
        )


class ResponseError(CrowdTwistError):
    """CrowdTwist answered with a body or status this plugin cannot interpret."""


class InconsistentDataError(CrowdTwistError):
    """The data changed while it was being read (e.g. page counts moved); read again later."""

    retryable: bool = True


class Detached(Generic[E]):
    """Turns an exception raised in its ``with`` block into ``into(exc)``, to be raised
    after the block, outside any handler.

    An ``except`` block that raises chains what it caught as ``__context__`` (``from None``
    only hides it from tracebacks), and a third-party exception's text may hold the key,
    a keyed URL or a password; error trackers walk the chain. So a failure is built in
    the handler and raised outside it::

        caught = Detached(TimeoutError, into=lambda exc: TransientError("..."))
        with caught:
            return await work()
        caught.raise_caught()
    """

    def __init__(self, *types: type[BaseException], into: Callable[[BaseException], E]) -> None:
        self._types = types
        self._into = into
        self.failure: E | None = None

    def __enter__(self) -> Detached[E]:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc is None or not isinstance(exc, self._types):
            return False
        self.failure = self._into(exc)
        return True

    def __bool__(self) -> bool:
        return self.failure is not None

    def raise_caught(self) -> NoReturn:
        """Raise the failure, with nothing chained; only after the block caught one."""
        if self.failure is None:
            raise RuntimeError("Detached.raise_caught() with nothing caught")
        failure, self.failure = self.failure, None
        raise failure
