"""``host-stub probe`` with the real plugin against sandboxes serving each reading: what
the answers prove, with evidence, the lines that pin it, a contradicted pin, and nothing
of the test member printed or stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from crowdtwist_sandbox import Sandbox, SandboxConfig, SandboxThread
from host_stub.probe import _line
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


def test_probe_under_the_strict_readings_pins_nothing(cli: Cli) -> None:
    code, out, err = cli("probe", "--email", ALICE.email)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(
        "redemption_history_undated: not_everything (evidence: the undated answer lacked "
    )
    assert lines[0].endswith("; leave it unpinned (the safe way reads everything)")
    assert lines[1].startswith("member_search_is_active_0: inactive_only (evidence: ")
    assert "To pin them" not in out and " = " not in out
    _nothing_of_the_member(cli, out, err)


def test_probe_proves_the_lenient_readings_with_the_span(lenient: Cli) -> None:
    code, out, _ = lenient("probe", "--email", ALICE.email)
    assert code == 0
    undated = out.splitlines()[0]
    assert re.match(r"redemption_history_undated: everything, proved back to \d{4}-\d{2} ", undated)
    assert out.splitlines()[-2:] == [
        'redemption_history_undated = "everything"',
        'member_search_is_active_0 = "all"',
    ]


def test_a_pin_the_answers_contradict_fails_the_probe(cli: Cli) -> None:
    cli.write_config(redemption_history_undated="everything", member_search_is_active_0="all")
    code, out, err = cli("probe", "--email", ALICE.email)
    assert code == 1
    undated, search = out.splitlines()[:2]
    assert undated.endswith("CONTRADICTS the file's 'everything': remove it")
    assert search.endswith("CONTRADICTS the file's 'all': remove it")
    _nothing_of_the_member(cli, out, err)


def test_a_pin_the_answers_confirm_passes(lenient: Cli) -> None:
    lenient.write_config(redemption_history_undated="everything", member_search_is_active_0="all")
    code, out, _ = lenient("probe", "--email", ALICE.email)
    assert code == 0
    assert all(line.endswith("the file's pin is confirmed") for line in out.splitlines()[:2])


def test_a_member_whose_history_is_within_a_year_proves_nothing() -> None:
    use = {"used": "unknown", "value": "unknown", "saved_requests": 0}
    line, pin, fails = _line("redemption_history_undated", use, "everything")
    assert line.startswith("redemption_history_undated: not decided by this member")
    assert line.endswith("the file's 'everything' is not checked")
    assert (pin, fails) == (None, False)


def test_a_test_member_not_found_is_said_so(cli: Cli) -> None:
    code, _, err = cli("probe", "--email", "nobody@example.com")
    assert code == 1
    assert "the test member was not found" in err


def test_a_bad_pin_is_a_configuration_error(cli: Cli) -> None:
    cli.write_config(redemption_history_undated="always")
    code, _, err = cli("probe", "--email", ALICE.email)
    assert code == 2
    assert "redemption_history_undated must be one of" in err
