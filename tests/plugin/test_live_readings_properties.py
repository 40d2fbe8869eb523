"""No record is lost, whichever readings the sandbox serves, while they are unknown and
once they are learned: random runs of typical subjects (``--population``, one in ten with
redemptions older than a year), one hook call each on one plugin, so that later subjects
use what earlier answers proved. Each report is compared with the sandbox's own data."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host_stub.sandbox import Sandbox, SandboxConfig, SandboxThread
from tests.helpers.host import Host, connection_for

POPULATION = 40
WORLDS = {
    "everything+all": {
        "redemption_history_undated": "everything",
        "member_search_is_active_0": "all",
    },
    "last_365_days+inactive_only": {
        "redemption_history_undated": "last_365_days",
        "member_search_is_active_0": "inactive_only",
    },
}


@pytest.fixture(scope="module", params=list(WORLDS), ids=list(WORLDS))
def world(request: pytest.FixtureRequest) -> Iterator[tuple[dict[str, str], Sandbox]]:
    readings = WORLDS[request.param]
    config = SandboxConfig(population=POPULATION, **readings)  # type: ignore[arg-type]
    with SandboxThread(config) as sandbox:
        yield readings, sandbox


def expected(sandbox: Sandbox, email: str) -> tuple[int, int, list[int]]:
    member = sandbox.state.store.find("email", email)
    assert member is not None
    return member.id, len(member.records.redemptions.items), [member.id]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.lists(st.integers(0, POPULATION - 1), min_size=1, max_size=8), pin=st.booleans())
def test_every_record_of_every_subject_is_found(
    world: tuple[dict[str, str], Sandbox], order: list[int], pin: bool
) -> None:
    """``pin``: the true readings pinned; else learned as the subjects go."""
    readings, sandbox = world
    host = Host()
    connection = connection_for(sandbox, **(readings if pin else {}))

    async def run() -> None:
        for index in order:
            email = f"typical-{index}@population.example.com"
            report = await host.access(connection, {"email": [email]})
            crowdtwist_id, redemptions, members = expected(sandbox, email)
            (subject,) = report["subjects"]
            assert subject["crowdtwist_id"] == crowdtwist_id
            assert len(subject["data"]["redemptions"]) == redemptions
            assert [m["member_id"] for m in subject["members"]] == members
            assert all(
                use.get("contradicted_by") is None for use in host.last_stats["readings"].values()
            )

    try:
        asyncio.run(run())
    finally:
        host.close()
