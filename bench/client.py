"""A benchmark client process: access requests through the host's plugin manager.

Started by ``bench/throughput.py`` as ``python -m bench.client`` so its CPU time and peak
RSS are its own; prints its outcome as JSON on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import API_KEY, LIMIT, TARGET, admin
from bench.profiling import profiler, write_profile


async def run(args: argparse.Namespace, profile: cProfile.Profile | None) -> dict[str, Any]:
    # The plugin imports its access module (aiohttp and the rest, ~0.13 s of CPU) inside
    # the first handle_access: imported here it stays out of the per-request CPU, as the
    # bare loop's aiohttp import does.
    import crowdtwist_plugin.access  # noqa: F401
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
        **json.loads(args.connection),
    }

    async def one(address: str) -> dict[str, Any]:
        started = time.monotonic()
        answer = await call_hook(
            pm,
            "handle_access",
            integration="crowdtwist",
            connection=connection,
            identifiers={"email": [address]},
        )
        finished = time.monotonic()
        stats = answer["stats"]
        return {
            "elapsed": finished - started,
            "report": answer,
            "plugin_requests": stats["requests"],
            "readings": stats.get("readings"),
        }

    async def pooled(addresses: list[str]) -> list[dict[str, Any]]:
        """One hook call per address, ``--pool`` at a time, started in order (a platform
        working through its queue): later calls can use what earlier ones proved."""
        queue = iter(enumerate(addresses))
        results: list[dict[str, Any]] = [{} for _ in addresses]

        async def worker() -> None:
            for index, address in queue:
                results[index] = await one(address)

        await asyncio.gather(*(worker() for _ in range(args.pool)))
        return results

    async def halve() -> float:
        await asyncio.sleep(args.halve_at)
        await asyncio.to_thread(
            admin, args.api, "POST", "rate_limit", {"rate_per_second": args.limit / 2}
        )
        return time.monotonic()

        await asyncio.to_thread(admin, args.api, "POST", "reset")

    halved_at = asyncio.create_task(halve()) if args.halve_at else None
    # CPU is counted from the first request on: interpreter start-up and imports are
    # not a per-request cost.
    if profile:
        profile.enable()
    cpu0, started = time.process_time(), time.monotonic()
    addresses = args.emails.split(",")
    if args.pool:
        results = await pooled(addresses)
    else:
        results = await asyncio.gather(*(one(a) for a in addresses))
    cpu, finished = time.process_time() - cpu0, time.monotonic()
    if profile:
        profile.disable()
    for result in results:
        answer = result.pop("report")
        result["counts"] = {k: len(v) for s in answer["subjects"] for k, v in s["data"].items()}
        result["json_bytes"] = len(json.dumps(answer))
    return {
        "started": started,
        "finished": finished,
        "cpu": cpu,
        "halved_at": await halved_at if halved_at else None,
        "requests": results,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", required=True)
    parser.add_argument("--pos", required=True)
    parser.add_argument("--emails", required=True)
    parser.add_argument("--limit", type=float, default=LIMIT)
    parser.add_argument("--halve-at", type=float, default=0.0)
    parser.add_argument("--sequential", action="store_true")
    parser.add_argument("--connection", default="{}", help="JSON of extra connection keys")
    parser.add_argument("--pool", type=int, default=0, help="hook calls at a time, in order")
    parser.add_argument("--profile", type=Path, help="write a cProfile summary here")
    args = parser.parse_args(argv)
    profile = profiler() if args.profile else None
    outcome = asyncio.run(run(args, profile))
    outcome["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if profile:
        write_profile(profile, args.profile)
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
