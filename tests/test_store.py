"""The CSV store: upsert by key, sorted rows, stable columns, atomic and minimal rewrites."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oura_stats.api.categories import BY_NAME
from oura_stats.store.blockfile import csv_bytes, csv_bytes_under
from oura_stats.store.blocks import reordered
from oura_stats.store.csvfile import RowWriter, holds_any
from oura_stats.store.csvstore import CategoryStore, MergeResult
from oura_stats.store.flatten import cell, flatten
from oura_stats.store.keys import time_key

HEARTRATE = BY_NAME["heartrate"]
SLEEP = BY_NAME["daily_sleep"]


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def store_rows(directory: Path, category_name: str, rows: list[dict[str, str]]) -> MergeResult:
    store = CategoryStore(BY_NAME[category_name], directory)
    store.add(rows)
    return store.commit()


def hr(second: int, bpm: int, source: str = "awake") -> dict[str, str]:
    return {
        "bpm": str(bpm),
        "source": source,
        "timestamp": f"2024-03-01T00:{second // 60:02d}:{second % 60:02d}+00:00",
    }


def test_first_commit_writes_lead_columns_first_and_sorts_rows(tmp_path: Path) -> None:
    result = store_rows(tmp_path, "heartrate", [hr(30, 61), hr(10, 60), hr(10, 99, "workout")])
    assert result == MergeResult(new=3, written=True)
    text = (tmp_path / "heartrate.csv").read_text()
    assert text.splitlines()[0] == "timestamp,source,bpm"
    rows = read(tmp_path / "heartrate.csv")
    assert [(r["timestamp"][-8:-6], r["source"], r["bpm"]) for r in rows] == [
        ("10", "awake", "60"),
        ("10", "workout", "99"),
        ("30", "awake", "61"),
    ]


def test_refetched_row_replaces_old_row_and_unchanged_file_is_not_rewritten(
    tmp_path: Path,
) -> None:
    store_rows(tmp_path, "heartrate", [hr(s, 60 + s) for s in range(0, 600, 5)])
    path = tmp_path / "heartrate.csv"
    before = path.stat().st_mtime_ns
    same = store_rows(tmp_path, "heartrate", [hr(s, 60 + s) for s in range(500, 600, 5)])
    assert same == MergeResult(unchanged=20, written=False)
    assert path.stat().st_mtime_ns == before
    revised = store_rows(tmp_path, "heartrate", [hr(595, 1), hr(600, 2)])
    assert revised == MergeResult(new=1, updated=1, written=True)
    rows = read(path)
    assert len(rows) == 121
    assert rows[-2]["bpm"] == "1"
    assert rows[-1]["bpm"] == "2"


def test_document_whose_day_moved_replaces_its_old_row(tmp_path: Path) -> None:
    docs = [{"id": f"id-{d}", "day": f"2024-01-{d:02d}", "score": "70"} for d in range(1, 29)]
    store_rows(tmp_path, "daily_sleep", docs)
    moved = {"id": "id-3", "day": "2024-01-29", "score": "71"}
    result = store_rows(tmp_path, "daily_sleep", [moved])
    assert result == MergeResult(updated=1, written=True)
    rows = read(tmp_path / "daily_sleep.csv")
    assert [r["id"] for r in rows].count("id-3") == 1
    assert rows[-1] == moved


def test_new_field_becomes_new_column_and_old_rows_leave_it_empty(tmp_path: Path) -> None:
    store_rows(tmp_path, "daily_sleep", [{"id": "a", "day": "2024-01-01", "score": "1"}])
    result = store_rows(
        tmp_path, "daily_sleep", [{"id": "b", "day": "2024-01-02", "score": "2", "ring_id": "r"}]
    )
    assert result.new == 1
    rows = read(tmp_path / "daily_sleep.csv")
    assert list(rows[0]) == ["id", "day", "score", "ring_id"]
    assert rows[0]["ring_id"] == ""
    assert rows[1]["ring_id"] == "r"


def test_values_with_commas_quotes_newlines_and_carriage_returns_survive(tmp_path: Path) -> None:
    nasty = 'a, "quoted"\nline\rreturn ü'
    store_rows(tmp_path, "enhanced_tag", [{"id": "x", "start_day": "2024-01-01", "comment": nasty}])
    later = [{"id": f"y{i}", "start_day": "2024-01-02", "comment": "ok"} for i in range(3)]
    store_rows(tmp_path, "enhanced_tag", later)
    rows = read(tmp_path / "enhanced_tag.csv")
    assert rows[0]["comment"] == nasty
    assert len(rows) == 4


def test_tail_merge_copies_history_untouched(tmp_path: Path) -> None:
    docs = [
        {"id": f"id-{d:03d}", "day": f"2024-{1 + d // 28:02d}-{1 + d % 28:02d}", "text": 'x\n"y"'}
        for d in range(300)
    ]
    store_rows(tmp_path, "daily_sleep", docs)
    path = tmp_path / "daily_sleep.csv"
    original = path.read_bytes()
    update = dict(docs[-2], text="changed")
    store_rows(tmp_path, "daily_sleep", [update])
    changed = path.read_bytes()
    old_tail = original.rindex(b"id-298")
    assert changed[:old_tail] == original[:old_tail]
    assert read(path)[-2]["text"] == "changed"


def test_spilled_runs_merge_like_memory(tmp_path: Path) -> None:
    rows = [hr(s % 3600, s, ["awake", "rest"][s % 2]) for s in range(5000, 0, -7)]
    small = CategoryStore(HEARTRATE, tmp_path, spool_bytes=2000)
    small.add(rows)
    small.commit()
    spilled = (tmp_path / "heartrate.csv").read_bytes()
    (tmp_path / "heartrate.csv").unlink()
    store_rows(tmp_path, "heartrate", rows)
    assert (tmp_path / "heartrate.csv").read_bytes() == spilled
    assert not list(tmp_path.glob(".*tmp"))


def test_time_key_makes_one_instant_one_key() -> None:
    assert time_key("2024-01-01T02:00:00+02:00") == time_key("2024-01-01T00:00:00Z")
    assert time_key("2024-01-01T00:00:00.000+00:00") == "2024-01-01T00:00:00+00:00"
    assert time_key("2024-01-01") == "2024-01-01"


documents = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.sampled_from([f"id{i}" for i in range(12)]),
            "day": st.dates().map(lambda d: d.isoformat()),
            "contributors": st.fixed_dictionaries({"deep_sleep": st.none() | st.integers(0, 100)}),
            "note": st.text(max_size=8),
            "items": st.lists(st.none() | st.floats(allow_nan=False, allow_infinity=False)),
        }
    ),
    max_size=15,
)


@settings(max_examples=60, deadline=None)
@given(batches=st.lists(documents, min_size=1, max_size=4))
def test_merging_batches_keeps_one_row_per_key_newest_wins_sorted(
    tmp_path_factory: object, batches: list[list[dict[str, object]]]
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        expected: dict[str, dict[str, str]] = {}
        for batch in batches:
            rows = [flatten(doc) for doc in batch]
            store_rows(directory, "daily_sleep", rows)
            for row in rows:
                expected[row["id"]] = row
            again = store_rows(directory, "daily_sleep", rows)
            assert again.new == 0
            assert again.updated == 0
        stored = read(directory / "daily_sleep.csv") if expected else []
        assert {r["id"]: r for r in stored} == expected
        assert [(r["day"], r["id"]) for r in stored] == sorted((r["day"], r["id"]) for r in stored)


def test_rows_added_from_many_threads_while_spilling_are_all_kept(tmp_path: Path) -> None:
    import threading

    store = CategoryStore(HEARTRATE, tmp_path, spool_bytes=20_000)
    pages = [[hr(p * 100 + i, i) for i in range(100)] for p in range(40)]
    threads = [
        threading.Thread(target=lambda chunk=pages[k::4]: [store.add(page) for page in chunk])
        for k in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = store.commit()
    assert (
        result.new
        == len(read(tmp_path / "heartrate.csv"))
        == len({row["timestamp"] + row["source"] for page in pages for row in page})
    )


def samples(start: int, count: int, *, unix: bool = True, bpm: int = 60) -> list[dict[str, object]]:
    """Heart-rate documents as the API sends them (time order), every 5 minutes."""
    import datetime as dt

    base = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    docs: list[dict[str, object]] = []
    for i in range(start, start + count):
        moment = base + dt.timedelta(minutes=5 * i)
        doc: dict[str, object] = {"bpm": bpm + i % 7, "source": "rest"}
        doc["timestamp"] = moment.isoformat()
        if unix:
            doc["timestamp_unix"] = int(moment.timestamp() * 1000)
        docs.append(doc)
    return docs


def write_both_ways(tmp_path: Path, pages: list[list[dict[str, object]]], spool: int) -> bytes:
    """Store pages via the block path and via flattened rows; both files must be equal."""
    fast_dir, slow_dir = tmp_path / "fast", tmp_path / "slow"
    fast_dir.mkdir()
    slow_dir.mkdir()
    fast = CategoryStore(HEARTRATE, fast_dir, spool_bytes=spool)
    slow = CategoryStore(HEARTRATE, slow_dir, spool_bytes=spool)
    for page in pages:
        assert fast.add_page(page)  # type: ignore[arg-type]
        slow.add([flatten(doc) for doc in page])
    fast_result, slow_result = fast.commit(), slow.commit()
    assert fast_result == slow_result
    assert fast.newest_time == slow.newest_time
    assert fast.oldest_time == slow.oldest_time
    assert not list(fast_dir.glob(".*"))
    content = (fast_dir / "heartrate.csv").read_bytes()
    assert content == (slow_dir / "heartrate.csv").read_bytes()
    return content


def test_pages_stored_as_blocks_match_the_row_path_exactly(tmp_path: Path) -> None:
    # Out of order (as concurrent chunks finish), a shared boundary sample, a refetched page
    # with revised values, and older pages without a field the newer ones have.
    pages = [
        samples(200, 100),
        samples(0, 100, unix=False),
        samples(99, 102),  # overlaps both neighbours by one sample
        samples(300, 50),
        samples(250, 60, bpm=90),  # later arrival: its values win
    ]
    content = write_both_ways(tmp_path, pages, spool=4000)
    rows = list(csv.DictReader(content.decode().splitlines()))
    assert len(rows) == 350
    assert rows[0]["timestamp_unix"] == ""
    assert rows[260]["bpm"] == str(90 + 260 % 7)


def test_page_that_does_not_qualify_turns_blocks_into_rows(tmp_path: Path) -> None:
    store = CategoryStore(HEARTRATE, tmp_path)
    assert store.add_page(samples(0, 10))  # type: ignore[arg-type]
    odd = samples(10, 5)
    odd[2]["timestamp"] = "2024-03-01T02:00:00Z"  # not the canonical form
    assert not store.add_page(odd)  # type: ignore[arg-type]
    store.add([flatten(doc) for doc in odd])
    assert store.commit().new == 15
    assert len(read(tmp_path / "heartrate.csv")) == 15


def test_block_pages_with_mixed_fields_and_repeated_keys_match_the_row_path(
    tmp_path: Path,
) -> None:
    mixed = samples(0, 6, unix=False) + samples(6, 6)
    mixed[3] = {"timestamp": mixed[3]["timestamp"], "source": "rest", "bpm": 1}  # other order
    repeated = [*samples(20, 5), samples(22, 1, bpm=150)[0]]  # one key twice
    content = write_both_ways(tmp_path, [mixed, repeated], spool=1 << 20)
    rows = list(csv.DictReader(content.decode().splitlines()))
    assert len(rows) == 17
    assert [r["bpm"] for r in rows if r["timestamp"] == repeated[2]["timestamp"]] == ["151"]


samples_at = st.lists(
    st.tuples(
        st.integers(0, 4), st.sampled_from(["awake", "rest", "workout"]), st.integers(40, 45)
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(pages=st.lists(samples_at, min_size=1, max_size=3), data=st.data())
def test_block_pages_in_any_order_with_shared_times_match_the_row_path(
    tmp_path_factory: pytest.TempPathFactory,
    pages: list[list[tuple[int, str, int]]],
    data: st.DataObject,
) -> None:
    # Pages sorted or not, two sources at one instant in either order, one key twice.
    if data.draw(st.booleans()):
        pages = [sorted(page) for page in pages]
    docs = [
        [
            {"bpm": bpm, "source": source, "timestamp": hr(60 * minute, 0)["timestamp"]}
            for minute, source, bpm in page
        ]
        for page in pages
    ]
    write_both_ways(tmp_path_factory.mktemp("ties"), docs, spool=1 << 20)  # type: ignore[arg-type]


def test_block_page_whose_fields_shift_between_documents_matches_the_row_path(
    tmp_path: Path,
) -> None:
    # Read one after another, the fields repeat the first document's until the very last
    # one: the second document lacks `bpm`, the third begins with it.
    first, second, third = samples(0, 3)
    second.pop("bpm")
    third = {"bpm": third["bpm"], **{k: v for k, v in third.items() if k != "bpm"}}
    content = write_both_ways(tmp_path, [[first, second, third]], spool=1 << 20)
    assert [row["bpm"] for row in csv.DictReader(content.decode().splitlines())] == [
        "60",
        "",
        "62",
    ]


def test_empty_page_keeps_the_block_path(tmp_path: Path) -> None:
    store = CategoryStore(HEARTRATE, tmp_path)
    assert store.add_page([])
    assert store.add_page(samples(0, 3))  # type: ignore[arg-type]


def test_battery_pages_with_booleans_take_the_block_path_and_match_flatten(
    tmp_path: Path,
) -> None:
    page = [
        {"timestamp": "2024-03-01T00:00:00+00:00", "level": 80, "charging": True},
        {"timestamp": "2024-03-01T01:00:00+00:00", "level": 79, "charging": False},
        {"timestamp": "2024-03-01T02:00:00+00:00", "level": 1, "charging": None},
    ]
    store = CategoryStore(BY_NAME["ring_battery_level"], tmp_path)
    assert store.add_page(page)  # type: ignore[arg-type]
    store.commit()
    assert read(tmp_path / "ring_battery_level.csv") == [flatten(doc) for doc in page]


values = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(["None", "inf"]),
    st.text(alphabet=st.sampled_from(["a", "1", " ", ",", '"', "\n", "\r"]), max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(width=st.integers(1, 4), data=st.data())
def test_block_rows_are_written_as_csv_writer_writes_them(width: int, data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.tuples(*[values] * width), max_size=6))
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    assert csv_bytes(rows) == text.getvalue().encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(width=st.integers(1, 3), extra=st.integers(0, 2), data=st.data())
def test_block_rows_under_a_wider_header_are_written_as_reordered_rows(
    width: int, extra: int, data: st.DataObject
) -> None:
    assume(width + extra > 1)  # a time series has a time and at least one value
    rows = data.draw(st.lists(st.tuples(*[values] * width), max_size=5))
    columns = tuple(f"c{i}" for i in range(width))
    header = data.draw(st.permutations([*columns, *(f"new{i}" for i in range(extra))]))
    expected = csv_bytes(reordered(rows, columns, header))
    assert csv_bytes_under(rows, columns, header) == expected


numbers = st.one_of(st.none(), st.floats(), st.sampled_from([0.0, -0.0, 1.0, 1, True]))


@settings(max_examples=300, deadline=None)
@given(values=st.lists(numbers, max_size=8))
def test_number_lists_are_written_as_json_dumps_writes_them(values: list[object]) -> None:
    assert cell(values) == json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def test_a_key_is_found_wherever_it_stands_before_the_end(tmp_path: Path) -> None:
    path = tmp_path / "history.csv"
    meg = 1 << 20
    # One key across the first 1 MiB boundary (where two reads meet), one after `end`.
    data = b"x" * (meg - 3) + b"id-1234" + b"y" * meg + b"id-5678"
    path.write_bytes(data)
    end = len(data) - 3  # the second key is cut by `end`: not before it
    with path.open("rb") as handle:
        fd = handle.fileno()
        assert holds_any(fd, end, {b"id-1234"})
        assert not holds_any(fd, end, {b"id-5678"})
        assert holds_any(fd, len(data), {b"id-5678", b"absent"})
        assert not holds_any(fd, end, set())


cells = st.text(
    alphabet=st.sampled_from(["a", "1", " ", ",", '"', "\n", "\r", "[", "é"]), max_size=4
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(cells, max_size=4), max_size=5))
def test_row_writer_writes_what_csv_writer_writes(rows: list[list[str]]) -> None:
    ours, plain = io.StringIO(), io.StringIO()
    writer = RowWriter(ours)
    minimal = csv.writer(plain, lineterminator="\n")
    quoted = csv.writer(plain, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.write(row)
        (quoted if "\r" in "".join(row) else minimal).writerow(row)
    assert ours.getvalue() == plain.getvalue()
