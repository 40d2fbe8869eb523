"""Worker processes share one budget through Redis: their merged starts obey one bound, a
429 seen by one holds back the others, and after a pause starts resume at the budget's
pace. Every start is Redis time + the wait Redis returned; nothing here sleeps."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from typing import Any

from tests.budget.conftest import REPO, RedisServer
from tests.budget.test_properties import SLACK, assert_window_bound

WORKER_DEADLINE = 120.0  # seconds for a worker to finish (a hang guard, not a measurement)
Step = tuple[str, float]


def run_workers(
    server: RedisServer, namespace: str, rate: float, burst: int, *plans: list[Step]
) -> list[list[dict[str, Any]]]:
    """Start one process per plan, release them together, return each one's calls."""
    workers = []
    try:
        for steps in plans:
            config = {
                "url": server.url,
                "namespace": namespace,
                "rate": rate,
                "burst": burst,
                "steps": steps,
            }
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.budget.worker", json.dumps(config)],
                    cwd=REPO,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=WORKER_DEADLINE)[0] for worker in workers]
        assert [worker.returncode for worker in workers] == [0] * len(workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    return [json.loads(output.strip().splitlines()[-1]) for output in outputs]


def start(call: dict[str, Any]) -> float:
    return float(call["time"]) + float(call["wait"])


def reservations(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [call for call in calls if call["mode"] == "reserve"]


def test_two_processes_share_one_budget(redis_server: RedisServer, namespace: str) -> None:
    rate, burst, each = 20.0, 2, 40
    a, b = run_workers(
        redis_server, namespace, rate, burst, [("reserve", each)], [("reserve", each)]
    )
    merged = sorted(reservations(a) + reservations(b), key=lambda c: (c["time"], c["wait"]))
    assert len(merged) == 2 * each
    starts = [start(call) for call in merged]
    # FIFO across processes, by arrival at Redis.
    assert all(later >= earlier - SLACK for earlier, later in itertools.pairwise(starts))
    assert_window_bound(starts, rate, burst)
    # One schedule for both: 80 starts take at least 78 intervals (two budgets: 38).
    assert max(starts) - min(starts) >= (2 * each - burst) / rate - SLACK


def test_a_429_in_one_process_holds_back_the_other(
    redis_server: RedisServer, namespace: str
) -> None:
    # A long pause costs nothing (nobody sleeps) and outlasts any process start-up.
    rate, burst, pause = 20.0, 3, 60.0
    [a] = run_workers(redis_server, namespace, rate, burst, [("reserve", 1), ("penalise", pause)])
    penalty = a[-1]
    paused_until = float(penalty["time"]) + pause

    [b] = run_workers(redis_server, namespace, rate, burst, [("reserve", 6)])
    for call in b:
        assert start(call) >= paused_until - SLACK  # its wait >= the pause remaining
        assert float(call["wait"]) >= paused_until - float(call["time"]) - SLACK
    # No herd at the end of the pause: one start there, then one per (halved) interval.
    starts = [start(call) for call in b]
    assert abs(starts[0] - paused_until) < SLACK
    for call, earlier, later in zip(b, starts, starts[1:], strict=False):
        assert later - earlier >= 1 / float(call["rate"]) - SLACK
    assert float(penalty["rate"]) < rate  # the 429 cut the shared rate


def test_a_429_during_traffic_pauses_every_process(
    redis_server: RedisServer, namespace: str
) -> None:
    rate, burst, pause = 50.0, 2, 60.0
    a, b, c = run_workers(
        redis_server,
        namespace,
        rate,
        burst,
        [("reserve", 10), ("penalise", pause), ("reserve", 10)],
        [("reserve", 25)],
        [("reserve", 25)],
    )
    penalty = next(call for call in a if call["mode"] == "penalise")
    paused_until = float(penalty["time"]) + pause
    everyone = reservations(a) + reservations(b) + reservations(c)
    after = [call for call in everyone if call["time"] > penalty["time"]]
    assert after, "no reservation came after the 429"
    assert all(start(call) >= paused_until - SLACK for call in after)
    assert_window_bound([start(call) for call in everyone], rate, burst)
    # Starts after the pause: one at a time from its end, never a herd of the waiting.
    resumed = sorted(start(call) for call in after)
    assert sum(1 for s in resumed if abs(s - paused_until) < SLACK) <= 1
    assert all(
        later - earlier >= 1 / rate - SLACK for earlier, later in itertools.pairwise(resumed)
    )
