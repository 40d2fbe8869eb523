"""The pluggy hook implementations: decide synchronously, delegate the work.

Each hook returns ``None`` for another integration and otherwise the coroutine doing the
work, which the host awaits (an ``async def`` hookimpl would always return a coroutine and
win every ``firstresult`` call).
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any

import pluggy

from crowdtwist_plugin import access, credentials, deletion

hookimpl = pluggy.HookimplMarker("privacy_host")
INTEGRATION = "crowdtwist"
Result = Coroutine[Any, Any, dict[str, Any]] | None


@hookimpl
def validate_credentials(integration: str, connection: Mapping[str, Any]) -> Result:
    if integration != INTEGRATION:
        return None
    return credentials.validate_credentials(connection)


@hookimpl
def handle_access(
    integration: str, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
) -> Result:
    if integration != INTEGRATION:
        return None
    return access.handle_access(connection, identifiers)


@hookimpl
def submit_deletion(
    integration: str, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
) -> Result:
    if integration != INTEGRATION:
        return None
    return deletion.submit_deletion(connection, identifiers)


@hookimpl
def check_deletion(
    integration: str, connection: Mapping[str, Any], ticket: Mapping[str, Any]
) -> Result:
    if integration != INTEGRATION:
        return None
    return deletion.check_deletion(connection, ticket)
