"""The demo's report opened in a real headless Chromium from file://: no console errors, no
network requests, data points in every chart, hover read-outs, print layout. In CI these run
always (CI=true and no chromium is a failure, never a skip)."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import Browser, find_chromium, in_ci
from conftest import run_cli

from oura_stats.report.charts import SECTIONS
from oura_stats.report.svg import LEFT, PLOT_WIDTH, WIDTH

DEMO_DAYS = 365


@pytest.fixture(scope="module")
def executable() -> str:
    found = find_chromium()
    if found is None:
        if in_ci():
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`oura-stats demo` for a year, run once for this module."""
    out = tmp_path_factory.mktemp("demo") / "oura-demo"
    began = time.monotonic()
    done = run_cli("demo", "--output-dir", str(out), "--days", str(DEMO_DAYS))
    seconds = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert seconds < 30, f"the demo took {seconds:.1f} s for a year"
    return out


@pytest.fixture(scope="module")
def page(executable: str, demo_dir: Path) -> Iterator[Browser]:
    with Browser(executable) as opened:
        opened.open((demo_dir / "report.html").resolve().as_uri())
        yield opened


def test_demo_collects_every_category_and_writes_the_report(demo_dir: Path) -> None:
    names = sorted(p.stem for p in demo_dir.glob("*.csv"))
    assert len(names) == 19
    assert (demo_dir / ".oura_state.json").is_file()
    report = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert report.startswith("<!doctype html>")
    with (demo_dir / "daily_activity.csv").open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == DEMO_DAYS


def test_report_has_no_console_errors_and_makes_no_network_request(
    page: Browser, demo_dir: Path
) -> None:
    assert page.log.errors() == []
    assert page.log.requests == [(demo_dir / "report.html").resolve().as_uri()]
    assert page.evaluate("document.documentElement.dataset.selfcheck") == "ok 15"


def test_every_chart_has_data_points(page: Browser) -> None:
    points = json.loads(
        page.evaluate(
            "JSON.stringify(Object.fromEntries([...document.querySelectorAll('figure.chart')]"
            ".map(f => [f.id, [f.querySelectorAll(':scope > svg path.raw').length,"
            " +f.dataset.points]])))"
        )
    )
    expected = {f"chart-{c.slug}" for s in SECTIONS for c in s.charts}
    assert set(points) == expected
    for chart, (paths, count) in points.items():
        assert paths >= 1 and count > 30, (chart, paths, count)


def test_hover_shows_the_exact_values_of_the_day_under_the_pointer(
    page: Browser, demo_dir: Path
) -> None:
    with (demo_dir / "daily_activity.csv").open(newline="", encoding="utf-8") as handle:
        steps = {row["day"]: row["steps"] for row in csv.DictReader(handle)}
    first = page.evaluate("document.querySelector('#chart-steps > svg').dataset.first")
    days = int(page.evaluate("document.querySelector('#chart-steps > svg').dataset.days"))
    box = json.loads(
        page.evaluate(
            "(() => { const s = document.querySelector('#chart-steps > svg');"
            " s.scrollIntoView(); return JSON.stringify(s.getBoundingClientRect()); })()"
        )
    )
    index = days // 2
    scale = box["width"] / WIDTH
    x = box["x"] + (LEFT + (index + 0.5) * PLOT_WIDTH / days) * scale
    page.mouse_move(x, box["y"] + box["height"] / 2)
    tip = page.evaluate("document.getElementById('tip').textContent")
    assert page.evaluate("document.getElementById('tip').hidden") is False
    day = page.evaluate(
        f"(() => {{ const d = new Date('{first}T00:00:00Z');"
        f" d.setUTCDate(d.getUTCDate() + {index});"
        " return d.toISOString().slice(0, 10); })()"
    )
    assert tip.splitlines()[0].startswith(day)
    assert f"Steps: {steps[day]}" in tip


def test_print_layout_hides_controls_and_keeps_charts_whole(page: Browser) -> None:
    page.call("Emulation.setEmulatedMedia", session=True, media="print")
    try:
        styles = json.loads(
            page.evaluate(
                "JSON.stringify([getComputedStyle(document.querySelector('nav')).display,"
                " getComputedStyle(document.querySelector('details.data')).display,"
                " getComputedStyle(document.querySelector('figure.chart')).breakInside,"
                " getComputedStyle(document.querySelector('.screen')).display])"
            )
        )
        assert styles == ["none", "none", "avoid", "none"]  # no hover hint on paper
        pdf = page.print_pdf()
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 3
    finally:
        page.call("Emulation.setEmulatedMedia", session=True, media="")


def test_the_checks_catch_errors_and_requests(executable: str, tmp_path: Path) -> None:
    """The harness itself: a page that logs an error, throws, and loads a resource is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!doctype html><title>bad</title>"
        '<img src="http://127.0.0.1:9/pixel.png">'
        "<script>console.error('broken'); undefined_function();</script>",
        encoding="utf-8",
    )
    with Browser(executable) as browser:
        browser.open(bad.as_uri())
        errors = browser.log.errors()
        assert any("broken" in e for e in errors)
        assert any(e.startswith("exception") for e in errors)
        assert "http://127.0.0.1:9/pixel.png" in browser.log.requests


def test_the_content_security_policy_blocks_any_fetch(executable: str, demo_dir: Path) -> None:
    """Our page's own policy: a resource slipped into it is refused before it leaves, and
    the attempt is still seen (as a request, then as a policy error)."""
    page_text = (demo_dir / "report.html").read_text(encoding="utf-8")
    tampered = demo_dir / "tampered.html"
    tampered.write_text(
        page_text.replace("<main>", '<main><img src="http://127.0.0.1:9/pixel.png">', 1),
        encoding="utf-8",
    )
    with Browser(executable) as browser:
        browser.open(tampered.as_uri())
        assert browser.log.blocked == ["csp"]
        assert any("Content Security Policy" in e for e in browser.log.errors())
