"""Overlapping blocks: only the shared key ranges merged, the rest copied as bytes
(store/overlaps.py), written exactly as merging every row would write them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oura_stats.store.blockfile import BlockBuffer, csv_bytes
from oura_stats.store.blocks import Block, Values, reordered, without_overlaps
from oura_stats.store.overlaps import spliced
from oura_stats.store.spool import Spool

HEADER = ["t", "s", "v", "w"]
PLAIN = ["", "1", "72", "1.5", "awake", "x y"]
QUOTED = ['say "hi"', "a,b", "two\nlines"]


def time(index: int) -> str:
    return f"2024-03-01T{index // 3600:02d}:{index // 60 % 60:02d}:{index % 60:02d}+00:00"


def block(
    arrival: int,
    keys: list[tuple[int, str]],
    key_columns: tuple[str, ...],
    width: int = 4,
    value: str = "v",
) -> Block:
    """Rows for these (time, second part) keys, sorted; cells after the key tell the
    arrival so that which row won is visible."""
    rows: list[Values] = []
    for second, part in sorted(set(keys)):
        cells = (time(second), part if "s" in key_columns else "web", f"{value}{arrival}", "w")
        rows.append(cells[:width])
    key = (lambda row: (row[0], row[1])) if "s" in key_columns else (lambda row: (row[0], row[0]))
    return key(rows[0]), arrival, key(rows[-1]), tuple(HEADER[:width]), rows


def expected(blocks: list[Block], key_columns: tuple[str, ...]) -> bytes:
    """One row per key, the latest arrival's, in key order, padded, as csv.writer writes."""
    latest: dict[tuple[str, ...], Values] = {}
    for _, _, _, columns, rows in sorted(blocks, key=lambda b: b[1]):
        for row in rows:
            key = (row[0], row[1]) if "s" in key_columns else (row[0],)
            latest[key] = row + ("",) * (len(HEADER) - len(columns))
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(latest[key] for key in sorted(latest))
    return text.getvalue().encode()


def full_merge(blocks: list[Block], key_columns: tuple[str, ...]) -> bytes:
    """What merging every row writes (blocks.py), the fallback kept for what is unusual."""
    out = b""
    for columns, rows in without_overlaps(iter(sorted(blocks)), key_columns):
        out += csv_bytes(reordered(rows, columns, HEADER))
    return out


def written(
    tmp_path: Path,
    blocks: list[Block],
    key_columns: tuple[str, ...],
    header: list[str] = HEADER,
) -> bytes:
    buffer = BlockBuffer(Spool(tmp_path, "blocks"))
    for each in blocks:
        buffer.add(each, each[3])
    out = io.BytesIO()
    rows = buffer.write(header, key_columns, out)
    assert rows == len(list(csv.reader(io.StringIO(out.getvalue().decode(), newline=""))))
    return out.getvalue()


def test_a_chain_sharing_boundary_samples_merges_only_the_shared_lines(tmp_path: Path) -> None:
    # Heart rate's requests: the last sample of one is the first of the next.
    key_columns = ("t", "s")
    blocks = [
        block(arrival, [(i, "awake") for i in range(start, start + 1000)], key_columns)
        for arrival, start in ((3, 1998), (1, 0), (2, 999))
    ]
    assert written(tmp_path, blocks, key_columns) == expected(blocks, key_columns)
    buffer = BlockBuffer(Spool(tmp_path, "plan"))
    for each in blocks:
        buffer.add(each, each[3])
    group = sorted(buffer._index)
    plan = spliced(group, buffer._bytes, HEADER, key_columns)
    assert plan is not None
    merged = [part for part in plan[0] if isinstance(part, bytes)]
    assert [part.count(b"\n") for part in merged] == [1, 1]  # the shared samples only
    assert plan[1] == 2998


def test_one_block_over_several_a_block_inside_another_and_ties_on_time(
    tmp_path: Path,
) -> None:
    key_columns = ("t", "s")
    blocks = [
        block(1, [(i, "awake") for i in range(400)], key_columns),
        block(2, [(i, s) for i in range(100, 110) for s in ("awake", "rest")], key_columns),
        block(3, [(i, "rest") for i in range(300, 500)], key_columns),
        block(4, [(i, "awake") for i in range(390, 420)], key_columns),
        block(5, [(399, "awake"), (399, "workout"), (600, "awake")], key_columns),
    ]
    assert written(tmp_path, blocks, key_columns) == expected(blocks, key_columns)


def test_blocks_written_under_a_shorter_header_are_padded(tmp_path: Path) -> None:
    key_columns = ("t",)
    blocks = [
        block(1, [(i, "") for i in range(50)], key_columns, width=2),
        block(2, [(i, "") for i in range(49, 80)], key_columns, width=3),
        block(3, [(i, "") for i in range(79, 90)], key_columns, width=1),
    ]
    assert written(tmp_path, blocks, key_columns) == expected(blocks, key_columns)


def test_a_block_with_a_quoted_cell_takes_the_full_merge(tmp_path: Path) -> None:
    # A newline inside a quoted cell is not the end of a row: the lines cannot be cut.
    key_columns = ("t",)
    blocks = [
        block(1, [(i, "") for i in range(20)], key_columns, value="two\nlines "),
        block(2, [(i, "") for i in range(10, 30)], key_columns),
    ]
    assert written(tmp_path, blocks, key_columns) == expected(blocks, key_columns)


def test_a_layout_other_than_a_prefix_of_the_header_takes_the_full_merge(
    tmp_path: Path,
) -> None:
    key_columns = ("t",)
    first = block(1, [(i, "") for i in range(20)], key_columns)
    moved = [(row[0], row[1], row[3], row[2]) for row in first[4]]
    blocks: list[Block] = [(*first[:3], ("t", "s", "w", "v"), moved)]
    blocks.append(block(2, [(i, "") for i in range(10, 30)], key_columns))
    out = written(tmp_path, blocks, key_columns)
    assert out == full_merge(blocks, key_columns)
    assert out.splitlines()[0].endswith(b",v1,w")  # cells found by name, not place


@st.composite
def overlapping_blocks(draw: st.DrawFn) -> tuple[list[Block], tuple[str, ...]]:
    key_columns = draw(st.sampled_from([("t",), ("t", "s")]))
    parts = ["awake", "rest", "workout"] if "s" in key_columns else [""]
    blocks = []
    for arrival in range(1, draw(st.integers(1, 7)) + 1):
        start = draw(st.integers(0, 60))
        length = draw(st.sampled_from([1, 2, 5, 20, 60]))
        keys = draw(
            st.lists(
                st.tuples(st.integers(start, start + length), st.sampled_from(parts)), min_size=1
            )
        )
        width = draw(st.integers(2 if "s" in key_columns else 1, 4))
        value = draw(st.sampled_from(PLAIN + QUOTED if draw(st.booleans()) else PLAIN))
        blocks.append(block(arrival, keys, key_columns, width, value))
    order = draw(st.permutations(blocks))
    return order, key_columns


@settings(max_examples=300, deadline=None)
@given(case=overlapping_blocks())
def test_blocks_are_written_as_merging_every_row_writes_them(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[list[Block], tuple[str, ...]]
) -> None:
    blocks, key_columns = case
    directory = tmp_path_factory.mktemp("blocks")
    out = written(directory, blocks, key_columns)
    assert out == expected(blocks, key_columns)
    assert out == full_merge(blocks, key_columns)
