"""Nothing fetched is lost: future end dates, overlapping pages, interrupted backfills."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conftest import TODAY, Workspace, fetch, fetch_args, history
from hypothesis import given, settings
from hypothesis import strategies as st

from oura_stats.api.categories import BY_NAME
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura
from oura_stats.store.csvstore import CategoryStore
from oura_stats.store.flatten import flatten

TOMORROW = TODAY + dt.timedelta(days=1)


def state_of(ws: Workspace, category: str) -> dict[str, str | None]:
    return json.loads(ws.state.read_text())["categories"][category]  # type: ignore[no-any-return]


# --- a future --end-date --------------------------------------------------------------------


def test_future_end_date_never_makes_an_empty_category_stop_looking_back(
    ws: Workspace,
) -> None:
    data = history()
    period = copy.deepcopy(data["rest_mode_period"][0])
    data["rest_mode_period"] = []
    with FakeOura(data, today=TODAY) as api:
        assert fetch(api, ws, "--categories", "rest_mode_period").returncode == 0
        future = (TODAY + dt.timedelta(days=60)).isoformat()
        result = fetch(api, ws, "--categories", "rest_mode_period", "--end-date", future)
        assert result.returncode == 0, result.stderr
        assert state_of(ws, "rest_mode_period")["complete_until"] == TOMORROW.isoformat()
        five_days_ago = (TODAY - dt.timedelta(days=5)).isoformat()
        period.update(id="late-rest", start_day=five_days_ago, end_day=None, end_time=None)
        period["start_time"] = f"{five_days_ago}T09:00:00+02:00"
        api.upsert_document("rest_mode_period", period)
        assert fetch(api, ws, "--categories", "rest_mode_period").returncode == 0
    assert [row["id"] for row in ws.csv("rest_mode_period")] == ["late-rest"]


def test_a_state_already_claiming_the_future_is_read_as_tomorrow(ws: Workspace) -> None:
    data = history()
    with FakeOura(data, today=TODAY) as api:
        assert fetch(api, ws, "--categories", "rest_mode_period").returncode == 0
        state = json.loads(ws.state.read_text())
        state["categories"]["rest_mode_period"]["complete_until"] = "2099-01-01"
        ws.state.write_text(json.dumps(state))
        api.clear_requests()
        assert fetch(api, ws, "--categories", "rest_mode_period").returncode == 0
        (request,) = api.requests_for("rest_mode_period")
    assert request.params["start_date"] < TODAY.isoformat()
    assert state_of(ws, "rest_mode_period")["complete_until"] == TOMORROW.isoformat()


# --- overlapping pages: the newest fetch wins ------------------------------------------------

BASE = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def page_of(start: int, length: int, arrival: int) -> list[dict[str, object]]:
    """Heart-rate samples `start` … `start + length - 1` (minutes), all valued `arrival`."""
    return [
        {
            "bpm": arrival,
            "source": "rest",
            "timestamp": (BASE + dt.timedelta(minutes=i)).isoformat(),
        }
        for i in range(start, start + length)
    ]


pages = st.lists(st.tuples(st.integers(0, 40), st.integers(1, 15)), min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(ranges=pages, spool=st.sampled_from([200, 1 << 20]), rows_path=st.booleans())
def test_overlapping_pages_keep_the_newest_copy_of_every_sample(
    ranges: list[tuple[int, int]], spool: int, rows_path: bool
) -> None:
    expected: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as name:
        store = CategoryStore(BY_NAME["heartrate"], Path(name), spool_bytes=spool)
        for arrival, (start, length) in enumerate(ranges):
            page = page_of(start, length, arrival)
            if rows_path or not store.add_page(page):  # type: ignore[arg-type]
                store.add(map(flatten, page))
            expected.update((str(doc["timestamp"]), str(arrival)) for doc in page)
        store.commit()
        with (Path(name) / "heartrate.csv").open(newline="") as handle:
            stored = {row["timestamp"]: row["bpm"] for row in csv.DictReader(handle)}
    assert stored == dict(sorted(expected.items()))


def test_a_page_merged_early_does_not_lend_its_arrival_to_older_rows(tmp_path: Path) -> None:
    store = CategoryStore(BY_NAME["heartrate"], tmp_path)
    for arrival, (start, length) in enumerate([(0, 11), (5, 4), (2, 3)]):
        assert store.add_page(page_of(start, length, arrival))  # type: ignore[arg-type]
    store.commit()
    with (tmp_path / "heartrate.csv").open(newline="") as handle:
        bpm = [row["bpm"] for row in csv.DictReader(handle)]
    assert bpm == ["0", "0", "2", "2", "2", "1", "1", "1", "1", "0", "0"]


# --- interrupted backfills keep what completed in order --------------------------------------

LOOKBACK = 3
DAYS = 200


def long_history() -> dict[str, object]:
    return make_history(DAYS, end=TODAY, heartrate_interval_s=3600)


def chunk_start(request: object) -> dt.date:
    return dt.date.fromisoformat(request.params["start_datetime"][:10])  # type: ignore[attr-defined]


def samples_through(docs: list[dict[str, object]], day: dt.date) -> set[str]:
    return {str(d["timestamp"]) for d in docs if str(d["timestamp"])[:10] <= day.isoformat()}


def check_kept_and_resumed(api: FakeOura, ws: Workspace, first_run_requests: int) -> None:
    """The state claims exactly what the CSV holds; the next run fetches only the rest."""
    kept = dt.date.fromisoformat(str(state_of(ws, "heartrate")["complete_until"]))
    stored = {row["timestamp"] for row in ws.csv("heartrate")}
    docs = api.data["heartrate"]
    assert samples_through(docs, kept) <= stored  # nothing claimed is missing
    api.clear_faults()
    api.clear_requests()
    again = fetch(api, ws, "--categories", "heartrate", "--concurrency", "1")
    assert again.returncode == 0, again.stderr
    requests = api.requests_for("heartrate")
    resume = kept - dt.timedelta(days=LOOKBACK)
    assert chunk_start(requests[0]) == resume  # from the kept history on, not from the start
    assert len(requests) == -(-((TOMORROW + dt.timedelta(days=1)) - resume).days // 30)
    assert len(requests) < first_run_requests
    assert {row["timestamp"] for row in ws.csv("heartrate")} == {str(d["timestamp"]) for d in docs}


def test_a_failing_later_chunk_keeps_the_chunks_before_it(ws: Workspace) -> None:
    broken = TODAY - dt.timedelta(days=70)  # a day inside a later 30-day chunk

    def in_broken_chunk(params: dict[str, str]) -> bool:
        start, end = params.get("start_datetime", ""), params.get("end_datetime", "")
        return start[:10] <= broken.isoformat() < end[:10]

    with FakeOura(long_history(), today=TODAY) as api:
        api.fail("heartrate", 400, times=100, when=in_broken_chunk)
        first = fetch(api, ws, "--categories", "heartrate", "--concurrency", "1")
        assert first.returncode == 1
        requests = api.requests_for("heartrate")
        failed = next(r for r in requests if r.status == 400)
        kept = chunk_start(failed) - dt.timedelta(days=1)
        assert state_of(ws, "heartrate")["complete_until"] == kept.isoformat()
        assert f"heartrate: kept up to {kept}" in first.stderr
        assert f"FAILED, kept up to {kept}" in first.stderr  # the summary says how far it got
        check_kept_and_resumed(api, ws, len(requests))


def test_ctrl_c_mid_backfill_keeps_the_chunks_before_it(ws: Workspace) -> None:
    with FakeOura(long_history(), today=TODAY, latency=0.15) as api:
        args = fetch_args(api, ws, "--categories", "heartrate", "--concurrency", "1")
        process = subprocess.Popen(
            [sys.executable, "-m", "oura_stats", *args],
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while len(api.requests_for("heartrate")) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, stderr
        sent = len(api.requests_for("heartrate"))
        assert 3 <= sent < 8  # stopped partway: a 230-day history is 8 chunks
        assert "heartrate: kept up to" in stderr
        check_kept_and_resumed(api, ws, 8)
