"""Where the key may be sent is not a file setting (issue 11, item 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from host_stub.config import load_config
from host_stub.errors import ConfigError

ENV = {"CROWDTWIST_API_KEY": "k"}


def write(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "host-stub.toml"
    path.write_text(f"[integrations.crowdtwist]\n{table}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["api_base_url", "pos_base_url"])
def test_a_base_url_in_the_file_is_refused_naming_the_alternatives(
    tmp_path: Path, key: str
) -> None:
    path = write(tmp_path, f'{key} = "https://collector.example"\napi_subdomain = "api1"')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    which = key.split("_")[0]
    assert f"must not set {key}" in message
    assert f"{which}_subdomain" in message
    assert f"CROWDTWIST_{key.upper()}" in message
    assert f"--{which}-base-url" in message
    assert "collector.example" not in message


def test_subdomains_come_from_the_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'api_subdomain = "api1"\npos_subdomain = "pos1"'))
    assert config.connection_for("crowdtwist", ENV) == {
        "api_subdomain": "api1",
        "pos_subdomain": "pos1",
        "api_key": "k",
    }


def test_origins_come_from_the_environment_and_the_command_line_wins(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'api_subdomain = "api1"\npos_subdomain = "pos1"'))
    env = {
        **ENV,
        "CROWDTWIST_API_BASE_URL": "http://127.0.0.1:8765",
        "CROWDTWIST_POS_BASE_URL": "http://127.0.0.1:8766",
    }
    connection = config.connection_for(
        "crowdtwist", env, {"api_base_url": "http://127.0.0.1:9999", "pos_base_url": None}
    )
    assert connection["api_base_url"] == "http://127.0.0.1:9999"
    assert connection["pos_base_url"] == "http://127.0.0.1:8766"
    empty = config.connection_for("crowdtwist", {**ENV, "CROWDTWIST_API_BASE_URL": " "})
    assert "api_base_url" not in empty


def test_a_toml_date_reaches_the_plugin_as_iso_text(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'api_subdomain = "a"\nredemptions_since = 2015-06-01'))
    connection = config.connection_for("crowdtwist", ENV)
    assert connection["redemptions_since"] == "2015-06-01"
    json.dumps(connection)  # the contract's mappings are JSON


HMAC_TABLE = (
    'api_subdomain = "api1"\npos_subdomain = "pos1"\nauth = "hmac"\nhmac_public_key = "pub"'
)


def test_the_hmac_private_key_comes_from_the_environment_and_is_a_secret(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, HMAC_TABLE))
    env = {**ENV, "CROWDTWIST_HMAC_PRIVATE_KEY": "canary-private"}
    connection = config.connection_for("crowdtwist", env)
    assert connection["hmac_private_key"] == "canary-private"
    assert (connection["auth"], connection["hmac_public_key"]) == ("hmac", "pub")
    assert "canary-private" in config.secrets_for("crowdtwist", env)


def test_hmac_without_the_private_key_in_the_environment_names_the_variable(
    tmp_path: Path,
) -> None:
    config = load_config(write(tmp_path, HMAC_TABLE))
    with pytest.raises(ConfigError, match="CROWDTWIST_HMAC_PRIVATE_KEY is not set"):
        config.connection_for("crowdtwist", ENV)


def test_the_hmac_private_key_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HMAC_TABLE}\nhmac_private_key = "canary-private"')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "must not contain hmac_private_key" in str(info.value)
    assert "set CROWDTWIST_HMAC_PRIVATE_KEY in the environment" in str(info.value)
    assert "canary-private" not in str(info.value)
