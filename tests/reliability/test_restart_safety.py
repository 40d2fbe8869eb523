"""Restart safety for deletions: never a second DELETE, never a lost deletion.

A host may crash after ``submit_deletion`` sent the DELETE and before it persisted the
ticket; it then submits again. ``host-stub`` creates the store row ("submitting") before it
calls the plugin, and ``host-stub resume`` (a fresh process: a new ``main`` call on the same
store) finishes every pending or half-submitted deletion.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from crowdtwist_sandbox import Sandbox, SandboxConfig, SandboxThread
from host_stub.store import RequestStore
from tests.helpers.cli import Cli
from tests.helpers.host import Host, connection_for
from tests.helpers.people import ANN, BOB, CAROL, CAROL_IDS, ERIN
from tests.helpers.proxy import Exchange, drop, run_proxy
from tests.helpers.waiting import wait_until

POLL = ["--poll-interval", "0.05", "--max-poll-interval", "0.1", "--max-wait", "10"]


async def _deletes_settle(sandbox: Sandbox, expected_at_least: int) -> None:
    """Wait until the sandbox has counted the DELETEs a delayed handler still owes."""
    await wait_until(
        lambda: sum(sandbox.counters.deletes_by_user.values()) >= expected_at_least,
        "the delayed DELETE reaching the sandbox",
    )


@pytest.mark.parametrize("resubmissions", [1, 2, 3])
async def test_crash_after_submit_then_submit_again(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], resubmissions: int
) -> None:
    people = [CAROL, BOB, ANN]
    identifiers = {"email": [p.email for p in people]}
    first = await host.submit(connection, identifiers)  # the host "crashes": ticket lost
    assert {u["status"] for u in first["users"]} == {"queued"}
    for _ in range(resubmissions):
        again = await host.submit(connection, identifiers)
        assert again["state"] == "pending"
        assert [u["crowdtwist_id"] for u in again["users"]] == sorted(
            p.crowdtwist_id for p in people
        )
        assert {u["status"] for u in again["users"]} == {"in_progress"}
    assert dict(sandbox.counters.deletes_by_user) == {p.crowdtwist_id: 1 for p in people}
    deletes = [r for r in sandbox.log if r.method == "DELETE"]
    assert len(deletes) == len(people)


@pytest.mark.parametrize("sandbox_config", [SandboxConfig(deletion_step_seconds=0.05)])
async def test_submit_again_after_the_deletion_completed(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """Resubmitting once the person is gone is complete at once and sends no DELETE."""
    await host.submit(connection, CAROL_IDS)
    deletions = sandbox.state.store.deletions
    await wait_until(lambda: deletions.is_completed(CAROL.crowdtwist_id), "the deletion completing")
    again = await host.submit(connection, CAROL_IDS)
    assert again["state"] == "complete"
    assert again["users"] == [] and again["not_found"] == [f"email:{CAROL.email}"]
    assert dict(sandbox.counters.deletes_by_user) == {CAROL.crowdtwist_id: 1}


async def test_cancelled_mid_delete_then_submit_again(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """The host dies while the DELETE is in flight; the server still acts on it. The next
    submission (once the server has acted) finds the deletion and does not repeat it."""
    sandbox.add_fault("latency", endpoint="delete_user", seconds=0.2, times=1)
    task = asyncio.ensure_future(host.submit(connection, CAROL_IDS))
    # The sandbox takes the fault when the DELETE arrives, and holds the DELETE there.
    await wait_until(lambda: sandbox.state.faults.snapshot() == [], "the DELETE arriving")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _deletes_settle(sandbox, 1)
    again = await host.submit(connection, CAROL_IDS)
    assert again["users"][0]["status"] == "in_progress"
    assert dict(sandbox.counters.deletes_by_user) == {CAROL.crowdtwist_id: 1}


# --- a DELETE whose answer is lost after CrowdTwist acted on it -----------------------------


async def _submit_losing_the_delete_answer(
    host: Host, sandbox: Sandbox, short_timeout: float, how: str
) -> tuple[dict[str, Any], list[int]]:
    """Submit through a proxy that lets CrowdTwist queue the deletion, then loses the answer
    (it comes after the client's read timeout, or the connection is dropped)."""
    async with run_proxy(sandbox.api_base_url) as api:
        connection = {**connection_for(sandbox), "api_base_url": api.url}
        lost: list[int] = []

        async def rule(exchange: Exchange) -> web.StreamResponse | None:
            if exchange.request.method != "DELETE" or lost:
                return None
            lost.append(exchange.status)  # CrowdTwist has queued the deletion
            if how == "connection-dropped":
                drop(exchange)
            await asyncio.sleep(short_timeout * 4)
            return None

        api.rule = rule
        ticket = await host.submit(connection, CAROL_IDS)
    return ticket, lost


LOST = ["answer-too-late", "connection-dropped"]


@pytest.mark.parametrize("how", LOST)
async def test_lost_delete_answer_is_not_a_rejection(
    host: Host, sandbox: Sandbox, short_timeout: float, how: str
) -> None:
    ticket, lost = await _submit_losing_the_delete_answer(host, sandbox, short_timeout, how)
    assert lost == [200]
    assert ticket["state"] == "pending", ticket
    assert ticket["users"][0]["status"] in ("queued", "in_progress"), ticket


@pytest.mark.parametrize(
    "how",
    ["answer-too-late", "connection-dropped"],
)
async def test_lost_delete_answer_sends_one_delete(
    host: Host, sandbox: Sandbox, short_timeout: float, how: str
) -> None:
    """Found by this suite: the status is read before a DELETE is sent again, and aiohttp's
    own resend of idempotent requests on a dropped connection is switched off."""
    await _submit_losing_the_delete_answer(host, sandbox, short_timeout, how)
    assert dict(sandbox.counters.deletes_by_user) == {CAROL.crowdtwist_id: 1}


# --- through the CLI ------------------------------------------------------------------------


def _deletes(thread: SandboxThread, sandbox: Sandbox) -> dict[int, int]:
    return thread.call(lambda: dict(sandbox.counters.deletes_by_user))


def test_resume_finishes_a_row_left_submitting(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox], host: Host
) -> None:
    """The plugin ran (DELETE sent), the host died before persisting the ticket."""
    thread, sandbox = cli_sandbox
    identifiers = CAROL_IDS
    asyncio.run(host.submit(connection_for(sandbox), identifiers))
    store = RequestStore(cli.store_path)
    row = store.create("deletion", "crowdtwist", identifiers, "submitting")

    code, out, err = cli.run("resume", *POLL)

    assert code == 0, (out, err)
    finished = RequestStore(cli.store_path).get(row.id)
    assert finished is not None and finished.state == "complete", finished
    assert _deletes(thread, sandbox) == {CAROL.crowdtwist_id: 1}


