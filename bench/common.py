"""What every benchmark shares: the sandbox process, its admin calls, the limits.

Light on imports on purpose: client and worker processes import this module, and their
peak RSS is measured.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LIMIT = 100.0  # requests/s per key at the sandbox; clients are told the same
CAPACITY = 10
LATENCY = 0.05
TARGET = 0.75
API_KEY = "sandbox-demo-key"
REPO = Path(__file__).resolve().parents[1]
LIMITED = ("--rate-limit", str(LIMIT), "--capacity", str(CAPACITY), "--latency", str(LATENCY))


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


def last_json_line(stdout: str) -> Any:
    """A benchmark process's outcome: the JSON on the last line it printed."""
    return json.loads(stdout.strip().splitlines()[-1])
