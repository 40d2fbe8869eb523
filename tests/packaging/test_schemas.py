"""The JSON Schemas shipped in crowdtwist_plugin/schemas: well formed, faithful to the
contract, satisfied by real hook outputs against the live sandbox, and strict enough to
catch a malformed output."""

from __future__ import annotations

import asyncio
import copy
import json
import socket
from collections.abc import AsyncIterator, Iterator
from importlib.resources import files
from typing import Any

import pluggy
import pytest
from jsonschema import Draft202012Validator

import crowdtwist_plugin.plugin
import host_stub.hookspecs
from crowdtwist_plugin import readings
from crowdtwist_plugin.schemas import HOOK_SCHEMAS, SCHEMA_NAMES, load_schema, schema_text
from crowdtwist_plugin.secret import Secret
from crowdtwist_plugin.settings import (
    AUTH_CHOICES,
    CONNECTION_KEYS,
    USER_ID_TYPES,
    ConnectionSettings,
)
from crowdtwist_sandbox import DEMO_PEOPLE, Sandbox, SandboxConfig, run_sandbox
from tests.packaging.schema_check import (
    assert_connection_matches,
    assert_matches_schema,
    schema_errors,
)

ALICE, CAROL, DAVE, ERIN, ANN = (DEMO_PEOPLE[n] for n in ("alice", "carol", "dave", "erin", "ann"))
HOOKS = ("validate_credentials", "handle_access", "submit_deletion", "check_deletion")
DELETION_STEP = 0.05  # seconds between the sandbox's deletion statuses
FAST_RATE = 600_000  # requests per minute: the plugin's throttle never holds anything back


# --- the schema files ------------------------------------------------------------------------


def test_every_schema_is_shipped_and_valid_draft_2020_12() -> None:
    shipped = sorted(
        p.name for p in files("crowdtwist_plugin.schemas").iterdir() if p.name.endswith(".json")
    )
    assert shipped == sorted(f"{name}.schema.json" for name in SCHEMA_NAMES)
    for name in SCHEMA_NAMES:
        schema = load_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == f"urn:crowdtwist-privacy-plugin:schema:{name}"
        Draft202012Validator.check_schema(schema)
        assert json.loads(schema_text(name)) == schema


def test_every_hook_has_an_output_schema() -> None:
    assert set(HOOK_SCHEMAS) == set(HOOKS)
    assert set(HOOK_SCHEMAS.values()) <= set(SCHEMA_NAMES)
    for hook in HOOKS:  # the hookspec documentation names the schema of its result
        doc = getattr(host_stub.hookspecs, hook).__doc__ or ""
        assert f"{HOOK_SCHEMAS[hook]}.schema.json" in doc, hook


def test_unknown_schema_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown schema 'report'"):
        load_schema("report")


def test_shared_definitions_are_identical_in_every_schema() -> None:
    """Each schema is self-contained; the definitions they share must not drift apart."""
    seen: dict[str, tuple[str, Any]] = {}
    for name in SCHEMA_NAMES:
        for key, definition in load_schema(name).get("$defs", {}).items():
            first = seen.setdefault(key, (name, definition))
            assert definition == first[1], f"$defs/{key} differs in {name} and {first[0]}"
    assert {"stats", "identifier_label", "crowdtwist_id"} <= set(seen)


@pytest.mark.parametrize("name", ["credential-check", "access-report", "deletion-ticket"])
def test_stats_is_described_and_required(name: str) -> None:
    schema = load_schema(name)
    assert schema["properties"]["stats"]["$ref"] == "#/$defs/stats"
    assert "stats" in schema["required"]
    assert set(schema["$defs"]["stats"]["required"]) == {
        "requests",
        "by_endpoint",
        "retries",
        "responses_429",
        "budget_wait_s",
        "elapsed_s",
    }


# The contract's connection keys are said once, in settings.CONNECTION_KEYS (the keys the
# validator accepts); the schema must name the same keys, choices and defaults.


def test_connection_schema_names_exactly_the_contract_keys() -> None:
    assert set(load_schema("connection")["properties"]) == CONNECTION_KEYS


