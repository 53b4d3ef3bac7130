"""Regenerate docs/report-demo.png and docs/report-phone.png: the top of the demo's report
in headless Chromium, on a desktop and on a phone.

Usage: python docs/scripts/demo_screenshot.py [OUT-DIR]

Runs the demo pipeline (a year of synthetic data ending today), opens report.html from
file:// and captures the first 1,600 pixels at 1,280 pixels wide, then the page as a
390 by 844 phone shows it, scrolled to the first charts. Needs the dev dependencies and
Debian's `chromium`.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from chromium import Browser, find_chromium  # noqa: E402

from oura_stats.demo.pipeline import DEMO_REPORT, run_demo  # noqa: E402

TARGET = ROOT / "docs"
WIDTH, HEIGHT = 1280, 1600
PHONE = (390, 844)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else TARGET
    executable = find_chromium()
    if executable is None:
        sys.stderr.write("chromium is not installed (apt-get install chromium)\n")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "oura-demo"
        if run_demo(folder, 365, threading.Event()) != 0:
            sys.stderr.write("the demo failed\n")
            return 1
        with Browser(executable, width=WIDTH, height=HEIGHT) as browser:
            browser.open((folder / DEMO_REPORT).as_uri())
            browser.screenshot(out / "report-demo.png", full_page=False)
            browser.set_viewport(*PHONE, mobile=True)
            browser.evaluate("document.getElementById('sleep').scrollIntoView()")
            browser.screenshot(out / "report-phone.png", full_page=False)
    sys.stderr.write(f"wrote {out / 'report-demo.png'} and {out / 'report-phone.png'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
