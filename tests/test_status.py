"""`oura-stats status`: per-category freshness from the state file and the CSVs, no network."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from conftest import TOKEN, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from oura_stats.api.categories import BY_NAME, CATEGORIES, select
from oura_stats.api.tokens import StaticToken
from oura_stats.cli.status import run_status
from oura_stats.cli.status_args import add_status_command
from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura
from oura_stats.errors import ConfigError
from oura_stats.monitor.freshness import FAILING, OK, STALE, Policy, build_view, view_to_json
from oura_stats.monitor.status import shown_categories
from oura_stats.run.rounds import Settings, run_round
from oura_stats.store import csvfacts, csvfile
from oura_stats.store.csvfacts import CsvFacts, count_rows, last_row, read_facts
from oura_stats.store.csvfile import RowWriter
from oura_stats.store.records import FileRecords

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LEGIT = {"message": "API error 500 after 5 attempts", "at": "2026-03-10T10:00:00+00:00"}


def view_of(
    categories: dict[str, dict[str, Any]],
    facts: dict[str, CsvFacts],
    now: dt.datetime = NOW,
    policy: Policy | None = None,
    runs: list[dict[str, Any]] | None = None,
) -> Any:
    state = {"version": 1, "categories": categories, "runs": runs or []}
    return build_view(state, facts, now, policy or Policy())


def verdicts(view: Any) -> dict[str, str]:
    return {v.name: v.verdict for v in view.categories}


# verdicts, with the clock passed in -------------------------------------------------------------


def test_recent_day_is_ok_and_a_day_older_than_the_threshold_is_stale() -> None:
    # 2026-03-08 ends at midnight on the 9th: 36 h later is 2026-03-10 12:00, exactly NOW.
    view = view_of(
        {},
        {
            "daily_sleep": CsvFacts(rows=40, newest="2026-03-08"),
            "daily_readiness": CsvFacts(rows=40, newest="2026-03-07"),
            "daily_activity": CsvFacts(rows=40, newest="2026-03-10"),
        },
    )
    assert verdicts(view) == {"daily_sleep": OK, "daily_readiness": STALE, "daily_activity": OK}
    assert view.verdict == STALE
    stale = view.categories[1]
    assert stale.age_hours == 60.0
    assert stale.note == "no new data for 60 h"


def test_time_series_is_judged_by_its_instant() -> None:
    facts = {
        "heartrate": CsvFacts(rows=9, newest="2026-03-08T23:59:00+00:00"),
        "ring_battery_level": CsvFacts(rows=9, newest="2026-03-09T00:01:00+00:00"),
    }
    view = view_of({}, facts)
    assert verdicts(view) == {"heartrate": STALE, "ring_battery_level": OK}


def test_day_ends_at_midnight_in_the_clocks_time_zone() -> None:
    plus_two = dt.timezone(dt.timedelta(hours=2))
    facts = {"daily_sleep": CsvFacts(rows=1, newest="2026-03-08")}
    # End of the 8th at +02:00 is 22:00 UTC on the 8th: 36 h later is 10:00 UTC on the 10th.
    assert view_of({}, facts, NOW.astimezone(plus_two)).verdict == STALE
    assert view_of({}, facts, NOW - dt.timedelta(hours=2, minutes=1)).verdict == OK


def test_failing_category_says_since_when_even_with_fresh_data() -> None:
    entry = {
        "last_success": "2026-03-08T10:00:00+00:00",
        "last_error": LEGIT,
        "failing_since": "2026-03-08T12:00:00+00:00",
    }
    view = view_of({"heartrate": entry}, {"heartrate": CsvFacts(5, "2026-03-10T11:00:00+00:00")})
    (hr,) = view.categories
    assert (hr.verdict, hr.failing_since, hr.last_error) == (
        FAILING,
        "2026-03-08T12:00:00+00:00",
        LEGIT,
    )
    assert hr.note == LEGIT["message"]
    assert view.verdict == FAILING


def test_failing_outranks_stale() -> None:
    facts = {"sleep": CsvFacts(1, "2026-01-01"), "heartrate": CsvFacts(1, "2026-03-10")}
    view = view_of({"heartrate": {"last_error": LEGIT, "failing_since": LEGIT["at"]}}, facts)
    assert verdicts(view) == {"sleep": STALE, "heartrate": FAILING}
    assert view.verdict == FAILING


def test_sparse_categories_are_not_judged_by_default() -> None:
    facts = {name: CsvFacts(3, "2025-06-01") for name in ("tag", "workout", "vO2_max", "session")}
    view = view_of({}, facts)
    assert set(verdicts(view).values()) == {OK}
    assert not any(v.judged for v in view.categories)
    assert all("not judged" in v.note for v in view.categories)


def test_stale_categories_all_judges_the_sparse_ones_too() -> None:
    facts = {"tag": CsvFacts(3, "2025-06-01")}
    judged = frozenset(c.name for c in CATEGORIES)
    assert view_of({}, facts, policy=Policy(judged=judged)).verdict == STALE
    assert view_of({}, facts, policy=Policy(stale_hours=24 * 365)).verdict == OK


def test_personal_info_and_ring_configuration_are_never_stale() -> None:
    facts = {
        "personal_info": CsvFacts(1, None),
        "ring_configuration": CsvFacts(2, "1970-01-01T00:00:00+00:00"),
    }
    judged = frozenset(c.name for c in CATEGORIES)
    view = view_of({}, facts, policy=Policy(judged=judged))
    assert view.verdict == OK
    assert [v.newest for v in view.categories] == [None, None]


def test_category_without_any_data_yet_is_not_stale() -> None:
    view = view_of({}, {"daily_sleep": CsvFacts(0, None), "heartrate": CsvFacts(None, None)})
    assert view.verdict == OK
    assert [v.note for v in view.categories] == ["no data yet", "not collected yet"]


def test_nothing_collected_is_not_ok() -> None:
    view = view_of({}, {})
    assert view.verdict == STALE
    assert view.hint == "nothing collected yet"


def test_hint_blames_the_ring_or_phone_when_everything_went_quiet() -> None:
    old = {n: CsvFacts(9, "2026-03-01") for n in ("daily_sleep", "heartrate", "daily_activity")}
    hint = view_of({}, old).hint
    assert hint is not None
    assert "worn" in hint
    assert "Oura app" in hint


def test_hint_points_at_the_app_when_only_sleep_and_readiness_lag() -> None:
    facts = {
        "heartrate": CsvFacts(9, "2026-03-10T11:00:00+00:00"),
        "daily_sleep": CsvFacts(9, "2026-03-05"),
        "daily_readiness": CsvFacts(9, "2026-03-05"),
    }
    hint = view_of({}, facts).hint
    assert hint is not None
    assert "daily_readiness, daily_sleep" in hint
    assert "app is opened" in hint


def test_last_run_lists_the_categories_it_failed() -> None:
    run = {
        "started": "2026-03-10T10:00:00+00:00",
        "finished": "2026-03-10T10:00:09+00:00",
        "categories": {"sleep": {"error": None}, "tag": {"error": "API error 400"}},
    }
    view = view_of({}, {"sleep": CsvFacts(1, "2026-03-10")}, runs=[{"categories": {}}, run])
    assert view.last_run is not None
    assert (view.last_run.finished, view.last_run.failed, view.last_run.ok) == (
        run["finished"],
        ("tag",),
        False,
    )


def test_json_shape() -> None:
    entry = {"last_success": "2026-03-10T10:00:00+00:00"}
    view = view_of({"sleep": entry}, {"sleep": CsvFacts(12, "2026-03-10")})
    document = view_to_json(view)
    assert json.loads(json.dumps(document)) == document
    assert document == {
        "verdict": "ok",
        "checked_at": "2026-03-10T12:00:00+00:00",
        "stale_hours": 36.0,
        "hint": None,
        "last_run": None,
        "errors": [],
        "categories": {
            "sleep": {
                "verdict": "ok",
                "judged": True,
                "newest": "2026-03-10",
                "age_hours": 0.0,
                "rows": 12,
                "last_success": "2026-03-10T10:00:00+00:00",
                "last_error": None,
                "failing_since": None,
                "note": "",
            }
        },
    }


# facts from the CSV, cheaply -------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def test_newest_comes_from_the_last_row_even_with_quoted_newlines(tmp_path: Path) -> None:
    rows = [["a", "2026-03-01", "x"], ["b", "2026-03-02", 'two\nlines, "quoted"\n']]
    write_csv(tmp_path / "enhanced_tag.csv", ["id", "start_day", "comment"], rows)
    facts = read_facts(BY_NAME["enhanced_tag"], tmp_path)
    assert facts == CsvFacts(rows=2, newest="2026-03-02", oldest="2026-03-01")


def test_missing_or_foreign_file_falls_back_to_the_state_cursor(tmp_path: Path) -> None:
    sleep = BY_NAME["daily_sleep"]
    assert read_facts(sleep, tmp_path, "2026-03-01") == CsvFacts(None, "2026-03-01")
    write_csv(tmp_path / "daily_sleep.csv", ["id", "score"], [["a", "70"]])
    assert read_facts(sleep, tmp_path, "2026-03-01") == CsvFacts(1, "2026-03-01")
    (tmp_path / "daily_sleep.csv").write_text("id,day\n")
    assert read_facts(sleep, tmp_path, None) == CsvFacts(0, None)


def test_timestamps_are_compared_in_utc(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "heartrate.csv",
        ["timestamp", "source", "bpm"],
        [["2026-03-02T01:00:00+02:00", "awake", "60"]],
    )
    facts = read_facts(BY_NAME["heartrate"], tmp_path)
    assert facts.newest == "2026-03-01T23:00:00+00:00"


def test_a_large_file_is_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "heartrate.csv"
    line = b"2026-03-01T00:00:00+00:00,awake,60\n"
    path.write_bytes(b"timestamp,source,bpm\n" + line * 200_000 + line.replace(b"01T", b"09T"))
    parsed: list[list[str]] = []
    real_reader = csv.reader

    def counting_reader(lines: Any, *args: Any, **kwargs: Any) -> Iterator[list[str]]:
        for row in real_reader(lines, *args, **kwargs):
            parsed.append(row)
            yield row

    monkeypatch.setattr(csv, "reader", counting_reader)
    facts = read_facts(BY_NAME["heartrate"], tmp_path)
    assert facts == CsvFacts(200_001, "2026-03-09T00:00:00+00:00", "2026-03-01T00:00:00+00:00")
    assert len(parsed) == 3  # the header, the first and the last row


cells = st.text(alphabet=st.sampled_from(list('ab,"\n\r é')), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, min_size=3, max_size=3), max_size=8), st.integers(1, 9))
def test_row_count_and_last_row_match_the_csv_module(rows: list[list[str]], step: int) -> None:
    text = io.StringIO()
    writer = RowWriter(text)
    for row in [["id", "day", "note"], *rows]:
        writer.write(row)
    data = text.getvalue().encode()
    # Tiny reads put every quote and newline on a read boundary somewhere.
    with (
        tempfile.TemporaryFile() as handle,
        mock.patch.object(csvfacts, "_CHUNK", step),
        mock.patch.object(csvfile, "_BLOCK", step),  # the backwards row scan lives there
    ):
        handle.write(data)
        assert count_rows(handle) == len(rows)
        assert last_row(handle, data.index(b"\n") + 1) == (rows[-1] if rows else None)


def test_default_categories_are_those_collected_lately_else_all_known(tmp_path: Path) -> None:
    def run(started: str, *names: str) -> dict[str, Any]:
        return {"started": started, "categories": {n: {"error": None} for n in names}}

    failing = {"last_error": LEGIT, "failing_since": LEGIT["at"]}
    state = {
        "categories": {"daily_resilience": failing, "sleep": {}, "heartrate": {}},
        "runs": [
            run("2026-03-01T10:00:00+00:00", "daily_resilience", "sleep", "heartrate"),
            run("2026-03-09T10:00:00+00:00", "sleep", "heartrate"),  # resilience dropped
            run("2026-03-10T10:00:00+00:00", "sleep"),  # an ad-hoc run
        ],
    }
    (tmp_path / "tag.csv").write_text("id,day\n")
    since = NOW - dt.timedelta(hours=36)
    stored = FileRecords(tmp_path, tmp_path / "s.json").stored
    shown = shown_categories(state, stored, None, since)
    assert [c.name for c in shown] == ["heartrate", "sleep"]
    long_ago = shown_categories(state, stored, None, NOW)
    assert [c.name for c in long_ago] == ["daily_resilience", "heartrate", "sleep", "tag"]
    assert [c.name for c in shown_categories(state, stored, ["TAG"], since)] == ["tag"]


# the command, on real files -------------------------------------------------------------------


def status_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(allow_abbrev=False)
    commands = parser.add_subparsers(dest="command", required=True)
    quiet = argparse.ArgumentParser(add_help=False)
    quiet.add_argument("-q", "--quiet", action="store_true")
    add_status_command(commands, parents=[quiet])
    return parser


def status(root: Path, *extra: str, now: dt.datetime) -> tuple[int, str]:
    paths = ["--output-dir", str(root / "data"), "--state-file", str(root / "s.json")]
    args = status_parser().parse_args(["status", *paths, *extra])
    out = io.StringIO()
    code = run_status(args, now=lambda: now, out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dt.date]:
    """A real round against the fake API, heartrate failing with a 400."""
    root = tmp_path_factory.mktemp("collected")
    today = dt.datetime.now(UTC).date()
    with FakeOura(make_history(8, end=today), token=TOKEN, today=today) as api:
        api.fail("heartrate", 400, times=5, body={"detail": f"bad header Bearer {TOKEN}x9z"})
        settings_ = Settings(
            base_url=api.url,
            output_dir=root / "data",
            state_path=root / "s.json",
            categories=select(["daily_sleep,heartrate,tag,personal_info"]),
            start=None,
            end=None,
            lookback_days=3,
            sandbox=False,
            concurrency=2,
        )
        run_round(settings_, StaticToken(TOKEN), threading.Event())
    return root, today


def test_status_of_a_real_round_reports_each_category(collected: tuple[Path, dt.date]) -> None:
    root, today = collected
    now = dt.datetime.combine(today, dt.time(12), UTC)
    code, text = status(root, "--json", now=now)
    document = json.loads(text)
    assert code == 1
    assert document["verdict"] == "failing"
    categories = document["categories"]
    assert list(categories) == ["daily_sleep", "heartrate", "personal_info", "tag"]
    assert categories["daily_sleep"]["verdict"] == "ok"
    with (root / "data" / "daily_sleep.csv").open(encoding="utf-8", newline="") as handle:
        assert categories["daily_sleep"]["rows"] == len(list(csv.DictReader(handle)))
    assert categories["heartrate"]["verdict"] == "failing"
    assert categories["heartrate"]["failing_since"] == categories["heartrate"]["last_error"]["at"]
    assert categories["heartrate"]["rows"] is None
    assert document["last_run"]["failed"] == ["heartrate"]


def test_table_names_the_failure_and_since_when(collected: tuple[Path, dt.date]) -> None:
    root, today = collected
    code, text = status(root, now=dt.datetime.combine(today, dt.time(12), UTC))
    assert code == 1
    lines = text.splitlines()
    assert lines[0].split() == [
        "category",
        "verdict",
        "newest",
        "age",
        "rows",
        "last",
        "success",
        "note",
    ]
    assert any(line.startswith("heartrate: failing since ") for line in lines)
    assert lines[-1].startswith("verdict: failing (1 failing, 0 stale;")


def test_tokens_never_appear_in_the_output(
    collected: tuple[Path, dt.date], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    shutil.copytree(collected[0], root)
    today = collected[1]
    monkeypatch.setenv("OURA_PERSONAL_ACCESS_TOKEN", TOKEN)
    now = dt.datetime.combine(today, dt.time(12), UTC)
    state = json.loads((root / "s.json").read_text())
    assert TOKEN not in json.dumps(state)  # the API's message quoted it; the run masked it
    # A state saved by an older version may still quote it: status must not.
    state["categories"]["heartrate"]["last_error"]["message"] = f"the API said {TOKEN}"
    (root / "s.json").write_text(json.dumps(state))
    for extra in ([], ["--json"]):
        _, text = status(root, *extra, now=now)
        assert TOKEN not in text
        assert "<redacted>" in text


def test_selected_categories_only_and_quiet_when_all_is_well(
    collected: tuple[Path, dt.date],
) -> None:
    root, today = collected
    now = dt.datetime.combine(today, dt.time(12), UTC)
    assert status(root, "--categories", "daily_sleep,personal_info", "-q", now=now) == (0, "")
    code, text = status(root, "--categories", "daily_sleep", "-q", now=now + dt.timedelta(days=3))
    assert code == 1
    assert "daily_sleep  stale" in text


def test_missing_state_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no state file"):
        status(tmp_path, now=NOW)


def test_unknown_stale_category_is_a_configuration_error(collected: tuple[Path, dt.date]) -> None:
    with pytest.raises(ConfigError, match="unknown category 'sleeep'"):
        status(collected[0], "--stale-categories", "sleeep", now=NOW)


def test_check_api_asks_personal_info_with_the_token(
    collected: tuple[Path, dt.date], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, today = collected
    now = dt.datetime.combine(today, dt.time(12), UTC)
    monkeypatch.delenv("OURA_PERSONAL_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("OURA_ACCESS_TOKEN", raising=False)
    with FakeOura(make_history(2, end=today), token=TOKEN, today=today) as api:
        base = ["--categories", "daily_sleep", "--check-api", "--base-url", api.url, "--json"]
        code, text = status(root, *base, "--token", TOKEN, now=now)
        assert (code, json.loads(text)["api"]["ok"]) == (0, True)
        assert [r.path for r in api.requests] == ["/v2/usercollection/personal_info"]
        code, text = status(root, *base, "--token", "wrong-token-123", now=now)
        document = json.loads(text)
        assert (code, document["api"]["ok"], document["verdict"]) == (1, False, "failing")
        assert "wrong-token-123" not in text


# the real command line --------------------------------------------------------------------------


def test_cli_status_exit_codes(collected: tuple[Path, dt.date]) -> None:
    root, _ = collected
    common = ["--output-dir", str(root / "data"), "--state-file", str(root / "s.json")]
    failing = run_cli("status", *common)
    assert failing.returncode == 1, failing.stderr
    assert "heartrate: failing since" in failing.stdout
    fresh = run_cli("status", *common, "--categories", "personal_info", "-q")
    assert (fresh.returncode, fresh.stdout) == (0, "")
    missing = run_cli("status", "--state-file", str(root / "nope.json"))
    assert missing.returncode == 2
    assert "no state file" in missing.stderr
