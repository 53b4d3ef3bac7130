"""Odd numbers and odd arguments meet the report: ±inf, 1e308 and NaN in a CSV are left out
of their chart with a note (never a traceback, never `nan` or `inf` in a drawing); an --out
that is a directory, a --last reaching before year 1 and a full disk give one line each."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import run_cli
from test_disk_full import _fill, tiny_filesystem

from oura_stats.report.build import build_report

ODD = ["inf", "-inf", "nan", "1e308", "-1e308", "1e999", "Infinity"]


def odd_folder(root: Path) -> Path:
    """Ten good days of sleep scores, steps, heart rate, sleep and workouts, with an odd
    number slipped into each file."""
    data = root / "data"
    data.mkdir()
    days = [f"2024-03-{n:02}" for n in range(1, 11)]
    scores = ["80", "81", "inf", "82", "nan", "83", "1e308", "84", "85", "86"]
    steps = ["5000", "-1e308", "6000", "1e999", "7000", "8000", "Infinity", "9000", "100", "0"]
    (data / "daily_sleep.csv").write_text(
        "id,day,score\n"
        + "".join(f"s{i},{d},{v}\n" for i, (d, v) in enumerate(zip(days, scores, strict=True)))
    )
    (data / "daily_activity.csv").write_text(
        "id,day,steps,score\n"
        + "".join(f"a{i},{d},{v},70\n" for i, (d, v) in enumerate(zip(days, steps, strict=True)))
    )
    (data / "heartrate.csv").write_text(
        "timestamp,source,bpm\n"
        + "".join(f"{d}T10:00:00+00:00,awake,60\n{d}T11:00:00+00:00,awake,80\n" for d in days)
        + "2024-03-02T12:00:00+00:00,awake,inf\n2024-03-03T12:00:00+00:00,awake,nan\n"
    )
    (data / "sleep.csv").write_text(
        "id,day,type,time_in_bed,total_sleep_duration,average_hrv\n"
        + "".join(f"n{i},{d},long_sleep,28800,27000,{'nan' if i == 4 else 40}\n" for i, d in
                  enumerate(days))
        + "nap,2024-03-05,rest,3600,inf,\n"
    )  # fmt: skip
    (data / "workout.csv").write_text(
        "id,day,activity,calories,distance,start_datetime,end_datetime\n"
        "w1,2024-03-04,running,inf,nan,2024-03-04T07:00:00+00:00,2024-03-04T07:30:00+00:00\n"
    )
    return data


def chart(page: str, slug: str) -> str:
    part = page[page.index(f'id="chart-{slug}"') :]
    return part[: part.index("</figure>")]


def drawings(page: str) -> str:
    return "".join(re.findall(r"<svg.*?</svg>", page, flags=re.S))


def test_odd_numbers_are_left_out_of_their_chart_with_a_note(tmp_path: Path) -> None:
    data = odd_folder(tmp_path)
    out = tmp_path / "report.html"
    done = run_cli("report", "--output-dir", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    page = out.read_text(encoding="utf-8")
    svg = drawings(page)
    assert svg and not re.search(r"nan|inf", svg, flags=re.I)
    assert not re.search(r"<td>[-+]?(nan|inf)", page, flags=re.I)  # nor in a data table
    assert "inf kcal" not in page and "nan km" not in page
    quality = chart(page, "sleep-quality")
    assert "3 values left out" in quality  # inf, nan, and 1e308 (no score is that high)
    assert "2024-03-03" in quality  # the first day that had one
    steps = chart(page, "steps")
    assert "3 values left out" in steps
    assert "left out" in chart(page, "heart-rate")  # two samples, the rest of those days stay
    assert "left out" in chart(page, "hrv")
    assert "left out" not in chart(page, "activity-score")  # that chart had nothing odd


def test_the_good_values_beside_odd_ones_are_still_drawn(tmp_path: Path) -> None:
    data = odd_folder(tmp_path)
    build_report(data, tmp_path / "r.html", None)
    steps = chart((tmp_path / "r.html").read_text(encoding="utf-8"), "steps")
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)<td>([\d,]+)", steps)
    assert [day for day, _ in rows] == [
        "2024-03-10",
        "2024-03-09",
        "2024-03-08",
        "2024-03-06",
        "2024-03-05",
        "2024-03-03",
        "2024-03-01",
    ]


def test_report_out_on_a_directory_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = odd_folder(tmp_path)
    done = run_cli("report", "--output-dir", str(data), "--out", str(tmp_path))
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "is a directory" in line and "--out" in line


def test_report_last_beyond_year_one_is_one_line_and_exit_2(tmp_path: Path) -> None:
    data = odd_folder(tmp_path)
    done = run_cli("report", "--output-dir", str(data), "--last", "740000")
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "--last 740000" in line and "year 1" in line


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")
def test_report_on_a_full_disk_is_one_line_exit_1_and_keeps_the_old_page(
    tmp_path: Path,
) -> None:
    data = odd_folder(tmp_path)
    with tiny_filesystem(tmp_path / "disk", "1m") as disk:
        out = disk / "report.html"
        out.write_text("the old page")
        filler = _fill(disk, 0)
        done = run_cli("report", "--output-dir", str(data), "--out", str(out))
        assert done.returncode == 1, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert "No space left on device" in line and str(out) in line
        assert out.read_text() == "the old page"
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "report.html"]
        filler.unlink()
        assert run_cli("report", "--output-dir", str(data), "--out", str(out)).returncode == 0
