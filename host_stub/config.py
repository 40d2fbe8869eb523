"""Host configuration: non-secret settings from TOML, secrets only from the environment.

Where the API key is sent is not a file setting. The file names the service by subdomain
(``api_subdomain``, ``pos_subdomain``); a full origin (``api_base_url``, ``pos_base_url``:
the sandbox, a recording proxy) is taken only from the environment
(``<INTEGRATION>_API_BASE_URL``, ``<INTEGRATION>_POS_BASE_URL``, e.g.
``CROWDTWIST_API_BASE_URL``) or the command line (``--api-base-url``, ``--pos-base-url``,
which win over the environment). A ``*_base_url`` key in the file is refused: whoever can
edit a settings file could otherwise point the key at any https host.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from host_stub.errors import ConfigError

DEFAULT_CONFIG_FILE = "host-stub.toml"
CONFIG_ENV = "HOST_STUB_CONFIG"
DEFAULT_STATE_DIR = ".host_stub"
SECRET_KEYS = frozenset({"api_key"})
ORIGIN_KEYS = ("api_base_url", "pos_base_url")


def _env_prefix(integration: str) -> str:
    return integration.upper().replace("-", "_")


def secret_env_var(integration: str) -> str:
    """The environment variable that holds an integration's API key."""
    return f"{_env_prefix(integration)}_API_KEY"


def origin_env_var(integration: str, key: str) -> str:
    """The environment variable that overrides an origin, e.g. ``CROWDTWIST_API_BASE_URL``."""
    return f"{_env_prefix(integration)}_{key.upper()}"


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
        connection = {**settings, "api_key": secret}
        for key in ORIGIN_KEYS:
            value = (origins or {}).get(key) or environ.get(origin_env_var(integration, key))
            if value and value.strip():
                connection[key] = value.strip()
        return connection


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
                f"remove it from the file and set {secret_env_var(name)} in the environment"
            )
        in_file = sorted(k for k in settings if k.endswith("_base_url"))
        if in_file:
            raise ConfigError(_origin_in_file(path, name, in_file[0]))
    default_store, default_reports = default_state_paths(Path.cwd())
    return HostConfig(
        path=path,
        store_path=_path_setting(host, "store", path, default_store),
        reports_dir=_path_setting(host, "reports_dir", path, default_reports),
        integrations=integrations,
    )


def _origin_in_file(path: Path, integration: str, key: str) -> str:
    subdomain = key.removesuffix("_base_url") + "_subdomain"
    return (
        f"{path}: [integrations.{integration}] must not set {key}: an origin in the settings "
        f"file could send the API key to any host. Put {subdomain} in the file, or override "
        f"the origin with {origin_env_var(integration, key)} in the environment or "
        f"{origin_option(key)} on the command line"
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
