"""`status` says which zone its times are in: local with the UTC offset, or UTC with --utc."""

from __future__ import annotations

import datetime as dt
import re

from conftest import Workspace, fetch, run_cli

from oura_stats.demo.server import FakeOura

INSTANT = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d) (UTC|[+-]\d\d:\d\d)")


def instants(text: str) -> list[dt.datetime]:
    found = []
    for stamp, zone in INSTANT.findall(text):
        offset = "+00:00" if zone == "UTC" else zone
        found.append(dt.datetime.fromisoformat(f"{stamp.replace(' ', 'T')}{offset}"))
    return found


def test_status_labels_times_with_the_local_offset_or_utc(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "daily_sleep", "heartrate", "-q").returncode == 0
    paths = ["--output-dir", str(ws.data), "--state-file", str(ws.state)]
    local = run_cli("status", *paths, env={"TZ": "XST-05:30"})  # POSIX: UTC+05:30
    utc = run_cli("status", "--utc", *paths, env={"TZ": "XST-05:30"})
    assert local.returncode == utc.returncode == 0, local.stderr
    local_times, utc_times = instants(local.stdout), instants(utc.stdout)
    assert local_times and len(local_times) == len(utc_times)
    assert all(t.utcoffset() == dt.timedelta(hours=5, minutes=30) for t in local_times)
    assert all(t.utcoffset() == dt.timedelta(0) for t in utc_times)
    assert local_times == utc_times  # the same instants, told in two zones
    assert " UTC" not in local.stdout.split("times:")[0]
    assert "times: local time (UTC+05:30)" in local.stdout
    assert "times: UTC;" in utc.stdout
    # a bare time without its zone appears nowhere
    bare = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d(?! (UTC|[+-]\d\d:\d\d))", local.stdout)
    assert bare == []
