"""handle_access replayed from cassettes recorded against the sandbox (exact counts)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from vcr.cassette import Cassette

from crowdtwist_sandbox import SandboxConfig
from tests.helpers.cassettes import recorded_body, recorded_items
from tests.helpers.host import Host
from tests.helpers.people import ALICE, ALICE_COUNTS, CATEGORIES, DEMO_IDS
from tests.helpers.records import as_disclosed, record_ids, withheld_paths

pytestmark = pytest.mark.vcr

RECEIPT_FIELDS = {
    "date_submitted",
    "file_id",
    "file_name",
    "file_url",
    "id",
    "scan_result",
    "scan_result_text",
}


def assert_replayed_exactly_once(cassette: Cassette, recording: bool) -> None:
    if not recording:
        assert cassette.all_played
        assert cassette.play_count == len(cassette)


def only_subject(report: dict[str, Any]) -> dict[str, Any]:
    assert report["integration"] == "crowdtwist"
    assert len(report["subjects"]) == 1
    subject: dict[str, Any] = report["subjects"][0]
    return subject


async def test_alice_every_category(
    host: Host, ct_connection: dict[str, Any], vcr: Cassette, recording: bool
) -> None:
    report = await host.access(ct_connection, {"email": [ALICE.email]})
    subject = only_subject(report)
    assert report["not_found"] == []
    assert subject["crowdtwist_id"] == ALICE.crowdtwist_id
    assert subject["matched"] == ["email:alice@example.com"]
    assert subject["profile"]["email_address"] == ALICE.email
    assert subject["profile"]["third_party_id"] == ALICE.third_party_id
    assert [m["member_id"] for m in subject["members"]] == [ALICE.crowdtwist_id]
    # the recorded profile holds alice's (fake) credentials; the report only their paths
    served = recorded_body(vcr, "GET", "/v2/users/alice%40example.com")
    assert served["twitter_oauth_token_secret"] and served["password"]
    assert subject["profile"] == as_disclosed(served)
    assert [w["path"] for w in report["withheld"]] == withheld_paths(served, "subjects[0].profile")
    assert served["twitter_oauth_token_secret"] not in json.dumps(report)
    data = subject["data"]
    assert {c: len(data[c]) for c in CATEGORIES} == ALICE_COUNTS
    for category in CATEGORIES:
        assert len(set(record_ids(data[category]))) == len(data[category]), category
    # records pass through exactly as CrowdTwist sent them, page after page
    assert data["receipts"] == recorded_items(vcr, "/receipts", ("submitted_receipts",))
    assert data["purchases"] == recorded_items(vcr, "/purchases", ("purchases",))
    assert data["activity_history"] == recorded_items(vcr, "/activity_history")
    assert data["activities"] == recorded_items(vcr, "/activities")
    assert data["rewards"] == recorded_items(vcr, "/rewards")
    every_redemption = recorded_items(vcr, "/redemption_history", ("rewards", "redemptions"))
    assert sorted(record_ids(data["redemptions"])) == sorted(set(record_ids(every_redemption)))
    assert all(set(r) == RECEIPT_FIELDS for r in data["receipts"])
    assert json.loads(json.dumps(report)) == report
    assert_replayed_exactly_once(vcr, recording)


MATCHING = [
    pytest.param({"email": ["ann@example.com"]}, [DEMO_IDS["ann"]], [], id="ann-exact"),
    pytest.param({"email": ["ALICE@Example.COM"]}, [DEMO_IDS["alice"]], [], id="case-insensitive"),
    pytest.param({"email": ["bob+loyalty@example.com"]}, [DEMO_IDS["bob"]], [], id="plus"),
    pytest.param({"email": ["carol@example.com"]}, [DEMO_IDS["carol"]], [], id="inactive-carol"),
    pytest.param({"user_id": ["A4364BX"]}, [DEMO_IDS["alice"]], [], id="third-party-id"),
    pytest.param(
        {"email": ["alice@example.com"], "user_id": ["A4364BX"]},
        [DEMO_IDS["alice"]],
        [],
        id="merge",
    ),
    pytest.param(
        {"email": ["nobody@example.com"], "user_id": ["NOPE-1"]},
        [],
        ["email:nobody@example.com", "user_id:NOPE-1"],
        id="not-found",
    ),
]


@pytest.mark.parametrize(("identifiers", "expected", "not_found"), MATCHING)
async def test_exact_matching(
    host: Host,
    ct_connection: dict[str, Any],
    vcr: Cassette,
    recording: bool,
    identifiers: dict[str, list[str]],
    expected: list[int],
    not_found: list[str],
) -> None:
    report = await host.access(ct_connection, identifiers)
    assert [s["crowdtwist_id"] for s in report["subjects"]] == expected
    assert report["not_found"] == not_found
    labels = [f"{k}:{v}" for k, values in identifiers.items() for v in values]
    for subject in report["subjects"]:
        assert subject["matched"] == labels
        assert [m["member_id"] for m in subject["members"]] == [subject["crowdtwist_id"]]
    assert_replayed_exactly_once(vcr, recording)


async def test_ann_is_not_her_neighbours(
    host: Host, ct_connection: dict[str, Any], vcr: Cassette
) -> None:
    report = await host.access(ct_connection, {"email": ["ann@example.com"]})
    subject = only_subject(report)
    assert subject["profile"]["email_address"] == "ann@example.com"
    assert {m["email_address"] for m in subject["members"]} == {"ann@example.com"}
    text = json.dumps(report)
    assert "ann@example.com.au" not in text and "annabel@example.com" not in text
    # the begins-with search did return her neighbour: it was filtered out
    searched = [
        resp["body"]["string"]
        for req, resp in zip(vcr.requests, vcr.responses, strict=True)
        if req.method == "POST"
    ]
    assert any(b"ann@example.com.au" in body for body in searched)


async def test_plus_is_percent_encoded(
    host: Host, ct_connection: dict[str, Any], vcr: Cassette
) -> None:
    await host.access(ct_connection, {"email": ["bob+loyalty@example.com"]})
    by_email = [r for r in vcr.requests if ("id_type", "email") in r.query]
    assert [r.path for r in by_email] == ["/v2/users/bob%2Bloyalty%40example.com"]


async def test_erin_has_no_records(host: Host, ct_connection: dict[str, Any]) -> None:
    subject = only_subject(await host.access(ct_connection, {"email": ["erin@example.com"]}))
    assert subject["crowdtwist_id"] == DEMO_IDS["erin"]
    data = subject["data"]
    assert all(data[c] == [] for c in CATEGORIES if c not in ("points", "points_expiration"))
    assert data["points"][0]["activities"] == [] and data["points"][0]["total_points"] == 0


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(receipts_active=False)], ids=["receipts-inactive"]
)
async def test_receipts_inactive(host: Host, ct_connection: dict[str, Any]) -> None:
    report = await host.access(
        ct_connection, {"email": ["alice@example.com", "bob+loyalty@example.com"]}
    )
    assert [s["crowdtwist_id"] for s in report["subjects"]] == sorted(
        [DEMO_IDS["alice"], DEMO_IDS["bob"]]
    )
    for subject in report["subjects"]:
        assert subject["data"]["receipts"] == []
    alice = next(s for s in report["subjects"] if s["crowdtwist_id"] == DEMO_IDS["alice"])
    assert len(alice["data"]["purchases"]) == ALICE_COUNTS["purchases"]


@pytest.mark.parametrize(
    "sandbox_config", [SandboxConfig(redemption_list_key="redemptions")], ids=["redemptions-key"]
)
async def test_redemptions_list_key(
    host: Host, ct_connection: dict[str, Any], vcr: Cassette
) -> None:
    subject = only_subject(await host.access(ct_connection, {"email": [ALICE.email]}))
    assert len(subject["data"]["redemptions"]) == ALICE_COUNTS["redemptions"]
    recorded = recorded_items(vcr, "/redemption_history", ("redemptions",))
    assert recorded and sorted(record_ids(subject["data"]["redemptions"])) == sorted(
        set(record_ids(recorded))
    )


@pytest.mark.parametrize(
    ("user_id_type", "value", "expected"),
    [("id", str(DEMO_IDS["alice"]), DEMO_IDS["alice"]), ("username", "carolc", DEMO_IDS["carol"])],
)
async def test_user_id_type(
    host: Host, ct_connection: dict[str, Any], user_id_type: str, value: str, expected: int
) -> None:
    report = await host.access(
        {**ct_connection, "user_id_type": user_id_type}, {"user_id": [value]}
    )
    subject = only_subject(report)
    assert subject["crowdtwist_id"] == expected
    assert subject["matched"] == [f"user_id:{value}"]
