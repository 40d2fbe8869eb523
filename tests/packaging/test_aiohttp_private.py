"""What the plugin relies on in aiohttp beyond its documented API: fail loudly when it goes.

``ClientSession._retry_connection`` (aiohttp >= 3.11) is private. The plugin sets it to
``False`` so that aiohttp does not resend a DELETE by itself when the connection drops
before the answer (CrowdTwist may have queued the deletion: the plugin reads the
deletion status first). If a release of aiohttp renames it or stops honouring it, these
tests fail, and the lower or upper bound of aiohttp must change with the plugin's code.

This module needs only aiohttp and the standard library: ``make test-lowest`` also runs
it on the plugin's own lowest versions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest


def test_client_session_has_retry_connection() -> None:
    assert "_retry_connection" in aiohttp.ClientSession.ATTRS, (
        f"aiohttp {aiohttp.__version__} has no ClientSession._retry_connection: a dropped "
        "DELETE would be resent by aiohttp itself"
    )


async def test_retry_connection_defaults_to_true_and_can_be_switched_off() -> None:
    async with aiohttp.ClientSession() as session:
        assert session._retry_connection is True
        session._retry_connection = False
        assert session._retry_connection is False


def test_connector_dns_error_exists() -> None:
    """The plugin names an unknown host precisely (aiohttp >= 3.10.11)."""
    assert issubclass(aiohttp.ClientConnectorDNSError, aiohttp.ClientConnectorError)


class HangUp:
    """A loopback HTTP server that reads each request and closes without answering."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head.split(b"\r\n", 1)[0])
        writer.close()
        await writer.wait_closed()


@pytest.fixture
async def hang_up() -> AsyncIterator[tuple[HangUp, str]]:
    server = HangUp()
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield server, f"http://127.0.0.1:{port}/v2/users/564865656?id_type=id"
    finally:
        listener.close()
        await listener.wait_closed()


@pytest.mark.parametrize(("retry_connection", "sent"), [(True, 2), (False, 1)])
async def test_retry_connection_decides_whether_a_dropped_delete_is_resent(
    hang_up: tuple[HangUp, str], retry_connection: bool, sent: int
) -> None:
    server, url = hang_up
    async with aiohttp.ClientSession() as session:
        session._retry_connection = retry_connection
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with session.delete(url) as response:
                await response.read()
    assert server.requests == [b"DELETE /v2/users/564865656?id_type=id HTTP/1.1"] * sent
