"""Host configuration: non-secret settings from TOML, secrets only from the environment.

Where the API key is sent is not a file setting. The file names the service by subdomain
(``api_subdomain``, ``pos_subdomain``); a full origin (``api_base_url``, ``pos_base_url``:
the sandbox, a recording proxy) is taken only from the environment
(``<INTEGRATION>_API_BASE_URL``, ``<INTEGRATION>_POS_BASE_URL``, e.g.
``CROWDTWIST_API_BASE_URL``) or the command line (``--api-base-url``, ``--pos-base-url``,
which win over the environment). A ``*_base_url`` key in the file is refused: whoever can
edit a settings file could otherwise point the key at any https host.

With ``auth = "hmac"`` in the file, the HMAC private key is a secret like the API key,
read from ``<INTEGRATION>_HMAC_PRIVATE_KEY``; ``hmac_public_key`` may be in the file.

``rate_limit_redis_url`` (the Redis server a fleet of workers shares one rate budget in)
may be in the file only without credentials; a URL with a password is read from
``<INTEGRATION>_REDIS_URL`` (e.g. ``CROWDTWIST_REDIS_URL``), which wins over the file, and
its password is a secret like the API key (``HostConfig.secrets_for``).
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import attrs

from host_stub.errors import ConfigError

DEFAULT_CONFIG_FILE = "host-stub.toml"
CONFIG_ENV = "HOST_STUB_CONFIG"
DEFAULT_STATE_DIR = ".host_stub"
SECRET_KEYS = frozenset({"api_key", "hmac_private_key"})
ORIGIN_KEYS = ("api_base_url", "pos_base_url")
REDIS_URL_KEY = "rate_limit_redis_url"


def _env_prefix(integration: str) -> str:
    return integration.upper().replace("-", "_")


def secret_env_var(integration: str) -> str:
    """The environment variable that holds an integration's API key."""
    return f"{_env_prefix(integration)}_API_KEY"


def hmac_key_env_var(integration: str) -> str:
    """The environment variable that holds an integration's HMAC private key (used with
    ``auth = "hmac"`` in the file), e.g. ``CROWDTWIST_HMAC_PRIVATE_KEY``."""
    return f"{_env_prefix(integration)}_HMAC_PRIVATE_KEY"


def origin_env_var(integration: str, key: str) -> str:
    """The environment variable that overrides an origin, e.g. ``CROWDTWIST_API_BASE_URL``."""
    return f"{_env_prefix(integration)}_{key.upper()}"


def redis_url_env_var(integration: str) -> str:
    """The environment variable that holds the shared budget's Redis URL (with its password),
    e.g. ``CROWDTWIST_REDIS_URL``."""
    return f"{_env_prefix(integration)}_REDIS_URL"


def redis_url_secrets(url: str) -> list[str]:
    """The credentials in a Redis URL, as written and percent-decoded: the password in the
    user info (or the user name when there is no password: ``redis://secret@host`` is read
    as a password) and every ``password=`` query value. Deliberately loose about the URL's
    shape, so that a malformed URL still has its password found (and a '@' in a query value
    counts as credentials too)."""
    found: list[str] = []
    # Up to the last '@' anywhere: a '/', '?' or '#' written raw in a password would end
    # the user info early for a URL parser, and then the rest of it would show.
    userinfo, at, _ = (url.partition("://")[2] or url).rpartition("@")
    if at:
        user, _, password = userinfo.partition(":")
        found.append(password or user)
    query = url.partition("?")[2].partition("#")[0]
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if unquote(name).strip().lower() == "password":
            found.append(value)
    found += [unquote(secret) for secret in found]
    found += [value for name, value in parse_qsl(query) if name.lower() == "password"]
    return sorted({secret for secret in found if secret})


def origin_option(key: str) -> str:
    """The command-line option that overrides an origin, e.g. ``--api-base-url``."""
    return "--" + key.replace("_", "-")


