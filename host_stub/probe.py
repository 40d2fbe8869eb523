"""``host-stub probe --email ADDRESS``: decide the API's undocumented readings with an
operator's test member, and print the settings lines that pin them.

The access hook runs with ``decide_readings = true`` (pinned and learned readings are
ignored, so every deciding read is sent), and what its ``stats.readings`` say was proven
is printed with the evidence (a month or a count). The report itself, the test member's
data, is neither printed nor stored. Exit 1 when the answers contradict a reading the
settings file pins, or each other; 2 for a configuration error, as every command.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from host_stub.console import Console
from host_stub.errors import EXIT_FAILED, EXIT_OK, HostError
from host_stub.runner import Runner
from host_stub.stats import stats_of

UNKNOWN = "unknown"


async def probe(runner: Runner, email: str, console: Console) -> int:
    deciding = attrs.evolve(runner, connection={**runner.connection, "decide_readings": True})
    output = await deciding.unrecorded("handle_access", identifiers={"email": [email]})
    if not output.get("subjects"):
        raise HostError("the test member was not found: probe needs a member that exists")
    readings = (stats_of(output) or {}).get("readings")
    if not isinstance(readings, Mapping) or not readings:
        raise HostError(f"{runner.integration} reports no readings: nothing to probe")
    pins, contradicted = [], False
    for name, use in readings.items():
        if not isinstance(use, Mapping):
            continue
        pinned = runner.connection.get(name, UNKNOWN)
        line, pin, against = _line(name, use, pinned)
        console.print(line)
        contradicted |= against
        if pin is not None:
            pins.append(pin)
    if pins:
        console.print(f"\nTo pin them, under [integrations.{runner.integration}]:")
        console.print("\n".join(pins))
    return EXIT_FAILED if contradicted else EXIT_OK


def _line(name: str, use: Mapping[str, Any], pinned: Any) -> tuple[str, str | None, bool]:
    """The reading's line, its settings line (when proven), and whether the probe fails:
    the answers contradict the pinned value, or each other."""
    proved = use.get("proved")
    if isinstance(use.get("contradicted_by"), str):  # in decide mode: answers disagreed
        return f"{name}: CONFLICTING evidence ({use['contradicted_by']}): pin nothing", None, True
    if not isinstance(proved, Mapping) or not isinstance(proved.get("value"), str):
        note = "" if pinned == UNKNOWN else f"; the file's {pinned!r} is not checked"
        return f"{name}: not decided by this member (its answers prove neither){note}", None, False
    value = proved["value"]
    line = f"{name}: {value} (evidence: {proved.get('evidence')})"
    against = pinned not in (UNKNOWN, value)
    if pinned == value:
        line += "; the file's pin is confirmed"
    elif against:
        line += f"; CONTRADICTS the file's {pinned!r}: change or remove it"
    return line, f'{name} = "{value}"', against
