"""Every network connection the test process opens, seen where it is opened.

Python's audit hooks (PEP 578) report each ``socket.connect`` and each name lookup
(``socket.getaddrinfo``), whoever makes them: the plugin, aiohttp, a proxy, anything. A
request to a host name needs a lookup and a request to an address needs a connect, so a
stray request cannot go unseen, and no library is patched to see it. (One exception:
under ``--block-network`` a connect to an address outside loopback is refused by
pytest-recording's guard before the socket reports it; that request then fails.) An
audit hook cannot be removed: one is installed for the process and feeds whichever
``NetworkLog`` is open.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import Any

import attrs


@attrs.define
class NetworkLog:
    """Connections opened while the log was open: (host, port), and names looked up."""

    connects: list[tuple[str, int]] = attrs.field(factory=list)
    lookups: list[str] = attrs.field(factory=list)

    def origins(self) -> set[str]:
        """Where connections went, as ``http://host:port`` (every origin in tests is HTTP)."""
        return {f"http://{host}:{port}" for host, port in self.connects}

    @property
    def silent(self) -> bool:
        """Nothing was connected to and no name was looked up."""
        return not self.connects and not self.lookups


_open_logs: list[NetworkLog] = []
_lock = threading.Lock()  # lookups are reported from the executor's threads
_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _open_logs:
        return
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2:
            with _lock:
                for log in _open_logs:
                    log.connects.append((str(address[0]), int(address[1])))
    elif event == "socket.getaddrinfo":
        host = args[0]
        name = host.decode() if isinstance(host, bytes) else str(host)
        with _lock:
            for log in _open_logs:
                log.lookups.append(name)


@contextlib.contextmanager
def network_log() -> Iterator[NetworkLog]:
    """Record every connection and lookup in the process while the block runs."""
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True
    log = NetworkLog()
    with _lock:
        _open_logs.append(log)
    try:
        yield log
    finally:
        with _lock:
            _open_logs.remove(log)
