"""A run killed at any instant leaves every file valid, and the next run completes the job."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TODAY, Workspace, fetch, fetch_args, history

from oura_stats.api.categories import BY_NAME
from oura_stats.demo.server import FakeOura
from oura_stats.store.keys import time_key


def start_fetch(api: FakeOura, ws: Workspace) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "oura_stats", *fetch_args(api, ws, "-q")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def check_consistent(ws: Workspace) -> None:
    """Every CSV parses with unique keys; the state claims nothing the CSVs lack."""
    newest: dict[str, str] = {}
    for path in ws.data.glob("*.csv") if ws.data.exists() else []:
        category = BY_NAME[path.stem]
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = list(reader)
        assert all(len(row) == len(header) for row in rows), path
        keys = [
            tuple(
                time_key(row[header.index(f)]) if f == category.time_field else row[header.index(f)]
                for f in category.key
            )
            for row in rows
        ]
        assert len(keys) == len(set(keys)), path
        if category.time_field and rows:
            index = header.index(category.time_field)
            newest[path.stem] = max(time_key(row[index]) for row in rows)
    if ws.state.exists():
        state = json.loads(ws.state.read_text())
        for name, entry in state["categories"].items():
            if entry.get("cursor"):
                assert newest.get(name, "") >= entry["cursor"], name
    leftovers = list(ws.data.glob(".*")) if ws.data.exists() else []
    assert all(p.suffix == ".tmp" or p.name == ".oura-source.json" for p in leftovers)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_corrupts_files(tmp_path: Path) -> None:
    rng = random.Random(20261123)
    reference = Workspace(tmp_path / "reference")
    victim = Workspace(tmp_path / "victim")
    data = history()
    with FakeOura(data, today=TODAY, doc_page_size=10, series_page_size=200, latency=0.004) as api:
        started = time.monotonic()
        assert fetch(api, reference).returncode == 0
        full = time.monotonic() - started
        kills = 0
        for _ in range(8):
            process = start_fetch(api, victim)
            time.sleep(rng.uniform(0.15, max(0.3, 0.7 * full)))
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                kills += 1
            process.wait()
            check_consistent(victim)
        assert kills >= 3
        final = fetch(api, victim)
        assert final.returncode == 0, final.stderr
    check_consistent(victim)
    assert [p.name for p in victim.data.glob(".*")] == [".oura-source.json"]  # no temp file
    for path in reference.data.glob("*.csv"):
        assert (victim.data / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_run_removes_the_temp_files_a_killed_run_left_of_the_marker_and_state(
    tmp_path: Path,
) -> None:
    from oura_stats.store.atomic import TEMP_SUFFIX
    from oura_stats.store.source import MARKER

    ws = Workspace(tmp_path)
    with FakeOura(history(), today=TODAY) as api:
        assert fetch(api, ws).returncode == 0
        left = [
            ws.data / f".{MARKER}.k1ll3d{TEMP_SUFFIX}",
            ws.state.parent / f".{ws.state.name}.k1ll3d{TEMP_SUFFIX}",
        ]
        for path in left:
            path.write_text("half", encoding="utf-8")
        assert fetch(api, ws).returncode == 0
    assert [path.exists() for path in left] == [False, False]
