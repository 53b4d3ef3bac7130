"""Profile the CLI's CPU time in every thread, not just the main one.

`python -m cProfile` sees only the main thread, but the collector fetches, flattens and
stores in worker threads. This wraps `threading.Thread.run` so each thread gets its own
profiler, timed by that thread's CPU clock (time spent waiting on sockets does not count),
and merges them into one pstats file:

    python benchmarks/profile_cli.py OUT.prof fetch --base-url URL --token T ...
    python -m pstats OUT.prof          # or: top_functions() below

Profiling slows the code down (more where it makes many small calls); read the shares,
not the seconds.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class ThreadProfiles:
    """Installs a CPU-time profiler in every thread started while active."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.profiles: list[cProfile.Profile] = []
        self._original: Callable[[threading.Thread], None] | None = None

    def new_profile(self) -> cProfile.Profile:
        profile = cProfile.Profile(time.thread_time)
        with self._lock:
            self.profiles.append(profile)
        return profile

    def install(self) -> None:
        original = threading.Thread.run
        self._original = original
        owner = self

        def profiled_run(thread: threading.Thread) -> None:
            profile = owner.new_profile()
            profile.enable()
            try:
                original(thread)
            finally:
                profile.disable()

        threading.Thread.run = profiled_run  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original is not None:
            threading.Thread.run = self._original  # type: ignore[method-assign]
            self._original = None

    def dump(self, path: Path) -> None:
        with self._lock:
            profiles = [p for p in self.profiles if p.getstats()]
        merged = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            merged.add(profile)
        merged.dump_stats(str(path))


def profile_cli(out: Path, cli_args: list[str]) -> int:
    from oura_stats.cli import main

    profiles = ThreadProfiles()
    profiles.install()
    main_profile = profiles.new_profile()
    main_profile.enable()
    try:
        code = main(cli_args)
    finally:
        main_profile.disable()
        profiles.uninstall()
    profiles.dump(out)
    return code


@dataclass(frozen=True)
class FunctionCost:
    where: str  # file:line(function), the file relative to its package
    calls: int
    own_s: float
    cumulative_s: float


def top_functions(path: Path, *, limit: int = 15, inside: str | None = None) -> list[FunctionCost]:
    """The costliest functions by cumulative time; `inside`: only files under that directory."""
    stats = pstats.Stats(str(path))
    rows: list[FunctionCost] = []
    table: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    table = stats.stats  # type: ignore[attr-defined]
    for (filename, line, function), (_, calls, own, cumulative, _) in table.items():
        if inside is not None and f"/{inside}/" not in filename:
            continue
        where = f"{_short(filename)}:{line}({function})" if line else function
        rows.append(FunctionCost(where, calls, own, cumulative))
    rows.sort(key=lambda row: row.cumulative_s, reverse=True)
    return rows[:limit]


def top_own_time(path: Path, *, limit: int = 15) -> list[FunctionCost]:
    """The functions (any module, builtins too) where the CPU time itself is spent."""
    rows = top_functions(path, limit=10**9)
    rows.sort(key=lambda row: row.own_s, reverse=True)
    return rows[:limit]


def total_seconds(path: Path) -> float:
    return float(pstats.Stats(str(path)).total_tt)  # type: ignore[attr-defined]


def _short(filename: str) -> str:
    parts = Path(filename).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else filename


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: profile_cli.py OUT.prof CLI-ARGUMENTS...\n")
        return 2
    return profile_cli(Path(argv[0]), argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
