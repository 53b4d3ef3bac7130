"""The demo's report opened in a real headless Chromium from file://: no console errors, no
network requests, data points in every chart, hover read-outs, print layout. In CI these run
always (CI=true and no chromium is a failure, never a skip)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chromium import Browser, require_chromium
from conftest import run_cli

from oura_stats.report.charts import SECTIONS

DEMO_DAYS = 365
CHARTS = sum(len(s.charts) for s in SECTIONS)


@pytest.fixture(scope="module")
def executable() -> str:
    return require_chromium()


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
    assert page.evaluate("document.documentElement.dataset.selfcheck") == f"ok {CHARTS}"


def test_every_chart_has_data_points(page: Browser) -> None:
    points = json.loads(
        page.evaluate(
            "JSON.stringify(Object.fromEntries([...document.querySelectorAll('figure.chart')]"
            ".map(f => [f.id, [f.querySelectorAll('svg[data-days] path[data-key]').length,"
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
    first = page.evaluate("document.querySelector('#chart-steps svg[data-days]').dataset.first")
    days = int(page.evaluate("document.querySelector('#chart-steps svg[data-days]').dataset.days"))
    box = json.loads(
        page.evaluate(
            "(() => { const s = document.querySelector('#chart-steps svg[data-days]');"
            " s.scrollIntoView(); return JSON.stringify(s.getBoundingClientRect()); })()"
        )
    )
    index = days // 2
    x = box["x"] + (index + 0.5) / days * box["width"]
    page.mouse_move(x, box["y"] + box["height"] / 2)
    tip = page.evaluate("document.getElementById('tip').textContent")
    assert page.evaluate("document.getElementById('tip').hidden") is False
    day = page.evaluate(
        f"(() => {{ const d = new Date('{first}T00:00:00Z');"
        f" d.setUTCDate(d.getUTCDate() + {index});"
        " return d.toISOString().slice(0, 10); })()"
    )
    assert tip.splitlines()[0].startswith(day)
    assert f"Steps: {int(steps[day]):,}" in tip


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


# --- phones and desktops ------------------------------------------------------------------

# Measured in the page with every data table open: the document's width against the
# viewport's, each element that sticks out and whether a scroll box of its own holds it,
# the navigation's rows, each chart's drawn height and the smallest text as rendered (an
# SVG text's font size times its drawing's scale).
MEASURE = """(() => {
  const details = [...document.querySelectorAll('details')];
  details.forEach(d => { d.open = true; });
  const vw = document.documentElement.clientWidth;
  const scrolls = el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  const boxed = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    if (scrolls(p)) return p; } return null; };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || (r.right <= vw + 0.5 && r.left >= -0.5)) continue;
    const box = boxed(el);
    const b = box && box.getBoundingClientRect();
    if (!b || b.right > vw + 0.5 || b.left < -0.5) out.push(el.tagName + '#' + el.id + '.' +
      el.className.baseVal + el.className + ' ' + Math.round(r.right));
  }
  const nav = [...document.querySelectorAll('nav a')].map(a => a.getBoundingClientRect());
  const charts = [...document.querySelectorAll('figure.chart svg[data-days]')].map(
    s => Math.round(s.getBoundingClientRect().height));
  let smallest = 99, where = '';
  for (const el of document.body.querySelectorAll('*')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length || el.closest('#tip')) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    if (el instanceof SVGElement) {
      const m = el.getScreenCTM();
      size *= Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    }
    if (size < smallest) { smallest = size; where = el.tagName + ' ' + el.textContent; }
  }
  const result = {viewport: vw, document: document.documentElement.scrollWidth, outside: out,
    navRows: new Set(nav.map(r => Math.round(r.top))).size, charts: charts,
    smallest: Math.round(smallest * 10) / 10, where: where};
  details.forEach(d => { d.open = false; });
  return JSON.stringify(result);
})()"""


def measure(page: Browser, width: int, height: int, *, mobile: bool) -> dict[str, Any]:
    page.set_viewport(width, height, mobile=mobile)
    try:
        result: dict[str, Any] = json.loads(page.evaluate(MEASURE))
    finally:
        page.clear_viewport()
    return result


def test_on_a_phone_nothing_overflows_and_charts_and_text_stay_readable(page: Browser) -> None:
    layout = measure(page, 390, 844, mobile=True)
    assert layout["viewport"] == 390
    assert layout["document"] <= 390, layout["outside"][:5]
    assert layout["outside"] == []  # wide tables scroll inside their own box
    assert layout["navRows"] >= 2  # the section links wrap instead of running off
    assert len(layout["charts"]) == CHARTS
    assert min(layout["charts"]) >= 160, layout["charts"]
    assert layout["smallest"] >= 11, layout["where"]


def test_on_a_desktop_the_page_is_as_roomy_as_before(page: Browser) -> None:
    layout = measure(page, 1280, 900, mobile=False)
    assert layout["document"] <= layout["viewport"] == 1280
    assert layout["outside"] == []
    assert layout["navRows"] == 1
    assert len(layout["charts"]) == CHARTS
    assert min(layout["charts"]) >= 200, layout["charts"]
    assert layout["smallest"] >= 11, layout["where"]


def test_beyond_a_year_hover_still_gives_each_days_exact_value(
    executable: str, tmp_path: Path
) -> None:
    first = dt.date(2022, 1, 3)
    steps = {first + dt.timedelta(days=n): 8000 + (n * 37) % 5000 for n in range(1100)}
    (tmp_path / "daily_activity.csv").write_text(
        "id,day,steps\n" + "".join(f"{d},{d},{v}\n" for d, v in steps.items())
    )
    assert run_cli("report", "--output-dir", str(tmp_path), "--out", str(tmp_path / "r.html"),
                   "-q").returncode == 0  # fmt: skip
    with Browser(executable, width=1280, height=900) as browser:
        browser.open((tmp_path / "r.html").as_uri())
        assert browser.log.errors() == []
        box = json.loads(
            browser.evaluate(
                "(() => { const s = document.querySelector('#chart-steps svg[data-days]');"
                " s.scrollIntoView(); return JSON.stringify(s.getBoundingClientRect()); })()"
            )
        )
        for index in (3, 500, 1099):
            x = box["x"] + (index + 0.5) / 1100 * box["width"]
            browser.mouse_move(x, box["y"] + box["height"] / 2)
            tip = browser.evaluate("document.getElementById('tip').textContent")
            day = first + dt.timedelta(days=index)
            assert tip.splitlines()[0].startswith(day.isoformat()), (index, tip)
            assert f"Steps: {steps[day]:,}" in tip
