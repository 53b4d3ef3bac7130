"""Time-series pages formatted as text (store/pagetext.py) give the general path's bytes.

The general path is flatten + the row store (csv.writer). Every page that the text path
cannot prove takes the block path instead; each such case is listed here, and random
pages mix them all.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oura_stats.api.categories import BY_NAME, Category
from oura_stats.api.decode import NumberText, canonical_text
from oura_stats.store.csvstore import CategoryStore
from oura_stats.store.flatten import flatten
from oura_stats.store.keys import all_canonical
from oura_stats.store.pagetext import page_text

HEARTRATE = BY_NAME["heartrate"]
BATTERY = BY_NAME["ring_battery_level"]
VALUE_FIELDS = {HEARTRATE.name: ("bpm",), BATTERY.name: ("level", "charging")}
Page = list[dict[str, Any]]


def stored_both_ways(directory: Path, category: Category, pages: list[Page]) -> bytes:
    """Store pages as the collector does and as flattened rows; both files must be equal."""
    fast_dir, slow_dir = directory / "fast", directory / "slow"
    fast_dir.mkdir()
    slow_dir.mkdir()
    fast, slow = CategoryStore(category, fast_dir), CategoryStore(category, slow_dir)
    for page in pages:
        if not fast.add_page(page):
            fast.add(flatten(doc) for doc in page)
        slow.add([flatten(doc) for doc in page])
    assert fast.commit() == slow.commit()
    assert (fast.oldest_time, fast.newest_time) == (slow.oldest_time, slow.newest_time)
    assert fast.keyless == slow.keyless
    assert not list(fast_dir.glob(".*"))
    content = (fast_dir / f"{category.name}.csv").read_bytes()
    assert content == (slow_dir / f"{category.name}.csv").read_bytes()
    return content


def written(page: Page, header: tuple[str, ...]) -> str:
    """What csv.writer writes for the flattened documents under `header`."""
    text = io.StringIO()
    rows = [[row.get(column, "") for column in header] for row in map(flatten, page)]
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue()


def stamp(minute: int, spelling: str = "canonical") -> str:
    day = "2024-03-01"
    return {
        "canonical": f"{day}T00:{minute:02d}:00+00:00",
        "zulu": f"{day}T00:{minute:02d}:00Z",
        "offset": f"{day}T01:{minute:02d}:00+01:00",
        "fraction": f"{day}T00:{minute:02d}:00.000+00:00",
        "naive": f"{day}T00:{minute:02d}:00",
    }[spelling]


def heart(minute: int, bpm: Any = 60, source: Any = "rest") -> dict[str, Any]:
    return {"bpm": bpm, "source": source, "timestamp": stamp(minute)}


def plain_page() -> Page:
    return [heart(minute, 50 + minute) for minute in range(6)]


def test_a_plain_page_is_formatted_in_header_order_as_csv_writer_writes_it() -> None:
    page = plain_page()
    formatted = page_text(page, HEARTRATE.key, ("timestamp", "source"))
    assert formatted is not None
    assert formatted.header == ("timestamp", "source", "bpm")
    assert formatted.text == written(page, formatted.header)
    assert formatted.text.startswith("2024-03-01T00:00:00+00:00,rest,50\n")
    assert (formatted.first, formatted.last, formatted.rows) == (
        (stamp(0), "rest"),
        (stamp(5), "rest"),
        6,
    )


def test_known_columns_the_page_lacks_are_empty_cells_and_new_ones_come_last() -> None:
    page = [{**doc, "extra": 1.5} for doc in plain_page()]
    formatted = page_text(page, HEARTRATE.key, ("timestamp", "source", "timestamp_unix"))
    assert formatted is not None
    assert formatted.header == ("timestamp", "source", "timestamp_unix", "bpm", "extra")
    assert formatted.text.splitlines()[1] == "2024-03-01T00:01:00+00:00,rest,,51,1.5"


def test_nulls_and_booleans_are_written_as_flatten_writes_them() -> None:
    page = [
        {"timestamp": stamp(0), "level": 80, "charging": True},
        {"timestamp": stamp(1), "level": None, "charging": False},
        {"timestamp": stamp(2), "level": 1.25, "charging": None},
    ]
    formatted = page_text(page, BATTERY.key, ("timestamp",))
    assert formatted is not None
    assert formatted.text == "2024-03-01T00:00:00+00:00,80,true\n" + (
        "2024-03-01T00:01:00+00:00,,false\n2024-03-01T00:02:00+00:00,1.25,\n"
    )
    assert (formatted.first, formatted.last) == ((stamp(0),) * 2, (stamp(2),) * 2)


def test_numbers_decoded_as_their_text_are_written_as_that_text() -> None:
    texts = ["72.5", "-0.0", "1e+16", "Infinity", "-Infinity", "NaN"]
    page = [heart(minute, NumberText(text)) for minute, text in enumerate(texts)]
    formatted = page_text(page, HEARTRATE.key, HEARTRATE.lead_columns)
    assert formatted is not None
    assert [line.split(",")[2] for line in formatted.text.splitlines()] == texts
    assert formatted.text == written(page, formatted.header)


def test_times_are_canonical_one_by_one_not_only_joined() -> None:
    canonical = [stamp(0), stamp(1)]
    assert all_canonical(canonical)
    assert not all_canonical([stamp(0)[:-1], "0" + stamp(1)])  # joined, both look right
    assert not all_canonical([stamp(0) + "," + stamp(1)])
    assert not all_canonical([*canonical, None])


def test_two_sources_at_one_instant_in_key_order_keep_the_text_path() -> None:
    page = [heart(0, source="awake"), heart(0, source="rest"), heart(1)]
    assert page_text(page, HEARTRATE.key, ()) is not None


def test_blocks_turned_into_rows_keep_the_later_arrival_of_a_key(tmp_path: Path) -> None:
    # The second page begins at a smaller key (awake < rest) and arrives later: its value
    # for the shared key must win when a page that is no block turns both into rows.
    first = [heart(0, 60), heart(1, 60)]
    second = [heart(0, 70, "awake"), heart(1, 70)]
    odd = [{**heart(2), "timestamp": stamp(2, "zulu")}]
    content = stored_both_ways(tmp_path, HEARTRATE, [first, second, odd])
    assert b"2024-03-01T00:01:00+00:00,rest,70\n" in content


def _set(index: int, field: str, value: Any) -> Any:
    def change(page: Page) -> None:
        page[index][field] = value

    return change


FALLBACKS = {
    "an extra field in one document": _set(2, "extra", 1),
    "a field missing from one document": lambda page: page[2].pop("bpm"),
    "another field in place of one": lambda page: page[2].update(extra=page[2].pop("bpm")),
    "an odd field name": lambda page: [doc.update({"a.b": 1}) for doc in page],
    "a key field missing from every document": lambda page: [doc.pop("source") for doc in page],
    "a list": _set(1, "bpm", ["a"]),
    "a nested object": _set(1, "bpm", {"x": 1}),
    "a comma": _set(1, "bpm", "a,b"),
    "a line end": _set(1, "bpm", "a\nb"),
    "a quote": _set(1, "bpm", '"a"'),
    "a carriage return": _set(1, "bpm", "a\rb"),
    "a NUL": _set(1, "bpm", "a\x00b"),
    "a lone surrogate": _set(1, "bpm", "a\ud800"),
    "other text than ASCII": _set(1, "bpm", "é"),
    "an infinite float": _set(1, "bpm", float("inf")),
    "not a number": _set(1, "bpm", float("nan")),
    "a null beside the text None": lambda page: page[1].update(bpm=None, source="None"),
    "a boolean beside the text True": lambda page: page[1].update(bpm=True, source="True"),
    "a non-canonical time": _set(3, "timestamp", stamp(3, "zulu")),
    "one instant spelled two ways": _set(5, "timestamp", stamp(4, "zulu")),
    "an empty key part": _set(2, "source", ""),
    "a key part that is not text": _set(0, "source", 7),
    "a key part that is a number's text": _set(0, "source", NumberText("7.5")),
    "times out of order": _set(0, "timestamp", stamp(9)),
    "a tie out of key order": lambda page: page[1].update(timestamp=stamp(0), source="awake"),
    "one key twice": _set(1, "timestamp", stamp(0)),
}


@pytest.mark.parametrize("name", FALLBACKS)
def test_a_page_the_text_cannot_prove_takes_the_block_path(tmp_path: Path, name: str) -> None:
    page = plain_page()
    FALLBACKS[name](page)
    stored_both_ways(tmp_path, HEARTRATE, [plain_page()[:2], page])
    assert page_text(page, HEARTRATE.key, ("timestamp", "source")) is None


def test_a_page_of_one_field_takes_the_block_path(tmp_path: Path) -> None:
    page = [{"timestamp": stamp(minute)} for minute in range(3)]
    stored_both_ways(tmp_path, BATTERY, [page])
    assert page_text(page, BATTERY.key, ("timestamp", "level")) is None


ODD_TEXT = ["None", "True", "False", "inf", "nan", "Infinity", "", "a,b", 'say "hi"', '"q"']
ODD_TEXT += ["a\rb", "a\nb", "a\x00b", "é", "\ud800", "{x}", "[1]"]
plain_values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats().map(lambda value: NumberText(canonical_text(value))),
    st.booleans(),
    st.none(),
    st.text(alphabet="abz019 -:.", max_size=6),
)
odd_values = st.one_of(
    st.floats(),
    st.sampled_from(ODD_TEXT),
    st.lists(st.integers(), max_size=2),
    st.lists(st.text(alphabet="ab", max_size=1), max_size=1),
    st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 3), max_size=2),
)
rarely = st.sampled_from([True, False, False, False, False])
spellings = st.sampled_from(["canonical"] * 6 + ["zulu", "offset", "fraction", "naive"])
# Sources at one instant: mostly one, or two in key order; now and then two out of order
# or one twice (a time series with a one-part key has one sample an instant).
SOURCES = [("rest",)] * 4 + [("awake", "rest")] * 3 + [("rest", "awake"), ("rest", "rest")]
odd_sources = st.sampled_from(["awake", "", "None", None, 7])


@st.composite
def pages(draw: st.DrawFn, category: Category) -> Page:
    """Pages as the API sends them (sorted; two sources may share an instant), or pages
    where each aspect is now and then odd."""
    maybe = rarely if draw(st.booleans()) else st.just(False)
    fields = [*category.key, *VALUE_FIELDS[category.name]]
    order = draw(st.permutations(fields))
    times = draw(st.lists(st.integers(0, 5), min_size=1, max_size=5, unique=True))
    times.sort(reverse=draw(maybe))
    page: Page = []
    shared = SOURCES if "source" in fields else [("",)]
    for minute, source in [(m, s) for m in times for s in draw(st.sampled_from(shared))]:
        document: dict[str, Any] = {}
        for field in draw(st.permutations(fields)) if draw(maybe) else order:
            if field == "timestamp":
                document[field] = stamp(minute, draw(spellings) if draw(maybe) else "canonical")
            elif field == "source":
                document[field] = draw(odd_sources) if draw(maybe) else source
            else:
                document[field] = draw(odd_values if draw(maybe) else plain_values)
        if draw(maybe):
            document.pop(draw(st.sampled_from(fields)))
        if draw(maybe):
            document[draw(st.sampled_from(["extra", "a.b", "x,y"]))] = draw(plain_values)
        page.append(document)
    return page


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_pages_give_the_general_paths_bytes(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    category = data.draw(st.sampled_from([HEARTRATE, BATTERY]))
    page_list = data.draw(st.lists(pages(category), min_size=1, max_size=3))
    known = data.draw(st.sampled_from([category.lead_columns, (*category.lead_columns, "extra")]))
    for page in page_list:
        formatted = page_text(page, category.key, known)
        if formatted is not None:
            assert formatted.text == written(page, formatted.header)
    stored_both_ways(tmp_path_factory.mktemp("pages"), category, page_list)
