"""A first backfill keeps plain rows as CSV lines (store/csvstore.py): the file it writes
is, byte for byte, the one the rows kept as cells give, whatever the values, whichever
columns appear late, spilled or not, and also when the file appears before the commit."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from oura_stats.api.categories import BY_NAME, Category
from oura_stats.store.csvstore import CategoryStore

SLEEP = BY_NAME["daily_sleep"]
HEARTRATE = BY_NAME["heartrate"]

cells = st.text(
    alphabet=st.sampled_from(["a", "1", " ", ",", '"', "\n", "\r", "[", "é"]), max_size=4
)
extra = st.dictionaries(st.sampled_from(["x", "y", "z.w", '"q"']), cells, max_size=4)
sleep_rows = st.lists(
    st.builds(
        lambda ident, day, fields: {"id": ident, "day": day, **fields},
        st.sampled_from(["id1", "id2", "id3", "id4", "id5", ""]),
        st.sampled_from(["2024-01-01", "2024-01-02", "2023-12-31", ""]),
        extra,
    ),
    max_size=12,
)
heart_rows = st.lists(
    st.builds(
        lambda second, source, fields: {
            "timestamp": f"2024-03-01T00:00:{second:02d}+00:00",
            "source": source,
            **fields,
        },
        st.integers(0, 5),
        st.sampled_from(["awake", "rest", "a,b"]),
        extra,
    ),
    max_size=12,
)


def written(
    category: Category,
    directory: Path,
    batches: list[list[dict[str, str]]],
    *,
    lines: bool,
    spool: int,
) -> bytes:
    store = CategoryStore(category, directory, spool_bytes=spool)
    assert store._as_lines  # no file yet: a first backfill
    store._as_lines = lines  # False: every row kept as cells, the general path
    for rows in batches:
        store.add(rows)
    store.commit()
    return (directory / f"{category.name}.csv").read_bytes()


def both_ways(category: Category, batches: list[list[dict[str, str]]], spool: int) -> None:
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        as_lines = written(category, Path(first), batches, lines=True, spool=spool)
        as_cells = written(category, Path(second), batches, lines=False, spool=spool)
    assert as_lines == as_cells


@settings(max_examples=150, deadline=None)
@given(batches=st.lists(sleep_rows, min_size=1, max_size=3), spool=st.sampled_from([300, 1 << 22]))
def test_rows_kept_as_lines_write_the_file_rows_kept_as_cells_write(
    batches: list[list[dict[str, str]]], spool: int
) -> None:
    """Columns that appear in later rows leave the earlier lines short: each gets one empty
    cell per such column; values with quotes or line ends stay cells."""
    both_ways(SLEEP, batches, spool)


@settings(max_examples=100, deadline=None)
@given(batches=st.lists(heart_rows, min_size=1, max_size=3), spool=st.sampled_from([300, 1 << 22]))
def test_series_rows_kept_as_lines_keep_the_last_arrival_of_a_key(
    batches: list[list[dict[str, str]]], spool: int
) -> None:
    both_ways(HEARTRATE, batches, spool)


def test_a_late_column_pads_every_earlier_line(tmp_path: Path) -> None:
    store = CategoryStore(SLEEP, tmp_path)
    store.add([{"id": "a", "day": "2024-01-01", "x": "1,2"}])
    store.add([{"id": "b", "day": "2024-01-02", "y": "3"}])
    store.commit()
    text = (tmp_path / "daily_sleep.csv").read_text()
    assert text == 'id,day,x,y\na,2024-01-01,"1,2",\nb,2024-01-02,,3\n'


def test_lines_are_merged_when_the_file_appears_before_the_commit(tmp_path: Path) -> None:
    early = [{"id": "a", "day": "2024-01-01", "x": "1"}, {"id": "c", "day": "2024-01-03"}]
    late = [
        {"id": "b", "day": "2024-01-02", "y": "2,3"},
        {"id": "a", "day": "2024-01-01", "z": "4"},
    ]
    outcome = []
    for lines in (True, False):
        directory = tmp_path / str(lines)
        directory.mkdir()
        store = CategoryStore(SLEEP, directory)
        store._as_lines = lines
        store.add(early)
        other = CategoryStore(SLEEP, directory)  # another writer's file, under other columns
        other.add([{"id": "d", "day": "2024-01-04", "w": "x"}, {"id": "c", "day": "2024-01-03"}])
        other.commit()
        store.add(late)
        store.commit()
        outcome.append((directory / "daily_sleep.csv").read_bytes())
    assert outcome[0] == outcome[1]
    assert outcome[0].decode() == (
        'id,day,w,x,y,z\na,2024-01-01,,,,4\nb,2024-01-02,,,"2,3",\nc,2024-01-03,,,,\n'
        "d,2024-01-04,x,,,\n"
    )
