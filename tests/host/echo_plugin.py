"""A throwaway integration, ``echo``, registered on fresh plugin managers in host tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("privacy_host")


class EchoFailure(Exception):
    """What a real plugin raises: a message and ``retryable``."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class EchoConfigError(EchoFailure, ValueError):
    """The plugin's own configuration error: a ``ValueError`` that is not retryable."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class EchoPlugin:
    """Answers for ``name`` only; deletions complete after ``checks_to_complete`` checks."""

    def __init__(self, name: str = "echo", checks_to_complete: int = 2) -> None:
        self.name = name
        self.checks_to_complete = checks_to_complete
        self.calls: list[str] = []
        self.fail_with: Exception | None = None

    def _mine(self, integration: str, hook: str) -> bool:
        if integration != self.name:
            return False
        self.calls.append(hook)
        return True

    @hookimpl
    def validate_credentials(self, integration: str, connection: Mapping[str, Any]) -> Any:
        if not self._mine(integration, "validate_credentials"):
            return None
        return self._check(connection)

    async def _check(self, connection: Mapping[str, Any]) -> dict[str, Any]:
        ok = connection.get("api_key") == "good-key"
        return {"ok": ok, "checks": [{"name": "main_api", "ok": ok, "detail": "checked"}]}

    @hookimpl
    def handle_access(
        self, integration: str, connection: Mapping[str, Any], identifiers: Any
    ) -> Any:
        if not self._mine(integration, "handle_access"):
            return None
        return self._access(connection, identifiers)

    async def _access(
        self, connection: Mapping[str, Any], identifiers: Mapping[str, Sequence[str]]
    ) -> dict[str, Any]:
        if self.fail_with is not None:
            raise self.fail_with
        emails = list(identifiers.get("email", []))
        subjects = [
            {
                "crowdtwist_id": 1,
                "matched": [f"email:{e}" for e in emails],
                "profile": {"id": 1},
                "members": [{"member_id": 1}],
                "data": {"activities": [{"id": 1}, {"id": 2}], "rewards": []},
            }
        ]
        return {"integration": self.name, "subjects": subjects, "not_found": []}

    @hookimpl
    def submit_deletion(
        self, integration: str, connection: Mapping[str, Any], identifiers: Any
    ) -> Any:
        if not self._mine(integration, "submit_deletion"):
            return None
        return self._submit(identifiers)

    async def _submit(self, identifiers: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        if self.fail_with is not None:
            raise self.fail_with
        refused = "refuse@example.com" in identifiers.get("email", [])
        status = "rejected" if refused else "queued"
        return {
            "integration": self.name,
            "state": "failed" if refused else "pending",
            "submitted_at": "2026-11-27T10:00:00Z",
            "users": [{"crowdtwist_id": 7, "matched": [], "status": status, "detail": status}],
            "not_found": [],
            "checks": 0,
        }

    @hookimpl
    def check_deletion(
        self, integration: str, connection: Mapping[str, Any], ticket: Mapping[str, Any]
    ) -> Any:
        if not self._mine(integration, "check_deletion"):
            return None
        return self._refresh(ticket)

    async def _refresh(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        checks = int(ticket["checks"]) + 1
        done = checks >= self.checks_to_complete
        user = {**ticket["users"][0], "status": "completed" if done else "in_progress"}
        return {
            **ticket,
            "checks": checks,
            "users": [user],
            "state": "complete" if done else "pending",
        }
