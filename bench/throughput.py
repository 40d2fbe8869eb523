"""``make bench``: throughput at the rate limit, through the host, against the sandbox.

The sandbox runs in its own process (leaky bucket of LIMIT requests/s, capacity
CAPACITY, LATENCY added to every answer); each scenario's client runs in a fresh process
so CPU time and peak RSS are its own. Calls, 429s and rates come from the sandbox's
request log. Prints a table and writes bench-results/throughput.json.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LIMIT = 100.0
CAPACITY = 10
LATENCY = 0.05
TARGET = 0.75
WINDOW = 10.0
RESULTS = Path("bench-results") / "throughput.json"
API_KEY = "sandbox-demo-key"


@contextmanager
def sandbox(*options: str) -> Iterator[tuple[str, str]]:
    """A sandbox process on ephemeral loopback ports; yields the two origins."""
    command = [sys.executable, "-m", "host_stub.cli", "sandbox", "--api-port", "0"]
    command += ["--pos-port", "0", *options]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        origins: dict[str, str] = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            match = re.match(r"\s+(main API|POS API):\s+(\S+)", line)
            if match:
                origins[match.group(1)] = match.group(2)
            if len(origins) == 2:
                break
        yield origins["main API"], origins["POS API"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def admin(origin: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    # Only ever the sandbox's own loopback origin.
    url = f"{origin}/_sandbox/{path}"
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def email(index: int) -> str:
    return f"scale-{index}@scale.example.com"


# ---------------------------------------------------------------- client process


async def _client(args: argparse.Namespace) -> dict[str, Any]:
    from crowdtwist_plugin.options import ClientOptions
    from crowdtwist_plugin.plugin import CrowdTwistPlugin
    from host_stub.plugins import call_hook, make_plugin_manager

    pm = make_plugin_manager(load_entrypoints=not args.sequential)
    if args.sequential:
        # The same plugin with one request in flight, as a sequential client would send.
        pm.register(CrowdTwistPlugin(ClientOptions(max_in_flight=1)), name="crowdtwist")
    connection = {
        "api_key": API_KEY,
        "api_base_url": args.api,
        "pos_base_url": args.pos,
        "rate_limit_per_minute": args.limit * 60,
        "target_utilization": TARGET,
    }

    async def one(address: str) -> dict[str, Any]:
        started = time.monotonic()
        report = await call_hook(
            pm,
            "handle_access",
            integration="crowdtwist",
            connection=connection,
            identifiers={"email": [address]},
        )
        finished = time.monotonic()
        return {"elapsed": finished - started, "report": report}

    async def halve() -> float:
        await asyncio.sleep(args.halve_at)
        await asyncio.to_thread(
            admin, args.api, "POST", "rate_limit", {"rate_per_second": args.limit / 2}
        )
        return time.monotonic()

    halved_at = asyncio.create_task(halve()) if args.halve_at else None
    # CPU is counted from the first request on: interpreter start-up and imports are
    # not a per-request cost.
    cpu0, started = time.process_time(), time.monotonic()
    results = await asyncio.gather(*(one(a) for a in args.emails.split(",")))
    cpu, finished = time.process_time() - cpu0, time.monotonic()
    for result in results:
        report = result.pop("report")
        result["counts"] = {k: len(v) for s in report["subjects"] for k, v in s["data"].items()}
        result["json_bytes"] = len(json.dumps(report))
    return {
        "started": started,
        "finished": finished,
        "cpu": cpu,
        "halved_at": await halved_at if halved_at else None,
        "requests": results,
    }


def client_main(args: argparse.Namespace) -> None:
    outcome = asyncio.run(_client(args))
    outcome["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(outcome))


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
    command = [sys.executable, __file__, "client", "--api", api, "--pos", pos]
    command += ["--emails", ",".join(emails), "--limit", str(limit), "--halve-at", str(halve_at)]
    if sequential:
        command.append("--sequential")
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
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
    limited = ("--rate-limit", str(LIMIT), "--capacity", str(CAPACITY), "--latency", str(LATENCY))
    with sandbox(*limited, "--scale-users", "1", "--scale-records", "2200") as (api, pos):
        results["single subject"] = run_client(api, pos, [email(0)])
        results["single, sequential"] = run_client(api, pos, [email(0)], sequential=True)
        half = results["single subject"]["elapsed_s"] / 2
        results["halved limit midway"] = run_client(api, pos, [email(0)], halve_at=half)
        complete = (
            results["halved limit midway"]["requests"][0]["counts"]
            == results["single subject"]["requests"][0]["counts"]
        )
        results["halved limit midway"]["complete_report"] = complete
    with sandbox(*limited, "--scale-users", "20", "--scale-records", "300") as (api, pos):
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
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    client = sub.add_parser("client")
    client.add_argument("--api", required=True)
    client.add_argument("--pos", required=True)
    client.add_argument("--emails", required=True)
    client.add_argument("--limit", type=float, default=LIMIT)
    client.add_argument("--halve-at", type=float, default=0.0)
    client.add_argument("--sequential", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "client":
        client_main(args)
        return 0
    results = scenarios()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten: {RESULTS} (machine: {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