def test_connection_schema_enums_are_the_validators_choices() -> None:
    properties = load_schema("connection")["properties"]
    choices = {"auth": AUTH_CHOICES, "user_id_type": USER_ID_TYPES, **readings.VALUES}
    assert {k for k, p in properties.items() if "enum" in p} == set(choices)
    for key, values in choices.items():
        assert properties[key]["enum"] == list(values), key


def test_connection_schema_defaults_are_the_validators_and_the_settings_defaults() -> None:
    minimal = ConnectionSettings.from_mapping(GOOD_CONNECTION)
    for key, schema in load_schema("connection")["properties"].items():
        if "default" in schema:
            given = ConnectionSettings.from_mapping({**GOOD_CONNECTION, key: schema["default"]})
            assert given == minimal, key
    assert minimal == ConnectionSettings(
        Secret(GOOD_CONNECTION["api_key"]),
        "https://api1.crowdtwist.com",
        "https://pos1.crowdtwist.com",
    )


# --- negative cases: what the schemas must refuse ----------------------------------------------

STATS: dict[str, Any] = {
    "requests": 847,
    "by_endpoint": {"GET /v2/users/{user_id}/receipts": 2, "POST /v2/members": 4},
    "retries": 3,
    "responses_429": 0,
    "budget_wait_s": 10.9,
    "elapsed_s": 11.7,
}


REPORT: dict[str, Any] = {
    "stats": STATS,
    "integration": "crowdtwist",
    "subjects": [
        {
            "crowdtwist_id": 464565755,
            "matched": ["email:alice@example.com"],
            "profile": {"id": 464565755, "email_address": "alice@example.com"},
            "members": [{"member_id": 464565755}],
            "data": {
                "activities": [],
                "activity_history": [{"activity_id": "1"}],
                "rewards": [],
                "purchases": [],
                "purchase_details": [],
                "receipts": [],
                "redemptions": [],
                "usable_coupons": [{"coupon_code": "CT-1"}],
                "points": [{"total_points": 0}],
                "points_expiration": [{}],
                "badges": [],
                "household_invitations": [],
            },
            "categories": {"user.contact.email": ["profile.email_address"]},
            "unclassified": ["profile.custom_data.store_loc"],
        }
    ],
    "not_found": ["user_id:NOPE-1"],
    "possible_matches": [
        {"crowdtwist_id": 7, "identifier": "phone:+12098090783", "reason": "folded"}
    ],
    "scope": {
        "read": [
            {
                "collection": "profile",
                "endpoint": "GET /v2/users/{user_id}",
                "source": "https://docs.oracle.com/x/UserProfile.html",
            }
        ],
        "not_read": [
            {
                "resource": "GET /v2/members/{user_id}/checkin-code",
                "reason": "a write",
                "source": "https://docs.oracle.com/x/MemberCheckin.html",
            }
        ],
    },
    "withheld": [
        {"path": "subjects[0].profile.twitter_oauth_token", "reason": "security credential"}
    ],
}
TICKET: dict[str, Any] = {
    "stats": STATS,
    "integration": "crowdtwist",
    "state": "pending",
    "verification": "pending",
    "submitted_at": "2026-11-27T10:00:00Z",
    "users": [
        {
            "crowdtwist_id": 564865656,
            "matched": ["email:bob+loyalty@example.com"],
            "status": "queued",
            "detail": "Queued",
        }
    ],
    "not_found": [],
}
CHECK: dict[str, Any] = {
    "stats": STATS,
    "ok": False,
    "checks": [
        {"name": "main_api", "ok": False, "detail": "CrowdTwist rejected the API key (HTTP 403)"},
        {"name": "pos_api", "ok": True, "detail": "reachable"},
    ],
}


