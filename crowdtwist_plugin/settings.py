"""The connection mapping and the identifiers, validated into frozen value objects."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import quote, quote_plus

import attrs
from yarl import URL

from crowdtwist_plugin.errors import ConfigurationError, Detached
from crowdtwist_plugin.readings import SEARCH, UNDATED, UNKNOWN, VALUES
from crowdtwist_plugin.redemption_dates import plan_problem
from crowdtwist_plugin.redis_url import RedisURL
from crowdtwist_plugin.secret import Secret

log = logging.getLogger("crowdtwist_plugin")
INTEGRATION = "crowdtwist"
CROWDTWIST_DOMAIN = "crowdtwist.com"  # the integration name hosts ask this plugin to serve
UserIdType = Literal["third_party_id", "id", "username"]
Auth = Literal["api_key", "hmac"]
AUTH_CHOICES: tuple[Auth, ...] = ("api_key", "hmac")
USER_ID_TYPES: tuple[UserIdType, ...] = ("third_party_id", "id", "username")
CONNECTION_KEYS = frozenset(
    {
        "api_key",
        "auth",
        "hmac_public_key",
        "hmac_private_key",
        "api_subdomain",
        "pos_subdomain",
        "api_base_url",
        "pos_base_url",
        "user_id_type",
        "rate_limit_per_minute",
        "target_utilization",
        "deletion_complete_on_submit",
        "verify_erasure",
        "rate_limit_redis_url",
        "redemptions_since",
        UNDATED,
        SEARCH,
        "decide_readings",
        "phone_region",
    }
)
# CrowdTwist started in 2009: no redemption it records is older, unless a program imported
# older history (then its connection says so with ``redemptions_since``).
CROWDTWIST_START = date(2009, 1, 1)
_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A slower budget would hold a single request longer than a hook call may take.
MIN_REQUESTS_PER_MINUTE = 1.0
# The fingerprint's first line. It names the shared budget in Redis, so it stays as it was
# when only the budget had a name: workers of two versions sharing a key share one budget.
_FINGERPRINT_PURPOSE = "crowdtwist-rate-budget/1"


def connection_fingerprint(api_key: Secret, api_origin: str, pos_origin: str) -> str:
    """The name of what belongs to one API key and its origins (the shared budget in Redis,
    this process's throttle), which never holds the key: a sha256 in hex."""
    # One expression, so that no local of this frame holds the key.
    return hashlib.sha256(
        "\n".join((_FINGERPRINT_PURPOSE, api_key.reveal(), api_origin, pos_origin)).encode()
    ).hexdigest()


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@attrs.frozen
class ConnectionSettings:
    """A validated connection. The API key is never part of the repr."""

    api_key: Secret = attrs.field(repr=False)
    api_origin: str
    pos_origin: str
    user_id_type: UserIdType = "third_party_id"
    rate_limit_per_minute: float = 10_000.0
    target_utilization: float = 0.75
    deletion_complete_on_submit: bool = False
    # Before a deletion counts as complete, check that the person no longer resolves.
    verify_erasure: bool = True
    # A budget shared through Redis by every worker with this key (password hidden).
    rate_limit_redis_url: RedisURL | None = None
    # The earliest day a redemption may be dated (see access.py).
    redemptions_since: date = CROWDTWIST_START
    # The API's undocumented readings the operator pins (readings.py): name -> value.
    pinned_readings: tuple[tuple[str, str], ...] = ()
    # Ignore the pins for one call and read the safe way, to check them (host-stub probe).
    decide_readings: bool = False
    # The country a phone identifier without a country code is read in (ISO 3166 alpha-2).
    phone_region: str | None = None
    # "hmac": main-host calls are signed (signing.py); POS keeps the API key either way.
    auth: Auth = "api_key"
    hmac_public_key: str | None = None
    hmac_private_key: Secret | None = attrs.field(default=None, repr=False)

    @property
    def hmac_keys(self) -> tuple[str, Secret] | None:
        """(public, private) when main-host requests are signed, else None."""
        if self.hmac_public_key is None or self.hmac_private_key is None:
            return None
        return self.hmac_public_key, self.hmac_private_key

    def redact(self, text: str) -> str:
        """``text`` with every secret, in every encoding it may travel in, replaced."""
        secrets = [s.reveal() for s in (self.api_key, self.hmac_private_key) if s is not None]
        for form in sorted({f for s in secrets for f in _key_forms(s)}, key=len, reverse=True):
            text = text.replace(form, "***")
        return text

    @property
    def fingerprint(self) -> str:
        """``connection_fingerprint`` of this connection's key and origins."""
        return connection_fingerprint(self.api_key, self.api_origin, self.pos_origin)

    @property
    def requests_per_second(self) -> float:
        """The request rate this plugin allows itself."""
        return self.rate_limit_per_minute * self.target_utilization / 60.0

    @classmethod
    def from_mapping(cls, connection: object) -> ConnectionSettings:
        if not isinstance(connection, Mapping):
            raise ConfigurationError(
                f"connection must be a mapping, got {type(connection).__name__}"
            )
        unknown = sorted(str(k) for k in connection if k not in CONNECTION_KEYS)
        if unknown:
            raise ConfigurationError(f"unknown connection setting(s): {', '.join(unknown)}")
        settings = cls(
            api_key=_secret(
                "api_key",
                connection.get("api_key"),
                " (with auth = 'hmac' too: the POS host accepts only the API key)"
                if connection.get("auth") == "hmac"
                else "",
            ),
            api_origin=_origin(connection, "api"),
            pos_origin=_origin(connection, "pos"),
            user_id_type=_choice(connection, "user_id_type"),
            rate_limit_per_minute=_positive(connection, "rate_limit_per_minute"),
            target_utilization=_utilization(_given(connection, "target_utilization")),
            deletion_complete_on_submit=_flag(connection, "deletion_complete_on_submit"),
            verify_erasure=_flag(connection, "verify_erasure"),
            rate_limit_redis_url=_redis_url(connection.get("rate_limit_redis_url")),
            redemptions_since=_since(connection.get("redemptions_since")),
            pinned_readings=_readings(connection),
            decide_readings=_flag(connection, "decide_readings"),
            phone_region=_region(connection.get("phone_region")),
            **_hmac(connection),
        )
        if settings.requests_per_second * 60 < MIN_REQUESTS_PER_MINUTE:
            raise ConfigurationError(
                "rate_limit_per_minute x target_utilization must allow at least "
                f"{MIN_REQUESTS_PER_MINUTE:g} request per minute, got "
                f"{settings.requests_per_second * 60:.3g}"
            )
        return settings


def _given(connection: Mapping[str, Any], name: str) -> Any:
    """The value of ``name`` in ``connection``, else the field's default: the defaults are
    said once, on ``ConnectionSettings`` (and the schema's are checked against them)."""
    return connection.get(name, attrs.fields_dict(ConnectionSettings)[name].default)


def _since(value: object) -> date:
    if value is None:
        return CROWDTWIST_START
    day = value if isinstance(value, date) and not isinstance(value, datetime) else None
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
    if day is None:
        raise ConfigurationError(
            f"redemptions_since must be a date YYYY-MM-DD, got {_short(value)}"
        )
    today = datetime.now(UTC).date()
    if day > today:
        raise ConfigurationError(f"redemptions_since must not be in the future, got {day}")
    problem = plan_problem(day, today)
    if problem is not None:
        raise ConfigurationError(f"redemptions_since: {problem}")
    return day


def _readings(connection: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    pinned = []
    for name, values in VALUES.items():
        value = connection.get(name, UNKNOWN)
        if value not in values:
            raise ConfigurationError(
                f"{name} must be one of {', '.join(values)}, got {_short(value)}"
            )
        if value != UNKNOWN:
            pinned.append((name, value))
    return tuple(pinned)


def _hmac(connection: Mapping[str, Any]) -> dict[str, Any]:
    """``auth`` and the HMAC key pair, which are given together or not at all."""
    auth = _given(connection, "auth")
    if auth not in AUTH_CHOICES:
        raise ConfigurationError(
            f"auth must be one of {', '.join(AUTH_CHOICES)}, got {_short(auth)}"
        )
    public, private = connection.get("hmac_public_key"), connection.get("hmac_private_key")
    if auth == "api_key":
        given = [
            name
            for name, value in (("hmac_public_key", public), ("hmac_private_key", private))
            if value is not None
        ]
        if given:
            raise ConfigurationError(
                f"{given[0]} is set but auth is 'api_key': set auth = 'hmac' to sign "
                "requests, or remove the HMAC keys"
            )
        return {}
    if not isinstance(public, str) or not _PRINTABLE_ASCII.fullmatch(public) or ":" in public:
        raise ConfigurationError(
            "hmac_public_key is required with auth = 'hmac' and must be printable ASCII "
            "without spaces or ':' (value not shown)"
        )
    return {
        "auth": auth,
        "hmac_public_key": public,
        "hmac_private_key": _secret("hmac_private_key", private, " with auth = 'hmac'"),
    }


def _key_forms(key: str) -> list[str]:
    """The key as sent (yarl's query encoding) and as a server may echo it, longest first."""
    forms = {
        key,
        quote(key, safe=""),
        quote_plus(key, safe=""),
        quote(key),
        URL("http://x/").with_query(k=key).raw_query_string.removeprefix("k="),
    }
    return sorted(forms, key=len, reverse=True)


def _secret(name: str, value: object, when: str = "") -> Secret:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} is required{when} and must be a non-empty string")
    if not _PRINTABLE_ASCII.fullmatch(value):
        raise ConfigurationError(f"{name} must be printable ASCII without spaces (value not shown)")
    return Secret(value)


def _origin(connection: Mapping[str, Any], which: str) -> str:
    override = connection.get(f"{which}_base_url")
    if override is not None:
        return _base_url(f"{which}_base_url", override)
    name = f"{which}_subdomain"
    subdomain = connection.get(name)
    if subdomain is None:
        raise ConfigurationError(f"{name} is required (or {which}_base_url)")
    if not isinstance(subdomain, str) or not _SUBDOMAIN.fullmatch(subdomain):
        raise ConfigurationError(f"{name} must match [a-z0-9-]+, got {_short(subdomain)}")
    return f"https://{subdomain}.crowdtwist.com"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base_url(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, got {type(value).__name__}")
    caught = Detached(
        ValueError,
        TypeError,
        into=lambda _: ConfigurationError(f"{name} is not a valid URL: {_short(value)}"),
    )
    with caught:
        url = URL(value)
        host = url.host
    if caught:
        caught.raise_caught()
    if url.scheme not in ("http", "https") or not host:
        raise ConfigurationError(f"{name} must be an http(s) origin, got {_short(value)}")
    if url.user or url.password or url.query_string or url.fragment or url.path not in ("", "/"):
        raise ConfigurationError(
            f"{name} must be a bare origin (scheme://host[:port]), got {_short(value)}"
        )
    if url.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            f"{name} may use http:// only for a loopback address, got {_short(value)}"
        )
    if url.scheme == "https" and not (
        host == CROWDTWIST_DOMAIN or host.endswith("." + CROWDTWIST_DOMAIN)
    ):
        # Allowed (proxies, recording), but the API key will go there: say so every time.
        log.warning("%s sends the API key to %s, which is not a CrowdTwist host", name, host)
    return str(url.origin())


def _redis_url(value: object) -> RedisURL | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigurationError(
            f"rate_limit_redis_url must be a string, got {type(value).__name__}"
        )
    return RedisURL.parse(value)


def _region(value: object) -> str | None:
    if value is None:
        return None
    import phonenumbers  # only where a region is set: the entry point stays cheap to load

    if not isinstance(value, str) or value not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigurationError(
            f"phone_region must be a two-letter country code such as US or GB, got {_short(value)}"
        )
    return value


def _choice(connection: Mapping[str, Any], name: str) -> UserIdType:
    value = _given(connection, name)
    for choice in USER_ID_TYPES:
        if value == choice:
            return choice
    raise ConfigurationError(
        f"{name} must be one of {', '.join(USER_ID_TYPES)}, got {_short(value)}"
    )


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number, got {_short(value)}")
    return float(value)


def _positive(connection: Mapping[str, Any], name: str) -> float:
    value = _number(name, _given(connection, name))
    if value <= 0:
        raise ConfigurationError(f"{name} must be greater than 0, got {_short(value)}")
    return value


def _utilization(value: object) -> float:
    number = _number("target_utilization", value)
    if not 0 < number <= 1:
        raise ConfigurationError(f"target_utilization must lie in (0, 1], got {_short(value)}")
    return number


def _flag(connection: Mapping[str, Any], name: str) -> bool:
    value = _given(connection, name)
    if not isinstance(value, bool):
        raise ConfigurationError(f"{name} must be true or false, got {_short(value)}")
    return value
