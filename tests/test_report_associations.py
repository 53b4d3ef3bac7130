"""What goes with a good night: the statistics (Student's t, Welch's interval) against known
values, a planted effect that is found, no effect whose interval spans zero, tags below the
minimum left out, and the page's wording, all on synthetic rows."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest

from oura_stats.report.associations import (
    MINIMUM_DAYS,
    associations,
    t_cdf,
    t_quantile,
    welch,
)
from oura_stats.report.build import build_report

START = dt.date(2024, 1, 1)
DAYS = [START + dt.timedelta(days=n) for n in range(120)]


@pytest.mark.parametrize(
    ("freedom", "quantile"),
    [(1, 12.7062), (2, 4.3027), (4, 2.7764), (9, 2.2622), (30, 2.0423), (120, 1.9799)],
)
def test_t_quantiles_match_the_tables(freedom: float, quantile: float) -> None:
    assert t_quantile(0.975, freedom) == pytest.approx(quantile, abs=1e-4)
    assert t_cdf(quantile, freedom) == pytest.approx(0.975, abs=1e-5)
    assert t_cdf(-quantile, freedom) == pytest.approx(0.025, abs=1e-5)


def test_welch_interval_matches_a_worked_example() -> None:
    # R: t.test(c(1, 2, 3, 4, 5), c(2, 3, 4, 5, 6, 7)) -> -3.854953 0.854953
    found = welch([1, 2, 3, 4, 5], [2, 3, 4, 5, 6, 7])
    assert found.difference == -1.5
    assert (found.low, found.high) == pytest.approx((-3.854953, 0.854953), abs=1e-5)
    assert not found.clear


def synthetic(effect: float, seed: int) -> tuple[set[dt.date], dict[dt.date, float]]:
    """A tag on every fourth day; the next night's score is 75 +- noise, plus `effect`
    after a tagged day."""
    rng = random.Random(seed)
    tagged = set(DAYS[::4])
    scores = {
        day + dt.timedelta(days=1): 75 + rng.gauss(0, 4) + (effect if day in tagged else 0)
        for day in DAYS
    }
    return tagged, scores


def test_a_planted_effect_is_found() -> None:
    tagged, scores = synthetic(-8.0, seed=1)
    _, flat = synthetic(0.0, seed=2)
    (found,) = associations({("tag", "alcohol"): tagged}, [scores, flat], DAYS)
    assert (found.name, found.kind, found.days) == ("alcohol", "tag", 30)
    sleep, readiness = found.outcomes
    assert sleep is not None and readiness is not None
    assert sleep.clear and sleep.high < 0
    assert sleep.low < -8 < sleep.high  # the planted difference lies inside
    assert (sleep.n_with, sleep.n_without) == (30, 90)
    assert readiness.low < 0 < readiness.high  # no effect there: the interval spans zero


@pytest.mark.parametrize("seed", range(5))
def test_no_effect_gives_an_interval_that_spans_zero(seed: int) -> None:
    tagged, scores = synthetic(0.0, seed=seed + 10)
    (found,) = associations({("workout", "cycling"): tagged}, [scores], DAYS)
    (sleep,) = found.outcomes
    assert sleep is not None
    assert sleep.low < 0 < sleep.high


def test_below_the_minimum_nothing_is_said() -> None:
    _, scores = synthetic(-8.0, seed=3)
    rare = set(DAYS[: MINIMUM_DAYS - 1])
    common = set(DAYS[::10])
    found = associations({("tag", "rare"): rare, ("tag", "common"): common}, [scores], DAYS)
    assert [a.name for a in found] == ["common"]
    few_values = {d: v for d, v in scores.items() if d - dt.timedelta(days=1) not in common}
    (sparse,) = associations({("tag", "common"): common}, [few_values], DAYS)
    assert sparse.outcomes == (None,)  # seen often enough, but no next-night values


def test_the_page_words_it_as_an_association_and_hides_rare_tags(tmp_path: Path) -> None:
    tagged, scores = synthetic(-8.0, seed=4)
    lines = ["id,day,score"] + [f"s{n},{d},{v:.0f}" for n, (d, v) in enumerate(scores.items())]
    (tmp_path / "daily_sleep.csv").write_text("\n".join(lines) + "\n")
    tags = ["id,start_day,start_time,tag_type_code,custom_name,comment"]
    tags += [f"a{n},{d},{d}T21:00:00+00:00,tag_generic_alcohol,," for n, d in enumerate(tagged)]
    tags += [f"r{n},{d},{d}T09:00:00+00:00,custom,rare thing," for n, d in enumerate(DAYS[:4])]
    (tmp_path / "enhanced_tag.csv").write_text("\n".join(tags) + "\n")
    build_report(tmp_path, tmp_path / "r.html", None)
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    section = page[page.index('id="what-goes-with-a-good-night"') :]
    section = section[: section.index("</section>")]
    assert "not causes" in section and "95 %" in section
    row = re.search(r"<tr><td>alcohol <span class=\"kind\">tag</span></td><td>30</td>(.*?)</tr>",
                    section)  # fmt: skip
    assert row is not None, section
    difference = re.search(r'<td class="clear">\u2212(\d+\.\d)', row.group(1))
    assert difference is not None and 5 < float(difference.group(1)) < 11
    assert "rare thing" not in section  # seen on 4 days: below the minimum, not shown
    assert 'href="#what-goes-with-a-good-night"' in page
