"""Running the sandbox: two loopback listeners in the current loop, or in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any, TypeVar

import attrs
from aiohttp import web

from .admin import add_admin_routes
from .api_errors import Origin
from .faults import Fault, FaultKind
from .limiter import Keep
from .pipeline import crowdtwist_middleware
from .routes_main import add_main_routes
from .routes_pos import add_pos_routes
from .sandbox_config import SandboxConfig
from .state import STATE, Counters, LogRecord, SandboxState

T = TypeVar("T")
SHUTDOWN_TIMEOUT = 1.0


@attrs.define
class Sandbox:
    """A running sandbox. Changes made through it take effect on the next request."""

    config: SandboxConfig
    api_base_url: str
    pos_base_url: str
    state: SandboxState = attrs.field(repr=False)

    @property
    def api_key(self) -> str:
        return self.config.api_key

    @property
    def hmac_keys(self) -> tuple[str, str] | None:
        """``(public key, private key)`` in HMAC mode, else ``None``."""
        public, private = self.config.hmac_public_key, self.config.hmac_private_key
        return None if public is None or private is None else (public, private)

    @property
    def log(self) -> list[LogRecord]:
        return self.state.log

    @property
    def counters(self) -> Counters:
        return self.state.counters

    def add_fault(self, kind: Fault | FaultKind | str, **fields: Any) -> int:
        """Arm a fault, e.g. ``add_fault("status", endpoint="receipts", status=503, times=2)``.

        Takes a ``Fault`` or a kind and ``Fault``'s other fields; returns the fault's id.
        """
        armed = kind if isinstance(kind, Fault) else Fault(FaultKind(kind), **fields)
        return self.state.faults.add(armed)

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def set_rate_limit(
        self,
        rate_per_second: float | None,
        capacity: int | None = None,
        retry_after: str | Keep | None = Keep.KEEP,
    ) -> None:
        """New limiter policy (``None`` switches it off); buckets restart empty."""
        self.state.limiter.update(rate_per_second, capacity, retry_after)

    def reset(self) -> None:
        """Forget the request log and the counters."""
        self.state.reset()


def _application(state: SandboxState, origin: Origin) -> web.Application:
    app = web.Application(middlewares=[crowdtwist_middleware(origin)])
    app[STATE] = state
    if origin == "api":
        add_main_routes(app, state.config.deletion_status_paths)
    else:
        add_pos_routes(app)
    add_admin_routes(app)
    return app


async def _listen(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    # access_log=None: aiohttp's access log would write the api_key query parameter.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    shown_host = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown_host}:{bound_port}"


@contextlib.asynccontextmanager
async def run_sandbox(config: SandboxConfig | None = None) -> AsyncIterator[Sandbox]:
    """Serve both origins in the running event loop until the block exits."""
    config = SandboxConfig() if config is None else config
    state = SandboxState.build(config)
    async with contextlib.AsyncExitStack() as stack:
        urls: list[str] = []
        origins: tuple[tuple[Origin, int], ...] = (
            ("api", config.api_port),
            ("pos", config.pos_port),
        )
        for origin, port in origins:
            runner, url = await _listen(_application(state, origin), config.host, port)
            stack.push_async_callback(runner.cleanup)
            urls.append(url)
        yield Sandbox(config, urls[0], urls[1], state)


class SandboxThread:
    """``with SandboxThread(config) as sb:`` runs the sandbox in a daemon thread's own loop."""

    def __init__(self, config: SandboxConfig | None = None, start_timeout: float = 30.0) -> None:
        self.config = SandboxConfig() if config is None else config
        self._start_timeout = start_timeout
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._sandbox: Sandbox | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> Sandbox:
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout):
            raise TimeoutError("the sandbox did not start in time")
        if self._error is not None or self._sandbox is None:
            raise RuntimeError("the sandbox failed to start") from self._error
        return self._sandbox

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with run_sandbox(self.config) as sandbox:
                self._sandbox = sandbox
                self._ready.set()
                await self._stop.wait()
        except Exception as err:
            self._error = err
        finally:
            self._ready.set()

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function(*args)`` on the sandbox's loop (thread-safe changes at run time)."""
        if self._loop is None:
            raise RuntimeError("the sandbox is not running")

        async def run() -> T:
            return function(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
