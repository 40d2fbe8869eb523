"""The CPU floor: a bare aiohttp loop replaying a run's requests ("Lean, accountable
access", item 4).

The same methods, paths and query parameters as the sandbox logged them, against the same
sandbox, started on a fixed schedule of ``rate`` starts per second with at most
``in_flight`` requests open, every body read and ``json.loads``-ed. Authentication as the
plugin sends it: the ``api_key`` query parameter on the main origin, the
``X-CT-Authorization`` header on the POS origin; a member search POSTs
``{"email_address": email}``. Runs as its own process (``python -m bench.bare``, the
requests as JSON on stdin) so its CPU time and peak RSS are its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import aiohttp
from yarl import URL

from bench.common import API_KEY


async def replay(requests: Sequence[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    origins = {"api": args.api, "pos": args.pos}
    statuses: Counter[int] = Counter()
    slots = asyncio.Semaphore(args.in_flight)

    async def send(session: aiohttp.ClientSession, record: dict[str, Any]) -> None:
        try:
            query = {k: v for k, v in record["query"].items() if k != "api_key"}
            headers = {"Accept": "application/json"}
            if record["origin"] == "api":
                query["api_key"] = API_KEY
            else:
                headers["X-CT-Authorization"] = f"CTApiKey {API_KEY}"
            url = URL(origins[record["origin"]] + record["raw_path"], encoded=True)
            body = {"email_address": args.email} if record["method"] == "POST" else None
            async with session.request(
                record["method"], url.with_query(query), headers=headers, json=body
            ) as response:
                json.loads(await response.read())
                statuses[response.status] += 1
        finally:
            slots.release()

    async with aiohttp.ClientSession() as session:
        loop = asyncio.get_running_loop()
        tasks = []
        cpu0, started = time.process_time(), time.monotonic()
        first = loop.time()
        for index, record in enumerate(requests):
            delay = first + index / args.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await slots.acquire()
            tasks.append(asyncio.create_task(send(session, record)))
        await asyncio.gather(*tasks)
        cpu, finished = time.process_time() - cpu0, time.monotonic()
    return {
        "started": started,
        "finished": finished,
        "cpu": cpu,
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api", required=True)
    parser.add_argument("--pos", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--rate", type=float, required=True, help="starts per second")
    parser.add_argument("--in-flight", type=int, required=True)
    args = parser.parse_args(argv)
    requests = json.load(sys.stdin)
    outcome = asyncio.run(replay(requests, args))
    outcome["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
