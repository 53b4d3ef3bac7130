"""Each output directory keeps its own state beside its data (by default), so one folder's
cursors never steer another's; the seed's `./.oura_state.json` is moved there."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

from conftest import TOKEN, run_cli

from oura_stats.demo.server import FakeOura

CATEGORIES = "personal_info,daily_sleep,tag"
STATE = ".oura_state.json"


def _fetch(api: FakeOura, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`fetch` as the quick start runs it: no --state-file, in the working directory."""
    args = ["fetch", "--base-url", api.url, "--token", TOKEN, "--categories", CATEGORIES]
    return run_cli(*args, *extra, cwd=cwd)


def _first_days(api: FakeOura) -> list[str]:
    return sorted(r.params.get("start_date", "") for r in api.requests_for("daily_sleep"))


def test_sandbox_then_real_into_new_folders_both_work(api: FakeOura, tmp_path: Path) -> None:
    sample = _fetch(api, tmp_path, "--sandbox", "--output-dir", "sample-data")
    assert sample.returncode == 0, sample.stderr
    real = _fetch(api, tmp_path, "--output-dir", "oura")
    assert real.returncode == 0, real.stderr
    assert json.loads((tmp_path / "sample-data" / STATE).read_text())["source"]["sandbox"]
    assert not json.loads((tmp_path / "oura" / STATE).read_text())["source"]["sandbox"]
    assert not (tmp_path / STATE).exists()


def test_real_then_sandbox_into_new_folders_both_work(api: FakeOura, tmp_path: Path) -> None:
    assert _fetch(api, tmp_path, "--output-dir", "oura").returncode == 0
    sample = _fetch(api, tmp_path, "--sandbox", "--output-dir", "sample-data")
    assert sample.returncode == 0, sample.stderr


def test_one_folders_cursors_never_steer_anothers(api: FakeOura, tmp_path: Path) -> None:
    nights = api.data["daily_sleep"]
    api.set_documents("daily_sleep", nights[:-30])  # b is fetched before the last month synced
    assert _fetch(api, tmp_path, "--output-dir", "b").returncode == 0
    api.set_documents("daily_sleep", nights)
    assert _fetch(api, tmp_path, "--output-dir", "a").returncode == 0  # a is up to date
    assert _fetch(api, tmp_path, "--output-dir", "b").returncode == 0
    days = (tmp_path / "b" / "daily_sleep.csv").read_text().count("\n") - 1
    assert days == len(nights)  # b's own cursor, not a's, said where b's history ends


def test_a_shared_state_file_is_refused_for_a_second_folder(api: FakeOura, tmp_path: Path) -> None:
    shared = ["--state-file", "shared.json"]
    assert _fetch(api, tmp_path, "--output-dir", "a", *shared).returncode == 0
    result = _fetch(api, tmp_path, "--output-dir", "b", *shared)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "shared.json" in result.stderr and "--state-file" in result.stderr
    assert not (tmp_path / "b" / "daily_sleep.csv").exists()


def test_the_seeds_state_file_moves_beside_its_data(api: FakeOura, tmp_path: Path) -> None:
    """A folder made by an earlier version: ./data with ./.oura_state.json."""
    assert _fetch(api, tmp_path, "--state-file", STATE).returncode == 0
    seed = json.loads((tmp_path / STATE).read_text())
    seed.pop("output_dir", None)  # as an earlier version wrote it
    (tmp_path / STATE).write_text(json.dumps(seed))
    (tmp_path / "data" / ".oura-source.json").unlink()
    status = run_cli("status", cwd=tmp_path)  # read where it is, before any run moves it
    assert status.returncode == 0, status.stderr
    api.clear_requests()
    again = _fetch(api, tmp_path)
    assert again.returncode == 0, again.stderr
    assert not (tmp_path / STATE).exists()
    moved = json.loads((tmp_path / "data" / STATE).read_text())
    assert (
        moved["categories"]["daily_sleep"]["cursor"] == seed["categories"]["daily_sleep"]["cursor"]
    )
    assert len(moved["runs"]) == 2
    recent = (
        dt.date.fromisoformat(seed["categories"]["daily_sleep"]["cursor"]) - dt.timedelta(days=10)
    ).isoformat()
    assert all(day >= recent for day in _first_days(api))  # incremental, not the whole history
    assert run_cli("status", cwd=tmp_path).returncode == 0
    report = run_cli("report", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "no run recorded" not in (tmp_path / "report.html").read_text()


def test_status_and_report_find_the_state_beside_the_data(api: FakeOura, tmp_path: Path) -> None:
    assert _fetch(api, tmp_path, "--output-dir", "oura").returncode == 0
    status = run_cli("status", "--output-dir", "oura", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "nothing has been collected" not in status.stderr + status.stdout
    report = run_cli("report", "--output-dir", "oura", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "no run recorded" not in (tmp_path / "report.html").read_text()


def test_a_seed_state_of_another_folder_stays_where_it_is(api: FakeOura, tmp_path: Path) -> None:
    assert _fetch(api, tmp_path, "--state-file", STATE, "--sandbox").returncode == 0
    real = _fetch(api, tmp_path, "--output-dir", "oura")  # a new, empty folder
    assert real.returncode == 0, real.stderr
    assert json.loads((tmp_path / STATE).read_text())["source"]["sandbox"] is True
    assert (tmp_path / "oura" / STATE).exists()


def test_the_seeds_state_moves_only_to_the_folder_it_describes(
    api: FakeOura, tmp_path: Path
) -> None:
    """Two folders that shared the seed's state: its cursors describe the last one run."""
    assert _fetch(api, tmp_path, "--state-file", STATE, "--output-dir", "a").returncode == 0
    seed = json.loads((tmp_path / STATE).read_text())
    seed.pop("output_dir", None)  # as an earlier version wrote it
    (tmp_path / STATE).write_text(json.dumps(seed))
    (tmp_path / "b").mkdir()
    lines = (tmp_path / "a" / "daily_sleep.csv").read_text().splitlines(keepends=True)
    (tmp_path / "b" / "daily_sleep.csv").write_text("".join(lines[:-20]))  # b is behind
    api.clear_requests()
    assert _fetch(api, tmp_path, "--output-dir", "b").returncode == 0
    assert (tmp_path / STATE).exists()  # not b's: its cursors are ahead of b's rows
    days = (tmp_path / "b" / "daily_sleep.csv").read_text().count("\n") - 1
    assert days == len(api.data["daily_sleep"])
    assert _fetch(api, tmp_path, "--output-dir", "a").returncode == 0
    assert not (tmp_path / STATE).exists()
    assert (tmp_path / "a" / STATE).exists()
