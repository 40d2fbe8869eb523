"""A worker process for the shared-budget tests: ``python -m tests.budget.worker JSON``.

It connects, prints ``ready``, waits for a line on stdin (so several workers start
together), runs its steps against the shared budget without sleeping, and prints one JSON
line: every call's (mode, Redis time, wait or pause left, rate). The reservations' start
times are Redis time + wait.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import redis.asyncio

from crowdtwist_plugin.pacing.redis_budget import RedisBudget


async def main(config: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    async with RedisBudget.connect(
        config["url"], namespace=config["namespace"], rate=config["rate"], burst=config["burst"]
    ) as budget:
        # Connected before the parent says go, so every worker starts on time.
        client = redis.asyncio.Redis.from_url(config["url"])
        await client.ping()
        await client.aclose()
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        for mode, value in config["steps"]:
            for _ in range(value if mode == "reserve" else 1):
                if mode == "reserve":
                    got = await budget.reserve()
                else:  # penalise, through the script call that also returns Redis's time
                    got = await budget._run("penalise", pause=value)
                results.append({"mode": mode, "time": got.at, "wait": got.wait, "rate": got.rate})
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))), flush=True)
