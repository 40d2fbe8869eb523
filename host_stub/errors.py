"""Host-side errors, and the rule that sorts what a plugin raises into outcomes.

The rule (also stated in the CLI's and the runner's docstrings):

- an exception that is a ``ValueError`` *and* carries ``retryable = False`` (the plugin's own
  configuration error, e.g. ``crowdtwist_plugin.errors.ConfigurationError``) is a
  configuration error: exit code 2, the operator fixes the settings or the identifiers;
- any other exception with a boolean ``retryable`` is a failed call: ``retryable = True``
  keeps a deletion open for a later attempt, ``False`` fails the request (exit code 1);
- an exception without a boolean ``retryable`` (a bare ``ValueError``, ``RecursionError``,
  ``KeyError``, ...) breaks the contract: it is a plugin bug or a response the plugin did
  not handle. The request fails (exit code 1) and the message says so; it is never
  reported as a configuration error.
"""

from __future__ import annotations

import math
from typing import Literal

import attrs

MAX_ERROR_CHARS = 2000
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2  # success, request failed, usage/configuration


class HostError(Exception):
    """A request could not be served; the message is safe to show."""

    retryable = False


class ConfigError(HostError):
    """Configuration or usage is wrong; the message names the setting and where to fix it."""


FailureKind = Literal["configuration", "retryable", "final", "contract"]


@attrs.frozen
class PluginFailure:
    """What a hook call's exception means for the request (see the module docstring)."""

    kind: FailureKind
    message: str
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.kind == "retryable"


def _text(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the failure itself
        text = "<unprintable message>"
    if len(text) > MAX_ERROR_CHARS:
        text = text[:MAX_ERROR_CHARS] + f"... ({len(text) - MAX_ERROR_CHARS} more characters)"
    return text


def _retry_after(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after", None)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return max(float(value), 0.0)
    return None


def classify_failure(hook: str, exc: Exception) -> PluginFailure:
    """Sort an exception raised by (or while calling) ``hook`` into a ``PluginFailure``."""
    if isinstance(exc, ConfigError):
        return PluginFailure("configuration", _text(exc))
    if isinstance(exc, HostError):
        return PluginFailure("final", _text(exc))
    retryable = getattr(exc, "retryable", None)
    if not isinstance(retryable, bool):
        return PluginFailure(
            "contract",
            f"{hook} raised {type(exc).__name__} without a retryable flag: a plugin bug or a "
            f"response the plugin did not handle, not a configuration error: {_text(exc)}",
        )
    message = f"{hook} failed: {_text(exc)}"
    if isinstance(exc, ValueError) and not retryable:
        return PluginFailure("configuration", message)
    if retryable:
        return PluginFailure("retryable", message, _retry_after(exc))
    return PluginFailure("final", message)
