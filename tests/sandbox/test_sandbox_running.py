"""Ways to run the sandbox: the CLI command, the thread wrapper, the scale option."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import aiohttp
import pytest

from crowdtwist_sandbox import DEMO_PEOPLE, SandboxConfig, SandboxThread, main, run_sandbox

from .sandbox_client import Client


async def _status(url: str, **headers: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as reply:
        return reply.status


def test_thread_serves_several_event_loops() -> None:
    with SandboxThread(SandboxConfig()) as sandbox:
        url = f"{sandbox.api_base_url}/v2/activities?api_key={sandbox.api_key}"
        assert asyncio.run(_status(url)) == 200
        assert asyncio.run(_status(url)) == 200
        sandbox.add_fault("status", status=502, endpoint="program_activities")
        assert asyncio.run(_status(url)) == 502
        assert [r.status for r in sandbox.log] == [200, 200, 502]


def test_thread_reports_a_port_in_use() -> None:
    with SandboxThread(SandboxConfig()) as first:
        port = int(first.api_base_url.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError), SandboxThread(SandboxConfig(api_port=port)):
            pass


@pytest.mark.parametrize("argv", [["--capacity", "0"], ["--deletion-step", "-1"]])
def test_cli_rejects_bad_values(argv: list[str]) -> None:
    assert main(argv) == 2


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_cli_serves_until_signalled(signum: signal.Signals) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crowdtwist_sandbox",
        "--api-port",
        "0",
        "--pos-port",
        "0",
        "--api-key",
        "cli-key-123",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    banner = ""
    while "Press Ctrl-C" not in banner:
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert line, banner
        banner += line.decode()
    api = re.search(r"main API: (\S+)", banner)
    pos = re.search(r"POS API:  (\S+)", banner)
    assert api is not None
    assert pos is not None
    assert "cli-key-123" in banner
    assert "alice@example.com" in banner
    purchases = f"{pos[1]}/users/A4364BX/purchases?id_type=third_party_id"
    assert await _status(f"{api[1]}/v2/activities?api_key=wrong") == 403
    assert await _status(f"{purchases}&api_key=cli-key-123") == 403
    assert await _status(purchases, **{"X-CT-Authorization": "CTApiKey cli-key-123"}) == 200
    process.send_signal(signum)
    rest = await asyncio.wait_for(process.stdout.read(), 20)
    assert await asyncio.wait_for(process.wait(), 20) == 0
    assert b"sandbox stopped" in rest


async def test_scale_members_are_generated_and_paged() -> None:
    # How fast they are generated is make bench's concern: no wall-clock bound here.
    config = SandboxConfig(scale_users=20, scale_records=2000)
    async with run_sandbox(config) as sandbox, aiohttp.ClientSession() as session:
        client = Client(session, sandbox)
        params = {"id_type": "email", "page": "80", "page_size": "25"}
        reply = await client.get("/v2/users/scale-19@scale.example.com/receipts", params=params)
        body = reply.json()
        assert body["paging"]["total"] == 2000
        assert body["paging"]["pages"] == 80
        assert len(body["submitted_receipts"]) == 25
        history = await client.get(
            "/v2/users/SCALE-0/activity_history",
            params={"id_type": "third_party_id", "page_size": "25", "page_number": "80"},
        )
        assert len(history.json()) == 25
        redemptions = await client.get(
            "/v2.2/users/SCALE-7/redemption_history", params={"id_type": "third_party_id"}
        )
        assert redemptions.json()["paging"]["total"] == 2000
        found = (await client.search({"third_party_id": "SCALE-3"})).json()
        assert [m["member_id"] for m in found] == [900_000_003]


def test_demo_people_contract() -> None:
    people = DEMO_PEOPLE
    assert people["alice"].email == "alice@example.com"
    assert people["alice"].third_party_id == "A4364BX"
    assert people["bob"].email == "bob+loyalty@example.com"
    assert not people["carol"].is_active
    assert people["carol"].redeemable_points == 0
    assert not people["dave"].is_active
    assert people["dave"].redeemable_points > 0
    assert people["ann"].email == "ann@example.com"
    emails = {p.email for p in people.values()}
    assert {"ann@example.com.au", "annabel@example.com"} <= emails
    assert all(p.email.split("@")[1].startswith("example.") for p in people.values())
    assert all(10**8 <= p.crowdtwist_id < 10**9 for p in people.values())
    assert len({p.crowdtwist_id for p in people.values()}) == len(people)
