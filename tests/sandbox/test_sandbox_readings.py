"""The switches for readings the documentation leaves open: each value does what it says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import pytest

from host_stub.sandbox import DEMO_PEOPLE, SandboxConfig
from host_stub.sandbox.sandbox_cli import main, parse_config

from .sandbox_client import FAST, Client

ALICE = DEMO_PEOPLE["alice"]
REDEMPTIONS = "/v2.2/users/{}/redemption_history"
LAST_YEAR = attrs.evolve(FAST, redemption_history_undated="last_365_days")
EVERYTHING = attrs.evolve(FAST, redemption_history_undated="everything")


def days_ago(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days)).isoformat()


def year_window(years_back: int) -> dict[str, str]:
    """The ``years_back``-th 365-day window before today (0: the last year), as query dates."""
    return {
        "date_start": days_ago(365 * (years_back + 1)),
        "date_end": days_ago(365 * years_back),
    }


async def redemption_ids(client: Client, third_party_id: str, dates: dict[str, str]) -> list[int]:
    """The ``order_id`` of every redemption in one listing, all pages."""
    path = REDEMPTIONS.format(third_party_id)
    params = {"id_type": "third_party_id", **dates}
    first = await client.get(path, params=params)
    assert first.status == 200, first.text
    found: list[int] = [item["order_id"] for item in first.json()["rewards"]]
    for page in range(2, first.json()["paging"]["pages"] + 1):
        body: dict[str, Any] = (await client.get(path, params={**params, "page": str(page)})).json()
        found.extend(item["order_id"] for item in body["rewards"])
    return found


@pytest.mark.parametrize(
    ("sandbox", "total"),
    [
        pytest.param(LAST_YEAR, ALICE.records.redemptions, id="last_365_days"),
        pytest.param(
            EVERYTHING, ALICE.records.redemptions + ALICE.records.old_redemptions, id="everything"
        ),
    ],
    indirect=["sandbox"],
)
async def test_undated_redemption_history_total(client: Client, total: int) -> None:
    ids = await redemption_ids(client, ALICE.third_party_id, {})
    assert len(ids) == len(set(ids)) == total


@pytest.mark.parametrize(
    ("sandbox", "years_covered"),
    [pytest.param(LAST_YEAR, 1, id="last_365_days"), pytest.param(EVERYTHING, 4, id="everything")],
    indirect=["sandbox"],
)
@pytest.mark.parametrize("name", ["alice", "bob", "erin"])
async def test_undated_read_is_the_union_of_year_windows(
    client: Client, name: str, years_covered: int
) -> None:
    """last_365_days: exactly the last year's window; everything: every window there is."""
    tpid = DEMO_PEOPLE[name].third_party_id
    undated = await redemption_ids(client, tpid, {})
    windows: set[int] = set()
    for years_back in range(years_covered):
        windows.update(await redemption_ids(client, tpid, year_window(years_back)))
    assert sorted(undated) == sorted(windows)


@pytest.mark.parametrize("sandbox", [LAST_YEAR, EVERYTHING], indirect=True, ids=["last", "all"])
@pytest.mark.parametrize(
    ("dates", "status", "total"),
    [
        (year_window(0), 200, 27),
        (year_window(1), 200, 6),
        ({"date_start": days_ago(366), "date_end": days_ago(0)}, 400, 0),
        ({"date_start": days_ago(700)}, 400, 0),
        ({"date_end": days_ago(10)}, 400, 0),
    ],
)
async def test_dated_redemption_reads_ignore_the_switch(
    client: Client, dates: dict[str, str], status: int, total: int
) -> None:
    reply = await client.get(
        REDEMPTIONS.format(ALICE.third_party_id), params={"id_type": "third_party_id", **dates}
    )
    assert reply.status == status, reply.text
    if status == 200:
        assert reply.json()["paging"]["total"] == total
    else:
        assert reply.json()["error"] == "param_error"


@pytest.mark.parametrize(
    ("argv", "field", "value"),
    [
        ([], "redemption_history_undated", "last_365_days"),
        (
            ["--redemption-history-undated", "everything"],
            "redemption_history_undated",
            "everything",
        ),
        (
            ["--redemption-history-undated", "last_365_days"],
            "redemption_history_undated",
            "last_365_days",
        ),
    ],
)
def test_cli_flags_set_the_config(argv: list[str], field: str, value: object) -> None:
    assert getattr(parse_config(argv), field) == value


@pytest.mark.parametrize(
    "fields",
    [{"redemption_history_undated": "all"}, {"redemption_history_undated": ""}],
)
def test_config_rejects_unknown_readings(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(fields))):
        SandboxConfig(**fields)


@pytest.mark.parametrize("argv", [["--redemption-history-undated", "all"]])
def test_cli_refuses_unknown_readings(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
