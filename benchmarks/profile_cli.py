"""Profile the CLI in every thread, not just the main one.

`python -m cProfile` sees only the main thread, but the collector fetches, flattens and
stores in worker threads. This wraps `threading.Thread.run` so each thread gets its own
profiler and merges them into one pstats file:

    python benchmarks/profile_cli.py [--cpu-clock] OUT.prof fetch --base-url URL ...
    python -m pstats OUT.prof          # or: top_functions() below

The default clock is wall time (cheap to read): with `--concurrency 1` and no injected
latency, a worker's time is its CPU plus waiting for the server, which shows up under
the client's request functions. `--cpu-clock` times each thread by its own CPU clock
instead (waits never count), but reading that clock is a system call on every function
call and return, which inflates call-heavy code several times over.

Profiling slows the code down (more where it makes many small calls); read the shares,
not the seconds. The main thread's functions (cli.main, Collector.run) span the whole
run, waiting included.
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

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.profiles: list[cProfile.Profile] = []
        self._original: Callable[[threading.Thread], None] | None = None

    def new_profile(self) -> cProfile.Profile:
        profile = cProfile.Profile(self._clock) if self._clock else cProfile.Profile()
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

        threading.Thread.run = profiled_run  # type: ignore[method-assign, assignment]

    def uninstall(self) -> None:
        if self._original is not None:
            threading.Thread.run = self._original  # type: ignore[method-assign, assignment]
            self._original = None

    def dump(self, path: Path) -> None:
        with self._lock:
            profiles = [p for p in self.profiles if p.getstats()]
        merged = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            merged.add(profile)
        merged.dump_stats(str(path))


def profile_cli(out: Path, cli_args: list[str], *, cpu_clock: bool = False) -> int:
    from oura_stats.cli.main import main

    profiles = ThreadProfiles(time.thread_time if cpu_clock else None)
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
    cpu_clock = bool(argv) and argv[0] == "--cpu-clock"
    if cpu_clock:
        argv = argv[1:]
    if len(argv) < 2:
        sys.stderr.write("usage: profile_cli.py [--cpu-clock] OUT.prof CLI-ARGUMENTS...\n")
        return 2
    return profile_cli(Path(argv[0]), argv[1:], cpu_clock=cpu_clock)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
