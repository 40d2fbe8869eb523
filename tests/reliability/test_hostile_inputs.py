"""Hostile inputs: identifiers, connection settings and tickets.

Each bad input is refused before any request with a ``ConfigurationError`` (a ``ValueError``,
``retryable=False``) whose message names the problem and never echoes the key. Identifiers
that are valid strings but look like URL syntax (``../1``, ``a/b``, ``x?y#z``) are accepted:
they must stay one path segment on the configured origin and find nobody. Hypothesis checks
that no accepted identifier can change the origin or the path structure of a request.
"""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from yarl import URL

from crowdtwist_plugin import catalogue
from crowdtwist_plugin.client import CrowdTwistClient
from crowdtwist_plugin.errors import ConfigurationError, CrowdTwistError
from crowdtwist_plugin.identifiers import parse_identifiers
from crowdtwist_plugin.options import ClientOptions
from crowdtwist_plugin.pacing.throttle import Throttle
from crowdtwist_plugin.reply import Endpoint
from crowdtwist_plugin.settings import ConnectionSettings
from crowdtwist_sandbox import Sandbox
from tests.helpers.host import Host, connection_for
from tests.helpers.network import NetworkLog
from tests.helpers.people import ALICE, CAROL, CAROL_IDS
from tests.helpers.secrets import key_forms
from tests.helpers.tickets import deletion_user, ticket_for

KEY = "hostile-inputs-key-4f1c"
BASE = {"api_key": KEY, "api_subdomain": "api123", "pos_subdomain": "pos123"}
LONG = "a" * 10_000

# --- identifiers ----------------------------------------------------------------------------

BAD_IDENTIFIERS: list[tuple[str, Any, str]] = [
    ("empty email", {"email": [""]}, "identifiers.email[0] is empty"),
    ("whitespace email", {"email": ["   "]}, "identifiers.email[0] is empty"),
    ("tab user id", {"user_id": ["\t"]}, "identifiers.user_id[0] is empty"),
    ("not an email", {"email": ["alice.example.com"]}, "identifiers.email[0] is not an email"),
    ("two @", {"email": ["a@b@example.com"]}, "is not an email address"),
    ("10,000-char email", {"email": [LONG + "@example.com"]}, "10012 characters long"),
    ("10,000-char user id", {"user_id": [LONG]}, "identifiers.user_id[0] is 10000 characters"),
    ("../ as email", {"email": ["../"]}, "is not an email address"),
    ("? as email", {"email": ["?"]}, "is not an email address"),
    ("# as email", {"email": ["#"]}, "is not an email address"),
    ("%00 as email", {"email": ["%00"]}, "is not an email address"),
    ("percent-encoded @", {"email": ["alice%40example.com"]}, "is not an email address"),
    ("trailing dot", {"email": [ALICE.email + "."]}, "is not an email address"),
    ("CR/LF header injection", {"email": [f"{ALICE.email}\r\nX-Evil: 1"]}, "control characters"),
    ("LF in user id", {"user_id": ["A4364BX\nB"]}, "identifiers.user_id[0] has surrounding"),
    ("NUL in user id", {"user_id": ["A4364BX\x00"]}, "control characters"),
    ("DEL in email", {"email": ["ali\x7fce@example.com"]}, "control characters"),
    ("leading space", {"user_id": [" A4364BX"]}, "surrounding whitespace"),
    ("trailing newline", {"email": [ALICE.email + "\n"]}, "surrounding whitespace"),
    ("unknown category", {"email": [ALICE.email], "fax": ["5964464767"]}, "'fax'"),
    ("a string, not a list", {"email": ALICE.email}, "identifiers.email must be a list"),
    ("a number in the list", {"user_id": [464565755]}, "identifiers.user_id[0] must be a str"),
    ("None in the list", {"email": [None]}, "identifiers.email[0] must be a string"),
    ("nothing at all", {}, "at least one identifier"),
    ("empty lists", {"email": [], "user_id": []}, "at least one identifier"),
    ("not a mapping", ["alice@example.com"], "identifiers must be a mapping"),
    ("None", None, "identifiers must be a mapping"),
]
BAD_NUMERIC_IDS = [
    ("../1", "must be a numeric CrowdTwist id"),
    ("464565755?x", "must be a numeric CrowdTwist id"),
    ("٤٦٤٥٦٥٧٥٥", "must be a numeric CrowdTwist id"),  # Arabic-Indic digits: isdigit() is True
    ("-1", "must be a numeric CrowdTwist id"),
    ("1e9", "must be a numeric CrowdTwist id"),
]


