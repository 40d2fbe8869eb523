"""The CrowdTwist sandbox is its own distribution, ``crowdtwist-sandbox``, which the host
installs only with its ``sandbox`` extra: ``host-stub sandbox`` and ``host-stub demo``
import it on demand, and say which extra to install when it is missing (the host alone
has no aiohttp)."""

from __future__ import annotations

import importlib

EXTRA = "privacy-host-stub[sandbox]"
# A missing sandbox, or a sandbox installed without its own dependency.
_SANDBOX_MODULES = frozenset({"crowdtwist_sandbox", "aiohttp"})


def sandbox_missing() -> str | None:
    """Why the sandbox cannot run here, naming the extra to install; None when it can."""
    try:
        importlib.import_module("crowdtwist_sandbox")
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in _SANDBOX_MODULES:
            raise
        return (
            f"the CrowdTwist sandbox is not installed ({exc.name} is missing): "
            f"`host-stub sandbox` and `host-stub demo` need the host's sandbox extra, "
            f"pip install '{EXTRA}'"
        )
    return None
