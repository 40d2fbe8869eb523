"""Oracle CrowdTwist integration for privacy-automation hosts.

The hook implementations are in :mod:`crowdtwist_plugin.plugin` (the ``privacy_host``
entry point); the JSON Schemas of what crosses the host boundary are in
:mod:`crowdtwist_plugin.schemas`. ``crowdtwist_plugin.__version__`` is the installed
distribution's version, read from its metadata on first use (a host that never asks
pays nothing for it at start-up).
"""

from __future__ import annotations

DISTRIBUTION = "crowdtwist-privacy-plugin"

__version__: str  # provided by __getattr__ below


def __getattr__(name: str) -> str:
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version(DISTRIBUTION)
    except PackageNotFoundError:  # imported from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found


__all__ = ["DISTRIBUTION", "__version__"]
