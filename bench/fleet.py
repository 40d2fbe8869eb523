"""``make bench-fleet``: several worker processes, one API key, one sandbox (issue 13).

The sandbox (its own process, as in ``bench/throughput.py``) limits per API key with a
leaky bucket of LIMIT requests/s. Each worker is a separate process doing access requests
of equal size through the host's plugin manager, all with the same key and the program's
real limit configured, with and without ``rate_limit_redis_url`` pointing at a
redis-server this script starts on a free loopback port (temporary directory, no
persistence) and stops at the end. Workers start together (each signals "ready" after
its imports, then all get "go"). Calls and 429s come from the sandbox's request log,
Redis round trips from ``INFO commandstats``. Prints a table and writes
bench-results/fleet.json.

Run from the repository root: ``python -m bench.fleet``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import (
    API_KEY,
    CAPACITY,
    LIMIT,
    LIMITED,
    REPO,
    TARGET,
    admin,
    email,
    last_json_line,
    sandbox,
)
from bench.report import markdown_table

WORKERS = 4
RECORDS = 600  # per paged category per member: each access request is ~230 calls
WORKER_DEADLINE = 150.0  # seconds for one scenario's workers, then they are killed
RESULTS = Path("bench-results") / "fleet.json"
REDIS_STARTUP = 20.0
# Round trips a client makes besides EVALSHA (INFO commandstats also counts the commands
# a Lua script runs inside Redis: those are not round trips). This script's own INFO and
# FLUSHALL are not among them.
OTHER_ROUND_TRIPS = frozenset(
    {"eval", "eval_ro", "evalsha_ro", "script|load", "script|exists", "hello", "auth"}
    | {"select", "ping", "quit", "reset"}
)


# ---------------------------------------------------------------- worker process


async def _worker(args: argparse.Namespace) -> dict[str, Any]:
    # Imported before the CPU clock starts, as bench/client.py does: the plugin imports
    # its access module (and redis, for a shared budget) only inside the first call.
    import crowdtwist_plugin.access  # noqa: F401
    from host_stub.plugins import call_hook, make_plugin_manager

    if args.redis_url:
        import redis.asyncio  # noqa: F401

    pm = make_plugin_manager(load_entrypoints=True)
    connection: dict[str, Any] = {
        "api_key": API_KEY,
        "api_base_url": args.api,
        "pos_base_url": args.pos,
        "rate_limit_per_minute": LIMIT * 60,
        "target_utilization": TARGET,
    }
    if args.redis_url:
        connection["rate_limit_redis_url"] = args.redis_url

    async def one(address: str) -> None:
        await call_hook(
            pm,
            "handle_access",
            integration="crowdtwist",
            connection=connection,
            identifiers={"email": [address]},
        )

    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # "go"
    cpu0, started = time.process_time(), time.monotonic()
    error = None
    try:
        await asyncio.gather(*(one(a) for a in args.emails.split(",")))
    except Exception as exc:
        retryable = getattr(exc, "retryable", None)
        error = {"type": type(exc).__name__, "message": str(exc), "retryable": retryable}
    return {
        "started": started,
        "finished": time.monotonic(),
        "cpu": time.process_time() - cpu0,
        "error": error,
    }


def worker_main(args: argparse.Namespace) -> None:
    print(json.dumps(asyncio.run(_worker(args))), flush=True)


# ---------------------------------------------------------------- redis-server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server on a free loopback port, no persistence; yields its URL."""
    import redis

    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed: run `bash .ci/ensure-redis-server`")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as directory:
        command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", directory]
        command += ["--daemonize", "no", "--loglevel", "warning"]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + REDIS_STARTUP
            with redis.Redis(host="127.0.0.1", port=port) as client:
                while True:
                    try:
                        client.ping()
                        break
                    except redis.ConnectionError:
                        if proc.poll() is not None or time.monotonic() > deadline:
                            raise SystemExit("redis-server did not start") from None
                        time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class RedisProbe:
    """One connection of this script's own to Redis, set up before the counts are taken:
    after that it sends only INFO and FLUSHALL, which no count includes."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.client.ping()

    def flush(self) -> None:
        """A fresh budget for every scenario (a lowered shared rate would carry over)."""
        self.client.flushall()

    def stats(self) -> dict[str, float]:
        """Round trips clients made so far (EVALSHA and the rest); redis-server's CPU s."""
        commands: dict[str, Any] = self.client.info("commandstats")
        cpu: dict[str, Any] = self.client.info("cpu")
        calls = {k.removeprefix("cmdstat_"): float(v["calls"]) for k, v in commands.items()}
        other = sum(
            n for k, n in calls.items() if k in OTHER_ROUND_TRIPS or k.startswith("client|")
        )
        used = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
        return {"evalsha": calls.get("evalsha", 0.0), "other": other, "cpu": used}

    def close(self) -> None:
        self.client.close()


# ---------------------------------------------------------------- scenarios


