"""Honest axes and words on the report page: scores on 0-100 with round ticks, resilience as
named levels, naps per week with nap-free days as zero, long ranges as weekly means with a
band, times in one form with their offset, counts with thousands separators, tags one per
line with their counts."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from pathlib import Path

from oura_stats.report.build import build_report
from oura_stats.report.daily import weeks
from oura_stats.report.page import readable

START = dt.date(2023, 1, 2)  # a Monday


def day(n: int) -> str:
    return (START + dt.timedelta(days=n)).isoformat()


def write(path: Path, header: str, lines: list[str]) -> None:
    path.write_text(header + "\n" + "".join(line + "\n" for line in lines), encoding="utf-8")


def page_of(folder: Path, now: dt.datetime | None = None) -> str:
    build_report(folder, folder / "r.html", None, now=now)
    return (folder / "r.html").read_text(encoding="utf-8")


def chart(page: str, slug: str) -> str:
    part = page[page.index(f'id="chart-{slug}"') :]
    return part[: part.index("</figure>")]


def y_labels(figure: str) -> list[str]:
    axis = re.search(r'<svg class="ya"[^>]*>(.*?)</svg>', figure)
    assert axis is not None, "no value axis"
    return re.findall(r"<text[^>]*>([^<]*)</text>", axis.group(1))


def table_rows(figure: str) -> list[list[str]]:
    body = figure[figure.index("<tbody>") : figure.index("</tbody>")]
    return [re.findall(r"<td>([^<]*)", row) for row in body.split("<tr>")[1:]]


def test_scores_sit_on_0_to_100_with_ticks_every_25(tmp_path: Path) -> None:
    write(
        tmp_path / "daily_sleep.csv", "id,day,score", [f"{n},{day(n)},{61 + n}" for n in range(30)]
    )
    page = page_of(tmp_path)
    assert sorted(y_labels(chart(page, "sleep-quality")), key=float) == [
        "0",
        "25",
        "50",
        "75",
        "100",
    ]


def test_other_axes_tick_at_round_multiples_enclosing_the_values(tmp_path: Path) -> None:
    write(
        tmp_path / "heartrate.csv",
        "timestamp,source,bpm",
        [f"{day(n)}T10:00:00+00:00,awake,{47 + n}" for n in range(20)]
        + [f"{day(n)}T15:00:00+00:00,awake,{131 + n}" for n in range(20)],
    )
    labels = [float(t) for t in y_labels(chart(page_of(tmp_path), "heart-rate"))]
    labels.sort()
    steps = {round(b - a, 6) for a, b in itertools.pairwise(labels)}
    assert len(steps) == 1, labels
    (step,) = steps
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1.0, 2.0, 2.5, 5.0)
    assert all(abs(v / step - round(v / step)) < 1e-9 for v in labels)
    assert labels[0] <= 47 and labels[-1] >= 150


def test_resilience_is_drawn_as_named_levels(tmp_path: Path) -> None:
    levels = ["limited", "adequate", "solid", "strong", "exceptional"]
    write(
        tmp_path / "daily_resilience.csv",
        "id,day,level",
        [f"{n},{day(n)},{levels[n % 5]}" for n in range(20)],
    )
    figure = chart(page_of(tmp_path), "resilience")
    assert y_labels(figure) == levels  # from the bottom up: limited is the lowest
    assert [row[1] for row in table_rows(figure)][:3] == ["exceptional", "strong", "solid"]
    marks = re.search(r'<path class="raw"[^>]*d="([^"]*)"', figure)
    assert marks is not None
    assert marks.group(1).count("M") == 20 and "V" not in marks.group(1)  # marks, no zigzag


def sleep_row(n: int, kind: str, seconds: int) -> str:
    return f"{kind}{n},{day(n)},{kind},{seconds + 600},{seconds}"


def test_naps_are_counted_per_week_with_nap_free_days_as_zero(tmp_path: Path) -> None:
    rows = [sleep_row(n, "long_sleep", 27000) for n in range(14)]  # two weeks of nights
    rows.append(sleep_row(2, "rest", 3600))  # one 60-minute nap in the first week
    rows.append(sleep_row(21, "long_sleep", 27000))  # week 3 missing; one night in week 4
    rows.append(sleep_row(22, "deleted", 3600))  # not sleep: neither a nap nor data
    write(tmp_path / "sleep.csv", "id,day,type,time_in_bed,total_sleep_duration", rows)
    page = page_of(tmp_path)
    assert table_rows(chart(page, "nap-minutes")) == [
        [day(21), "0", "1"],
        [day(7), "0", "7"],
        [day(0), "60", "7"],  # one nap in a week: 60 minutes a week, never 60 a day
    ]  # the week without any sleep data is a gap, not a zero
    assert table_rows(chart(page, "naps"))[-1] == [day(0), "1.0", "7"]


def test_a_week_with_missing_days_is_scaled_from_the_days_present() -> None:
    (week,) = weeks([60.0, 0.0, None, 0.0, None, None, None])
    assert week.total == 60 * 7 / 3 and week.mean == 20 and (week.low, week.high) == (0, 60)


def test_beyond_a_year_lines_are_weekly_means_with_a_band(tmp_path: Path) -> None:
    days = 1100
    write(
        tmp_path / "daily_activity.csv",
        "id,day,steps",
        [f"{n},{day(n)},{12000 + (n % 7) * 500}" for n in range(days)],
    )
    write(
        tmp_path / "heartrate.csv",
        "timestamp,source,bpm",
        [f"{day(n)}T10:00:00+00:00,awake,{50 + n % 9}" for n in range(days)],
    )
    page = page_of(tmp_path)
    steps = chart(page, "steps")
    assert '<path class="raw"' not in steps  # no 1,100 daily zigzags
    line = re.search(r'<path class="avg"[^>]*data-key="steps"[^>]*d="([^"]*)"', steps)
    assert line is not None
    assert len(re.findall(r"[Ml]", line.group(1))) == math.ceil(days / 7)
    assert '<path class="band"' in steps  # each week's lowest to highest day
    assert len(table_rows(steps)) == days  # every daily value is still in the table
    assert table_rows(steps)[0] == [day(days - 1), f"{12000 + ((days - 1) % 7) * 500:,}"]
    heart = chart(page, "heart-rate")
    keys = re.findall(r'<path class="avg"[^>]*data-key="(hr_\w+)"', heart)
    assert keys == ["hr_min", "hr_avg", "hr_max"]  # min, average and max stay readable
    assert "(1,100 days)" in page


def test_times_read_alike_with_their_offset() -> None:
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert readable(dt.datetime(2026, 12, 6, 7, 31, 12, tzinfo=plus_one)) == (
        "2026-12-06 07:31 UTC+01:00"
    )
    assert readable("2026-12-06T06:31:12.345+00:00") == "2026-12-06 06:31 UTC"
    assert readable("2026-12-06T01:31:12-05:30") == "2026-12-06 01:31 UTC-05:30"
    assert readable("2026-12-06") == "2026-12-06"
    assert readable(None) == "\u2013"


def test_the_header_shows_the_build_time_in_that_form(tmp_path: Path) -> None:
    write(tmp_path / "daily_sleep.csv", "id,day,score", ["1,2024-01-01,80"])
    now = dt.datetime(2026, 12, 6, 8, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    page = page_of(tmp_path, now)
    assert "Built 2026-12-06 08:05 UTC+01:00." in page
    assert "T08:05" not in page


def test_counts_have_thousands_separators(tmp_path: Path) -> None:
    write(tmp_path / "daily_activity.csv", "id,day,steps", ["1,2024-01-01,12345"])
    figure = chart(page_of(tmp_path), "steps")
    assert table_rows(figure) == [["2024-01-01", "12,345"]]


def test_tags_are_listed_one_per_line_with_their_counts(tmp_path: Path) -> None:
    write(
        tmp_path / "tag.csv",
        "id,day,timestamp,text,tags",
        [
            '1,2024-01-01,2024-01-01T20:00:00+00:00,,"[""caffeine"",""sauna""]"',
            '2,2024-01-02,2024-01-02T20:00:00+00:00,,"[""sauna""]"',
        ],
    )
    write(
        tmp_path / "enhanced_tag.csv",
        "id,start_day,start_time,tag_type_code,custom_name,comment",
        ["e,2024-01-03,2024-01-03T21:00:00+00:00,tag_generic_late_meal,,"],
    )
    page = page_of(tmp_path)
    tags = page[page.index('id="tags"') :]
    items = re.findall(r"<li>([^<]*) <span class=\"n\">([\d,]+)</span></li>", tags)
    assert items == [("sauna", "2"), ("caffeine", "1"), ("late meal", "1")]
    assert "2 caffeine" not in page and "caffeine, sauna" not in page