def _assert_config_error(exc: BaseException, fragment: str) -> None:
    assert isinstance(exc, ConfigurationError) and isinstance(exc, ValueError), repr(exc)
    assert exc.retryable is False
    assert fragment in str(exc), str(exc)
    for text in (str(exc), repr(exc), repr(exc.args)):
        assert not [f for f in key_forms(KEY) if f in text]


HOOKS_WITH_IDENTIFIERS = ("handle_access", "submit_deletion")


@pytest.mark.parametrize("hook", HOOKS_WITH_IDENTIFIERS)
@pytest.mark.parametrize(
    ("identifiers", "fragment"), [pytest.param(i, f, id=n) for n, i, f in BAD_IDENTIFIERS]
)
async def test_bad_identifiers_are_refused_before_any_request(
    host: Host, network: NetworkLog, hook: str, identifiers: Any, fragment: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        await host.call(hook, connection=BASE, identifiers=identifiers)
    _assert_config_error(caught.value, fragment)
    assert network.silent  # not even a connection or a name lookup


@pytest.mark.parametrize("hook", HOOKS_WITH_IDENTIFIERS)
@pytest.mark.parametrize(("value", "fragment"), BAD_NUMERIC_IDS)
async def test_user_id_type_id_takes_ascii_digits_only(
    host: Host, network: NetworkLog, hook: str, value: str, fragment: str
) -> None:
    connection = {**BASE, "user_id_type": "id"}
    with pytest.raises(ConfigurationError) as caught:
        await host.call(hook, connection=connection, identifiers={"user_id": [value]})
    _assert_config_error(caught.value, fragment)
    assert network.silent  # not even a connection or a name lookup


# Accepted as identifiers (a third_party_id may be any text), harmless on the wire.
ODD_USER_IDS = [
    "../1",
    "a/b",
    "x?y#z",
    "%00",
    "%2e%2e%2f",
    "..%2F..%2Fv2%2Factivities",
    "../../v2/activities",
    "A4364BX?id_type=id",
    "A4364BX#",
    "A4364BX/",
    "A4364BX;x=1",
    "\uff214364BX",  # fullwidth A: not the same person
    "ålice",
    "💥",
    "a b",
    "a+b",
    "\\..\\..",
]
ODD_EMAILS = [
    "a/../b@example.com",
    "x?y#z@example.com",
    "%00@example.com",
    "alice@example.co",  # a prefix of alice's address: member search's begins-with trap
    "alice@example.com/",
    "alice@example.com?x",
    "älice@example.com",
    "alice@exämple.com",
]


@pytest.mark.parametrize(
    ("category", "value"),
    [*(("user_id", v) for v in ODD_USER_IDS), *(("email", v) for v in ODD_EMAILS)],
)
async def test_odd_identifiers_stay_one_path_segment_and_find_nobody(
    host: Host,
    sandbox: Sandbox,
    connection: dict[str, Any],
    network: NetworkLog,
    category: str,
    value: str,
) -> None:
    report = await host.access(connection, {category: [value]})
    assert report["subjects"] == []
    assert report["not_found"] == [f"{category}:{value}"]
    profile = [r for r in sandbox.log if r.endpoint == "profile"]
    assert len(profile) == 1
    raw = profile[0].raw_path
    segments = raw.split("/")
    assert segments[:3] == ["", "v2", "users"] and len(segments) == 4, raw
    assert unquote(segments[3]) == value
    assert "?" not in raw and "#" not in raw
    assert {r.endpoint for r in sandbox.log} == {"profile", "member_search"}
    assert {r.origin for r in sandbox.log} == {"api"}
    assert network.origins() == {sandbox.api_base_url} and network.lookups == []


@pytest.mark.parametrize("value", [".", ".."])
def test_dot_segment_user_ids_are_refused(value: str) -> None:
    """Regression (found by this suite, fixed in d13b337): '.' and '..' were sent as
    dot-segments (/v2/users/..), which RFC 3986 normalisation turns into another path."""
    with pytest.raises(ConfigurationError, match="user_id"):
        parse_identifiers({"user_id": [value]}, "third_party_id")


# --- the URL the client builds: hypothesis ----------------------------------------------------

SETTINGS = ConnectionSettings.from_mapping(
    {**BASE, "api_base_url": "http://127.0.0.1:8765", "pos_base_url": "https://pos.example:8443"}
)
CLIENT = CrowdTwistClient(
    SETTINGS,
    None,  # type: ignore[arg-type]  # url() sends nothing
    throttle=Throttle(1.0, clock=lambda: 0.0),
    options=ClientOptions(),
)
USER_TEMPLATES = [
    e
    for e in [
        *(v for v in vars(catalogue).values() if isinstance(v, Endpoint)),
        *(r.endpoint for r in catalogue.RESOURCES),
    ]
    if "{user_id}" in e.template
]


def _accepted(category: str, value: str, user_id_type: str = "third_party_id") -> bool:
    try:
        parse_identifiers({category: [value]}, user_id_type)  # type: ignore[arg-type]
    except ConfigurationError:
        return False
    return True


def _check_url(endpoint: Endpoint, value: str) -> None:
    url = CLIENT.url(endpoint, {"user_id": value})
    origin = SETTINGS.api_origin if endpoint.origin == "api" else SETTINGS.pos_origin
    template_segments = endpoint.template.split("/")
    for candidate in (url, url.with_query({"id_type": "email", "api_key": KEY})):
        assert str(candidate.origin()) == origin
        raw = candidate.raw_path
        segments = raw.split("/")
        assert len(segments) == len(template_segments), raw
        index = template_segments.index("{user_id}")
        assert unquote(segments[index], errors="strict") == value
        others = [s for i, s in enumerate(segments) if i != index]
        assert others == [s for i, s in enumerate(template_segments) if i != index]
        assert "?" not in raw and "#" not in raw
        assert candidate.fragment == ""
        # What goes on the wire, re-read by a standard parser, says the same.
        wire = urlsplit(str(candidate))
        assert f"{wire.scheme}://{wire.netloc}" == origin
        assert wire.path == raw and wire.fragment == ""
    assert url.query_string == ""
    with_query = url.with_query({"id_type": "email", "api_key": KEY})
    assert sorted(with_query.query) == ["api_key", "id_type"]
    assert with_query.query["api_key"] == KEY


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.filter_too_much],
)
@given(value=st.text(min_size=1, max_size=80))
@example("../1")
@example("a/b")
@example("x?y#z")
@example("%00")
@example("%2F..%2F")
@example("@evil.com")
@example("//evil.com")
@example("\\\\evil.com")
def test_no_user_id_changes_origin_or_path_structure(value: str) -> None:
    assume(_accepted("user_id", value))
    for endpoint in USER_TEMPLATES:
        _check_url(endpoint, value)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(
    local=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")).filter(
            lambda c: c != "@"
        ),
        min_size=1,
        max_size=30,
    ),
    domain=st.text(
        alphabet=string.ascii_letters + string.digits + "-?#/%.", min_size=1, max_size=20
    ),
    tld=st.text(alphabet=string.ascii_lowercase + "/?#%", min_size=1, max_size=5),
)
def test_no_email_changes_origin_or_path_structure(local: str, domain: str, tld: str) -> None:
    value = f"{local}@{domain}.{tld}"
    assume(_accepted("email", value))
    _check_url(catalogue.PROFILE, value)


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(value=st.from_regex(r"[0-9]{1,18}", fullmatch=True))
def test_numeric_ids_build_plain_paths(value: str) -> None:
    assert _accepted("user_id", value, "id")
    for endpoint in USER_TEMPLATES:
        _check_url(endpoint, value)
        assert CLIENT.url(endpoint, {"user_id": value}).raw_path == endpoint.template.replace(
            "{user_id}", value
        )


