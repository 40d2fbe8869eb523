"""A worker process that serves one access request: ``python -m tests.budget.access_worker
JSON`` (connection and identifiers). It prints the call's ``stats`` as one JSON line."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from tests.helpers.host import Host


async def main(config: dict[str, Any]) -> dict[str, Any]:
    host = Host()
    try:
        await host.access(config["connection"], config["identifiers"])
    finally:
        host.close()
    return host.last_stats


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
