"""The plugin is found the way a host finds it: through the installed entry point."""

from __future__ import annotations

import importlib.metadata

import pluggy

import crowdtwist_plugin.plugin
import host_stub.hookspecs

HOOKS = {"validate_credentials", "handle_access", "submit_deletion", "check_deletion"}


def test_the_installed_distribution_declares_the_entry_point() -> None:
    entry_points = importlib.metadata.entry_points(group="privacy_host")
    (crowdtwist,) = [ep for ep in entry_points if ep.name == "crowdtwist"]
    assert crowdtwist.dist is not None
    assert crowdtwist.dist.name == "crowdtwist-privacy-plugin"
    assert crowdtwist.load() is crowdtwist_plugin.plugin.plugin
    dists = {ep.dist.name for ep in entry_points if ep.dist is not None}
    assert "privacy-host-stub" not in dists  # the host registers no plugin of its own


def test_a_fresh_plugin_manager_loads_all_four_hooks_from_the_entry_point() -> None:
    pm = pluggy.PluginManager(host_stub.hookspecs.PROJECT_NAME)
    pm.add_hookspecs(host_stub.hookspecs)
    loaded = pm.load_setuptools_entrypoints("privacy_host")
    assert loaded >= 1
    pm.check_pending()
    plugin = pm.get_plugin("crowdtwist")
    assert plugin is crowdtwist_plugin.plugin.plugin
    callers = pm.get_hookcallers(plugin) or []
    assert {caller.name for caller in callers} == HOOKS  # a wrong marker name would give none
    dist_names = [dist.project_name for _, dist in pm.list_plugin_distinfo()]
    assert "crowdtwist-privacy-plugin" in dist_names
    assert pm.hook.handle_access(integration="mailchimp", connection={}, identifiers={}) is None
    pm.unregister(plugin)