# --- connection settings ----------------------------------------------------------------------

BAD_CONNECTIONS: list[tuple[str, dict[str, Any], str]] = [
    (
        "subdomain injection",
        {"api_subdomain": "evil.com/#"},
        "api_subdomain must match [a-z0-9-]+, got 'evil.com/#'",
    ),
    ("dotted subdomain", {"api_subdomain": "api1.evil.com"}, "api_subdomain must match"),
    ("pos subdomain injection", {"pos_subdomain": "pos1.evil.com"}, "pos_subdomain must match"),
    ("pos subdomain with path", {"pos_subdomain": "evil.com/#"}, "pos_subdomain must match"),
    ("upper-case subdomain", {"api_subdomain": "API123"}, "api_subdomain must match"),
    ("empty subdomain", {"api_subdomain": ""}, "api_subdomain must match"),
    ("subdomain with newline", {"api_subdomain": "api1\n"}, "api_subdomain must match"),
    ("subdomain with port", {"api_subdomain": "api1:444"}, "api_subdomain must match"),
    ("subdomain with userinfo", {"api_subdomain": "x@evil"}, "api_subdomain must match"),
    ("leading hyphen", {"api_subdomain": "-api"}, "api_subdomain must match"),
    ("numeric subdomain", {"api_subdomain": 123}, "api_subdomain must match"),
    ("missing subdomain", {"api_subdomain": None}, "api_subdomain is required"),
    ("http to a remote host", {"api_base_url": "http://evil.com"}, "http:// only for a loopback"),
    ("http to loopback-looking name", {"api_base_url": "http://127.0.0.1.nip.io:8765"}, "loopback"),
    (
        "http to localhost.evil.com",
        {"pos_base_url": "http://localhost.evil.com"},
        "pos_base_url may use http://",
    ),
    ("http to 0.0.0.0", {"api_base_url": "http://0.0.0.0:8765"}, "loopback"),
    ("http to a LAN address", {"pos_base_url": "http://10.0.0.1"}, "loopback"),
    ("userinfo hiding the host", {"api_base_url": "http://127.0.0.1@evil.com"}, "bare origin"),
    ("credentials in URL", {"api_base_url": "https://u:p@api1.crowdtwist.com"}, "bare origin"),
    ("path in base URL", {"api_base_url": "https://api1.crowdtwist.com/v2"}, "bare origin"),
    ("query in base URL", {"api_base_url": "https://api1.crowdtwist.com?x=1"}, "bare origin"),
    ("fragment in base URL", {"api_base_url": "https://api1.crowdtwist.com#x"}, "bare origin"),
    ("ftp scheme", {"api_base_url": "ftp://127.0.0.1"}, "http(s) origin"),
    ("javascript scheme", {"api_base_url": "javascript:alert(1)"}, "api_base_url"),
    ("scheme-relative", {"api_base_url": "//evil.com"}, "http(s) origin"),
    ("empty base URL", {"api_base_url": ""}, "api_base_url"),
    ("base URL not a string", {"pos_base_url": 8765}, "pos_base_url must be a string"),
    ("zero rate", {"rate_limit_per_minute": 0}, "rate_limit_per_minute must be greater than 0"),
    ("negative rate", {"rate_limit_per_minute": -600}, "rate_limit_per_minute must be greater"),
    ("NaN rate", {"rate_limit_per_minute": float("nan")}, "rate_limit_per_minute must be a finite"),
    ("infinite rate", {"rate_limit_per_minute": float("inf")}, "must be a finite number"),
    ("rate as text", {"rate_limit_per_minute": "600"}, "must be a finite number"),
    ("rate as bool", {"rate_limit_per_minute": True}, "must be a finite number"),
    ("zero utilization", {"target_utilization": 0}, "target_utilization must lie in (0, 1]"),
    ("negative utilization", {"target_utilization": -0.5}, "target_utilization must lie in"),
    ("utilization above 1", {"target_utilization": 1.0001}, "target_utilization must lie in"),
    ("utilization 2", {"target_utilization": 2}, "target_utilization must lie in"),
    (
        "NaN utilization",
        {"target_utilization": float("nan")},
        "target_utilization must be a finite",
    ),
    ("utilization None", {"target_utilization": None}, "target_utilization must be a finite"),
    ("unknown key", {"api_secret": "x"}, "unknown connection setting(s): api_secret"),
    ("misspelt key", {"user_id_typ": "id"}, "unknown connection setting(s): user_id_typ"),
    ("key in another case", {"API_KEY": KEY}, "unknown connection setting(s): API_KEY"),
    ("bad user_id_type", {"user_id_type": "email"}, "user_id_type must be one of"),
    ("bad flag", {"deletion_complete_on_submit": "yes"}, "deletion_complete_on_submit must be"),
    ("no key", {"api_key": None}, "api_key is required"),
    ("empty key", {"api_key": ""}, "api_key is required"),
    ("numeric key", {"api_key": 12345}, "api_key is required"),
]
# The key itself is refused without being echoed.
BAD_KEYS = ["ключ-секрет", "key with space", "key\nwith-newline", "\x00nul-key", "tab\tkey", "ké"]


