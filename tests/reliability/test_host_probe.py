"""``host-stub probe`` with the real plugin against sandboxes serving each reading: what
the answers prove, with evidence, the lines that pin it, a contradicted pin, and nothing
of the test member printed or stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from host_stub.probe import _line
from host_stub.sandbox import Sandbox, SandboxConfig, SandboxThread
from tests.helpers.cli import Cli
from tests.helpers.host import Host
from tests.helpers.people import ALICE

LENIENT = SandboxConfig(redemption_history_undated="everything", member_search_is_active_0="all")


@pytest.fixture
def lenient(tmp_path: Path, host: Host) -> Iterator[Cli]:
    with SandboxThread(LENIENT) as sandbox:
        yield _cli(tmp_path, sandbox, host)


def _cli(root: Path, sandbox: Sandbox, host: Host) -> Cli:
    running = Cli.for_crowdtwist(
        root, sandbox.api_base_url, sandbox.pos_base_url, sandbox.api_key, host.pm
    )
    running.write_config()
    return running


def _nothing_of_the_member(cli: Cli, *outputs: str) -> None:
    for identifier in (ALICE.email, ALICE.third_party_id, str(ALICE.crowdtwist_id)):
        assert not any(identifier in output for output in outputs)
    assert not cli.store_path.exists() or cli.requests() == []


def test_probe_proves_the_strict_readings_and_prints_their_pins(cli: Cli) -> None:
    code, out, err = cli("probe", "--email", ALICE.email)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(
        "redemption_history_undated: last_365_days (evidence: a year window held a "
    )
    assert lines[1] == (
        "member_search_is_active_0: inactive_only (evidence: an is_active=0 answer lacked "
        "1 active member is_active=1 held)"
    )
    assert lines[-2:] == [
        'redemption_history_undated = "last_365_days"',
        'member_search_is_active_0 = "inactive_only"',
    ]
    _nothing_of_the_member(cli, out, err)


def test_probe_proves_the_lenient_readings(lenient: Cli) -> None:
    code, out, _ = lenient("probe", "--email", ALICE.email)
    assert code == 0
    assert out.splitlines()[-2:] == [
        'redemption_history_undated = "everything"',
        'member_search_is_active_0 = "all"',
    ]


def test_a_pin_the_answers_contradict_fails_the_probe(lenient: Cli) -> None:
    lenient.write_config(
        redemption_history_undated="last_365_days", member_search_is_active_0="all"
    )
    code, out, err = lenient("probe", "--email", ALICE.email)
    assert code == 1
    undated, search = out.splitlines()[:2]
    assert undated.endswith("CONTRADICTS the file's 'last_365_days': change or remove it")
    assert search.endswith("the file's pin is confirmed")
    _nothing_of_the_member(lenient, out, err)


def test_a_test_member_not_found_is_said_so(cli: Cli) -> None:
    code, _, err = cli("probe", "--email", "nobody@example.com")
    assert code == 1
    assert "the test member was not found" in err


def test_answers_that_disagree_fail_the_probe_and_pin_nothing() -> None:
    use = {"used": "unknown", "value": "unknown", "contradicted_by": "conflicting evidence: a; b"}
    line, pin, fails = _line("redemption_history_undated", use, "unknown")
    assert line.startswith("redemption_history_undated: CONFLICTING evidence")
    assert (pin, fails) == (None, True)


def test_a_bad_pin_is_a_configuration_error(cli: Cli) -> None:
    cli.write_config(redemption_history_undated="always")
    code, _, err = cli("probe", "--email", ALICE.email)
    assert code == 2
    assert "redemption_history_undated must be one of" in err
