"""``make bench``: throughput at the rate limit, through the host, against the sandbox.

The sandbox runs in its own process (leaky bucket of LIMIT requests/s, capacity
CAPACITY, LATENCY added to every answer); each scenario's client runs in a fresh process
(``bench/client.py``) so CPU time and peak RSS are its own. Calls, 429s and rates come
from the sandbox's request log; minimal calls from the sandbox's seeded data, rebuilt in
this process (``bench/minimal.py``); the CPU floor from a bare aiohttp loop replaying the
single subject's requests (``bench/bare.py``). Prints a table and writes
bench-results/throughput.json.

Run from the repository root: ``python -m bench.throughput``; ``python -m
bench.throughput profile`` runs the single subject's client under cProfile instead (see
``bench/profiling.py``).
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from bench import report
from bench.common import LIMIT, LIMITED, REPO, TARGET, admin, email, last_json_line, sandbox
from bench.minimal import GroundTruth
from bench.profiling import PROFILE
from crowdtwist_sandbox.sandbox_cli import parse_config
from crowdtwist_sandbox.sandbox_config import UNDATED_REDEMPTION_READINGS

WINDOW = 10.0
TARGET_RATE = TARGET * LIMIT
# The plugin's own default bound at the target rate (about half a second of requests).
BARE_IN_FLIGHT = max(4, min(64, round(TARGET_RATE * 0.5)))
RESULTS = Path("bench-results") / "throughput.json"
# Per-request CPU is noisy on a shared machine: the CPU floor compares the medians of this
# many alternating plugin and bare runs.
CPU_ROUNDS = 5
SINGLE = (*LIMITED, "--scale-users", "1", "--scale-records", "2200")
THREE_YEARS = (*SINGLE, "--scale-redemption-days", "1095")


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclasses.dataclass(frozen=True)
class Site:
    """A running sandbox, and its data as the same options seed it, for minimal calls."""

    api: str
    pos: str
    truth: GroundTruth

    def log(self) -> list[dict[str, Any]]:
        requests: list[dict[str, Any]] = admin(self.api, "GET", "log")["requests"]
        return requests

    def check_day(self) -> None:
        """Minimal calls hold for the day the sandbox seeded its data. Past midnight a
        sandbox dates undated reads by the clock or by its seeded day (older and newer
        versions differ) and the plugin plans by the clock: no one minimal fits."""
        if utc_today() != self.truth.today:
            raise SystemExit("the UTC day changed during the benchmark: run it again")


@contextmanager
def counted_sandbox(*options: str) -> Iterator[Site]:
    config = attrs.evolve(parse_config(list(options)), today=utc_today())
    with sandbox(*options) as (api, pos):
        site = Site(api, pos, GroundTruth(config))
        site.check_day()
        yield site


def run_client(
    site: Site,
    emails: Sequence[str],
    *,
    limit: float = LIMIT,
    sequential: bool = False,
    halve_at: float = 0.0,
    profile: Path | None = None,
    extra: Sequence[str] = (),
    known: bool = False,
) -> dict[str, Any]:
    """One client process's run; ``extra``: more ``bench.client`` options; ``known``:
    minimal calls with the sandbox's readings known (``GroundTruth.minimal``)."""
    admin(site.api, "POST", "reset")
    command = [sys.executable, "-m", "bench.client", "--api", site.api, "--pos", site.pos]
    command += ["--emails", ",".join(emails), "--limit", str(limit), "--halve-at", str(halve_at)]
    if sequential:
        command.append("--sequential")
    if profile:
        command += ["--profile", str(profile.resolve())]
    command += extra
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    outcome: dict[str, Any] = last_json_line(done.stdout)
    site.check_day()
    minimal = site.truth.minimal(emails, known)
    return {**outcome, **measure(site.log(), outcome, minimal, limit)}


def run_bare(site: Site, requests: list[dict[str, Any]], address: str) -> dict[str, Any]:
    """The bare aiohttp loop replaying ``requests`` (a run's log) in a fresh process."""
    admin(site.api, "POST", "reset")
    command = [sys.executable, "-m", "bench.bare", "--api", site.api, "--pos", site.pos]
    command += ["--email", address, "--rate", str(TARGET_RATE)]
    command += ["--in-flight", str(BARE_IN_FLIGHT)]
    done = subprocess.run(
        command, cwd=REPO, input=json.dumps(requests), capture_output=True, text=True, check=True
    )
    outcome: dict[str, Any] = last_json_line(done.stdout)
    return {**outcome, **measure(site.log(), outcome, None)}