def _connection(change: dict[str, Any]) -> dict[str, Any]:
    merged = {**BASE, **change}
    return {k: v for k, v in merged.items() if v is not None or k in ("target_utilization",)}


# submit_deletion validates the connection exactly as handle_access does (same first line).
@pytest.mark.parametrize("hook", ["handle_access", "check_deletion"])
@pytest.mark.parametrize(
    ("change", "fragment"), [pytest.param(c, f, id=n) for n, c, f in BAD_CONNECTIONS]
)
async def test_bad_connections_are_refused_before_any_request(
    host: Host, network: NetworkLog, hook: str, change: dict[str, Any], fragment: str
) -> None:
    connection = _connection(change)
    kwargs: dict[str, Any] = (
        {"ticket": ticket_for(CAROL)}
        if hook == "check_deletion"
        else {"identifiers": {"email": [ALICE.email]}}
    )
    with pytest.raises(ConfigurationError) as caught:
        await host.call(hook, connection=connection, **kwargs)
    _assert_config_error(caught.value, fragment)
    assert network.silent  # not even a connection or a name lookup


@pytest.mark.parametrize(
    ("change", "fragment"), [pytest.param(c, f, id=n) for n, c, f in BAD_CONNECTIONS]
)
async def test_validate_credentials_reports_bad_connections(
    host: Host, network: NetworkLog, change: dict[str, Any], fragment: str
) -> None:
    result = await host.validate(_connection(change))
    assert result["ok"] is False
    (check,) = result["checks"]
    assert check["name"] == "connection" and fragment in check["detail"]
    assert network.silent  # not even a connection or a name lookup


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize("hook", ["handle_access", "submit_deletion", "check_deletion"])
async def test_unusable_keys_are_refused_without_being_echoed(
    host: Host, network: NetworkLog, key: str, hook: str
) -> None:
    kwargs: dict[str, Any] = (
        {"ticket": ticket_for(CAROL)}
        if hook == "check_deletion"
        else {"identifiers": {"email": [ALICE.email]}}
    )
    with pytest.raises(ConfigurationError) as caught:
        await host.call(hook, connection={**BASE, "api_key": key}, **kwargs)
    assert caught.value.retryable is False
    assert "api_key" in str(caught.value) and "value not shown" in str(caught.value)
    texts = [str(caught.value), repr(caught.value), repr(caught.value.args)]
    assert not [f for f in key_forms(key) if any(f in t for t in texts)]
    result = await host.validate({**BASE, "api_key": key})
    assert result["ok"] is False
    assert not [f for f in key_forms(key) if f in repr(result)]
    assert network.silent  # not even a connection or a name lookup


