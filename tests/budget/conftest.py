"""Real Redis for the shared budget tests: one redis-server per session on a free loopback
port, without persistence, in a temporary directory; tests that kill or freeze Redis get
their own server. No fakes: every wait asserted here was computed by Redis."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis

from crowdtwist_plugin.pacing import Limits, LocalBudget, burst_for
from crowdtwist_plugin.pacing.redis_budget import RedisBudget
from crowdtwist_plugin.secret import Secret
from crowdtwist_plugin.settings import connection_fingerprint

REPO = Path(__file__).resolve().parents[2]
ENSURE = REPO / ".ci" / "ensure-redis-server"
STARTUP_DEADLINE = 20.0  # seconds for redis-server to answer PING (not a test assertion)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            reply = conn.recv(64)
    except OSError:
        return False
    # "-NOAUTH" also means the server is up (a server with requirepass).
    return reply.startswith((b"+PONG", b"-NOAUTH"))


class RedisServer:
    """A redis-server process this test session owns: start, kill, freeze, restart."""

    def __init__(self, directory: Path, *, password: str | None = None) -> None:
        self.directory = directory
        self.password = password
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            "redis-server",
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(self.directory),
            "--daemonize", "no",
            "--loglevel", "warning",
        ]  # fmt: skip
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + STARTUP_DEADLINE
        while not _answers_ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: Redis vanishes mid-run, with all its state (no persistence)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: connections still open, but nothing answers."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def client(self) -> redis.Redis:
        """A synchronous client for looking at the state; use it in a ``with`` block."""
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password)


@contextmanager
def running_redis(directory: Path, *, password: str | None = None) -> Iterator[RedisServer]:
    """A started server, stopped on leaving."""
    _require_redis_server()
    server = RedisServer(directory, password=password)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _require_redis_server() -> None:
    if shutil.which("redis-server") is None:
        bash = shutil.which("bash") or "/bin/bash"
        check = subprocess.run(
            [bash, str(ENSURE), "--check"], capture_output=True, text=True, check=False
        )
        pytest.fail(check.stderr.strip() or "redis-server is not installed", pytrace=False)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A server of this test's own, with a password, to kill, freeze and restart."""
    with running_redis(tmp_path, password=f"pw-{uuid.uuid4().hex}") as server:
        yield server


@pytest.fixture
def namespace() -> str:
    """A budget of this test's own (its state starts empty)."""
    return fresh_namespace()


def fresh_namespace() -> str:
    key = Secret(f"key-{uuid.uuid4().hex}")
    return connection_fingerprint(key, "https://api.test", "https://pos.test")


class Driven:
    """A budget driven at clock values the test chooses: this process's ``LocalBudget`` on
    a virtual clock, or the fleet's ``RedisBudget`` with the script's test-only clock.
    Each call returns (wait or pause left, rate after the call); a 429's request started
    at the 429's own time unless the test says otherwise."""

    def __init__(self, kind: str, redis_server: RedisServer) -> None:
        self.kind = kind
        self._redis = redis_server
        self._open: list[RedisBudget] = []

    def budget(self, rate: float, *, burst: int | None = None, utilization: float = 1.0) -> Any:
        limits = Limits(rate, utilization, burst_for(rate) if burst is None else burst)
        if self.kind == "local":
            return _Local(limits)
        shared = RedisBudget.connect(
            self._redis.url,
            namespace=fresh_namespace(),
            rate=rate,
            burst=burst,
            utilization=utilization,
        )
        self._open.append(shared)
        return _Shared(shared)

    async def aclose(self) -> None:
        for shared in self._open:
            await shared.aclose()


class _Local:
    def __init__(self, limits: Limits) -> None:
        self.now = 0.0
        self.budget = LocalBudget(limits, lambda: self.now)

    async def reserve(self, at: float) -> tuple[float, float]:
        self.now = at
        got = await self.budget.reserve()
        return got.wait, got.rate

    async def penalise(
        self, at: float, pause: float, started: float | None = None
    ) -> tuple[float, float]:
        self.now = at
        await self.budget.penalise(pause, at if started is None else started)
        return max(0.0, self.budget.state.paused_until - at), self.budget.rate


class _Shared:
    def __init__(self, budget: RedisBudget) -> None:
        self.budget = budget

    async def reserve(self, at: float) -> tuple[float, float]:
        got = await self.budget._run("reserve", clock=at)
        return got.wait, got.rate

    async def penalise(
        self, at: float, pause: float, started: float | None = None
    ) -> tuple[float, float]:
        begun = at if started is None else started
        got = await self.budget._run("penalise", pause=pause, started=begun, clock=at)
        return got.wait, got.rate


@pytest.fixture(params=["local", "redis"])
async def driven(
    request: pytest.FixtureRequest, redis_server: RedisServer
) -> AsyncIterator[Driven]:
    """Each test of the shared suite runs once on each budget."""
    both = Driven(request.param, redis_server)
    try:
        yield both
    finally:
        await both.aclose()
