"""Listing pages decode numbers as their canonical text (api/decode.py): every cell, row,
block and file is what decoding them as plain floats writes, byte for byte, whatever the
body's spelling of a number."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oura_stats.api.categories import BY_NAME, Category
from oura_stats.api.decode import NumberText, as_floats, number_texts
from oura_stats.db.exact import exact_cells
from oura_stats.store.csvstore import CategoryStore
from oura_stats.store.flatten import cell, flatten

SEPARATORS = (",", ":")
INF = math.inf
ODD = [0.0, -0.0, 1e308, -1e308, 5e-324, -5e-324, 1e16, 1e22, 0.1, 1.5, 2.5e-7, INF, -INF]


def decoded(body: str) -> Any:
    """The body as the client decodes a listing page."""
    table = number_texts()
    return json.loads(body, parse_float=table, parse_constant=table)


class Spelled:
    """A number with the text the body spells it with (a fraction or exponent, or a
    word JSON lacks), for `dump`."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def spellings(value: float) -> list[str]:
    """Texts that denote `value` and reach `parse_float` or `parse_constant`."""
    if math.isnan(value):
        return ["NaN"]
    if math.isinf(value):
        sign = "-" if value < 0 else ""
        return [f"{sign}Infinity", f"{sign}1e400", f"{sign}9.9E+999"]
    text = repr(value)
    texts = [f"{value:.17e}", f"{value:.17E}", f"{value:.25e}", text.upper()]
    if "e" not in text:
        texts.append(text + "00")  # trailing zeros: 0.10, 100.000
    if "." not in text and "e" not in text:  # cannot happen: repr of a float has either
        raise AssertionError(text)
    return [text, *texts]


numbers = (st.floats() | st.sampled_from(ODD)).flatmap(
    lambda value: st.sampled_from(spellings(value)).map(Spelled)
)


def dump(value: Any) -> str:
    """JSON text of `value`, each `Spelled` number written as spelled."""
    if isinstance(value, Spelled):
        return value.text
    if isinstance(value, list):
        return "[" + ",".join(map(dump, value)) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dump(v) for k, v in value.items()) + "}"
    return json.dumps(value)


def reference(value: Any) -> Any:
    """What plain decoding gives: each spelled number as `float` of its text."""
    if isinstance(value, Spelled):
        return float(value.text)
    if isinstance(value, list):
        return [reference(item) for item in value]
    if isinstance(value, dict):
        return {k: reference(v) for k, v in value.items()}
    return value


@settings(max_examples=300, deadline=None)
@given(number=numbers)
def test_a_number_is_its_floats_json_text_and_gives_that_float_back(number: Spelled) -> None:
    value, expected = decoded(number.text), float(number.text)
    assert type(value) is NumberText
    assert cell(value) == json.dumps(expected) == cell(expected)
    assert type(cell(value)) is str  # a row's cells are plain text
    back = float(value)
    assert back == expected or (math.isnan(back) and math.isnan(expected))
    assert math.copysign(1, back) == math.copysign(1, expected)  # -0.0 stays -0.0
    assert bool(value) is bool(expected)  # zero is false, as the float was
    assert flatten({"n": decoded(dump({"a": number}))}) == {"n.a": cell(expected)}


@settings(max_examples=300, deadline=None)
@given(items=st.lists(st.none() | numbers, max_size=12))
def test_lists_of_numbers_and_nulls_are_json_dumps_of_their_floats(items: list[Any]) -> None:
    floats = reference(items)
    assert cell(decoded(dump(items))) == json.dumps(floats, separators=SEPARATORS)
    assert cell(decoded(dump(items))) == cell(floats)


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(st.none() | numbers, min_size=60, max_size=160),
    nulls=st.integers(0, 160),
    data=st.data(),
)
def test_long_lists_with_any_number_of_nulls_are_json_dumps_of_their_floats(
    items: list[Any], nulls: int, data: st.DataObject
) -> None:
    """Nulls are found by scanning for them up to a limit (64), then one by one: lists
    with fewer and with more nulls than the limit, anywhere, are written alike."""
    places = data.draw(st.lists(st.integers(0, len(items) - 1), max_size=nulls))
    for place in places:
        items[place] = None
    floats = reference(items)
    assert cell(decoded(dump(items))) == json.dumps(floats, separators=SEPARATORS)


def test_a_day_of_values_with_more_nulls_than_are_scanned_for_is_written_whole() -> None:
    items = [None if minute % 3 else Spelled("1.5") for minute in range(1440)]
    expected = json.dumps(reference(items), separators=SEPARATORS)
    assert expected.count("null") == 960
    assert cell(decoded(dump(items))) == expected
    assert cell(decoded(dump([None] * 1440))) == "[" + ",".join(["null"] * 1440) + "]"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | numbers | st.text(max_size=4),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(document=st.dictionaries(st.text(max_size=3), json_values, max_size=4))
def test_any_document_flattens_as_its_plain_decoding_does(document: dict[str, Any]) -> None:
    """Mixed lists, objects in lists, nested lists: numbers come back as numbers."""
    body = dump(document)
    assert flatten(decoded(body)) == flatten(json.loads(body))
    assert flatten(decoded(body)) == flatten(reference(document))