# --- tickets ----------------------------------------------------------------------------------


def without(key: str, ticket: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ticket.items() if k != key}


BAD_TICKETS: list[tuple[str, Any, str]] = [
    ("None", None, "ticket must be a mapping"),
    ("a string", "pending", "ticket must be a mapping"),
    ("a list", [], "ticket must be a mapping"),
    ("empty", {}, "ticket must have exactly the keys"),
    (
        "another integration's",
        ticket_for(CAROL, integration="braze"),
        "ticket belongs to integration 'braze'",
    ),
    ("extra key", ticket_for(CAROL, signature="x"), "ticket must have exactly the keys"),
    ("missing key", without("users", ticket_for(CAROL)), "exactly the keys"),
    ("unknown state", ticket_for(CAROL, state="done"), "ticket.state must be"),
    ("bad timestamp", ticket_for(CAROL, submitted_at="yesterday"), "ticket.submitted_at must be"),
    (
        "timestamp as number",
        ticket_for(CAROL, submitted_at=1796000000),
        "ticket.submitted_at must be",
    ),
    ("users not a list", ticket_for(users={"a": 1}), "ticket.users and ticket.not_found must be"),
    ("not_found not a list", ticket_for(CAROL, not_found="x"), "must be lists"),
    ("not_found numbers", ticket_for(CAROL, not_found=[1]), "ticket.not_found must hold"),
    (
        "id as text",
        ticket_for(deletion_user(CAROL, crowdtwist_id=str(CAROL.crowdtwist_id))),
        "ticket.users[0].crowdtwist_id",
    ),
    (
        "negative id",
        ticket_for(deletion_user(CAROL, crowdtwist_id=-1)),
        "must be a positive integer",
    ),
    ("zero id", ticket_for(deletion_user(CAROL, crowdtwist_id=0)), "must be a positive integer"),
    ("bool id", ticket_for(deletion_user(CAROL, crowdtwist_id=True)), "must be a positive integer"),
    ("float id", ticket_for(deletion_user(CAROL, crowdtwist_id=1.5)), "must be a positive integer"),
    (
        "unknown status",
        ticket_for(deletion_user(CAROL, status="deleted")),
        "ticket.users[0].status must be",
    ),
    ("extra user key", ticket_for(deletion_user(CAROL, x=1)), "ticket.users[0] must have"),
    (
        "matched as text",
        ticket_for(deletion_user(CAROL, matched="email:x")),
        "ticket.users[0].matched",
    ),
    ("detail as number", ticket_for(deletion_user(CAROL, detail=5)), "ticket.users[0].detail"),
    ("duplicated id", ticket_for(CAROL, CAROL), "lists a CrowdTwist id twice"),
    ("user not a mapping", ticket_for(users=["371502284"]), "ticket.users[0] must have"),
]


