"""What importing the entry-point module costs a host that makes no CrowdTwist request.

A host imports every plugin's entry point at start-up. The module must not import aiohttp
or the workflows (they are imported inside the hooks, when a call is made); checked in a
fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "aiohttp",
    "crowdtwist_plugin.access",
    "crowdtwist_plugin.deletion",
    "crowdtwist_plugin.credentials",
    "crowdtwist_plugin.client",
)


def modules_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    )
    loaded: list[str] = json.loads(result.stdout)
    return set(loaded)


def test_importing_the_entry_point_module_imports_no_aiohttp_and_no_workflow() -> None:
    loaded = modules_after("import crowdtwist_plugin.plugin")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("module", ["crowdtwist_plugin", "crowdtwist_plugin.schemas"])
def test_the_package_and_its_schemas_import_no_aiohttp(module: str) -> None:
    loaded = modules_after(f"import {module}")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
