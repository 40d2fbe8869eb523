"""``make bench-profile``: where the plugin's CPU goes, for tuning it.

The single subject's client runs under cProfile from its first request to its last (the
profiler is switched on around the access requests only, not start-up and imports); the
top functions by own time and by cumulative time go to bench-results/profile.txt.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sysconfig
import time
from pathlib import Path

PROFILE = Path("bench-results") / "profile.txt"
TOP = 30
REPO = Path(__file__).resolve().parents[1]


def profiler() -> cProfile.Profile:
    # Process CPU time, not wall time: waiting in epoll for the sandbox costs no CPU and
    # would otherwise top the list.
    return cProfile.Profile(time.process_time)


def write_profile(profile: cProfile.Profile, path: Path, top: int = TOP) -> None:
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    for key, title in (("tottime", "own time (tottime)"), ("cumulative", "cumulative time")):
        text.write(f"==== top {top} functions by {title}, CPU seconds ====\n")
        stats.sort_stats(key).print_stats(top)
    shown = text.getvalue()
    paths = sysconfig.get_paths()
    for prefix in (paths["purelib"], paths["stdlib"], str(REPO)):
        shown = shown.replace(prefix + "/", "")
    path.parent.mkdir(exist_ok=True)
    path.write_text(shown)
