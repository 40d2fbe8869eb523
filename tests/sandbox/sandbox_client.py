"""A small HTTP client for the sandbox tests (real loopback HTTP, sessions always closed)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Literal

import aiohttp
import attrs
from multidict import CIMultiDictProxy

from crowdtwist_sandbox import Sandbox, SandboxConfig

FAST = SandboxConfig(deletion_step_seconds=0.1)
KeyMode = Literal["query", "header", "both", "none"]
REDEMPTIONS = "/v2.2/users/{}/redemption_history"


def days_ago(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)).isoformat()


def year_window(years_back: int) -> dict[str, str]:
    """The ``years_back``-th 365-day window before today (0: the last year), as query dates."""
    return {"date_start": days_ago(365 * (years_back + 1)), "date_end": days_ago(365 * years_back)}


@attrs.frozen
class Reply:
    status: int
    headers: CIMultiDictProxy[str]
    text: str

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0]

    def json(self) -> Any:
        return json.loads(self.text)


@attrs.define
class Client:
    session: aiohttp.ClientSession
    sandbox: Sandbox

    async def call(
        self,
        method: str,
        path: str,
        *,
        origin: Literal["api", "pos"] = "api",
        params: Mapping[str, str] | None = None,
        key: KeyMode | None = None,
        api_key: str | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request; the key goes where the docs put it unless ``key`` says otherwise."""
        base = self.sandbox.api_base_url if origin == "api" else self.sandbox.pos_base_url
        secret = self.sandbox.api_key if api_key is None else api_key
        mode = key or ("query" if origin == "api" else "header")
        query = dict(params or {})
        all_headers = dict(headers or {})
        if mode in ("query", "both"):
            query["api_key"] = secret
        if mode in ("header", "both"):
            all_headers["X-CT-Authorization"] = f"CTApiKey {secret}"
        async with self.session.request(
            method,
            base + path,
            params=query,
            headers=all_headers,
            json=body,
            allow_redirects=False,
        ) as response:
            return Reply(response.status, response.headers, await response.text())

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return await self.call("GET", path, **kwargs)

    async def get_url(self, url: str, **headers: str) -> Reply:
        async with self.session.get(url, headers=headers, allow_redirects=False) as response:
            return Reply(response.status, response.headers, await response.text())

    async def search(self, body: Any, **params: str) -> Reply:
        return await self.call("POST", "/v2/members", params=params, body=body)

    async def admin(self, method: str, path: str, body: Any = None) -> Reply:
        url = f"{self.sandbox.api_base_url}/_sandbox/{path}"
        async with self.session.request(method, url, json=body) as response:
            return Reply(response.status, response.headers, await response.text())

    async def redemption_ids(self, third_party_id: str, dates: Mapping[str, str]) -> list[int]:
        """The ``order_id`` of every redemption in one listing, all pages."""
        path = REDEMPTIONS.format(third_party_id)
        params = {"id_type": "third_party_id", **dates}
        first = await self.get(path, params=params)
        assert first.status == 200, first.text
        found: list[int] = [item["order_id"] for item in first.json()["rewards"]]
        for page in range(2, first.json()["paging"]["pages"] + 1):
            reply = await self.get(path, params={**params, "page": str(page)})
            found.extend(item["order_id"] for item in reply.json()["rewards"])
        return found
