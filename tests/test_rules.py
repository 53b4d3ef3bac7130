"""One home for each rule: row keys, time keys and default URLs agree on every path."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from conftest import TODAY, Workspace, fetch, history
from hypothesis import given
from hypothesis import strategies as st

import oura_stats
from oura_stats.api.categories import BY_NAME
from oura_stats.demo.server import FakeOura
from oura_stats.store.csvstore import CategoryStore
from oura_stats.store.flatten import flatten
from oura_stats.store.keys import all_canonical, time_key

PACKAGE = Path(oura_stats.__file__).parent


def commit(directory: Path, name: str, rows: list[dict[str, str]]) -> CategoryStore:
    store = CategoryStore(BY_NAME[name], directory)
    store.add(rows)
    store.commit()
    return store


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- the row key ---------------------------------------------------------------------------


def test_rows_without_their_time_key_are_skipped_and_never_duplicated(tmp_path: Path) -> None:
    cases = {
        "daily_cardiovascular_age": ({"day": "2024-05-01", "vascular_age": "40"}, "day"),
        "ring_battery_level": (
            {"timestamp": "2024-05-01T00:00:00+00:00", "level": "9"},
            "timestamp",
        ),
    }
    for name, (good, key) in cases.items():
        keyless = {k: v for k, v in good.items() if k != key}
        for _ in range(3):  # every run sees the same documents again
            store = commit(tmp_path, name, [good, keyless])
            assert read(tmp_path / f"{name}.csv") == [good], name
            assert store.keyless == 1
            assert "no time" in (store.keyless_example or "")


def test_documents_without_their_key_are_counted_logged_once_and_not_stored(
    ws: Workspace,
) -> None:
    data = history()
    sessions, samples = data["session"], data["heartrate"]
    for doc in sessions[-2:]:  # recent: every run's lookback sees them again
        del doc["id"]
    for doc in samples[-3:]:
        doc["source"] = None
    with FakeOura(data, today=TODAY) as api:
        result = fetch(api, ws, "--categories", "session,heartrate")
        assert result.returncode == 0, result.stderr
        again = fetch(api, ws, "--categories", "session,heartrate")
    assert again.returncode == 0, again.stderr
    for (output,) in ((result.stderr,), (again.stderr,)):
        lines = [line for line in output.splitlines() if "without their key" in line]
        assert len(lines) == 2, output
        assert any("session: skipped 2 document(s) without their key (id)" in x for x in lines)
        assert any("heartrate: skipped 3" in x and "(timestamp, source)" in x for x in lines)
    assert all(row["id"] for row in ws.csv("session"))
    assert len(ws.csv("session")) == len(sessions) - 2
    assert all(row["source"] for row in ws.csv("heartrate"))
    assert len(ws.csv("heartrate")) == len(samples) - 3


# --- the time key ----------------------------------------------------------------------------


def _sample(timestamp: str, bpm: int) -> dict[str, object]:
    return {"bpm": bpm, "source": "awake", "timestamp": timestamp}


def test_one_instant_in_two_spellings_is_one_row_on_the_block_path(tmp_path: Path) -> None:
    page = [
        _sample("2024-03-01T00:00:00+00:00", 60),
        _sample("2024-03-01T00:01:00.00+00:00", 61),
        _sample("2024-03-01T00:01+00:00", 62),  # the same instant: the later copy wins
    ]
    store = CategoryStore(BY_NAME["heartrate"], tmp_path)
    if not store.add_page(page):  # the collector's protocol: rows when the page is no block
        store.add(map(flatten, page))
    assert store.commit().new == 2
    rows = read(tmp_path / "heartrate.csv")
    assert [row["bpm"] for row in rows] == ["60", "62"]


def test_one_instant_in_two_spellings_is_one_row_on_every_fetch(ws: Workspace) -> None:
    data = history()
    day = TODAY - dt.timedelta(days=2)
    moment = f"{day.isoformat()}T00:01"
    samples = [doc for doc in data["heartrate"] if not doc["timestamp"].startswith(moment)]
    samples += [  # the API serves the second one later
        _sample(f"{moment}+00:00", 70),
        _sample(f"{moment}:00.00+00:00", 71),
    ]
    data["heartrate"] = sorted(samples, key=lambda doc: str(doc["timestamp"]))
    with FakeOura(data, today=TODAY) as api:
        for _ in range(2):  # the first backfill (blocks), then a merge into the file
            assert fetch(api, ws, "--categories", "heartrate").returncode == 0
            rows = [r for r in ws.csv("heartrate") if r["timestamp"].startswith(moment)]
            assert [(r["source"], r["bpm"]) for r in rows] == [("awake", "71")]


# --- default URLs ----------------------------------------------------------------------------


def test_each_default_url_is_written_in_one_module_only() -> None:
    homes: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for url in re.findall(r"https://[\w.-]+(?::\d+)?[\w/.-]*", path.read_text()):
            homes.setdefault(url.rstrip("/."), set()).add(str(path.relative_to(PACKAGE)))
    shared = {url: sorted(where) for url, where in homes.items() if len(where) > 1}
    assert shared == {}
    assert homes["https://api.ouraring.com"] == {"api/defaults.py"}


def test_the_flattened_example_of_a_keyless_row_names_no_values(tmp_path: Path) -> None:
    secret = "someone@example.com"
    store = commit(tmp_path, "personal_info", [flatten({"email": secret, "age": 40})])
    assert store.keyless == 1
    assert secret not in (store.keyless_example or "")
    assert "email" in (store.keyless_example or "")


spellings = (
    st.datetimes(timezones=st.just(dt.UTC))
    .map(lambda m: m.replace(second=0, microsecond=0))
    .map(
        lambda moment: [
            moment.isoformat(),
            moment.isoformat(timespec="microseconds"),
            moment.isoformat(timespec="milliseconds"),
            moment.isoformat(timespec="minutes"),
            moment.isoformat(sep=" ", timespec="seconds"),
            moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat(),
            moment.isoformat().replace("+00:00", "Z"),
        ]
    )
)


@given(spellings)
def test_every_spelling_of_an_instant_has_one_time_key_and_one_bulk_verdict(
    forms: list[str],
) -> None:
    keys = {time_key(form) for form in forms}
    assert len(keys) == 1
    for form in forms:  # the bulk check of the block path agrees with the single one
        assert all_canonical([form]) == (time_key(form) == form and len(form) == 25)
