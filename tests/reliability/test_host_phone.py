"""``host-stub access --phone`` and ``delete --phone`` with the real plugin: a number written
as a person writes it, read in the settings' ``phone_region``, reaches the member."""

from __future__ import annotations

import json

from crowdtwist_sandbox import DEMO_PEOPLE
from tests.helpers.cli import Cli

PHIL = DEMO_PEOPLE["phil"]


def test_access_by_phone_finds_the_member(cli: Cli) -> None:
    cli.write_config(phone_region="US")
    report_file = cli.root / "report.json"
    code, _, err = cli("access", "--phone", "(209) 809-0783", "--output", str(report_file))
    assert code == 0, err
    report = json.loads(report_file.read_text())
    assert [s["crowdtwist_id"] for s in report["subjects"]] == [PHIL.crowdtwist_id]


def test_a_phone_without_a_region_is_a_configuration_error(cli: Cli) -> None:
    code, _, err = cli("access", "--phone", "(209) 809-0783")
    assert code == 2
    assert "phone_region" in err
