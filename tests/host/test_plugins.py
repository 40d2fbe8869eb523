"""Routing of hook calls to the plugin that owns the integration."""

from __future__ import annotations

from typing import Any

import pluggy
import pytest

from host_stub.plugins import (
    HOOKS,
    UnknownIntegrationError,
    call_hook,
    installed_integrations,
    make_plugin_manager,
)
from tests.host.echo_plugin import EchoPlugin


def test_all_four_hooks_are_registered(echo_pm: pluggy.PluginManager, echo: EchoPlugin) -> None:
    callers = {c.name for c in echo_pm.get_hookcallers(echo) or []}
    assert callers == set(HOOKS)


def test_wrong_marker_name_registers_nothing() -> None:
    wrong = pluggy.HookimplMarker("not_privacy_host")

    class Silent:
        @wrong
        def handle_access(self, integration: str, connection: Any, identifiers: Any) -> None:
            return None

    pm = make_plugin_manager(load_entrypoints=False)
    plugin = Silent()
    pm.register(plugin, name="silent")
    try:
        assert not pm.get_hookcallers(plugin)
        assert installed_integrations(pm) == []
    finally:
        pm.unregister(plugin)


async def test_call_reaches_only_the_owning_plugin(echo_pm: pluggy.PluginManager) -> None:
    other = EchoPlugin(name="other")
    echo_pm.register(other, name="other")
    try:
        report = await call_hook(
            echo_pm,
            "handle_access",
            integration="other",
            connection={},
            identifiers={"email": ["a@example.com"]},
        )
        assert report["integration"] == "other"
        assert other.calls == ["handle_access"]
        assert installed_integrations(echo_pm) == ["echo", "other"]
    finally:
        echo_pm.unregister(other)


async def test_first_coroutine_result_wins_and_no_coroutine_is_left_unawaited(
    echo_pm: pluggy.PluginManager, echo: EchoPlugin
) -> None:
    second = EchoPlugin(name="echo")
    echo_pm.register(second, name="echo-twin")
    try:
        result = await call_hook(echo_pm, "validate_credentials", integration="echo", connection={})
        assert result["ok"] is False
        # pluggy calls the most recently registered first and stops at the first non-None.
        assert second.calls == ["validate_credentials"]
        assert echo.calls == []
    finally:
        echo_pm.unregister(second)


async def test_unknown_integration_names_what_is_installed(echo_pm: pluggy.PluginManager) -> None:
    with pytest.raises(UnknownIntegrationError) as info:
        await call_hook(echo_pm, "validate_credentials", integration="x", connection={})
    assert str(info.value) == "no installed plugin handles integration 'x'; installed: echo"
    assert info.value.retryable is False


async def test_non_mapping_result_is_an_error(echo_pm: pluggy.PluginManager) -> None:
    class Broken:
        @pluggy.HookimplMarker("privacy_host")
        def validate_credentials(self, integration: str, connection: Any) -> Any:
            return ["not", "a", "dict"] if integration == "broken" else None

    plugin = Broken()
    echo_pm.register(plugin, name="broken")
    try:
        with pytest.raises(Exception, match="returned list from validate_credentials"):
            await call_hook(echo_pm, "validate_credentials", integration="broken", connection={})
    finally:
        echo_pm.unregister(plugin)
