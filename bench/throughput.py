"""``make bench``: throughput at the rate limit, through the host, against the sandbox.

The sandbox runs in its own process (leaky bucket of LIMIT requests/s, capacity
CAPACITY, LATENCY added to every answer); each scenario's client runs in a fresh process
(``bench/client.py``) so CPU time and peak RSS are its own. Calls, 429s and rates come
from the sandbox's request log. Prints a table and writes bench-results/throughput.json.

Run from the repository root: ``python -m bench.throughput``.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.common import LIMIT, LIMITED, REPO, TARGET, admin, email, last_json_line, sandbox

WINDOW = 10.0
RESULTS = Path("bench-results") / "throughput.json"


# ---------------------------------------------------------------- scenarios


def run_client(
    api: str,
    pos: str,
    emails: Sequence[str],
    *,
    limit: float = LIMIT,
    sequential: bool = False,
    halve_at: float = 0.0,
) -> dict[str, Any]:
    admin(api, "POST", "reset")
    command = [sys.executable, "-m", "bench.client", "--api", api, "--pos", pos]
    command += ["--emails", ",".join(emails), "--limit", str(limit), "--halve-at", str(halve_at)]
    if sequential:
        command.append("--sequential")
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=True)
    outcome: dict[str, Any] = last_json_line(done.stdout)
    log = [r for r in admin(api, "GET", "log")["requests"]]
    return {**outcome, **measure(log, outcome)}


def measure(log: list[dict[str, Any]], outcome: dict[str, Any]) -> dict[str, Any]:
    times = sorted(r["time"] for r in log)
    calls = len(times)
    elapsed = outcome["finished"] - outcome["started"]
    floor = calls / (TARGET * LIMIT)
    span = min(WINDOW, elapsed)
    worst = max((bisect.bisect_left(times, t + span) - i for i, t in enumerate(times)), default=0)
    throttled = sorted(r["time"] for r in log if r["status"] == 429)
    result = {
        "calls": calls,
        "elapsed_s": round(elapsed, 2),
        "floor_T_s": round(floor, 2),
        "elapsed_over_T": round(elapsed / floor, 3) if floor else None,
        "http_429": len(throttled),
        "rate_over_limit_mean": round(calls / elapsed / LIMIT, 3),
        "rate_over_limit_worst_window": round(worst / span / LIMIT, 3) if span else None,
        "cpu_s_per_1000": round(outcome["cpu"] / calls * 1000, 3) if calls else None,
        "peak_rss_mb": round(outcome["peak_rss_mb"], 1),
    }
    if outcome.get("halved_at"):
        after = [t for t in throttled if t >= outcome["halved_at"]]
        result["last_429_after_halving_s"] = (
            round(after[-1] - outcome["halved_at"], 2) if after else 0.0
        )
    return result


def scenarios() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with sandbox(*LIMITED, "--scale-users", "1", "--scale-records", "2200") as (api, pos):
        results["single subject"] = run_client(api, pos, [email(0)])
        results["single, sequential"] = run_client(api, pos, [email(0)], sequential=True)
        half = results["single subject"]["elapsed_s"] / 2
        results["halved limit midway"] = run_client(api, pos, [email(0)], halve_at=half)
        complete = (
            results["halved limit midway"]["requests"][0]["counts"]
            == results["single subject"]["requests"][0]["counts"]
        )
        results["halved limit midway"]["complete_report"] = complete
    with sandbox(*LIMITED, "--scale-users", "20", "--scale-records", "300") as (api, pos):
        result = run_client(api, pos, [email(i) for i in range(20)])
        times = [r["elapsed"] for r in result["requests"]]
        result["slowest_over_fastest"] = round(max(times) / min(times), 3)
        results["20 concurrent requests"] = result
    with sandbox("--scale-users", "1", "--scale-records", "5000") as (api, pos):
        result = run_client(api, pos, [email(0)], limit=100_000)
        result["report_json_mb"] = round(result["requests"][0]["json_bytes"] / 2**20, 1)
        results["memory, 20,000 records"] = result
    return results


COLUMNS = (
    ("calls", "calls"),
    ("elapsed_s", "elapsed s"),
    ("floor_T_s", "T s"),
    ("elapsed_over_T", "elapsed/T"),
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
        cells = " | ".join(str(result.get(key, "")) if ok else "n/a" for key, _ in columns)
        lines.append(f"| {name} | {cells} |")
    return lines


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = markdown_table(results, COLUMNS)
    single, sequential = results["single subject"], results["single, sequential"]
    halved = results["halved limit midway"]
    lines += [
        "",
        f"speed-up over the sequential client: "
        f"{sequential['elapsed_s'] / single['elapsed_s']:.2f}x",
        "20 concurrent: slowest/fastest "
        f"{results['20 concurrent requests']['slowest_over_fastest']}",
        f"halved limit: complete report {halved['complete_report']}, last 429 "
        f"{halved.get('last_429_after_halving_s')} s after the change",
        f"memory: report JSON {results['memory, 20,000 records']['report_json_mb']} MB, "
        f"peak RSS {results['memory, 20,000 records']['peak_rss_mb']} MB",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    results = scenarios()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten: {RESULTS} (machine: {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
