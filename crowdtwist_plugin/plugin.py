"""The pluggy hook implementations: decide synchronously, delegate the work.

Each hook returns ``None`` for another integration and otherwise the coroutine doing the
work, bounded by an overall deadline, which the host awaits (an ``async def`` hookimpl
would always return a coroutine and win every ``firstresult`` call).
"""

from __future__ import annotations

from collections.abc import Coroutine, Mapping
from typing import Any

import pluggy

from crowdtwist_plugin import access, credentials, deletion
from crowdtwist_plugin.tasks import within_deadline

hookimpl = pluggy.HookimplMarker("privacy_host")
INTEGRATION = "crowdtwist"
Result = Coroutine[Any, Any, dict[str, Any]] | None


@hookimpl
def validate_credentials(integration: str, connection: Mapping[str, Any]) -> Result:
    if integration != INTEGRATION:
        return None
    # Bounded by its own short retry policy; it reports rather than raises.
    return credentials.validate_credentials(connection)


@hookimpl
def handle_access(
    integration: str, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
) -> Result:
    if integration != INTEGRATION:
        return None
    return within_deadline(lambda: access.handle_access(connection, identifiers), "handle_access")


@hookimpl
def submit_deletion(
    integration: str, connection: Mapping[str, Any], identifiers: Mapping[str, Any]
) -> Result:
    if integration != INTEGRATION:
        return None
    return within_deadline(
        lambda: deletion.submit_deletion(connection, identifiers), "submit_deletion"
    )


@hookimpl
def check_deletion(
    integration: str, connection: Mapping[str, Any], ticket: Mapping[str, Any]
) -> Result:
    if integration != INTEGRATION:
        return None
    return within_deadline(lambda: deletion.check_deletion(connection, ticket), "check_deletion")
