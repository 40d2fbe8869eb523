"""handle_access against the live sandbox: completeness, exact matching, paging, secrecy."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from crowdtwist_sandbox import DEMO_PEOPLE, Sandbox, SandboxConfig
from tests.helpers.host import Host, connection_for
from tests.helpers.minimal import held_by_sandbox
from tests.helpers.people import ALICE, ALICE_COUNTS, CATEGORIES, DEMO_IDS
from tests.helpers.records import as_disclosed, record_ids, withheld_paths


def only_subject(report: dict[str, Any]) -> dict[str, Any]:
    assert report["integration"] == "crowdtwist"
    assert len(report["subjects"]) == 1, [s["crowdtwist_id"] for s in report["subjects"]]
    subject: dict[str, Any] = report["subjects"][0]
    return subject


async def test_alice_every_category_complete_and_unchanged(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    report = await host.access(connection, {"email": [ALICE.email]})
    subject = only_subject(report)
    assert report["not_found"] == []
    assert subject["crowdtwist_id"] == ALICE.crowdtwist_id
    assert subject["matched"] == [f"email:{ALICE.email}"]
    member = sandbox.state.store.members[ALICE.crowdtwist_id]
    assert subject["profile"] == as_disclosed(member.profile)
    # alice signed up with a password and social accounts: each credential is listed
    assert [w["path"] for w in report["withheld"]] == withheld_paths(
        member.profile, "subjects[0].profile"
    )
    assert len(report["withheld"]) == 10
    assert [m["member_id"] for m in subject["members"]] == [ALICE.crowdtwist_id]
    held = held_by_sandbox(sandbox, ALICE.crowdtwist_id)
    assert set(subject["data"]) == set(CATEGORIES)
    for category in CATEGORIES:
        got, want = subject["data"][category], held[category]
        assert len(got) == len(want), category
        assert len(set(record_ids(got))) == len(got), f"duplicate record in {category}"
        if category == "redemptions":  # several date windows: order is not meaningful
            assert sorted(record_ids(got)) == sorted(record_ids(want))
        else:
            assert got == want, category  # every record passed through unchanged, in order
    assert {c: len(subject["data"][c]) for c in CATEGORIES} == ALICE_COUNTS


async def test_alice_paging_each_page_once_and_key_never_leaves_its_place(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    await host.access(connection, {"email": [ALICE.email]})
    log = sandbox.log
    assert log and all(r.status == 200 for r in log), [(r.endpoint, r.status) for r in log]
    requested = Counter(
        (r.origin, r.method, r.raw_path, tuple(sorted(r.query.items())), r.endpoint) for r in log
    )
    repeated = [k for k, n in requested.items() if n > 1 and k[1] == "GET"]
    assert repeated == []
    pages = {
        endpoint: sorted(
            {
                int(r.query.get("page") or r.query["page_number"])
                for r in log
                if r.endpoint == endpoint
            }
        )
        for endpoint in ("activity_history", "receipts", "purchases")
    }
    # 57 history items in pages of 25 (then page 4, the empty end marker after the short
    # page 3), 30 receipts in pages of 25, 23 purchases in pages of 10
    assert pages == {
        "activity_history": [1, 2, 3, 4],
        "receipts": [1, 2],
        "purchases": [1, 2, 3],
    }
    for record in log:
        texts = [record.path, record.raw_path, *record.query.keys(), *record.query.values()]
        assert not any(sandbox.api_key in t for t in texts)
        if record.origin == "pos":
            assert "api_key" not in record.query  # POS: header only
            assert record.status != 403  # the header carried the right key
        else:
            assert record.query.get("api_key") == "***"  # redacted by the sandbox's log


@pytest.mark.parametrize(
    ("identifiers", "expected_ids", "expected_matched", "not_found"),
    [
        pytest.param(
            {"email": ["ann@example.com"]},
            [DEMO_IDS["ann"]],
            [["email:ann@example.com"]],
            [],
            id="exact-email-not-begins-with",
        ),
        pytest.param(
            {"email": ["ALICE@Example.COM"]},
            [DEMO_IDS["alice"]],
            [["email:ALICE@Example.COM"]],
            [],
            id="email-case-insensitive",
        ),
        pytest.param(
            {"email": ["bob+loyalty@example.com"]},
            [DEMO_IDS["bob"]],
            [["email:bob+loyalty@example.com"]],
            [],
            id="plus-in-email",
        ),
        pytest.param(
            {"email": ["carol@example.com"]},
            [DEMO_IDS["carol"]],
            [["email:carol@example.com"]],
            [],
            id="inactive-member",
        ),
        pytest.param(
            {"user_id": ["A4364BX"]},
            [DEMO_IDS["alice"]],
            [["user_id:A4364BX"]],
            [],
            id="third-party-id",
        ),
        pytest.param(
            {"email": ["alice@example.com"], "user_id": ["A4364BX"]},
            [DEMO_IDS["alice"]],
            [["email:alice@example.com", "user_id:A4364BX"]],
            [],
            id="merge-email-and-user-id",
        ),
        pytest.param(
            {"email": ["alice@example.com", "Alice@example.com"]},
            [DEMO_IDS["alice"]],
            [["email:alice@example.com"]],
            [],
            id="duplicate-email-collapses",
        ),
        pytest.param(
            {"email": ["nobody@example.com", "ann@example.co"], "user_id": ["NOPE-1"]},
            [],
            [],
            ["email:nobody@example.com", "email:ann@example.co", "user_id:NOPE-1"],
            id="not-found",
        ),
        pytest.param(
            {"email": ["ann@example.com", "annabel@example.com"], "user_id": ["NOPE-1"]},
            [DEMO_IDS["ann"], DEMO_IDS["annabel"]],
            [["email:ann@example.com"], ["email:annabel@example.com"]],
            ["user_id:NOPE-1"],
            id="two-people-and-a-miss",
        ),
    ],
)
async def test_exact_subject_matching(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    identifiers: dict[str, list[str]],
    expected_ids: list[int],
    expected_matched: list[list[str]],
    not_found: list[str],
) -> None:
    report = await host.access(connection, identifiers)
    assert [s["crowdtwist_id"] for s in report["subjects"]] == expected_ids
    assert [s["matched"] for s in report["subjects"]] == expected_matched
    assert report["not_found"] == not_found
    for subject in report["subjects"]:
        member = sandbox.state.store.members[subject["crowdtwist_id"]]
        assert subject["profile"] == as_disclosed(member.profile)
        assert [m["member_id"] for m in subject["members"]] == [member.id]
        held = held_by_sandbox(sandbox, member.id)
        for category in CATEGORIES:
            assert sorted(record_ids(subject["data"][category])) == sorted(
                record_ids(held[category])
            )


async def test_plus_is_percent_encoded_in_the_path(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    await host.access(connection, {"email": ["bob+loyalty@example.com"]})
    profile_paths = [r.raw_path for r in sandbox.log if r.query.get("id_type") == "email"]
    assert profile_paths
    assert all("%2B" in p and "+" not in p for p in profile_paths)


async def test_member_without_records_gets_empty_lists(
    host: Host, connection: dict[str, Any]
) -> None:
    subject = only_subject(await host.access(connection, {"email": ["erin@example.com"]}))
    assert subject["crowdtwist_id"] == DEMO_IDS["erin"]
    # The points objects are the member's account: they exist, with nothing in them.
    objects = ("points", "points_expiration")
    assert {c: r for c, r in subject["data"].items() if c not in objects} == {
        category: [] for category in CATEGORIES if category not in objects
    }
    (points,) = subject["data"]["points"]
    assert points["total_points"] == 0 and points["activities"] == []
    (expiring,) = subject["data"]["points_expiration"]
    assert not any(expiring.values())


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(receipts_active=False)], ids=["receipts-inactive"]
)
@pytest.mark.parametrize("person", ["alice", "bob", "erin"])
async def test_receipts_inactive_gives_empty_receipts(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], person: str
) -> None:
    subject = only_subject(await host.access(connection, {"email": [DEMO_PEOPLE[person].email]}))
    assert subject["data"]["receipts"] == []
    held = held_by_sandbox(sandbox, DEMO_IDS[person])
    assert len(subject["data"]["purchases"]) == len(held["purchases"])


@pytest.mark.parametrize(
    "sandbox_config",
    [SandboxConfig(redemption_list_key="redemptions")],
    ids=["redemptions-key"],
)
async def test_redemption_list_key_variant(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    subject = only_subject(await host.access(connection, {"email": [ALICE.email]}))
    want = held_by_sandbox(sandbox, ALICE.crowdtwist_id)["redemptions"]
    assert sorted(record_ids(subject["data"]["redemptions"])) == sorted(record_ids(want))
    assert len(want) == ALICE_COUNTS["redemptions"]


@pytest.mark.parametrize(
    ("user_id_type", "value", "expected"),
    [
        ("third_party_id", "A4364BX", DEMO_IDS["alice"]),
        ("id", str(DEMO_IDS["alice"]), DEMO_IDS["alice"]),
        ("username", "Alice", DEMO_IDS["alice"]),
        ("username", "carolc", DEMO_IDS["carol"]),
        ("id", str(DEMO_IDS["carol"]), DEMO_IDS["carol"]),
    ],
)
async def test_user_id_types(
    host: Host, sandbox: Sandbox, user_id_type: str, value: str, expected: int
) -> None:
    connection = connection_for(sandbox, user_id_type=user_id_type)
    report = await host.access(connection, {"user_id": [value]})
    subject = only_subject(report)
    assert subject["crowdtwist_id"] == expected
    assert subject["matched"] == [f"user_id:{value}"]
    assert report["not_found"] == []


@pytest.mark.parametrize(
    ("user_id_type", "value"),
    [
        ("username", "alice"),
        ("username", "Alic"),
        ("third_party_id", "a4364bx"),
        ("id", "46456575"),
    ],
)
async def test_user_ids_match_exactly(
    host: Host, sandbox: Sandbox, user_id_type: str, value: str
) -> None:
    report = await host.access(
        connection_for(sandbox, user_id_type=user_id_type), {"user_id": [value]}
    )
    assert report["subjects"] == []
    assert report["not_found"] == [f"user_id:{value}"]


async def test_report_is_json_compatible(host: Host, connection: dict[str, Any]) -> None:
    import json

    report = await host.access(connection, {"email": [ALICE.email, "nobody@example.com"]})
    assert json.loads(json.dumps(report)) == report


async def test_every_resource_of_alice_once_and_nothing_of_bob(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """Coupons (some expired), the points ledger, expiring points and purchases with line
    items: every record of every resource exactly once, nothing of another member."""
    subject = only_subject(await host.access(connection, {"email": [ALICE.email]}))
    data, held = subject["data"], held_by_sandbox(sandbox, ALICE.crowdtwist_id)
    for category in CATEGORIES:
        assert Counter(record_ids(data[category])) == Counter(record_ids(held[category])), category
    today = str(sandbox.state.store.today)
    expiry = [coupon["date_expires"][:10] for coupon in data["usable_coupons"]]
    assert any(day < today for day in expiry) and any(day > today for day in expiry)
    assert all(detail["items"] for detail in data["purchase_details"])
    assert {d["purchase_id"] for d in data["purchase_details"]} == {
        p["purchase_id"] for p in data["purchases"]
    }
    assert (
        data["points"][0]["activities"]
        and data["points_expiration"][0]["inactivity_points_expiration"]
    )
    bob = sandbox.state.store.members[DEMO_PEOPLE["bob"].crowdtwist_id]
    text = repr(data)
    for coupon in bob.extras.usable_coupons:
        assert coupon["coupon_code"] not in text
    for purchase in bob.records.purchases.items:
        assert repr(purchase["purchase_id"]) not in text


async def test_the_report_says_what_it_read_and_what_it_did_not(
    host: Host, connection: dict[str, Any]
) -> None:
    report = await host.access(connection, {"email": [ALICE.email]})
    read = [entry["collection"] for entry in report["scope"]["read"]]
    assert read == ["profile", "members", *CATEGORIES]
    assert all(e["source"].startswith("https://docs.oracle.com/") for e in report["scope"]["read"])
    reasons = {entry["reason"] for entry in report["scope"]["not_read"]}
    assert "writes only" in reasons and len(reasons) == len(report["scope"]["not_read"])
