"""``rate_limit_redis_url``: a Redis URL whose password never shows.

Validated here, without importing redis, so that a bad URL is a configuration error named
before anything connects; only ``reveal()`` gives the URL to the Redis client.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl, urlsplit

import attrs

from crowdtwist_plugin.errors import ConfigurationError

DEFAULT_PORT: Final = 6379
SCHEMES: Final = ("redis", "rediss", "unix")
# Query parameters passed on to redis-py; timeouts and retries are ours to set.
QUERY_PARAMETERS: Final = frozenset(
    {"db", "username", "password", "client_name"}
    | {"ssl_cert_reqs", "ssl_ca_certs", "ssl_certfile", "ssl_keyfile"}
)
_DIGITS = re.compile(r"[0-9]+")


def url_error(problem: str) -> ConfigurationError:
    return ConfigurationError(f"rate_limit_redis_url {problem}")


@attrs.frozen(repr=False)
class RedisURL:
    """A ``redis://``, ``rediss://`` or ``unix://`` URL whose password never shows: repr and
    str give ``redacted``; only ``reveal()`` returns the URL itself."""

    redacted: str
    _secret: str = attrs.field(alias="secret")

    @classmethod
    def parse(cls, text: str) -> RedisURL:
        redacted, problem = _redact(text)
        if redacted is None:
            raise url_error(problem)  # outside any except: nothing about the text is chained
        return cls(redacted=redacted, secret=text)

    def reveal(self) -> str:
        """The URL with its password, for the Redis client only."""
        return self._secret

    def __repr__(self) -> str:
        return f"RedisURL({self.redacted!r})"

    def __str__(self) -> str:
        return self.redacted


def _redact(text: str) -> tuple[str | None, str]:
    """(the URL with its credentials replaced by ``***``, "") or (None, what is wrong).
    No message quotes any part of the URL: a misplaced password can land anywhere."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None, "is not a valid URL (bad host or port)"
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not text.lower().startswith(f"{scheme}://"):
        return None, "must be a redis://, rediss:// or unix:// URL"
    if parts.fragment:
        return None, "must not have a #fragment (a '#' in a password must be written %23)"
    query: list[str] = []
    seen: set[str] = set()
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        return None, "has a malformed query string"
    for name, value in pairs:
        if name not in QUERY_PARAMETERS:
            allowed = ", ".join(sorted(QUERY_PARAMETERS))
            return None, f"has an unsupported query parameter (allowed: {allowed})"
        if name in seen:
            return None, "repeats a query parameter"
        seen.add(name)
        if name == "db" and not (value.isascii() and _DIGITS.fullmatch(value)):
            return None, "must give db as a number"
        query.append(f"{name}=***" if name == "password" else f"{name}={value}")
    userinfo = ""
    if parts.password:
        userinfo = f"{parts.username or ''}:***@"
    elif parts.username:
        userinfo = "***@"  # "redis://secret@host" puts a password where a username goes
    if scheme == "unix":
        if not parts.path.startswith("/"):
            return None, "must give the socket's absolute path (unix:///path/to/redis.sock)"
        if "@" in parts.path:  # a '/' in the password split it: the rest would show
            return None, "has '@' in the socket path (write '/' in a password as %2F)"
        location = parts.path
    else:
        host = parts.hostname
        if not host:
            return None, "must name a host (redis://host:6379/0)"
        path = parts.path.strip("/") or "0"
        if not (path.isascii() and _DIGITS.fullmatch(path)) or parts.path.count("/") > 1:
            return None, "must end in a database number such as /0"
        host = f"[{host}]" if ":" in host else host
        location = f"{host}:{port or DEFAULT_PORT}/{path}"
    suffix = f"?{'&'.join(query)}" if query else ""
    return f"{scheme}://{userinfo}{location}{suffix}", ""