def measure(
    log: list[dict[str, Any]],
    outcome: dict[str, Any],
    minimal: Counter[str] | None,
    limit: float = LIMIT,
) -> dict[str, Any]:
    """What the sandbox's log shows; ``minimal``: the calls that prove the report complete;
    ``limit``: the sandbox's requests/s (T is taken at its target fraction)."""
    times = sorted(r["time"] for r in log)
    calls = len(times)
    elapsed = outcome["finished"] - outcome["started"]
    least = None if minimal is None else minimal.total()
    floor = None if least is None else least / (TARGET * limit)
    span = min(WINDOW, elapsed)
    worst = max((bisect.bisect_left(times, t + span) - i for i, t in enumerate(times)), default=0)
    throttled = sorted(r["time"] for r in log if r["status"] == 429)
    result = {
        "calls": calls,
        "minimal": least,
        "calls_over_minimal": round(calls / least, 3) if least else None,
        "elapsed_s": round(elapsed, 2),
        "floor_T_s": None if floor is None else round(floor, 2),
        "elapsed_over_T": round(elapsed / floor, 3) if floor else None,
        "http_429": len(throttled),
        "rate_over_limit_mean": round(calls / elapsed / limit, 3),
        "rate_over_limit_worst_window": round(worst / span / limit, 3) if span else None,
        "cpu_s_per_1000": round(outcome["cpu"] / calls * 1000, 3) if calls else None,
        "peak_rss_mb": round(outcome["peak_rss_mb"], 1),
        "calls_by_endpoint": dict(Counter(r["endpoint"] for r in log)),
        "minimal_by_endpoint": None if minimal is None else dict(minimal),
    }
    if outcome.get("halved_at"):
        after = [t for t in throttled if t >= outcome["halved_at"]]
        result["last_429_after_halving_s"] = (
            round(after[-1] - outcome["halved_at"], 2) if after else 0.0
        )
    return result


def scenarios() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with counted_sandbox(*SINGLE) as site:
        results[report.SINGLE] = single = run_client(site, [email(0)])
        replay = site.log()
        bare = run_bare(site, replay, email(0))
        plugin_cpu, bare_cpu = [single["cpu_s_per_1000"]], [bare["cpu_s_per_1000"]]
        for _ in range(CPU_ROUNDS - 1):
            plugin_cpu.append(run_client(site, [email(0)])["cpu_s_per_1000"])
            bare_cpu.append(run_bare(site, replay, email(0))["cpu_s_per_1000"])
        single["cpu_rounds_s_per_1000"], bare["cpu_rounds_s_per_1000"] = plugin_cpu, bare_cpu
        results[report.SEQUENTIAL] = run_client(site, [email(0)], sequential=True)
        # Last on this sandbox: it leaves the limiter at half the rate.
        half = results[report.SINGLE]["elapsed_s"] / 2
        results[report.HALVED] = run_client(site, [email(0)], halve_at=half)
        complete = (
            results[report.HALVED]["requests"][0]["counts"]
            == results[report.SINGLE]["requests"][0]["counts"]
        )
        results[report.HALVED]["complete_report"] = complete
    for mode in UNDATED_REDEMPTION_READINGS:
        with counted_sandbox(*THREE_YEARS, "--redemption-history-undated", mode) as site:
            results[report.three_years(mode)] = run_client(site, [email(0)])
            results[report.three_years(mode, sequential=True)] = run_client(
                site, [email(0)], sequential=True
            )
    with counted_sandbox(*LIMITED, "--scale-users", "20", "--scale-records", "300") as site:
        result = run_client(site, [email(i) for i in range(20)])
        times = [r["elapsed"] for r in result["requests"]]
        result["slowest_over_fastest"] = round(max(times) / min(times), 3)
        results[report.TWENTY] = result
    with counted_sandbox("--scale-users", "1", "--scale-records", "5000") as site:
        result = run_client(site, [email(0)], limit=100_000)
        result["report_json_mb"] = round(result["requests"][0]["json_bytes"] / 2**20, 1)
        results[report.MEMORY] = result
    results[report.BARE] = bare
    report.add_speed_ups(results)
    return results


def profile() -> int:
    """The single subject's client under cProfile; the summary goes to PROFILE."""
    with counted_sandbox(*SINGLE) as site:
        result = run_client(site, [email(0)], profile=PROFILE)
    print(f"{result['calls']} calls, {result['cpu_s_per_1000']} CPU s/1000 under cProfile")
    print(f"written: {PROFILE}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", nargs="?", choices=("profile",))
    args = parser.parse_args(argv)
    if args.command == "profile":
        return profile()
    results = scenarios()
    text, floor = report.table(results, TARGET_RATE, BARE_IN_FLIGHT)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"scenarios": results, "cpu_floor": floor}, indent=2) + "\n")
    print(text)
    print(f"\nwritten: {RESULTS} (machine: {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
