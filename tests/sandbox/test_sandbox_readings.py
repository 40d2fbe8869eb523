"""The switches for readings the documentation leaves open: each value does what it says."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from crowdtwist_sandbox import DEMO_PEOPLE, SandboxConfig
from crowdtwist_sandbox.sandbox_cli import main, parse_config

from .sandbox_client import FAST, REDEMPTIONS, Client, days_ago, year_window

ALICE = DEMO_PEOPLE["alice"]
LAST_YEAR = attrs.evolve(FAST, redemption_history_undated="last_365_days")
EVERYTHING = attrs.evolve(FAST, redemption_history_undated="everything")


@pytest.mark.parametrize(
    ("sandbox", "name", "total"),
    [
        pytest.param(LAST_YEAR, "alice", ALICE.records.redemptions, id="last_365_days-alice"),
        pytest.param(
            EVERYTHING,
            "alice",
            ALICE.records.redemptions + ALICE.records.old_redemptions,
            id="everything-alice",
        ),
        pytest.param(EVERYTHING, "tess", DEMO_PEOPLE["tess"].records.redemptions, id="tess"),
        pytest.param(EVERYTHING, "noel", DEMO_PEOPLE["noel"].records.redemptions, id="noel"),
    ],
    indirect=["sandbox"],
)
async def test_undated_redemption_history_total(client: Client, name: str, total: int) -> None:
    ids = await client.redemption_ids(DEMO_PEOPLE[name].third_party_id, {})
    assert len(ids) == len(set(ids)) == total


@pytest.mark.parametrize(
    ("sandbox", "years_covered"),
    [pytest.param(LAST_YEAR, 1, id="last_365_days"), pytest.param(EVERYTHING, 4, id="everything")],
    indirect=["sandbox"],
)
@pytest.mark.parametrize("name", ["alice", "bob", "erin", "tess", "noel"])
async def test_undated_read_is_the_union_of_year_windows(
    client: Client, name: str, years_covered: int
) -> None:
    """last_365_days: exactly the last year's window; everything: every window there is."""
    tpid = DEMO_PEOPLE[name].third_party_id
    undated = await client.redemption_ids(tpid, {})
    windows: set[int] = set()
    for years_back in range(years_covered):
        windows.update(await client.redemption_ids(tpid, year_window(years_back)))
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


def clamped(clamp: int | None) -> SandboxConfig:
    return attrs.evolve(FAST, legacy_history_page_clamp=clamp)


async def history_page(client: Client, size: str | None, number: str | None) -> list[Any]:
    params = {"id_type": "third_party_id"}
    if size is not None and number is not None:
        params |= {"page_size": size, "page_number": number}
    reply = await client.get(f"/v2/users/{ALICE.third_party_id}/activity_history", params=params)
    assert reply.status == 200, reply.text
    items: list[Any] = reply.json()
    return items


@pytest.mark.parametrize(
    ("sandbox", "page_size", "expected"),
    [
        pytest.param(clamped(25), None, 10, id="25-default"),
        pytest.param(clamped(25), "20", 20, id="25-below"),
        pytest.param(clamped(25), "1000", 25, id="25-above"),
        pytest.param(clamped(None), None, 10, id="none-default"),
        pytest.param(clamped(None), "1000", ALICE.records.activity_history, id="none-above"),
        pytest.param(clamped(5), None, 5, id="5-default"),
        pytest.param(clamped(5), "20", 5, id="5-above"),
        pytest.param(clamped(5), "3", 3, id="5-below"),
    ],
    indirect=["sandbox"],
)
async def test_legacy_history_page_clamp(
    client: Client, page_size: str | None, expected: int
) -> None:
    assert (
        len(await history_page(client, page_size, None if page_size is None else "1")) == expected
    )


@pytest.mark.parametrize(
    ("sandbox", "pages"),
    [
        pytest.param(clamped(25), 3, id="25"),  # 57 items: 25 + 25 + 7
        pytest.param(clamped(None), 2, id="none"),  # 50 + 7
        pytest.param(clamped(5), 12, id="5"),  # 11 x 5 + 2
    ],
    indirect=["sandbox"],
)
async def test_paging_by_page_number_reaches_every_history_item_once(
    client: Client, pages: int
) -> None:
    """Asking for 50 a page: a short page is no end marker, only an empty one is."""
    seen: list[Any] = []
    number = 1
    while page := await history_page(client, "50", str(number)):
        seen.extend(page)
        number += 1
    assert number - 1 == pages
    assert len(seen) == len({repr(item) for item in seen}) == ALICE.records.activity_history


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
        ([], "legacy_history_page_clamp", 25),
        (["--legacy-history-page-clamp", "none"], "legacy_history_page_clamp", None),
        (["--legacy-history-page-clamp", "None"], "legacy_history_page_clamp", None),
        (["--legacy-history-page-clamp", "7"], "legacy_history_page_clamp", 7),
    ],
)
def test_cli_flags_set_the_config(argv: list[str], field: str, value: object) -> None:
    assert getattr(parse_config(argv), field) == value


@pytest.mark.parametrize(
    "fields",
    [
        {"redemption_history_undated": "all"},
        {"redemption_history_undated": ""},
        {"legacy_history_page_clamp": 0},
        {"legacy_history_page_clamp": -25},
    ],
)
def test_config_rejects_out_of_range_values(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(fields))):
        SandboxConfig(**fields)


@pytest.mark.parametrize(
    "argv",
    [
        ["--redemption-history-undated", "all"],
        ["--legacy-history-page-clamp", "many"],
    ],
)
def test_cli_refuses_unparsable_values(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2


@pytest.mark.parametrize("argv", [["--legacy-history-page-clamp", "0"]])
def test_cli_refuses_out_of_range_values(argv: list[str]) -> None:
    assert main(argv) == 2


def test_cli_lingering_flags_repeat() -> None:
    config = parse_config(
        [
            "--lingering-data-set",
            "purchases",
            "--lingering-data-set",
            "badges",
            "--lingering-identifier",
            "email",
        ]
    )
    assert config.lingering_data_sets == ("purchases", "badges")
    assert config.lingering_identifiers == ("email",)
    assert parse_config([]).lingering_data_sets == ()
