"""Members whose redemptions span three years: demo people, the scale option, determinism."""

from __future__ import annotations

import attrs
import pytest

from crowdtwist_sandbox import DEMO_PEOPLE, SandboxConfig
from crowdtwist_sandbox.members import Store
from crowdtwist_sandbox.people import THREE_YEARS, Timeline
from crowdtwist_sandbox.sandbox_cli import parse_config

from .sandbox_client import FAST, Client, year_window

TPID = {"id_type": "third_party_id"}
ANCHOR = 1_767_225_600  # 2026-01-01T00:00:00Z: a fixed "today" for generation-only tests


async def per_year(client: Client, third_party_id: str, years: int) -> list[int]:
    """How many redemptions each of the last ``years`` one-year windows holds."""
    return [
        len(await client.redemption_ids(third_party_id, year_window(back))) for back in range(years)
    ]


@pytest.mark.parametrize(
    ("name", "expected_per_year"),
    [("tess", [12, 12, 12, 0]), ("noel", [8, 8, 8, 0]), ("alice", [27, 6, 0, 0])],
)
async def test_redemptions_per_year_window(
    client: Client, name: str, expected_per_year: list[int]
) -> None:
    person = DEMO_PEOPLE[name]
    assert await per_year(client, person.third_party_id, 4) == expected_per_year
    every = set()
    for back in range(3):
        every.update(await client.redemption_ids(person.third_party_id, year_window(back)))
    assert len(every) == person.records.redemptions + person.records.old_redemptions


async def test_tess_has_redemptions_older_than_her_profile(client: Client) -> None:
    tess = DEMO_PEOPLE["tess"]
    profile = (await client.get(f"/v2/users/{tess.third_party_id}", params=TPID)).json()
    created = profile["date_created"]
    assert isinstance(created, int)
    body = (
        await client.get(
            f"/v2.2/users/{tess.third_party_id}/redemption_history",
            params={**TPID, **year_window(2)},
        )
    ).json()
    assert body["rewards"]
    assert all(item["order_date"] < created for item in body["rewards"])


@pytest.mark.parametrize("pii", [None, "false"])
async def test_noel_profile_has_a_null_date_created(client: Client, pii: str | None) -> None:
    params = TPID if pii is None else {**TPID, "pii": pii}
    reply = await client.get(f"/v2/users/{DEMO_PEOPLE['noel'].third_party_id}", params=params)
    profile = reply.json()
    assert "date_created" in profile
    assert profile["date_created"] is None
    assert profile["tier_info"]["date_assigned"] is None


SCALE_RECORDS = 60


def scaled(redemption_days: int) -> SandboxConfig:
    return attrs.evolve(
        FAST,
        scale_users=1,
        scale_records=SCALE_RECORDS,
        scale_redemption_days=redemption_days,
    )


@pytest.mark.parametrize(
    ("sandbox", "expected_per_year"),
    [
        pytest.param(scaled(360), [60, 0, 0, 0], id="default-360"),
        pytest.param(scaled(730), [30, 30, 0, 0], id="two-years"),
        pytest.param(scaled(THREE_YEARS), [20, 20, 20, 0], id="three-years"),
    ],
    indirect=["sandbox"],
)
async def test_scale_redemption_days(client: Client, expected_per_year: list[int]) -> None:
    assert await per_year(client, "SCALE-0", 4) == expected_per_year


@pytest.mark.parametrize(
    ("argv", "value"),
    [([], 360), (["--scale-redemption-days", str(THREE_YEARS)], THREE_YEARS)],
)
def test_cli_scale_redemption_days(argv: list[str], value: int) -> None:
    assert parse_config(argv).scale_redemption_days == value


def test_out_of_range_spans_are_refused() -> None:
    with pytest.raises(ValueError, match="scale_redemption_days"):
        SandboxConfig(scale_redemption_days=0)
    with pytest.raises(ValueError, match="redemption_days"):
        Timeline(redemption_days=0)


def _generated(seed: int) -> dict[int, tuple[object, object]]:
    store = Store.build(SandboxConfig(seed=seed, scale_users=1, scale_records=5), ANCHOR)
    return {
        member_id: (member.profile, member.records) for member_id, member in store.members.items()
    }


def test_generation_is_deterministic_per_seed() -> None:
    first, again, other = _generated(7), _generated(7), _generated(8)
    assert first == again
    for name in ("tess", "noel"):
        member_id = DEMO_PEOPLE[name].crowdtwist_id
        assert first[member_id] != other[member_id]
