"""``make bench``'s printed table: calls against minimal calls, time against T, targets.

Scenario names live here because the table, the targets and the notes refer to them.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from crowdtwist_sandbox.sandbox_config import UNDATED_REDEMPTION_READINGS

SINGLE = "single subject"
SEQUENTIAL = "single, sequential"
HALVED = "halved limit midway"
TWENTY = "20 concurrent requests"
MEMORY = "memory, 20,000 records"
BARE = "bare aiohttp replay"


def three_years(mode: str, sequential: bool = False) -> str:
    return f"three years, {mode}" + (", sequential" if sequential else "")


THREE_YEARS = tuple(three_years(mode) for mode in UNDATED_REDEMPTION_READINGS)
# Each scenario with a twin run by the same plugin with one request in flight.
TWINS = {SINGLE: SEQUENTIAL} | {
    three_years(mode): three_years(mode, sequential=True) for mode in UNDATED_REDEMPTION_READINGS
}


class Target(NamedTuple):
    key: str
    title: str
    bound: float
    at_most: bool
    scenarios: tuple[str, ...]

    def label(self) -> str:
        return f"{self.title} {'<=' if self.at_most else '>='} {self.bound:.2f}"

    def met(self, value: float) -> bool:
        return value <= self.bound if self.at_most else value >= self.bound


TARGETS = (
    Target("calls_over_minimal", "calls/minimal", 1.05, True, (SINGLE, *THREE_YEARS)),
    Target("elapsed_over_T", "elapsed/T", 1.10, True, (SINGLE, *THREE_YEARS, TWENTY)),
    Target("speed_up", "speed-up", 3.5, False, tuple(TWINS)),
)
CPU_TARGETS = (
    Target("plugin_cpu_s_per_1000", "plugin CPU s/1000", 1.0, True, (SINGLE,)),
    Target("plugin_over_bare", "plugin/bare CPU", 1.3, True, (SINGLE,)),
)
_BY_KEY = {target.key: target for target in TARGETS}

COLUMNS = (
    ("calls", "calls"),
    ("minimal", "minimal"),
    ("calls_over_minimal", _BY_KEY["calls_over_minimal"].label()),
    ("elapsed_s", "elapsed s"),
    ("floor_T_s", "T s"),
    ("elapsed_over_T", _BY_KEY["elapsed_over_T"].label()),
    ("speed_up", _BY_KEY["speed_up"].label()),
    ("http_429", "429s"),
    ("rate_over_limit_mean", "rate/limit"),
    ("rate_over_limit_worst_window", "worst 10s"),
    ("cpu_s_per_1000", "CPU s/1000"),
    ("peak_rss_mb", "RSS MB"),
)


def markdown_table(
    results: dict[str, dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    measured: Callable[[dict[str, Any]], bool] = lambda result: True,
) -> list[str]:
    """One row per scenario; a scenario that could not be measured shows n/a."""
    header = f"| scenario | {' | '.join(title for _, title in columns)} |"
    lines = [header, "|" + "---|" * (len(columns) + 1)]
    for name, result in results.items():
        ok = measured(result)
        cells = " | ".join(_cell(result.get(key)) if ok else "n/a" for key, _ in columns)
        lines.append(f"| {name} | {cells} |")
    return lines


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def add_speed_ups(results: dict[str, dict[str, Any]]) -> None:
    """Sequential elapsed / concurrent elapsed, on the concurrent row of every twin pair."""
    for name, twin in TWINS.items():
        if name in results and twin in results:
            sequential, concurrent = results[twin], results[name]
            concurrent["speed_up"] = round(sequential["elapsed_s"] / concurrent["elapsed_s"], 2)
            # What a sequential client making only the minimal calls would take, assuming
            # each of its calls costs what the plugin's sequential calls cost on average.
            per_call = sequential["elapsed_s"] / sequential["calls"]
            at_minimal = per_call * concurrent["minimal"] / concurrent["elapsed_s"]
            concurrent["speed_up_minimal_sequential"] = round(at_minimal, 2)


def _cpu_rounds(result: dict[str, Any]) -> list[float]:
    rounds: list[float] = result.get("cpu_rounds_s_per_1000") or [result["cpu_s_per_1000"]]
    return rounds


def _median_cpu(result: dict[str, Any]) -> float:
    return round(statistics.median(_cpu_rounds(result)), 3)


def cpu_floor(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The single subject's and the bare loop's CPU s/1000: medians over their rounds."""
    plugin, bare = _median_cpu(results[SINGLE]), _median_cpu(results[BARE])
    return {
        "plugin_cpu_s_per_1000": plugin,
        "bare_cpu_s_per_1000": bare,
        "plugin_over_bare": round(plugin / bare, 2),
    }


