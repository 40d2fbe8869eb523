"""The shared budget's Redis URL in the host's configuration (issue 13, item 7): the file may
name the server, never its password; a URL with a password comes from the environment, and
the password is a secret the host redacts like the API key."""

from __future__ import annotations

import io
from pathlib import Path

import pluggy
import pytest

from host_stub.cli import main
from host_stub.config import (
    REDIS_URL_KEY,
    load_config,
    redis_url_env_var,
    redis_url_secrets,
)
from host_stub.errors import ConfigError
from host_stub.redaction import Redactor
from host_stub.store import RequestStore
from tests.host.echo_plugin import EchoFailure, EchoPlugin

PASSWORD = "Redis+Pw/with=odd&chars"  # written percent-encoded in URLs below
ENCODED = "Redis%2BPw%2Fwith%3Dodd%26chars"
ENV = {"CROWDTWIST_API_KEY": "k"}

URLS_WITH_CREDENTIALS = [
    f"redis://:{ENCODED}@127.0.0.1:6379/0",
    f"redis://default:{ENCODED}@127.0.0.1:6379/0",
    f"rediss://{ENCODED}@redis.example:6380/1",  # a password where a user name goes
    f"redis://127.0.0.1:6379/0?password={ENCODED}",
    f"unix://:{ENCODED}@/run/redis/redis.sock",
    f"unix:///run/redis/redis.sock?db=0&password={ENCODED}",
]


def write(tmp_path: Path, table: str, integration: str = "crowdtwist") -> Path:
    path = tmp_path / "host-stub.toml"
    path.write_text(f"[integrations.{integration}]\n{table}\n", encoding="utf-8")
    return path


def test_the_environment_variable_is_named_like_the_api_keys() -> None:
    assert redis_url_env_var("crowdtwist") == "CROWDTWIST_REDIS_URL"
    assert redis_url_env_var("my-crm") == "MY_CRM_REDIS_URL"


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/0", "rediss://redis.example:6380/2", "unix:///run/r.sock"]
)
def test_a_url_without_credentials_in_the_file_reaches_the_connection(
    tmp_path: Path, url: str
) -> None:
    config = load_config(write(tmp_path, f'{REDIS_URL_KEY} = "{url}"'))
    assert config.connection_for("crowdtwist", ENV) == {"api_key": "k", REDIS_URL_KEY: url}
    assert config.secrets_for("crowdtwist", ENV) == ["k"]


def test_without_the_setting_the_connection_has_no_redis_url(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'api_subdomain = "api1"'))
    assert REDIS_URL_KEY not in config.connection_for("crowdtwist", ENV)
    blank = config.connection_for("crowdtwist", {**ENV, "CROWDTWIST_REDIS_URL": "  "})
    assert REDIS_URL_KEY not in blank


@pytest.mark.parametrize("url", URLS_WITH_CREDENTIALS)
def test_credentials_in_the_file_are_refused_without_echoing_them(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, f'{REDIS_URL_KEY} = "{url}"'))
    message = str(info.value)
    assert f"{REDIS_URL_KEY} must not contain credentials" in message
    assert "CROWDTWIST_REDIS_URL" in message
    for secret in (ENCODED, PASSWORD, "Redis"):
        assert secret not in message


@pytest.mark.parametrize("value", ['""', "6379", "true", '["redis://h/0"]'])
def test_a_setting_that_is_not_a_url_string_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=f"{REDIS_URL_KEY} must be a non-empty"):
        load_config(write(tmp_path, f"{REDIS_URL_KEY} = {value}"))


def test_the_environment_wins_over_the_file_and_its_password_is_a_secret(
    tmp_path: Path,
) -> None:
    config = load_config(write(tmp_path, f'{REDIS_URL_KEY} = "redis://10.0.0.1:6379/0"'))
    url = f"redis://default:{ENCODED}@10.0.0.2:6379/0"
    env = {**ENV, "CROWDTWIST_REDIS_URL": f" {url}\n"}
    assert config.connection_for("crowdtwist", env)[REDIS_URL_KEY] == url
    secrets = config.secrets_for("crowdtwist", env)
    assert secrets[0] == "k"
    assert {ENCODED, PASSWORD} <= set(secrets)
    assert "default" not in secrets  # a user name beside a password is not a secret


