"""Two real ``host-stub`` processes on one store never work the same deletion (issue 11,
item 8). Both failed on the code before: each process submitted, and DELETE went out twice.

The processes run the installed plugin against the sandbox (in this test's event loop),
the main origin through a gate: the first DELETE is held at the gate, before it reaches
the sandbox, until the second process has said that the request is claimed. No test waits
on a clock: the order is forced by the gate and by reading the second process's output.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import attrs
import pytest
from aiohttp import web
from yarl import URL

from crowdtwist_sandbox import Sandbox, SandboxConfig
from host_stub.store import RequestStore
from tests.helpers.host import FAST_RATE
from tests.helpers.people import CAROL

POLL = ["--poll-interval", "0.05", "--max-poll-interval", "0.2", "--max-wait", "120"]
CLAIMED = "is being worked by"
SAFETY = 120.0  # seconds: only so that a broken build fails instead of hanging


@attrs.define
class Gate:
    """Holds the first DELETE through the proxy until ``release`` is set."""

    url: str = ""
    entered: asyncio.Event = attrs.field(factory=asyncio.Event)
    release: asyncio.Event = attrs.field(factory=asyncio.Event)
    deletes: int = 0


@contextlib.asynccontextmanager
async def gated_proxy(target: str) -> AsyncIterator[Gate]:
    gate = Gate()
    async with aiohttp.ClientSession() as upstream:

        async def forward(request: web.Request) -> web.StreamResponse:
            if request.method == "DELETE":
                gate.deletes += 1
                if gate.deletes == 1:
                    gate.entered.set()
                    await gate.release.wait()
            headers = {
                k: v
                for k, v in request.headers.items()
                if k.lower() in ("x-ct-authorization", "content-type", "accept")
            }
            url = URL(target + request.raw_path, encoded=True)
            body = await request.read()
            async with upstream.request(
                request.method, url, headers=headers, data=body or None, allow_redirects=False
            ) as answer:
                payload = await answer.read()
                content_type = answer.headers.get("Content-Type", "application/json")
                return web.Response(
                    status=answer.status, body=payload, headers={"Content-Type": content_type}
                )

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            gate.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
            yield gate
        finally:
            gate.release.set()
            await runner.cleanup()


@attrs.define
class Proc:
    process: asyncio.subprocess.Process
    err_lines: list[str] = attrs.field(factory=list)

    async def read_err_until(self, marker: str) -> bool:
        """Read stderr lines until one holds ``marker`` (True) or the stream ends (False)."""
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            self.err_lines.append(line.decode())
            if marker in self.err_lines[-1]:
                return True
        return False

    async def finish(self) -> tuple[int, str, str]:
        out, err = await self.process.communicate()
        self.err_lines.append(err.decode())
        assert self.process.returncode is not None
        return self.process.returncode, out.decode(), "".join(self.err_lines)


@attrs.define
class Hosts:
    root: Path
    env: dict[str, str]

    @property
    def store_path(self) -> Path:
        return self.root / "state" / "requests.db"

    async def start(self, *args: str) -> Proc:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "host_stub.cli",
            "--config",
            str(self.root / "host-stub.toml"),
            *args,
            cwd=self.root,
            env=self.env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return Proc(process)


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(deletion_step_seconds=0.1)


@pytest.fixture
async def hosts(tmp_path: Path, sandbox: Sandbox) -> AsyncIterator[tuple[Hosts, Gate]]:
    async with gated_proxy(sandbox.api_base_url) as gate:
        (tmp_path / "host-stub.toml").write_text(
            '[host]\nstore = "state/requests.db"\nreports_dir = "state/reports"\n\n'
            f"[integrations.crowdtwist]\nrate_limit_per_minute = {FAST_RATE}\n",
            encoding="utf-8",
        )
        env = {
            "PATH": os.environ.get("PATH", ""),
            "CROWDTWIST_API_KEY": sandbox.api_key,
            "CROWDTWIST_API_BASE_URL": gate.url,
            "CROWDTWIST_POS_BASE_URL": sandbox.pos_base_url,
        }
        yield Hosts(tmp_path, env), gate


async def _second_waits_while_first_holds_the_delete(
    hosts: Hosts, gate: Gate, *command: str
) -> tuple[tuple[int, str, str], tuple[int, str, str], bool]:
    first = await hosts.start(*command)
    await asyncio.wait_for(gate.entered.wait(), SAFETY)  # first: claimed, DELETE in flight
    second = await hosts.start(*command)
    saw_claim = await asyncio.wait_for(second.read_err_until(CLAIMED), SAFETY)
    gate.release.set()
    results = await asyncio.wait_for(asyncio.gather(first.finish(), second.finish()), SAFETY)
    return results[0], results[1], saw_claim


async def test_two_deletes_at_once_send_one_delete(
    hosts: tuple[Hosts, Gate], sandbox: Sandbox
) -> None:
    running, gate = hosts
    first, second, saw_claim = await _second_waits_while_first_holds_the_delete(
        running, gate, "delete", "--email", CAROL.email, *POLL
    )
    assert first[0] == 0, first
    assert second[0] == 0, second
    assert saw_claim, second
    assert "already open (submitting); following it instead of submitting again" in second[2]
    assert "complete (1 user: 1 completed" in first[1] and "complete (1 user" in second[1]
    assert dict(sandbox.counters.deletes_by_user) == {CAROL.crowdtwist_id: 1}
    assert gate.deletes == 1
    (request,) = RequestStore(running.store_path).list()
    assert (request.state, request.owner) == ("complete", None)


async def test_two_resumes_at_once_over_a_half_submitted_deletion_send_one_delete(
    hosts: tuple[Hosts, Gate], sandbox: Sandbox
) -> None:
    running, gate = hosts
    left = RequestStore(running.store_path).create(
        "deletion", "crowdtwist", {"email": [CAROL.email]}, "submitting"
    )
    first, second, saw_claim = await _second_waits_while_first_holds_the_delete(
        running, gate, "resume", *POLL
    )
    assert first[0] == 0, first
    assert second[0] == 0, second
    assert saw_claim, second
    assert dict(sandbox.counters.deletes_by_user) == {CAROL.crowdtwist_id: 1}
    assert gate.deletes == 1
    done = RequestStore(running.store_path).get(left.id)
    assert done is not None and done.state == "complete"
