"""The backfill against its HTTP floor: the same requests, at the same concurrency.

    python benchmarks/vs_replay.py                 # 5 years, 5-minute heart rate, 20 ms
    python benchmarks/vs_replay.py --pairs 5 --years 1 --latency 0.05

One backfill is run first to record its requests (the fake server's log). Then, in turn,
`--pairs` times: a fresh backfill (`python -m oura_stats fetch`, the default
concurrency), and the HTTP replay of the recorded requests (`http_replay.py`: bare
`requests` sessions, one per thread, the same number of threads, every body decoded with
`.json()`, nothing stored), both against the same server with the same injected latency.
Each pair gives the ratios ours ÷ floor of wall time, CPU time (user + system) and peak
RSS; the medians of those ratios are the result, so a machine that speeds up or slows
down during the run moves both sides of a pair alike. Afterwards: the peak RSS of an
incremental run (nothing changed on the server) and of a backfill with `--db sqlite`.
With PostgreSQL and psycopg installed, also the peak RSS of a database-only backfill
(`--db postgresql://... --no-csv`) into a throwaway cluster. Every figure is the child's
own rusage, started through measure.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from db_scenarios import postgres  # noqa: E402
from run import TOKEN, ChildRun, checked, fetch_args, progress, run_child, serving  # noqa: E402

from oura_stats.demo.history import make_history  # noqa: E402
from oura_stats.run.collector import DEFAULT_CONCURRENCY  # noqa: E402

TARGETS: dict[str, tuple[float | None, str]] = {  # (limit, unit)
    "wall ÷ floor": (1.1, ""),
    "CPU ÷ floor": (1.5, ""),
    "backfill peak RSS": (64.0, " MB"),
    "backfill --db sqlite peak RSS": (64.0, " MB"),
    "incremental peak RSS": (48.0, " MB"),
    "backfill database-only (PostgreSQL) peak RSS": (100.0, " MB"),
}


@dataclass
class Pair:
    ours: ChildRun
    floor: ChildRun

    def ratio(self, what: str) -> float:
        value: float = getattr(self.ours, what) / getattr(self.floor, what)
        return value


def backfill(url: str, workdir: Path, *extra: str) -> ChildRun:
    shutil.rmtree(workdir, ignore_errors=True)
    args = [*fetch_args(url, workdir, None), *extra]
    return checked(run_child([sys.executable, "-m", "oura_stats", *args]), "the backfill")


def replay(plan: Path, concurrency: int) -> ChildRun:
    argv = [sys.executable, str(HERE / "http_replay.py"), str(plan), str(concurrency)]
    return checked(run_child(argv), "the HTTP replay")


def postgres_only(url: str, workdir: Path) -> ChildRun | None:
    """A database-only backfill (--no-csv) into a throwaway PostgreSQL cluster; None
    without PostgreSQL binaries or psycopg, or without the option."""
    usage = subprocess.run(
        [sys.executable, "-m", "oura_stats", "fetch", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    if "--no-csv" not in usage.stdout:
        progress("database-only backfill skipped: this version has no fetch --no-csv")
        return None
    with postgres() as database:
        if database is None:
            progress("database-only backfill skipped: no PostgreSQL or no psycopg")
            return None
        progress("database-only backfill (PostgreSQL, --no-csv)")
        return backfill(url, workdir, "--db", database, "--no-csv")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--years", type=float, default=5, help="history in years (5)")
    parser.add_argument("--interval", type=int, default=300, help="heart-rate interval, s (300)")
    parser.add_argument("--latency", type=float, default=0.02, help="per request, s (0.02)")
    parser.add_argument("--pairs", type=int, default=3, help="backfill/replay pairs (3)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="oura-vs-replay-"))
    try:
        return compare(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def compare(args: argparse.Namespace, tmp: Path) -> int:
    today = dt.datetime.now(dt.UTC).date()  # the CLI plans with the real date
    days = round(args.years * 365.25)
    progress(f"generating {days} days (heart rate every {args.interval} s)")
    data = make_history(days, end=today, heartrate_interval_s=args.interval)
    concurrency = DEFAULT_CONCURRENCY
    with serving(data, today, args.latency) as fake:
        del data
        progress("recording the backfill's requests")
        backfill(fake.url, tmp / "run")
        plan = tmp / "plan.json"
        log = [(r.path, r.params) for r in fake.requests]
        plan.write_text(json.dumps({"base_url": fake.url, "token": TOKEN, "requests": log}))
        pairs = []
        for number in range(1, args.pairs + 1):
            progress(f"pair {number} of {args.pairs}: backfill, then replay")
            pairs.append(Pair(backfill(fake.url, tmp / "run"), replay(plan, concurrency)))
        progress("incremental run, then a backfill with --db sqlite")
        incremental = checked(
            run_child(
                [sys.executable, "-m", "oura_stats", *fetch_args(fake.url, tmp / "run", None)]
            ),
            "the incremental run",
        )
        with_db = backfill(fake.url, tmp / "db", "--db", f"sqlite:///{tmp / 'db.sqlite'}")
        database_only = postgres_only(fake.url, tmp / "pg")
    results = {
        "wall ÷ floor": statistics.median(p.ratio("wall_s") for p in pairs),
        "CPU ÷ floor": statistics.median(p.ratio("cpu_s") for p in pairs),
        "peak RSS ÷ floor": statistics.median(p.ratio("peak_rss_mb") for p in pairs),
        "backfill peak RSS": max(p.ours.peak_rss_mb for p in pairs),
        "backfill --db sqlite peak RSS": with_db.peak_rss_mb,
        "incremental peak RSS": incremental.peak_rss_mb,
    }
    if database_only is not None:
        results["backfill database-only (PostgreSQL) peak RSS"] = database_only.peak_rss_mb
    print(report(args, len(log), concurrency, pairs, results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def report(
    args: argparse.Namespace,
    requests: int,
    concurrency: int,
    pairs: list[Pair],
    results: dict[str, float],
) -> str:
    lines = [
        f"{args.years:g}-year history, heart rate every {args.interval} s, "
        f"{args.latency * 1000:g} ms per request, {requests} requests, concurrency "
        f"{concurrency}, {os.cpu_count()} CPUs",
        f"{'pair':>4}  {'ours wall':>9} {'CPU':>6} {'RSS MB':>7}   "
        f"{'floor wall':>10} {'CPU':>6} {'RSS MB':>7}",
    ]
    for number, p in enumerate(pairs, 1):
        o, f = p.ours, p.floor
        lines.append(
            f"{number:>4}  {o.wall_s:9.2f} {o.cpu_s:6.2f} {o.peak_rss_mb:7.1f}   "
            f"{f.wall_s:10.2f} {f.cpu_s:6.2f} {f.peak_rss_mb:7.1f}"
        )
    lines.append("")
    width = max(map(len, results)) + 2
    for name, value in results.items():
        limit, unit = TARGETS.get(name, (None, ""))
        verdict = ""
        if limit is not None:
            verdict = f"  (≤ {limit:g}{unit}: {'PASS' if value <= limit else 'MISS'})"
        lines.append(f"{name:<{width}}{value:8.2f}{unit}{verdict}")
    lines.append("ratios: median over the pairs; backfill peak RSS: the largest of the pairs")

    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