def _rounds(result: dict[str, Any]) -> str:
    return f"(runs: {', '.join(str(r) for r in _cpu_rounds(result))})"


def _verdict(target: Target, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value} {'met' if target.met(value) else 'MISSED'}"


def target_lines(results: dict[str, dict[str, Any]], floor: dict[str, float]) -> list[str]:
    lines = []
    for target in TARGETS:
        verdicts = [
            f"{name} {_verdict(target, results[name].get(target.key))}"
            for name in target.scenarios
            if name in results
        ]
        lines.append(f"- {target.label()}: " + "; ".join(verdicts))
    for target in CPU_TARGETS:
        lines.append(f"- {target.label()}: {_verdict(target, floor[target.key])}")
    return lines


def excess_lines(results: dict[str, dict[str, Any]]) -> list[str]:
    """Endpoints whose measured calls differ from the minimal ones (retries included)."""
    lines = []
    for name, result in results.items():
        minimal = result.get("minimal_by_endpoint")
        if not minimal:
            continue
        calls = result["calls_by_endpoint"]
        over = [
            f"{endpoint} {calls.get(endpoint, 0)}/{wanted}"
            for endpoint, wanted in sorted(minimal.items())
            if calls.get(endpoint, 0) != wanted
        ]
        over += [f"{e} {n}/0" for e, n in sorted(calls.items()) if e not in minimal]
        if over:
            lines.append(f"- {name}: calls/minimal by endpoint: {', '.join(over)}")
    return lines


def twin_lines(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    for name, twin in TWINS.items():
        if "speed_up" not in results.get(name, {}):
            continue
        concurrent, sequential = results[name], results[twin]
        line = f"- {name}: speed-up {concurrent['speed_up']}x over {twin}"
        if sequential["calls"] != concurrent["minimal"]:
            line += (
                f" (which made {sequential['calls']} calls, not the minimal "
                f"{concurrent['minimal']}; scaled to the minimal calls at its mean time per "
                f"call: {concurrent['speed_up_minimal_sequential']}x)"
            )
        lines.append(line)
    return lines


def table(
    results: dict[str, dict[str, Any]], target_rate: float, in_flight: int
) -> tuple[str, dict[str, float]]:
    """The printed report and the CPU floor figures."""
    floor = cpu_floor(results)
    halved, memory = results[HALVED], results[MEMORY]
    lines = [
        *markdown_table(results, COLUMNS),
        "",
        f"T = minimal calls / {target_rate:g} per s (target utilization x limit); minimal "
        "from the sandbox's seeded data (bench/minimal.py)",
        *twin_lines(results),
        *excess_lines(results),
        f"- {TWENTY}: slowest/fastest {results[TWENTY]['slowest_over_fastest']}",
        f"- {HALVED}: complete report {halved['complete_report']}, last 429 "
        f"{halved.get('last_429_after_halving_s')} s after the change (elapsed/T against "
        "the original limit)",
        f"- memory: report JSON {memory['report_json_mb']} MB, peak RSS "
        f"{memory['peak_rss_mb']} MB (limiter off)",
        f"- CPU floor: {BARE} of the {SINGLE} run's {results[BARE]['calls']} requests at "
        f"{target_rate:g} starts/s, up to {in_flight} in flight, median "
        f"{floor['bare_cpu_s_per_1000']} s/1000 {_rounds(results[BARE])}; plugin median "
        f"{floor['plugin_cpu_s_per_1000']} s/1000 {_rounds(results[SINGLE])}; plugin/bare "
        f"{floor['plugin_over_bare']}",
        "",
        "Targets:",
        *target_lines(results, floor),
    ]
    return "\n".join(lines), floor