def run_workers(api: str, pos: str, groups: Sequence[Sequence[str]], redis_url: str | None) -> Any:
    """One process per group of emails; all start together. Returns their outcomes."""
    base = [sys.executable, "-m", "bench.fleet", "worker", "--api", api, "--pos", pos]
    procs = []
    for emails in groups:
        command = [*base, "--emails", ",".join(emails)]
        if redis_url:
            command += ["--redis-url", redis_url]
        procs.append(
            subprocess.Popen(
                command,
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        for proc in procs:
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                _, err = proc.communicate(timeout=30)
                raise RuntimeError(f"a worker did not start:\n{err}")
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        deadline = time.monotonic() + WORKER_DEADLINE
        outcomes = []
        for proc in procs:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            if proc.returncode != 0:
                raise RuntimeError(f"a worker exited with {proc.returncode}:\n{err}")
            outcomes.append(last_json_line(out))
        return outcomes
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def scenario(
    api: str, pos: str, groups: Sequence[Sequence[str]], redis_url: str | None
) -> dict[str, Any]:
    time.sleep(CAPACITY / LIMIT + 0.5)  # the key's bucket drains between scenarios
    admin(api, "POST", "reset")
    probe = RedisProbe(redis_url) if redis_url else None
    if probe:
        probe.flush()
        before = probe.stats()
    outcomes = run_workers(api, pos, groups, redis_url)
    log = admin(api, "GET", "log")["requests"]
    calls = len(log)
    elapsed = max(o["finished"] for o in outcomes) - min(o["started"] for o in outcomes)
    floor = calls / (TARGET * LIMIT)
    each = [o["finished"] - o["started"] for o in outcomes]
    errors = sorted({f"{e['type']}: {e['message']}" for o in outcomes if (e := o["error"])})
    result: dict[str, Any] = {
        "processes": len(groups),
        "requests": sum(len(g) for g in groups),
        "calls": calls,
        "http_429": sum(1 for r in log if r["status"] == 429),
        "elapsed_s": round(elapsed, 2),
        "floor_T_s": round(floor, 2),
        "elapsed_over_T": round(elapsed / floor, 3) if calls else None,
        "slowest_over_fastest": round(max(each) / min(each), 3) if min(each) > 0 else None,
        "cpu_s_per_1000": round(sum(o["cpu"] for o in outcomes) / calls * 1000, 3)
        if calls
        else None,
        "errors": errors,
    }
    if probe:
        after = probe.stats()
        probe.close()
        result["redis_evalsha_per_call"] = (
            round((after["evalsha"] - before["evalsha"]) / calls, 3) if calls else None
        )
        result["redis_other_round_trips"] = int(after["other"] - before["other"])
        result["redis_cpu_s_per_1000"] = (
            round((after["cpu"] - before["cpu"]) / calls * 1000, 3) if calls else None
        )
    return result


def scenarios(records: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    emails = [email(i) for i in range(WORKERS)]
    scale = ("--scale-users", str(WORKERS), "--scale-records", str(records))
    with sandbox(*LIMITED, *scale) as (api, pos), redis_server() as url:
        apart = [[e] for e in emails]
        results[f"{WORKERS} processes, per-process budget"] = scenario(api, pos, apart, None)
        results[f"{WORKERS} processes, Redis budget"] = scenario(api, pos, apart, url)
        results["1 process, per-process budget"] = scenario(api, pos, [emails], None)
        results["1 process, Redis budget"] = scenario(api, pos, [emails], url)
    return results


COLUMNS = (
    ("calls", "calls"),
    ("http_429", "429s"),
    ("elapsed_s", "elapsed s"),
    ("floor_T_s", "T s"),
    ("elapsed_over_T", "elapsed/T"),
    ("slowest_over_fastest", "slowest/fastest"),
    ("redis_evalsha_per_call", "Redis trips/call"),
    ("cpu_s_per_1000", "CPU s/1000"),
    ("redis_cpu_s_per_1000", "Redis CPU s/1000"),
)


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = markdown_table(
        results, COLUMNS, measured=lambda result: bool(result["calls"] or not result["errors"])
    )
    notes = []
    for name, result in results.items():
        if result.get("redis_other_round_trips"):
            notes.append(
                f"{name}: {result['redis_other_round_trips']} Redis round trips besides EVALSHA "
                "(connection set-up, script loading)"
            )
        for error in result["errors"]:
            notes.append(f"{name}: a worker's request failed: {error}")
            if "rate_limit_redis_url" in error and "unknown" in error:
                notes.append(
                    f"{name}: this plugin does not know rate_limit_redis_url yet (the wiring "
                    "is not on this branch): the Redis rows measure nothing"
                )
    each = results[f"{WORKERS} processes, per-process budget"]["requests"]
    lines += [
        "",
        f"T = all calls / (target {TARGET} x limit {LIMIT:g}/s); {each} access requests of "
        f"equal size per scenario, one API key; slowest/fastest compares processes",
        *notes,
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=RECORDS, help="size of each request")
    sub = parser.add_subparsers(dest="command")
    worker = sub.add_parser("worker")
    worker.add_argument("--api", required=True)
    worker.add_argument("--pos", required=True)
    worker.add_argument("--emails", required=True)
    worker.add_argument("--redis-url", default="")
    args = parser.parse_args(argv)
    if args.command == "worker":
        worker_main(args)
        return 0
    results = scenarios(args.records)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\nwritten: {RESULTS} (machine: {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