@attrs.frozen
class HostConfig:
    """What the host needs to run: where state lives and each integration's settings."""

    path: Path
    store_path: Path
    reports_dir: Path
    integrations: Mapping[str, Mapping[str, Any]]

    def connection_for(
        self,
        integration: str,
        environ: Mapping[str, str],
        origins: Mapping[str, str | None] | None = None,
    ) -> dict[str, Any]:
        """The connection mapping for ``integration``: the file's settings, the secret from
        ``environ``, origin overrides from ``origins`` (the command line) or ``environ``."""
        settings = self.integrations.get(integration)
        if settings is None:
            configured = ", ".join(sorted(self.integrations)) or "none"
            raise ConfigError(
                f"integration {integration!r} is not configured in {self.path}: add an "
                f"[integrations.{integration}] table (configured: {configured})"
            )
        var = secret_env_var(integration)
        secret = environ.get(var, "")
        if not secret.strip():
            raise ConfigError(
                f"{var} is not set: export the {integration} API key in the environment "
                f"(secrets never go in {self.path.name})"
            )
        # The contract's mappings are JSON: a TOML date (redemptions_since = 2015-06-01)
        # goes to the plugin as its ISO text.
        connection = {
            **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in settings.items()},
            "api_key": secret,
        }
        for key in ORIGIN_KEYS:
            value = (origins or {}).get(key) or environ.get(origin_env_var(integration, key))
            if value and value.strip():
                connection[key] = value.strip()
        redis_url = environ.get(redis_url_env_var(integration), "").strip()
        if redis_url:
            connection[REDIS_URL_KEY] = redis_url
        hmac_key = environ.get(hmac_key_env_var(integration), "")
        if hmac_key.strip():
            connection["hmac_private_key"] = hmac_key
        elif settings.get("auth") == "hmac":
            raise ConfigError(
                f"{hmac_key_env_var(integration)} is not set: auth = 'hmac' signs with the "
                "HMAC private key, which is read from the environment (never from "
                f"{self.path.name})"
            )
        return connection

    def secrets_for(self, integration: str, environ: Mapping[str, str]) -> list[str]:
        """Every secret the host must redact for ``integration`` (output and store): the API
        key, the HMAC private key, the credentials in the Redis URL and the erasure key.
        Never raises: also for ``status``."""
        secrets = [
            environ.get(secret_env_var(integration), ""),
            environ.get(hmac_key_env_var(integration), ""),
            environ.get(ERASURE_KEY_ENV, ""),
        ]
        secrets += redis_url_secrets(environ.get(redis_url_env_var(integration), ""))
        return [secret for secret in secrets if secret.strip()]


ERASURE_KEY_ENV = "HOST_STUB_ERASURE_KEY"  # see host_stub.erasure


def config_path(explicit: str | None, environ: Mapping[str, str]) -> Path:
    """The config file to read: ``--config``, then ``$HOST_STUB_CONFIG``, then the default."""
    return Path(explicit or environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE)


def default_state_paths(base: Path) -> tuple[Path, Path]:
    """The store file and reports folder used when the config does not name them."""
    state = base / DEFAULT_STATE_DIR
    return state / "requests.db", state / "reports"


def load_config(path: Path) -> HostConfig:
    """Read and check the TOML file at ``path``."""
    if not path.is_file():
        raise ConfigError(
            f"configuration file {path} not found: create it with an "
            f"[integrations.crowdtwist] table, or pass --config / set {CONFIG_ENV}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    host = _table(data, "host", path)
    integrations = _table(data, "integrations", path)
    unknown = set(data) - {"host", "integrations"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level table(s) {sorted(unknown)}")
    unknown = set(host) - {"store", "reports_dir"}
    if unknown:
        raise ConfigError(f"{path}: unknown [host] setting(s) {sorted(unknown)}")
    for name, settings in integrations.items():
        if not isinstance(settings, dict):
            raise ConfigError(f"{path}: [integrations.{name}] must be a table")
        leaked = SECRET_KEYS & set(settings)
        if leaked:
            raise ConfigError(
                f"{path}: [integrations.{name}] must not contain {sorted(leaked)[0]}; "
                f"remove it from the file and set {_secret_var(sorted(leaked)[0], name)} in "
                "the environment"
            )
        in_file = sorted(k for k in settings if k.endswith("_base_url"))
        if in_file:
            raise ConfigError(_origin_in_file(path, name, in_file[0]))
        if REDIS_URL_KEY in settings:
            _check_redis_url(path, name, settings[REDIS_URL_KEY])
    default_store, default_reports = default_state_paths(Path.cwd())
    return HostConfig(
        path=path,
        store_path=_path_setting(host, "store", path, default_store),
        reports_dir=_path_setting(host, "reports_dir", path, default_reports),
        integrations=integrations,
    )


def _secret_var(key: str, integration: str) -> str:
    return (
        hmac_key_env_var(integration) if key == "hmac_private_key" else secret_env_var(integration)
    )


def _origin_in_file(path: Path, integration: str, key: str) -> str:
    subdomain = key.removesuffix("_base_url") + "_subdomain"
    return (
        f"{path}: [integrations.{integration}] must not set {key}: an origin in the settings "
        f"file could send the API key to any host. Put {subdomain} in the file, or override "
        f"the origin with {origin_env_var(integration, key)} in the environment or "
        f"{origin_option(key)} on the command line"
    )


def _check_redis_url(path: Path, integration: str, value: object) -> None:
    """A Redis URL in the file must carry no credentials. No message quotes the value."""
    where = f"{path}: [integrations.{integration}] {REDIS_URL_KEY}"
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty redis://, rediss:// or unix:// URL")
    if "@" in value or redis_url_secrets(value):
        raise ConfigError(
            f"{where} must not contain credentials (user:password@ or password=): a password "
            f"is a secret and secrets never go in {path.name}. Remove {REDIS_URL_KEY} from "
            f"the file and set {redis_url_env_var(integration)} in the environment to the "
            f"URL with its password"
        )


def _table(data: Mapping[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return value


def _path_setting(host: Mapping[str, Any], key: str, path: Path, default: Path) -> Path:
    value = host.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: [host] {key} must be a non-empty path string")
    resolved = Path(os.path.expanduser(value))
    return resolved if resolved.is_absolute() else path.parent / resolved
