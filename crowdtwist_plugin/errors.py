"""The plugin's exceptions: each says whether a retry may help and never carries a secret.

Messages name the endpoint by its template (``GET /v2/users/{user_id}/receipts``), never
by a concrete URL, so neither the API key nor the data subject's identifiers end up in
logs, exception text or the host's store.
"""

from __future__ import annotations


class CrowdTwistError(Exception):
    """A hook could not do its job. ``retryable`` tells the host whether to try later."""

    retryable: bool = False

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        self.endpoint = endpoint
        super().__init__(f"{endpoint}: {message}" if endpoint else message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, retryable={self.retryable})"


class ConfigurationError(CrowdTwistError, ValueError):
    """The connection mapping, the identifiers or a ticket are invalid."""


class AuthenticationError(CrowdTwistError):
    """CrowdTwist rejected the API key (HTTP 403)."""


class TransientError(CrowdTwistError):
    """Rate limiting, server errors, timeouts or connection failures outlasted the retries."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        retry_after: float | None = None,
        maybe_processed: bool = False,
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.retry_after = retry_after
        # True when the request may have reached CrowdTwist and been acted on (no answer,
        # or a 5xx), for a request that must not simply be sent again.
        self.maybe_processed = maybe_processed


class ResponseError(CrowdTwistError):
    """CrowdTwist answered with a body or status this plugin cannot interpret."""


class InconsistentDataError(CrowdTwistError):
    """The data changed while it was being read (e.g. page counts moved); read again later."""

    retryable = True
