"""Benchmark `oura-stats report`, the served report and `oura-stats demo`.

    python benchmarks/report.py            # 5 years for the report, 1 year for the demo
    python benchmarks/report.py --years 1  # a quicker run

Collects `--years` of synthetic data with `oura-stats demo` (its wall time is printed too),
then runs `oura-stats report` on those CSVs `--repeat` times as a child process and prints
the median build time (as the command reports it, and the child's wall and CPU time
including interpreter start-up) and the page's size. Then starts `oura-stats report --serve` on the
same CSVs and times `--requests` GETs of `/` over a fresh connection each (the whole page,
and a reload that answers 304). Targets for 5 years: build ≤ 2 s, page ≤ 1.5 MB, the
served page answered in ≤ 50 ms; demo ≤ 30 s for a year.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUILT = re.compile(r"wrote .*?, (\d+) kB in ([\d.]+) s")
SERVING = re.compile(r"at http://127\.0\.0\.1:(\d+)/ ;")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str]) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return seconds, done.stderr


def fetch_ms(port: int, headers: dict[str, str]) -> tuple[float, int, str]:
    """Milliseconds for one GET / on a new connection, until the last byte; status; ETag."""
    began = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return (time.perf_counter() - began) * 1000, response.status, response.getheader("ETag", "")


def served(cli: list[str], folder: Path, requests: int) -> dict[str, float]:
    """Median and worst time to answer GET / (200, then 304) from `report --serve`."""
    server = subprocess.Popen(
        [*cli, "report", "--serve", "--port", "0", "--output-dir", str(folder)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        port = next(int(m.group(1)) for line in server.stderr if (m := SERVING.search(line)))
        full = [fetch_ms(port, {}) for _ in range(requests)]
        assert all(status == 200 for _, status, _ in full)
        etag = full[0][2]
        again = [fetch_ms(port, {"If-None-Match": etag}) for _ in range(requests)]
        assert all(status == 304 for _, status, _ in again)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(10)
    return {
        "served_page_ms_median": round(statistics.median(t for t, _, _ in full), 1),
        "served_page_ms_max": round(max(t for t, _, _ in full), 1),
        "served_304_ms_median": round(statistics.median(t for t, _, _ in again), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50, help="GETs of the served page")
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
        walls, builds, cpus = [], [], []
        for _ in range(args.repeat):
            cpu = children_cpu()
            wall, stderr = timed(report)
            cpus.append(children_cpu() - cpu)
            found = BUILT.search(stderr)
            assert found, stderr
            walls.append(wall)
            builds.append(float(found.group(2)))
        size = out.stat().st_size
        serving = served(cli, folder, args.requests)
    numbers = {
        "demo_one_year_wall_s": round(demo_s, 2),
        "report_years": args.years,
        "report_days": days,
        "heartrate_rows": heart_rows,
        "report_build_s_median": statistics.median(builds),
        "report_child_wall_s_median": round(statistics.median(walls), 2),
        "report_child_cpu_s_median": round(statistics.median(cpus), 2),
        "report_bytes": size,
        **serving,
    }
    for name, value in numbers.items():
        sys.stderr.write(f"{name:30} {value}\n")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
