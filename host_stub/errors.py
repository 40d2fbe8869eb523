"""Host-side errors and the last line of defence against printing or storing a secret."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote, quote_plus


class HostError(Exception):
    """A request could not be served; the message is safe to show."""

    retryable = False


class ConfigError(HostError):
    """Configuration or usage is wrong; the message names the setting and where to fix it."""


def secret_forms(secret: str) -> set[str]:
    """The raw secret and the encoded forms it takes in URLs and headers."""
    if not secret:
        return set()
    return {secret, quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every known form of every secret in ``text`` with ``***``."""
    forms = sorted({f for s in secrets for f in secret_forms(s)}, key=len, reverse=True)
    for form in forms:
        text = text.replace(form, "***")
    return text