def test_secrets_for_never_raises_for_status(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'api_subdomain = "api1"'))
    assert config.secrets_for("crowdtwist", {}) == []
    assert config.secrets_for("not-configured", {"NOT_CONFIGURED_REDIS_URL": "x"}) == []


@pytest.mark.parametrize("url", URLS_WITH_CREDENTIALS)
def test_the_password_is_found_in_every_place_a_url_can_hold_it(url: str) -> None:
    assert {ENCODED, PASSWORD} <= set(redis_url_secrets(url))


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("redis://:pa/ss@host:6379/0", "pa/ss"),  # a raw '/' ends a URL parser's user info
        ("redis://:pa?ss@host:6379/0", "pa?ss"),
        ("redis://:pa#ss@host:6379/0", "pa#ss"),
        ("redis://:pa:ss@host:99999/0", "pa:ss"),  # a bad port: no URL parser answers
        ("redis://h/0?password=a+b", "a b"),  # plus-decoded, as a query parser would
    ],
)
def test_a_malformed_url_still_has_its_password_found(url: str, password: str) -> None:
    assert password in redis_url_secrets(url)


def test_no_credentials_no_secrets() -> None:
    assert redis_url_secrets("redis://127.0.0.1:6379/0?db=1&client_name=w1") == []
    assert redis_url_secrets("") == []


def test_the_host_redactor_masks_the_password_in_every_form(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'api_subdomain = "api1"'))
    env = {**ENV, "CROWDTWIST_REDIS_URL": f"redis://:{ENCODED}@127.0.0.1:6379/0"}
    redactor = Redactor.of(config.secrets_for("crowdtwist", env))
    for echo in (PASSWORD, ENCODED, env["CROWDTWIST_REDIS_URL"], repr(PASSWORD)):
        masked = redactor.text(f"budget store unreachable: {echo}")
        assert "Redis" not in masked and "***" in masked


# ------------------------------------------------------------------ through the CLI


def run_cli(
    tmp_path: Path, pm: pluggy.PluginManager, table: str, env: dict[str, str]
) -> tuple[int, str, str]:
    config = tmp_path / "host-stub.toml"
    config.write_text(
        f'[host]\nstore = "state/requests.db"\nreports_dir = "reports"\n\n'
        f"[integrations.echo]\n{table}\n",
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    argv = ["--config", str(config), "--integration", "echo", "access", "--email", "a@x.io"]
    code = main(argv, environ=env, out=out, err=err, plugin_manager=pm)
    return code, out.getvalue(), err.getvalue()


def test_the_cli_refuses_a_password_in_the_file_with_exit_2(
    tmp_path: Path, echo_pm: pluggy.PluginManager, echo: EchoPlugin
) -> None:
    url = f"redis://:{ENCODED}@127.0.0.1:6379/0"
    code, out, err = run_cli(tmp_path, echo_pm, f'{REDIS_URL_KEY} = "{url}"', {"ECHO_API_KEY": "k"})
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "ECHO_REDIS_URL" in err
    assert "Redis" not in out + err
    assert echo.calls == []


def test_the_cli_redacts_the_password_from_output_and_store(
    tmp_path: Path, echo_pm: pluggy.PluginManager, echo: EchoPlugin
) -> None:
    url = f"redis://:{ENCODED}@127.0.0.1:6379/0"
    echo.fail_with = EchoFailure(f"budget store {url} ({PASSWORD}) is down", retryable=True)
    code, out, err = run_cli(tmp_path, echo_pm, "", {"ECHO_API_KEY": "k", "ECHO_REDIS_URL": url})
    assert code == 1
    store = tmp_path / "state" / "requests.db"
    (stored,) = RequestStore(store).list()
    assert stored.error is not None and "***" in stored.error
    for text in (out, err, stored.error, store.read_bytes().decode("utf-8", "replace")):
        assert ENCODED not in text and PASSWORD not in text