def test_json_dumps_would_quote_a_number_text_so_cells_turn_it_back_into_a_number() -> None:
    value = decoded('[1.5,"a",{"x":-0.0,"y":[1E2,null]},2,true]')
    assert json.dumps(value)[:6] == '["1.5"'  # the corruption a careless encoder writes
    assert cell(value) == '[1.5,"a",{"x":-0.0,"y":[100.0,null]},2,true]'
    assert json.dumps(as_floats(value)) == json.dumps(json.loads(json.dumps(as_floats(value))))
    assert cell([[1.5, None], [2.5]]) == cell(decoded("[[1.50,null],[25e-1]]"))


def test_equal_texts_share_one_object_per_body() -> None:
    first, second, other, again = decoded("[0.25,0.25,-0.0,0.25]")
    assert first is second is again
    assert other == "-0.0" and not other
    assert decoded("[0.25]")[0] is not first  # each body has its own table


def test_zero_and_minus_zero_keep_their_own_text_in_lists() -> None:
    # Texts differ, so joining needs no zero guard; plain floats (read back from a
    # database) still need it: 0.0 and -0.0 are one key of the table of texts.
    assert cell(decoded("[0.0,-0.0,0.0,-0E0,0.5]")) == "[0.0,-0.0,0.0,-0.0,0.5]"
    assert cell([0.0, -0.0, 0.0, 0.5]) == "[0.0,-0.0,0.0,0.5]"
    assert cell([-0.0, 0.0]) == "[-0.0,0.0]"


def test_zero_is_false_and_nan_is_true_as_their_floats() -> None:
    falsy = decoded('["0.0", 0.0, -0.0, 0e5, -0E-3, 1e-400]')[1:]
    assert falsy and not any(falsy)
    assert all(decoded("[NaN, 5e-324, -1e400, 0.1]"))


HEARTRATE = BY_NAME["heartrate"]
sources = st.sampled_from(["awake", "rest"]) | numbers | st.sampled_from([Spelled("0.0")])


@st.composite
def heart_rate_pages(draw: st.DrawFn) -> list[str]:
    """Bodies of heart-rate pages whose bpm (and sometimes source) are odd numbers."""
    base = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    bodies = []
    for _ in range(draw(st.integers(1, 3))):
        start, count = draw(st.integers(0, 20)), draw(st.integers(1, 8))
        docs = [
            {
                "bpm": draw(st.integers(40, 90) | numbers | st.none()),
                "source": draw(sources),
                "timestamp": (base + dt.timedelta(minutes=5 * i)).isoformat(),
            }
            for i in range(start, start + count)
        ]
        bodies.append(dump({"data": docs}))
    return bodies


def collect(category: Category, directory: Path, pages: list[list[dict[str, Any]]]) -> Any:
    """The pages stored as the collector stores them: blocks when they qualify."""
    directory.mkdir()
    store = CategoryStore(category, directory)
    for page in pages:
        if not store.add_page(page):
            store.add(flatten(doc) for doc in page)
    result = store.commit()
    path = directory / f"{category.name}.csv"
    return result, store.keyless, path.read_bytes() if path.exists() else None


@settings(max_examples=100, deadline=None)
@given(bodies=heart_rate_pages())
def test_heart_rate_pages_of_number_texts_store_what_plain_floats_store(
    tmp_path_factory: Any, bodies: list[str]
) -> None:
    root = tmp_path_factory.mktemp("pages")
    texts = collect(HEARTRATE, root / "texts", [decoded(b)["data"] for b in bodies])
    floats = collect(HEARTRATE, root / "floats", [json.loads(b)["data"] for b in bodies])
    assert texts == floats


def test_a_page_of_number_texts_takes_the_block_path(tmp_path: Path) -> None:
    times = [f"2024-03-01T00:0{i}:00+00:00" for i in range(3)]
    docs = [{"bpm": Spelled("6.05E1"), "source": "rest", "timestamp": t} for t in times]
    body = dump({"data": docs})
    store = CategoryStore(HEARTRATE, tmp_path)
    assert store.add_page(decoded(body)["data"])
    store.commit()
    assert (tmp_path / "heartrate.csv").read_text().splitlines()[1:] == [
        f"{t},rest,60.5" for t in times
    ]


def test_a_database_only_run_keeps_the_lists_jsonb_would_respell() -> None:
    exact = exact_cells(["a", "b", "c"], dict.fromkeys("abc", "array"))
    assert exact(["[1.5,null,2]", "[-0.0,1.0]", "[1e+16]"]) == json.dumps(
        {"b": "[-0.0,1.0]", "c": "[1e+16]"}
    )
    assert exact(['[{"b":1,"a":2}]', '["x{"]', ""]) == json.dumps({"a": '[{"b":1,"a":2}]'})
    assert exact(["[0.5,-0.05]", "[1e-07,NaN]", "[]"]) == ""


def test_a_key_part_that_is_the_number_zero_is_kept_whichever_path_a_page_takes(
    tmp_path: Path,
) -> None:
    """Its row has the text 0.0 there, so it has its key; skipping it only on the block
    path made the file depend on which pages came first."""
    zero = {"bpm": 50, "source": 0.0, "timestamp": "2024-03-01T00:05:00+00:00"}
    odd_time = {"bpm": 60, "source": "rest", "timestamp": "2024-03-01T00:00:00Z"}
    plain = {"bpm": 70, "source": "rest", "timestamp": "2024-03-01T00:10:00+00:00"}
    none = dict(plain, source=None)  # null: no key (every path)
    first = collect(HEARTRATE, tmp_path / "first", [[zero, plain, none], [odd_time]])
    later = collect(HEARTRATE, tmp_path / "later", [[odd_time], [zero, plain, none]])
    assert first == later
    assert first[1] == 1 and b"00:05:00+00:00,0.0,50" in first[2]
