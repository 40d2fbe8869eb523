"""``make bench``'s population scenario: what knowing the program's readings saves.

200 typical subjects (``--population``: 0-20 records a category, redemptions within the
last year, one in ten with older ones too), accessed one hook call per subject, 16 at a
time in order, under each true reading of the sandbox (``everything`` + ``all``, and
``last_365_days`` + ``inactive_only``), with the readings ``unknown`` (``decide_readings``:
nothing pinned or learned is used), ``pinned`` (the true readings in the connection) and
``learned`` (nothing pinned; later subjects use what earlier answers proved). Minimal
calls are counted with the true readings known (``bench/minimal.py``), so under
``unknown`` the ratio shows what the insurance costs.

Then the held-out case: one subject with 330 redemptions in the last 300 days (and 330
records in every paged category), undated answers ``everything``; ``learned`` first
accesses alice (whose older redemptions prove the reading), unmeasured.

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
from bench.minimal import GroundTruth
from bench.report import markdown_table
from bench.throughput import Site, counted_sandbox, run_client
from host_stub.sandbox import DEMO_PEOPLE

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
MODES = ("unknown", "pinned", "learned")
HELD_OUT = ("--scale-users", "1", "--scale-records", "330", "--scale-redemption-days", "300")
RESULTS = Path("bench-results") / "population.json"
COLUMNS = (
    ("calls", "calls"),
    ("minimal", "minimal (known)"),
    ("calls_over_minimal", "calls/minimal"),
    ("after_proof", "calls/minimal after the proof"),
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
    if mode == "unknown":
        return {"decide_readings": True}
    return dict(world) if mode == "pinned" else {}


def run(
    site: Site, emails: Sequence[str], connection: dict[str, Any], warm_up: str = ""
) -> dict[str, Any]:
    extra = ["--pool", str(POOL), "--connection", json.dumps(connection), "--warm-up", warm_up]
    result = run_client(site, emails, limit=LIMIT, extra=extra, known=True)
    result["after_proof"] = _after_proof(result["requests"], emails, site.truth)
    result["readings_used"] = _readings_used(result["requests"])
    return result


def _after_proof(
    requests: list[dict[str, Any]], emails: Sequence[str], truth: GroundTruth
) -> float | None:
    """calls/minimal over the subjects that started with every saving reading known."""
    later = [
        (address, request["plugin_requests"])
        for address, request in zip(emails, requests, strict=True)
        if all(use["used"] != "unknown" for use in (request["readings"] or {}).values())
    ]
    if not later:
        return None
    minimal = truth.minimal([address for address, _ in later], known=True).total()
    calls: int = sum(calls for _, calls in later)
    return round(calls / minimal, 3)


def _readings_used(requests: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    used: dict[str, dict[str, int]] = {}
    for request in requests:
        for name, use in (request["readings"] or {}).items():
            counts = used.setdefault(name, {})
            counts[use["used"]] = counts.get(use["used"], 0) + 1
    return used


def scenarios() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    emails = [population_email(i) for i in range(SUBJECTS)]
    for name, world in WORLDS.items():
        options = [*LIMITED, "--population", str(SUBJECTS), *_options(world)]
        with counted_sandbox(*options) as site:
            for mode in MODES:
                key = f"population, {name}, {mode}"
                results[key] = run(site, emails, _connection(mode, world))
    world = WORLDS["everything + all"]
    options = [*LIMITED, *HELD_OUT, *_options(world)]
    with counted_sandbox(*options) as site:
        for mode in MODES:
            warm_up = DEMO_PEOPLE["alice"].email if mode == "learned" else ""
            connection = _connection(mode, world)
            results[f"held-out, {mode}"] = run(site, [email(0)], connection, warm_up)
    return results


def targets(results: dict[str, dict[str, Any]]) -> list[str]:
    def verdict(key: str, field: str, bound: float) -> str:
        value = results[key][field]
        met = value is not None and value <= bound
        return f"{key}: {field} {value} (<= {bound}) {'met' if met else 'MISSED'}"

    lenient = "population, everything + all"
    return [
        f"- {verdict(f'{lenient}, learned', 'after_proof', 1.05)}",
        f"- {verdict(f'{lenient}, pinned', 'calls_over_minimal', 1.02)}",
        f"- {verdict('held-out, learned', 'calls_over_minimal', 1.10)}",
        f"- {verdict('held-out, pinned', 'calls_over_minimal', 1.10)}",
    ]


def main() -> int:
    results = scenarios()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        *markdown_table(results, COLUMNS),
        "",
        f"minimal: the fewest calls with the true readings known; T = minimal / "
        f"{TARGET_RATE:g} per s; {POOL} hook calls at a time, in order",
        *(
            f"- {name}: readings used {result['readings_used']}"
            for name, result in results.items()
            if name.endswith("learned")
        ),
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
