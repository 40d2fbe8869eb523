"""``host-stub probe --email ADDRESS``: prove the API's undocumented readings with an
operator's test member, and print the settings lines that pin what was proven.

The access hook runs with ``decide_readings = true`` (the pins are ignored, so every read
of the safe way is sent), and what its ``stats.readings`` say the answers showed is
printed with the evidence (a month or a count) and, for ``everything``, the span proved.
Only a saving value that was proven gets a pin line. The report itself, the test member's
data, is neither printed nor stored. Exit 1 when the answers contradict a reading the
settings file pins; 2 for a configuration error, as every command.
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


# The value of each reading that skips requests, and what its proof says.
SAVING = {"redemption_history_undated": "everything", "member_search_is_active_0": "all"}


def _line(name: str, use: Mapping[str, Any], pinned: Any) -> tuple[str, str | None, bool]:
    """The reading's line, its settings line (when a saving value was proven), and whether
    the probe fails: the answers contradict the pinned value."""
    seen = use.get("observed")
    if not isinstance(seen, Mapping) or not isinstance(seen.get("value"), str):
        note = "" if pinned == UNKNOWN else f"; the file's {pinned!r} is not checked"
        return f"{name}: not decided by this member (its answers prove nothing){note}", None, False
    value, saving = seen["value"], SAVING.get(name)
    span = f", proved back to {seen['back_to']}" if isinstance(seen.get("back_to"), str) else ""
    line = f"{name}: {value}{span} (evidence: {seen.get('evidence')})"
    against = pinned == saving and value != saving
    if pinned == value:
        line += "; the file's pin is confirmed"
    elif against:
        line += f"; CONTRADICTS the file's {pinned!r}: remove it"
    elif value != saving:
        line += "; leave it unpinned (the safe way reads everything)"
    return line, f'{name} = "{value}"' if value == saving else None, against
