"""The echo integration as a plugin of this release would be: every output carries
``stats`` and a long call reports progress on ``crowdtwist_plugin.progress``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from tests.host.echo_plugin import EchoPlugin

PROGRESS = logging.getLogger("crowdtwist_plugin.progress")
# receipts: 3 pages found only after the first; purchases: 2 pages known at once
EVENTS: list[dict[str, Any]] = [
    {"collection": "receipts", "pages_done": 1, "pages_known": None, "records": 25},
    {"collection": "purchases", "pages_done": 1, "pages_known": 2, "records": 10},
    {"collection": "receipts", "pages_done": 2, "pages_known": 3, "records": 50},
    {"collection": "purchases", "pages_done": 2, "pages_known": 2, "records": 13},
    {"collection": "receipts", "pages_done": 3, "pages_known": 3, "records": 60},
]


def stats(requests: int, **more: Any) -> dict[str, Any]:
    by_endpoint = {"GET /v2/users/{user_id}/receipts": requests}
    return {
        "requests": requests,
        "by_endpoint": by_endpoint,
        "retries": 0,
        "responses_429": 0,
        "budget_wait_s": 0.0,
        "elapsed_s": 0.1,
        **more,
    }


class ProgressPlugin(EchoPlugin):
    """Echo with ``stats`` on every output and progress records during an access."""

    def __init__(self, name: str = "echo", checks_to_complete: int = 2) -> None:
        super().__init__(name, checks_to_complete)
        self.access_stats: Any = stats(
            12, retries=1, responses_429=1, budget_wait_s=0.5, elapsed_s=1.25
        )
        self.handlers_seen: list[int] = []  # progress handlers attached during each call

    def _seen(self) -> None:
        self.handlers_seen.append(len(PROGRESS.handlers))

    async def _check(self, connection: Mapping[str, Any]) -> dict[str, Any]:
        self._seen()
        return {**await super()._check(connection), "stats": stats(2)}

    async def _access(
        self, connection: Mapping[str, Any], identifiers: Mapping[str, Sequence[str]]
    ) -> dict[str, Any]:
        self._seen()
        for event in EVENTS:
            message = "%s: %s/%s pages, %s records"
            fields = (event["collection"], event["pages_done"], event["pages_known"])
            PROGRESS.info(message, *fields, event["records"], extra=event)
        PROGRESS.info("a record without fields is ignored")
        report = await super()._access(connection, identifiers)
        return {**report, "stats": self.access_stats}

    async def _submit(self, identifiers: Mapping[str, Sequence[str]]) -> dict[str, Any]:
        self._seen()
        return {**await super()._submit(identifiers), "stats": stats(3)}

    async def _refresh(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        self._seen()
        refreshed = await super()._refresh(ticket)
        return {**refreshed, "stats": stats(1, elapsed_s=0.25)}  # replaces the stale stats