def test_resume_submits_a_row_whose_plugin_call_never_happened(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox]
) -> None:
    thread, sandbox = cli_sandbox
    store = RequestStore(cli.store_path)
    row = store.create("deletion", "crowdtwist", CAROL_IDS, "submitting")
    code, out, err = cli.run("resume", *POLL)
    assert code == 0, (out, err)
    finished = RequestStore(cli.store_path).get(row.id)
    assert finished is not None and finished.state == "complete"
    assert _deletes(thread, sandbox) == {CAROL.crowdtwist_id: 1}


def test_resume_after_restart_completes_every_pending_deletion(
    cli: Cli, cli_sandbox: tuple[SandboxThread, Sandbox], host: Host
) -> None:
    thread, sandbox = cli_sandbox
    # Process 1: two deletions submitted without waiting; then it stops.
    for person in (CAROL, BOB):
        code, out, err = cli.run("delete", "--email", person.email, "--no-wait")
        assert code == 0, (out, err)
    # Process 1 also died half-way through a third one (the plugin ran, no ticket stored).
    asyncio.run(host.submit(connection_for(sandbox), {"email": [ANN.email]}))
    RequestStore(cli.store_path).create(
        "deletion", "crowdtwist", {"email": [ANN.email]}, "submitting"
    )
    # A deletion of nobody is complete at once and not resumed.
    code, _, _ = cli.run("delete", "--email", ERIN.email.replace("erin", "nobody"), "--no-wait")
    assert code == 0
    states = [r.state for r in RequestStore(cli.store_path).list(kind="deletion")]
    assert states == ["pending", "pending", "submitting", "complete"]

    # Process 2 (a fresh main() on the same store).
    code, out, err = cli.run("resume", *POLL)

    assert code == 0, (out, err)
    rows = RequestStore(cli.store_path).list(kind="deletion")
    assert [r.state for r in rows] == ["complete"] * 4
    assert _deletes(thread, sandbox) == {
        CAROL.crowdtwist_id: 1,
        BOB.crowdtwist_id: 1,
        ANN.crowdtwist_id: 1,
    }
    # Process 3: nothing left to do, and nothing is sent again.
    code, out, _ = cli.run("resume", *POLL)
    assert code == 0 and "no pending deletions" in out
    assert sum(_deletes(thread, sandbox).values()) == 3
