"""Plugin discovery and hook dispatch: the host owns awaiting, plugins stay simple."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import pluggy

from host_stub import hookspecs
from host_stub.errors import HostError

HOOKS = ("validate_credentials", "handle_access", "submit_deletion", "check_deletion")


class UnknownIntegrationError(HostError):
    """No installed plugin answered for the requested integration."""


def make_plugin_manager(*, load_entrypoints: bool = True) -> pluggy.PluginManager:
    """A plugin manager with the host's hookspecs and, by default, the installed plugins."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(hookspecs.PROJECT_NAME)
    pm.check_pending()
    return pm


def installed_integrations(pm: pluggy.PluginManager) -> list[str]:
    """Names of the registered plugins that implement at least one hook, sorted."""
    names = []
    for name, plugin in pm.list_name_plugin():
        if plugin is hookspecs or plugin is None:
            continue
        if pm.get_hookcallers(plugin):
            names.append(name)
    return sorted(names)


async def call_hook(
    pm: pluggy.PluginManager, hook_name: str, *, integration: str, **kwargs: Any
) -> dict[str, Any]:
    """Call one of the four hooks for ``integration`` and await what the plugin returned."""
    if hook_name not in HOOKS:
        raise ValueError(f"unknown hook {hook_name!r}")
    caller = getattr(pm.hook, hook_name)
    result = caller(integration=integration, **kwargs)
    if result is None:
        installed = ", ".join(installed_integrations(pm)) or "none"
        raise UnknownIntegrationError(
            f"no installed plugin handles integration {integration!r}; installed: {installed}"
        )
    if inspect.isawaitable(result):
        result = await result
    if not isinstance(result, Mapping):
        raise HostError(
            f"plugin for {integration!r} returned {type(result).__name__} from {hook_name}, "
            "expected a JSON object"
        )
    return dict(result)
