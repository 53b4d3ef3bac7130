"""Run one command and write its wall time and own rusage (CPU, peak RSS) as JSON.

    python benchmarks/measure.py RESULT.json COMMAND [ARGS...]

Why a separate launcher: Linux carries a process's peak RSS across `exec`, and a child
forked from a large process starts with the parent's pages resident. Measured straight
from the benchmark (which holds years of generated data and the fake server), every child
would report the benchmark's own size. Started from this small, fresh process, the
command's peak RSS is its own (anything below this launcher's ~15 MB cannot be told apart,
and the CLI needs more than that just to start).

The command inherits stdout and stderr; the exit code is the command's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def measure(result_path: Path, argv: list[str]) -> int:
    started = time.perf_counter()
    process = subprocess.Popen(argv)
    _, status, usage = os.wait4(process.pid, 0)  # this child's rusage only
    wall = time.perf_counter() - started
    process.returncode = code = os.waitstatus_to_exitcode(status)  # reaped: tell Popen
    result = {
        "wall_s": wall,
        "user_s": usage.ru_utime,
        "system_s": usage.ru_stime,
        "peak_rss_kb": usage.ru_maxrss,  # kilobytes on Linux
        "exit_code": code,
    }
    result_path.write_text(json.dumps(result), encoding="utf-8")
    return code


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: measure.py RESULT.json COMMAND [ARGS...]\n")
        return 2
    return measure(Path(argv[0]), argv[1:])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
