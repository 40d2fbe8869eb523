"""``make bench``'s population scenario: the safe way and the operator's pins.

200 typical subjects (``--population``: 0-20 records a category, redemptions within the
last year, one in ten with older ones too), accessed one hook call per subject, 16 at a
time in order, under each true reading of the sandbox (``everything`` + ``all``, and
``last_365_days`` + ``inactive_only``), with nothing pinned (``unknown``: the safe way,
whatever the sandbox serves) and with the true readings ``pinned``. Each mode's calls are
compared with its own minimal (``bench/minimal.py``): the safe way's fewest calls, or the
pinned fewest; ``pinned vs safe`` says what a proven pin saves.

Then the held-out case: one subject with 330 redemptions in the last 300 days (and 330
records in every paged category), undated answers ``everything``.

Run from the repository root: ``python -m bench.population``. Prints a table and writes
bench-results/population.json.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import CAPACITY, LATENCY, TARGET, email
from bench.report import markdown_table
from bench.throughput import Site, counted_sandbox, run_client

SUBJECTS = 200
POOL = 16
# A higher limit than the throughput scenarios' 100/s: the same ratios in a third of the time.
LIMIT = 200.0
TARGET_RATE = TARGET * LIMIT
LIMITED = ("--rate-limit", str(LIMIT), "--capacity", str(CAPACITY), "--latency", str(LATENCY))
UNDATED = "redemption_history_undated"
SEARCH = "member_search_is_active_0"
WORLDS = {
    "everything + all": {UNDATED: "everything", SEARCH: "all"},
    "last_365_days + inactive_only": {UNDATED: "last_365_days", SEARCH: "inactive_only"},
}
MODES = ("unknown", "pinned")
HELD_OUT = ("--scale-users", "1", "--scale-records", "330", "--scale-redemption-days", "300")
RESULTS = Path("bench-results") / "population.json"
COLUMNS = (
    ("calls", "calls"),
    ("minimal", "minimal"),
    ("calls_over_minimal", "calls/minimal"),
    ("elapsed_over_T", "elapsed/T"),
    ("http_429", "429s"),
)


def population_email(index: int) -> str:
    return f"typical-{index}@population.example.com"


def _options(world: dict[str, str]) -> list[str]:
    return [
        "--redemption-history-undated",
        world[UNDATED],
        "--member-search-is-active-0",
        world[SEARCH],
    ]


def _connection(mode: str, world: dict[str, str]) -> dict[str, Any]:
    return dict(world) if mode == "pinned" else {}


def run(site: Site, emails: Sequence[str], mode: str, world: dict[str, str]) -> dict[str, Any]:
    extra = ["--pool", str(POOL), "--connection", json.dumps(_connection(mode, world))]
    return run_client(site, emails, limit=LIMIT, extra=extra, known=mode == "pinned")


def scenarios() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    emails = [population_email(i) for i in range(SUBJECTS)]
    for name, world in WORLDS.items():
        options = [*LIMITED, "--population", str(SUBJECTS), *_options(world)]
        with counted_sandbox(*options) as site:
            for mode in MODES:
                results[f"population, {name}, {mode}"] = run(site, emails, mode, world)
    world = WORLDS["everything + all"]
    options = [*LIMITED, *HELD_OUT, *_options(world)]
    with counted_sandbox(*options) as site:
        for mode in MODES:
            results[f"held-out, {mode}"] = run(site, [email(0)], mode, world)
    return results


def targets(results: dict[str, dict[str, Any]]) -> list[str]:
    def verdict(key: str, field: str, bound: float) -> str:
        value = results[key][field]
        met = value is not None and value <= bound
        return f"{key}: {field} {value} (<= {bound}) {'met' if met else 'MISSED'}"

    lines = []
    for key in results:
        lines.append(f"- {verdict(key, 'calls_over_minimal', 1.02)}")
        if key.startswith("population") and key.endswith("unknown"):
            lines.append(f"- {verdict(key, 'elapsed_over_T', 1.02)}")
    return lines


def savings(results: dict[str, dict[str, Any]]) -> list[str]:
    """What a proven pin saves: pinned calls against the safe way's, per world."""
    lines = []
    for name in [*(f"population, {w}" for w in WORLDS), "held-out"]:
        safe, pinned = results[f"{name}, unknown"]["calls"], results[f"{name}, pinned"]["calls"]
        lines.append(f"- {name}: pinned {pinned} vs safe {safe} calls ({pinned / safe:.2f}x)")
    return lines


def main() -> int:
    results = scenarios()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        *markdown_table(results, COLUMNS),
        "",
        f"minimal: the fewest calls of the safe way (unknown) or with the true readings "
        f"pinned; T = minimal / {TARGET_RATE:g} per s; {POOL} hook calls at a time, in order",
        "",
        "Pinned vs safe:",
        *savings(results),
        "",
        "Targets:",
        *targets(results),
        "",
        f"written: {RESULTS}",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
