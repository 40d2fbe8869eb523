"""Shared fixtures: fresh plugin managers, never the real entry points."""

from __future__ import annotations

from collections.abc import Iterator

import pluggy
import pytest

from host_stub.plugins import make_plugin_manager
from tests.host.echo_plugin import EchoPlugin


@pytest.fixture
def echo() -> EchoPlugin:
    return EchoPlugin()


@pytest.fixture
def echo_pm(echo: EchoPlugin) -> Iterator[pluggy.PluginManager]:
    pm = make_plugin_manager(load_entrypoints=False)
    pm.register(echo, name="echo")
    try:
        yield pm
    finally:
        pm.unregister(echo)