@pytest.mark.parametrize(
    ("ticket", "fragment"), [pytest.param(t, f, id=n) for n, t, f in BAD_TICKETS]
)
async def test_bad_tickets_are_refused_before_any_request(
    host: Host, network: NetworkLog, ticket: Any, fragment: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        await host.check(BASE, ticket)
    _assert_config_error(caught.value, fragment)
    assert network.silent  # not even a connection or a name lookup


async def test_a_tampered_ticket_never_deletes(
    host: Host, sandbox: Sandbox, connection: dict[str, Any]
) -> None:
    """Tickets are not signed: a well-formed ticket naming someone else is accepted, but
    check_deletion only reads statuses; it never sends a DELETE."""
    tampered = ticket_for(deletion_user(CAROL, crowdtwist_id=ALICE.crowdtwist_id))
    refreshed = await host.check(connection, tampered)
    assert refreshed["state"] == "pending"
    assert refreshed["users"][0]["crowdtwist_id"] == ALICE.crowdtwist_id
    assert refreshed["users"][0]["status"] == "queued"
    assert not [r for r in sandbox.log if r.method == "DELETE"]
    assert dict(sandbox.counters.deletes_by_user) == {}


async def test_another_integrations_ticket_is_refused_live(
    host: Host, sandbox: Sandbox, connection: dict[str, Any], network: NetworkLog
) -> None:
    ticket = await host.submit(connection, CAROL_IDS)
    served, connects = len(sandbox.log), len(network.connects)
    with pytest.raises(CrowdTwistError) as caught:
        await host.check(connection, {**ticket, "integration": "braze"})
    assert isinstance(caught.value, ValueError) and not caught.value.retryable
    assert len(sandbox.log) == served and len(network.connects) == connects
    assert connection_for(sandbox)["api_key"] not in str(caught.value)


def test_identifier_url_and_key_round_trip() -> None:
    """The key with URL syntax in it survives query encoding (a sanity check for the above)."""
    url = URL("http://127.0.0.1:1/v2/users/x").with_query({"api_key": "a+b/c=d&e%"})
    assert url.query["api_key"] == "a+b/c=d&e%"
