"""The report's numbers: 7-day averages across gaps, nights crossing midnight and time zones,
naps apart from the main sleep, heart rate per local day; and the page built from CSVs."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import pytest

from oura_stats.report.build import build_report
from oura_stats.report.daily import (
    HeartRateDays,
    SleepPeriod,
    day_range,
    main_sleeps,
    nap_minutes,
    rolling_mean,
)
from oura_stats.report.sources import Period, read_all
from oura_stats.report.svg import Frame, decimals, line_path

D = dt.date(2024, 3, 1)
UTC = dt.UTC


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def write_csv(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


# --- 7-day averages -----------------------------------------------------------------------


def test_seven_day_average_is_the_mean_of_the_values_present_never_counting_gaps_as_zero() -> None:
    values = {day(0): 10.0, day(1): 20.0, day(4): 60.0}
    days = day_range(day(0), day(8))
    assert rolling_mean(values, days) == [
        10.0,
        15.0,
        15.0,  # day 2 has no value: the window still holds days 0 and 1
        15.0,
        30.0,
        30.0,
        30.0,
        40.0,  # day 0 left the window: days 1 and 4
        60.0,  # only day 4 is left
    ]


def test_seven_day_average_is_a_gap_when_the_window_holds_no_value() -> None:
    values = {day(0): 5.0, day(9): 7.0}
    smooth = rolling_mean(values, day_range(day(0), day(9)))
    assert smooth[6] == 5.0
    assert smooth[7] is None and smooth[8] is None
    assert smooth[9] == 7.0


def test_a_gap_breaks_the_line_and_a_lone_value_is_a_dot() -> None:
    frame = Frame(days=6, low=0.0, high=10.0, step=2.5)
    path = line_path([1.0, 2.0, None, 4.0, None, 6.0], frame)
    assert path.count("M") == 3
    assert path.count("l") == 1  # only days 0-1 are joined
    assert path.count("h0") == 2  # days 3 and 5 stand alone


# --- sleep --------------------------------------------------------------------------------


def period(day_: dt.date, kind: str, in_bed: float, total: float) -> SleepPeriod:
    return SleepPeriod(day_, kind, in_bed, {"total_sleep_duration": total})


def test_main_sleep_is_the_long_sleep_and_naps_are_counted_apart() -> None:
    periods = [
        period(day(0), "sleep", 2400, 1800),  # a short awakening period before the night
        period(day(0), "long_sleep", 28800, 25200),
        period(day(0), "rest", 1800, 1500),  # an afternoon nap
        period(day(1), "late_nap", 3600, 3000),  # a day with only a nap
        period(day(2), "deleted", 30000, 28000),
    ]
    main = main_sleeps(periods)
    assert set(main) == {day(0)}
    assert main[day(0)].values["total_sleep_duration"] == 25200
    assert nap_minutes(periods) == {day(0): 55.0, day(1): 50.0}


def test_of_two_long_sleeps_on_one_day_the_longer_in_bed_is_the_main_one() -> None:
    main = main_sleeps(
        [period(day(0), "long_sleep", 10000, 9000), period(day(0), "long_sleep", 20000, 15000)]
    )
    assert main[day(0)].time_in_bed == 20000


def sleep_row(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "x",
        "day": "",
        "bedtime_start": "",
        "bedtime_end": "",
        "type": "long_sleep",
        "time_in_bed": 28800,
        "total_sleep_duration": 27000,
        "deep_sleep_duration": 5400,
        "light_sleep_duration": 14400,
        "rem_sleep_duration": 7200,
        "awake_time": 1800,
        "efficiency": 90,
        "average_hrv": 40,
        "lowest_heart_rate": 50,
    }
    base.update(fields)
    return base


def test_a_night_belongs_to_its_day_field_across_midnight_dst_and_time_zones(
    tmp_path: Path,
) -> None:
    rows = [
        # crosses midnight and the spring DST change: +01:00 at bedtime, +02:00 at waking
        sleep_row(
            id="a",
            day="2024-03-31",
            bedtime_start="2024-03-30T23:10:00+01:00",
            bedtime_end="2024-03-31T07:05:00+02:00",
        ),
        # flew west: in UTC the night starts on April 1st, locally it ends on April 1st too
        sleep_row(
            id="b",
            day="2024-04-01",
            bedtime_start="2024-03-31T22:30:00-05:00",
            bedtime_end="2024-04-01T06:30:00-05:00",
            total_sleep_duration=25200,
        ),
        # went to bed after midnight: still the night ending on April 2nd
        sleep_row(
            id="c",
            day="2024-04-02",
            bedtime_start="2024-04-02T00:40:00+02:00",
            bedtime_end="2024-04-02T08:00:00+02:00",
            total_sleep_duration=21600,
        ),
    ]
    write_csv(tmp_path / "sleep.csv", rows)
    data = read_all(tmp_path, Period(), UTC)
    assert data.series["total_sleep_duration"] == {
        dt.date(2024, 3, 31): 7.5,
        dt.date(2024, 4, 1): 7.0,
        dt.date(2024, 4, 2): 6.0,
    }
    assert data.series["deep_sleep_duration"][dt.date(2024, 3, 31)] == 1.5
    assert data.series["average_hrv"][dt.date(2024, 4, 1)] == 40


# --- heart rate ---------------------------------------------------------------------------


def test_heart_rate_min_mean_max_per_local_day() -> None:
    days = HeartRateDays(dt.timezone(dt.timedelta(hours=2)))
    samples = [
        ("2024-03-01T21:00:00+00:00", 60.0),  # 23:00 local, March 1st
        ("2024-03-01T21:59:59+00:00", 70.0),  # 23:59:59 local
        ("2024-03-01T22:00:00+00:00", 50.0),  # midnight local: March 2nd
        ("2024-03-02T10:00:00+00:00", 90.0),
        ("2024-03-02T10:00:00+00:00", 100.0),  # the same instant from another source counts
    ]
    days.add_samples(samples)
    lows, means, highs = days.series()
    assert lows == {day(0): 60.0, day(1): 50.0}
    assert highs == {day(0): 70.0, day(1): 100.0}
    assert means == {day(0): 65.0, day(1): 80.0}


def test_heart_rate_in_a_half_hour_zone_splits_an_hour_at_local_midnight() -> None:
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    days = HeartRateDays(india)
    days.add("2024-03-01T18:20:00+00:00", 61.0)  # 23:50 local
    days.add("2024-03-01T18:40:00+00:00", 71.0)  # 00:10 local, next day, same UTC hour
    days.add("2024-03-01T18:50:00+00:00", 73.0)
    lows, means, _ = days.series()
    assert lows == {day(0): 61.0, day(1): 71.0}
    assert means[day(1)] == 72.0


def test_heart_rate_rows_that_do_not_parse_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "heartrate.csv").write_text(
        "timestamp,source,bpm\n"
        "2024-03-01T10:00:00+00:00,awake,60\n"
        "not a time stamp at all,awake,70\n"
        "2024-03-01T11:00:00+00:00,awake,\n"
        "2024-03-01T12:00:00+00:00,awake,80\n",
        encoding="utf-8",
    )
    data = read_all(tmp_path, Period(), UTC)
    assert data.series["hr_avg"] == {day(0): 70.0}


# --- the page -----------------------------------------------------------------------------


def test_page_tables_hold_the_values_and_leave_out_missing_days(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "daily_activity.csv",
        [
            {"id": "1", "day": "2024-03-01", "steps": 1000, "active_calories": 10, "score": ""},
            {"id": "2", "day": "2024-03-03", "steps": 3000, "active_calories": 30, "score": 80},
        ],
    )
    out = tmp_path / "report.html"
    built = build_report(tmp_path, out, None)
    assert (built.first, built.last) == (day(0), day(2))
    page = out.read_text(encoding="utf-8")
    steps = page[page.index('id="chart-steps"') :]
    steps = steps[: steps.index("</figure>")]
    assert re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)<td>([\d,]+)", steps) == [
        ("2024-03-03", "3,000"),
        ("2024-03-01", "1,000"),
    ]
    raw = re.search(r'<path class="raw"[^>]*d="([^"]*)"', steps)
    assert raw is not None and raw.group(1).count("M") == 2  # the missing day is a gap
    assert 'id="chart-spo2"' in page and "No data in this period." in page


def test_period_limits_the_days_shown(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "daily_sleep.csv",
        [{"id": str(n), "day": day(n).isoformat(), "score": 70 + n} for n in range(10)],
    )
    built = build_report(tmp_path, tmp_path / "r.html", None, Period(day(3), day(5)))
    assert (built.first, built.last) == (day(3), day(5))
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)<td>73", page) == ["2024-03-04"]
    assert "2024-03-07" not in page


@pytest.mark.parametrize("text", ["2024-03-01T10:00:00+00:00", "garbage", ""])
def test_local_day_never_raises(text: str) -> None:
    result = HeartRateDays(UTC).local_day(text)
    assert result is None or isinstance(result, dt.date)


@pytest.mark.parametrize(
    ("step", "places"), [(1.0, 0), (2.5, 1), (0.25, 2), (50.0, 0), (0.5, 1), (0.2, 1)]
)
def test_axis_labels_show_every_tick_exactly(step: float, places: int) -> None:
    assert decimals(step) == places


def test_text_from_the_csvs_is_escaped_in_the_page(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "enhanced_tag.csv",
        [
            {
                "id": "t",
                "start_day": "2024-03-01",
                "tag_type_code": "custom",
                "start_time": "2024-03-01T21:00:00+01:00",
                "comment": "<script>alert(1)</script> & more",
                "custom_name": '<img src=x onerror="alert(2)">',
            }
        ],
    )
    build_report(tmp_path, tmp_path / "r.html", None)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
