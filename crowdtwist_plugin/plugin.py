"""The pluggy hook implementations: decide synchronously, delegate the work.

Each hook returns ``None`` for another integration and otherwise the coroutine doing the
work, bounded by an overall deadline, which the host awaits (an ``async def`` hookimpl
would always return a coroutine and win every ``firstresult`` call).

The workflows (and aiohttp with them) are imported inside the hooks, so a host that loads
every installed plugin at start pays nothing for this one until it asks for CrowdTwist.
The entry point names the ``plugin`` object; tests register their own
``CrowdTwistPlugin(options)`` on a fresh plugin manager.
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any

import pluggy

from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.settings import INTEGRATION
from crowdtwist_plugin.tasks import within_deadline

hookimpl = pluggy.HookimplMarker("privacy_host")
Result = Coroutine[Any, Any, dict[str, Any]] | None


class CrowdTwistPlugin:
    """The four hooks, with the options every call uses and the throttles they share."""

    def __init__(self, options: ClientOptions | None = None) -> None:
        from crowdtwist_plugin.pacing.throttle import Throttles

        self.options = options or ClientOptions()
        # One budget per connection and event loop, shared by every call of this plugin,
        # and which deletion-status route each origin answers on.
        self.throttles = Throttles(self.options)
        self.status_routes: dict[str, Any] = {}

    @hookimpl
    def validate_credentials(self, integration: str, connection: Mapping[str, Any]) -> Result:
        if integration != INTEGRATION:
            return None
        from crowdtwist_plugin import credentials

        # It reports rather than raises, and answers within its own deadline.
        return credentials.validate_credentials(connection, self.options, self.throttles)

    @hookimpl
    def handle_access(
        self, integration: str, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
    ) -> Result:
        if integration != INTEGRATION:
            return None
        from crowdtwist_plugin import access

        return within_deadline(
            lambda: access.handle_access(connection, identifiers, self.options, self.throttles),
            "handle_access",
            self.options.deadline,
        )

    @hookimpl
    def submit_deletion(
        self, integration: str, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
    ) -> Result:
        if integration != INTEGRATION:
            return None
        from crowdtwist_plugin import deletion

        return within_deadline(
            lambda: deletion.submit_deletion(
                connection, identifiers, self.options, self.throttles, self.status_routes
            ),
            "submit_deletion",
            self.options.deadline,
        )

    @hookimpl
    def check_deletion(
        self, integration: str, connection: Mapping[str, Any], ticket: Mapping[str, Any]
    ) -> Result:
        if integration != INTEGRATION:
            return None
        from crowdtwist_plugin import deletion

        return within_deadline(
            lambda: deletion.check_deletion(
                connection, ticket, self.options, self.throttles, self.status_routes
            ),
            "check_deletion",
            self.options.deadline,
        )


plugin = CrowdTwistPlugin()
