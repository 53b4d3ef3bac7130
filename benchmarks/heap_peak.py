"""Where a backfill's Python memory is at its peak: tracemalloc's largest allocations.

    python benchmarks/heap_peak.py                  # 5 years, heart rate every 5 min
    python benchmarks/heap_peak.py --years 1 --top 20 --db sqlite

The fake API runs in this process; the backfill (`fetch`, the default concurrency) runs
in a child process with tracemalloc on. There a watcher thread reads the traced memory
every 2 ms and, whenever it has grown by 0.25 MiB beyond the highest point seen so far,
takes a snapshot and keeps only its top lines (file and line of each allocation). The
last of those is the picture at the peak. Tracing slows the run several times over and
counts only memory Python allocates (not the interpreter's own, nor C libraries'), so
the figures are smaller than the peak RSS that vs_replay.py measures: read the shares.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from run import fetch_args, progress, serving  # noqa: E402

from oura_stats.demo.history import make_history  # noqa: E402

MIB = 1 << 20
STEP = MIB // 4  # a new high must exceed the last snapshot's by this much
POLL_SECONDS = 0.002


class PeakWatcher:
    """Keeps the top allocation lines of the highest traced memory seen."""

    def __init__(self, top: int) -> None:
        self._top = top
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self.peak_bytes = 0  # the highest point sampled (its snapshot's lines are kept)
        self.true_peak_bytes = 0  # tracemalloc's own peak, between two samples perhaps
        self.lines: list[str] = []

    def __enter__(self) -> PeakWatcher:
        tracemalloc.start(1)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.true_peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            current = tracemalloc.get_traced_memory()[0]
            if current >= self.peak_bytes + STEP:
                self.peak_bytes = current
                self.lines = self._top_lines()

    def _top_lines(self) -> list[str]:
        ignore = [tracemalloc.Filter(False, tracemalloc.__file__)]
        statistics = tracemalloc.take_snapshot().filter_traces(ignore).statistics("lineno")
        lines = []
        for stat in statistics[: self._top]:
            frame = stat.traceback[0]
            where = _short(frame.filename)
            lines.append(f"{stat.size / MIB:8.2f} MiB {stat.count:>9,}  {where}:{frame.lineno}")
        return lines


def _short(filename: str) -> str:
    for marker in ("oura_stats", "site-packages", "python3."):
        index = filename.find(marker)
        if index >= 0:
            return filename[index:]
    return filename


def child(argv: list[str], top: int) -> int:
    """The backfill itself, traced (runs in the child process). The fetch command's
    modules are imported first, so the picture is of the run, not of its imports."""
    from oura_stats.cli import fetch  # noqa: F401
    from oura_stats.cli.main import main

    with PeakWatcher(top) as watcher:
        code = main(argv)
    print(
        f"traced Python memory: peak {watcher.true_peak_bytes / MIB:.1f} MiB; "
        f"highest sample {watcher.peak_bytes / MIB:.1f} MiB, allocated at:"
    )
    print(f"{'size':>12} {'blocks':>9}  file:line")
    print("\n".join(watcher.lines))
    return code


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--child"]:
        return child(sys.argv[3:], int(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=float, default=5, help="history in years (5)")
    parser.add_argument("--interval", type=int, default=300, help="heart-rate interval, s (300)")
    parser.add_argument("--top", type=int, default=12, help="allocation lines to show (12)")
    parser.add_argument("--db", choices=["sqlite"], help="also mirror into a new database")
    args = parser.parse_args(argv)
    today = dt.datetime.now(dt.UTC).date()  # the CLI plans with the real date
    days = round(args.years * 365.25)
    progress(f"generating {days} days (heart rate every {args.interval} s)")
    data = make_history(days, end=today, heartrate_interval_s=args.interval)
    with (
        tempfile.TemporaryDirectory(prefix="oura-heap-") as scratch,
        serving(data, today, 0.0) as fake,
    ):
        del data
        work = Path(scratch)
        cli = fetch_args(fake.url, work, None)
        if args.db:
            cli += ["--db", f"sqlite:///{work / 'oura.sqlite'}"]
        progress("backfill with tracemalloc on (several times slower than without)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE.parent), env.get("PYTHONPATH")]))
        command = [sys.executable, __file__, "--child", str(args.top), *cli]
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
