"""Benchmark `oura-stats report` and `oura-stats demo`.

    python benchmarks/report.py            # 5 years for the report, 1 year for the demo
    python benchmarks/report.py --years 1  # a quicker run

Collects `--years` of synthetic data with `oura-stats demo` (its wall time is printed too),
then runs `oura-stats report` on those CSVs `--repeat` times as a child process and prints
the median build time (as the command reports it, and the child's wall time including
interpreter start-up) and the page's size. Targets: report ≤ 3 s and ≤ 2 MB for 5 years;
demo ≤ 30 s for a year.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUILT = re.compile(r"wrote .*?, (\d+) kB in ([\d.]+) s")


def timed(argv: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return seconds, done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    cli = [sys.executable, "-m", "oura_stats"]
    with tempfile.TemporaryDirectory() as tmp:
        year = Path(tmp) / "one-year"
        demo_s, _ = timed([*cli, "demo", "-q", "--output-dir", str(year), "--days", "365"])
        folder = Path(tmp) / "history"
        days = round(args.years * 365.25)
        timed([*cli, "demo", "-q", "--output-dir", str(folder), "--days", str(days)])
        heart_rows = sum(1 for _ in (folder / "heartrate.csv").open()) - 1
        out = Path(tmp) / "report.html"
        report = [*cli, "report", "--output-dir", str(folder), "--out", str(out)]
        report += ["--state-file", str(folder / ".oura_state.json")]
        walls, builds = [], []
        for _ in range(args.repeat):
            wall, stderr = timed(report)
            found = BUILT.search(stderr)
            assert found, stderr
            walls.append(wall)
            builds.append(float(found.group(2)))
        size = out.stat().st_size
    numbers = {
        "demo_one_year_wall_s": round(demo_s, 2),
        "report_years": args.years,
        "report_days": days,
        "heartrate_rows": heart_rows,
        "report_build_s_median": statistics.median(builds),
        "report_child_wall_s_median": round(statistics.median(walls), 2),
        "report_bytes": size,
    }
    for name, value in numbers.items():
        sys.stderr.write(f"{name:30} {value}\n")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
