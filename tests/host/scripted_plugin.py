"""A throwaway integration, ``scripted``, whose next answers or failures a test queues.

Without a script, ``submit_deletion`` answers a pending ticket (one user, queued) and
``check_deletion`` a complete one; ``handle_access`` answers an empty report and
``validate_credentials`` an ok check. A queued item is an exception to raise, a dict to
answer, or a callable (given the hook's keyword arguments) that returns either.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("privacy_host")
NAME = "scripted"
Step = BaseException | dict[str, Any] | Callable[[dict[str, Any]], Any]


def ticket(state: str, status: str, detail: str = "") -> dict[str, Any]:
    return {
        "integration": NAME,
        "state": state,
        "submitted_at": "2026-11-27T10:00:00Z",
        "users": [{"crowdtwist_id": 7, "matched": [], "status": status, "detail": detail}],
        "not_found": [],
    }


DEFAULTS: dict[str, dict[str, Any]] = {
    "validate_credentials": {"ok": True, "checks": [{"name": "main_api", "ok": True}]},
    "handle_access": {"integration": NAME, "subjects": [], "not_found": []},
    "submit_deletion": ticket("pending", "queued", "Queued"),
    "check_deletion": ticket("complete", "completed", "Deletion_completed"),
}


class ScriptedPlugin:
    """Records every call (hook and keyword arguments) and plays its script."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.script: defaultdict[str, list[Step]] = defaultdict(list)

    def hooks_called(self) -> list[str]:
        return [hook for hook, _ in self.calls]

    def _answer(self, hook: str, integration: str, **kwargs: Any) -> Any:
        if integration != NAME:
            return None
        self.calls.append((hook, kwargs))
        return self._play(hook, kwargs)

    async def _play(self, hook: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        step: Step = self.script[hook].pop(0) if self.script[hook] else DEFAULTS[hook]
        if callable(step) and not isinstance(step, BaseException):
            step = step(kwargs)
        if isinstance(step, BaseException):
            raise step
        return dict(step)

    @hookimpl
    def validate_credentials(self, integration: str, connection: Mapping[str, Any]) -> Any:
        return self._answer("validate_credentials", integration, connection=connection)

    @hookimpl
    def handle_access(
        self, integration: str, connection: Mapping[str, Any], identifiers: Any
    ) -> Any:
        return self._answer(
            "handle_access", integration, connection=connection, identifiers=identifiers
        )

    @hookimpl
    def submit_deletion(
        self, integration: str, connection: Mapping[str, Any], identifiers: Any
    ) -> Any:
        return self._answer(
            "submit_deletion", integration, connection=connection, identifiers=identifiers
        )

    @hookimpl
    def check_deletion(
        self, integration: str, connection: Mapping[str, Any], ticket: Mapping[str, Any]
    ) -> Any:
        return self._answer("check_deletion", integration, connection=connection, ticket=ticket)