def changed(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with ``path`` (dotted, list indexes as numbers) set to
    ``value``, or deleted when ``value`` is ``DELETE``."""
    result = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = result
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return result


DELETE = object()


@pytest.mark.parametrize(
    ("hook", "document"),
    [
        ("validate_credentials", CHECK),
        ("validate_credentials", {**CHECK, "stats": STATS}),
        ("handle_access", REPORT),
        ("handle_access", {**REPORT, "subjects": [], "not_found": ["email:nobody@example.com"]}),
        ("handle_access", {**REPORT, "stats": STATS}),
        ("submit_deletion", TICKET),
        ("check_deletion", {**TICKET, "stats": STATS}),
        (
            "submit_deletion",
            {**TICKET, "state": "complete", "users": [], "verification": "not_applicable"},
        ),
        ("check_deletion", changed(TICKET, "submitted_at", "2026-11-27T10:00:00.123Z")),
    ],
    ids=[
        "check",
        "check-with-stats",
        "report",
        "report-nobody",
        "report-with-stats",
        "ticket",
        "ticket-with-stats",
        "ticket-nothing-matched",
        "ticket-fractional-seconds",
    ],
)
def test_contract_examples_match(hook: str, document: dict[str, Any]) -> None:
    assert_matches_schema(hook, document)


@pytest.mark.parametrize(
    ("hook", "document"),
    [("validate_credentials", CHECK), ("handle_access", REPORT), ("check_deletion", TICKET)],
)
def test_an_output_without_stats_is_refused(hook: str, document: dict[str, Any]) -> None:
    without = {k: v for k, v in document.items() if k != "stats"}
    with pytest.raises(AssertionError):
        assert_matches_schema(hook, without)


@pytest.mark.parametrize(
    ("hook", "document", "expected"),
    [
        ("handle_access", changed(REPORT, "subjects", DELETE), "'subjects' is a required"),
        ("handle_access", changed(REPORT, "not_found", DELETE), "'not_found' is a required"),
        ("handle_access", changed(REPORT, "integration", "mailchimp"), "'crowdtwist' was expected"),
        ("handle_access", {**REPORT, "partial": True}, "Additional properties"),
        ("handle_access", changed(REPORT, "subjects.0.data.receipts", DELETE), "'receipts'"),
        ("handle_access", changed(REPORT, "subjects.0.data.receipts", None), "is not of type"),
        ("handle_access", changed(REPORT, "subjects.0.matched", []), "should be non-empty"),
        ("handle_access", changed(REPORT, "subjects.0.crowdtwist_id", "464565755"), "type"),
        ("handle_access", changed(REPORT, "subjects.0.profile", None), "is not of type"),
        ("handle_access", changed(REPORT, "not_found", ["NOPE-1"]), "does not match"),
        ("submit_deletion", changed(TICKET, "state", "done"), "is not one of"),
        ("submit_deletion", changed(TICKET, "users.0.status", "deleted"), "is not one of"),
        ("submit_deletion", changed(TICKET, "submitted_at", "yesterday"), "does not match"),
        ("submit_deletion", changed(TICKET, "submitted_at", "2026-13-45T10:00:00Z"), "date-time"),
        ("check_deletion", changed(TICKET, "state", "failed"), "not valid under any"),
        (
            "check_deletion",
            changed(TICKET, "users.0.status", "rejected") | {"state": "complete"},
            "should not be valid",
        ),
        ("check_deletion", changed(TICKET, "users.0.status", "completed"), "not valid under any"),
        ("check_deletion", changed(TICKET, "users.0.detail", DELETE), "'detail' is a required"),
        ("validate_credentials", {**CHECK, "ok": True}, "True was expected"),
        ("validate_credentials", changed(CHECK, "checks.0.ok", True), "does not contain"),
        ("validate_credentials", {**CHECK, "checks": []}, "should be non-empty"),
        ("validate_credentials", {**CHECK, "stats": {**STATS, "retries": -1}}, "minimum"),
        ("handle_access", {**REPORT, "stats": {"requests": 1}}, "is a required property"),
        (
            "handle_access",
            {**REPORT, "stats": {**STATS, "by_endpoint": {"GET /v2/users/1?api_key=k": 1}}},
            "does not match",
        ),
        ("handle_access", changed(REPORT, "withheld", DELETE), "'withheld' is a required"),
        (
            "check_deletion",
            changed(TICKET, "users.0.status", "completed")
            | {"state": "complete", "verification": "failed"},
            "is not one of",
        ),
        ("check_deletion", changed(TICKET, "users.0.verified", True), "dependency"),
        (
            "handle_access",
            changed(REPORT, "withheld.0", {"path": "subjects[0].profile.salt", "value": "x"}),
            "Additional properties",
        ),
        (
            "handle_access",
            changed(REPORT, "withheld.0", {"path": "salt", "reason": "security credential"}),
            "does not match",
        ),
    ],
    ids=[
        "report-without-subjects",
        "report-without-not-found",
        "report-other-integration",
        "report-extra-key",
        "report-missing-category",
        "report-category-not-a-list",
        "subject-matched-by-nothing",
        "subject-id-as-string",
        "subject-without-profile",
        "not-found-without-category",
        "ticket-unknown-state",
        "ticket-unknown-status",
        "ticket-timestamp-not-iso",
        "ticket-timestamp-impossible-date",
        "ticket-failed-without-rejection",
        "ticket-complete-with-rejection",
        "ticket-pending-with-nothing-pending",
        "ticket-user-without-detail",
        "check-ok-with-a-failed-check",
        "check-not-ok-with-every-check-ok",
        "check-without-checks",
        "stats-negative-count",
        "stats-incomplete",
        "stats-endpoint-with-query",
        "report-without-withheld",
        "withheld-with-its-value",
        "withheld-path-outside-the-subjects",
        "ticket-complete-with-failed-verification",
        "ticket-verified-without-its-checks",
    ],
)
def test_malformed_outputs_are_refused(hook: str, document: dict[str, Any], expected: str) -> None:
    errors = schema_errors(HOOK_SCHEMAS[hook], document)
    assert errors, "accepted a malformed output"
    assert any(expected in e for e in errors), errors
    with pytest.raises(AssertionError, match="does not match"):
        assert_matches_schema(hook, document)


def test_unknown_hook_is_refused() -> None:
    with pytest.raises(AssertionError, match="unknown hook"):
        assert_matches_schema("erase_everything", {})


GOOD_CONNECTION = {"api_key": "secret-key-123", "api_subdomain": "api1", "pos_subdomain": "pos1"}
HMAC = {"auth": "hmac", "hmac_public_key": "public-1", "hmac_private_key": "private-1"}


@pytest.mark.parametrize(
    "connection",
    [
        GOOD_CONNECTION,
        {"api_key": "k", "api_base_url": "http://127.0.0.1:8765", "pos_subdomain": "sb-pos306"},
        {
            **GOOD_CONNECTION,
            "user_id_type": "id",
            "rate_limit_per_minute": 600,
            "target_utilization": 1,
            "deletion_complete_on_submit": True,
            "rate_limit_redis_url": "rediss://:pw@redis.example.com:6380/0",
        },
        {**GOOD_CONNECTION, **HMAC},
    ],
    ids=["subdomains", "base-url", "every-key", "hmac"],
)
def test_connection_schema_accepts(connection: dict[str, Any]) -> None:
    assert_connection_matches(connection)


# Mappings both the schema and the plugin refuse (the plugin's own words in the second item).
REFUSED_CONNECTIONS: list[tuple[dict[str, Any], str]] = [
    ({k: v for k, v in GOOD_CONNECTION.items() if k != "api_key"}, "api_key is required"),
    ({**GOOD_CONNECTION, "api_key": ""}, "api_key is required"),
    ({**GOOD_CONNECTION, "api_key": "has space"}, "printable ASCII"),
    ({"api_key": "k", "pos_subdomain": "pos1"}, "api_subdomain is required"),
    ({"api_key": "k", "api_subdomain": "api1"}, "pos_subdomain is required"),
    ({**GOOD_CONNECTION, "api_subdomain": "evil.com/#"}, "api_subdomain must match"),
    ({**GOOD_CONNECTION, "pos_subdomain": "Pos1"}, "pos_subdomain must match"),
    ({**GOOD_CONNECTION, "api_base_url": "ftp://127.0.0.1"}, "http(s) origin"),
    ({**GOOD_CONNECTION, "api_base_url": "https://api.example.com/v2"}, "bare origin"),
    ({**GOOD_CONNECTION, "api_base_url": "https://u:p@api.example.com"}, "bare origin"),
    ({**GOOD_CONNECTION, "user_id_type": "email"}, "user_id_type must be one of"),
    ({**GOOD_CONNECTION, "rate_limit_per_minute": 0}, "greater than 0"),
    ({**GOOD_CONNECTION, "rate_limit_per_minute": True}, "finite number"),
    ({**GOOD_CONNECTION, "target_utilization": 0}, "(0, 1]"),
    ({**GOOD_CONNECTION, "target_utilization": 1.5}, "(0, 1]"),
    ({**GOOD_CONNECTION, "target_utilization": "0.5"}, "finite number"),
    ({**GOOD_CONNECTION, "deletion_complete_on_submit": "yes"}, "must be true or false"),
    ({**GOOD_CONNECTION, "verify_erasure": 1}, "must be true or false"),
    ({**GOOD_CONNECTION, "apikey": "typo"}, "unknown connection setting(s): apikey"),
    ({**GOOD_CONNECTION, "auth": "basic"}, "auth must be one of api_key, hmac"),
    ({**GOOD_CONNECTION, "auth": "hmac"}, "hmac_public_key is required"),
    ({**GOOD_CONNECTION, **HMAC, "hmac_public_key": "a:b"}, "without spaces or ':'"),
    ({**GOOD_CONNECTION, **HMAC, "hmac_private_key": ""}, "hmac_private_key is required"),
    ({**GOOD_CONNECTION, "hmac_private_key": "private-1"}, "but auth is 'api_key'"),
    ({"api_subdomain": "api1", "pos_subdomain": "pos1", **HMAC}, "api_key is required"),
    (
        {**GOOD_CONNECTION, "redemption_history_undated": "all"},
        "redemption_history_undated must be one of unknown, everything, last_365_days",
    ),
    (
        {**GOOD_CONNECTION, "member_search_is_active_0": True},
        "member_search_is_active_0 must be one of unknown, all, inactive_only, got True",
    ),
    ({**GOOD_CONNECTION, "decide_readings": "yes"}, "must be true or false"),
]


@pytest.mark.parametrize(
    ("connection", "plugin_says"), REFUSED_CONNECTIONS, ids=[r[1] for r in REFUSED_CONNECTIONS]
)
async def test_connection_schema_refuses_what_the_plugin_refuses(
    connection: dict[str, Any], plugin_says: str
) -> None:
    assert schema_errors("connection", connection), "the schema accepted it"
    with PluginHost() as pm:  # the plugin refuses it before any request
        check = await pm.hook.validate_credentials(integration="crowdtwist", connection=connection)
    assert_matches_schema("validate_credentials", check)
    assert check["ok"] is False
    assert [c["name"] for c in check["checks"]] == ["connection"]
    assert plugin_says in check["checks"][0]["detail"]


def test_a_redis_url_must_name_a_redis_scheme() -> None:
    errors = schema_errors("connection", {**GOOD_CONNECTION, "rate_limit_redis_url": "http://r"})
    assert any("does not match" in e for e in errors), errors


# --- real outputs from the live sandbox --------------------------------------------------------


class PluginHost:
    """A fresh plugin manager with the host's hookspecs and only the CrowdTwist plugin."""

    def __enter__(self) -> Any:
        self.pm = pluggy.PluginManager(host_stub.hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(host_stub.hookspecs)
        self.plugin = crowdtwist_plugin.plugin.CrowdTwistPlugin()
        self.pm.register(self.plugin, name="crowdtwist")
        return self.pm

    def __exit__(self, *exc: object) -> None:
        self.pm.unregister(self.plugin)


@pytest.fixture
def pm() -> Iterator[Any]:
    with PluginHost() as manager:
        yield manager


@pytest.fixture
async def live() -> AsyncIterator[Sandbox]:
    async with run_sandbox(SandboxConfig(deletion_step_seconds=DELETION_STEP)) as sandbox:
        yield sandbox


def connection_to(sandbox: Sandbox, **extra: Any) -> dict[str, Any]:
    connection = {
        "api_key": sandbox.api_key,
        "api_base_url": sandbox.api_base_url,
        "pos_base_url": sandbox.pos_base_url,
        "rate_limit_per_minute": FAST_RATE,
        **extra,
    }
    assert_connection_matches(connection)
    return connection


async def call(pm: Any, hook: str, **kwargs: Any) -> dict[str, Any]:
    """Call ``hook`` as a host does and check its output against the schema."""
    result: dict[str, Any] = await getattr(pm.hook, hook)(integration="crowdtwist", **kwargs)
    assert_matches_schema(hook, result)
    json.dumps(result)  # JSON-compatible as it is
    return result


async def settle(pm: Any, connection: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any]:
    """check_deletion until the ticket is no longer pending; every ticket is validated."""
    for _ in range(200):
        if ticket["state"] != "pending":
            return ticket
        await asyncio.sleep(DELETION_STEP / 2)
        ticket = await call(pm, "check_deletion", connection=connection, ticket=ticket)
    raise AssertionError(f"still pending: {ticket}")


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_credential_checks_match_the_schema(pm: Any, live: Sandbox) -> None:
    good = await call(pm, "validate_credentials", connection=connection_to(live))
    assert good["ok"] is True
    bad_key = connection_to(live, api_key="not-the-key")
    assert (await call(pm, "validate_credentials", connection=bad_key))["ok"] is False
    port = closed_port()
    nowhere = connection_to(
        live, api_base_url=f"http://127.0.0.1:{port}", pos_base_url=f"http://127.0.0.1:{port}"
    )
    assert (await call(pm, "validate_credentials", connection=nowhere))["ok"] is False


async def test_access_reports_match_the_schema(pm: Any, live: Sandbox) -> None:
    connection = connection_to(live)
    identifiers = {"email": [ALICE.email, ERIN.email], "user_id": [ALICE.third_party_id, "NOPE-1"]}
    report = await call(pm, "handle_access", connection=connection, identifiers=identifiers)
    assert [s["crowdtwist_id"] for s in report["subjects"]] == sorted(
        [ALICE.crowdtwist_id, ERIN.crowdtwist_id]
    )
    assert report["not_found"] == ["user_id:NOPE-1"]
    alice = next(s for s in report["subjects"] if s["crowdtwist_id"] == ALICE.crowdtwist_id)
    assert len(alice["data"]["activity_history"]) == ALICE.records.activity_history
    inactive = {"email": [CAROL.email, ANN.email]}
    await call(pm, "handle_access", connection=connection, identifiers=inactive)
    nobody = {"email": ["nobody@example.com"]}
    report = await call(pm, "handle_access", connection=connection, identifiers=nobody)
    assert report["subjects"] == []


async def test_deletion_tickets_match_the_schema(pm: Any, live: Sandbox) -> None:
    connection = connection_to(live)
    identifiers = {"email": [CAROL.email], "user_id": ["NOPE-1"]}
    ticket = await call(pm, "submit_deletion", connection=connection, identifiers=identifiers)
    assert ticket["state"] == "pending"
    done = await settle(pm, connection, ticket)
    assert done["state"] == "complete"
    assert [u["status"] for u in done["users"]] == ["completed"]
    # Settled tickets are returned as they are, and stay valid.
    await call(pm, "check_deletion", connection=connection, ticket=done)


async def test_rejected_and_empty_tickets_match_the_schema(pm: Any, live: Sandbox) -> None:
    connection = connection_to(live)
    refused = await call(
        pm, "submit_deletion", connection=connection, identifiers={"email": [DAVE.email]}
    )
    assert refused["state"] == "failed"
    assert [u["status"] for u in refused["users"]] == ["rejected"]
    nobody = await call(
        pm, "submit_deletion", connection=connection, identifiers={"email": ["no@example.com"]}
    )
    assert nobody["state"] == "complete" and nobody["users"] == []
    on_submit = connection_to(live, deletion_complete_on_submit=True)
    queued = await call(
        pm, "submit_deletion", connection=on_submit, identifiers={"email": [ALICE.email]}
    )
    assert queued["state"] == "complete"
    assert [u["status"] for u in queued["users"]] == ["queued"]
