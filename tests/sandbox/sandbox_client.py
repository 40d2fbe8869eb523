"""A small HTTP client for the sandbox tests (real loopback HTTP, sessions always closed)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import aiohttp
import attrs
from multidict import CIMultiDictProxy

from host_stub.sandbox import Sandbox, SandboxConfig

FAST = SandboxConfig(deletion_step_seconds=0.1)
KeyMode = Literal["query", "header", "both", "none"]


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
