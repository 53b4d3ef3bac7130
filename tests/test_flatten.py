"""flatten spells each column name once (store/flatten.py `_TOP`, `_OBJECTS`)
and decides common scalars inline: every row is what the general walk gives, the
documented rule applied afresh to every field of every document."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oura_stats.api.decode import NumberText, canonical_text
from oura_stats.store import flatten as flatten_module
from oura_stats.store.flatten import Row, cell, flatten
from oura_stats.store.names import csv_part


def general(document: Mapping[str, Any], prefix: str = "") -> Row:
    """The rule without shortcuts: a field's column is its parent's name, a dot and its
    own `csv_part`; a non-empty object spreads into columns, anything else is `cell`."""
    row: Row = {}
    for key, value in document.items():
        name = prefix + csv_part(key)
        if isinstance(value, dict) and value:
            row.update(general(value, name + "."))
        else:
            row[name] = cell(value)
    return row


def check(document: Mapping[str, Any]) -> None:
    row = flatten(document)
    assert row == general(document)
    assert list(row) == list(general(document))  # column order too
    assert all(type(value) is str for value in row.values())  # plain text, never a subclass


ODD_NAMES = ["a", "b", "id", "a.b", "b.", ".", '"q"', '"', 'x"', "n\x00ul", "\ud800", "", "é"]
names = st.sampled_from(ODD_NAMES) | st.text(max_size=3)
floats = st.floats() | st.sampled_from([0.0, -0.0, 1e16, 5e-324, math.inf, -math.inf])
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | floats
    | floats.map(lambda value: NumberText(canonical_text(value)))
    | st.text(max_size=4)
    | st.sampled_from(["", " !", '"quoted"', '"', "a\x00b", "\ud800", "é", "#x"])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(names, children, max_size=4) | st.just({})
    ),
    max_leaves=16,
)
documents = st.dictionaries(names, values, max_size=6)


@settings(max_examples=500, deadline=None)
@given(page=st.lists(documents, min_size=1, max_size=6))
def test_documents_of_one_page_flatten_as_the_general_walk_does(page: list[dict[str, Any]]) -> None:
    """Keys that appear, vanish or change kind between documents (an object in one, null
    or a list in the next) get the same names and cells as from the general walk."""
    for document in page:
        check(document)
    for document in reversed(page):  # names already kept, met again in another order
        check(document)


def test_a_name_is_kept_under_its_own_parent_only() -> None:
    check({"a": {"x": 1, "b": {"c": 2}}, "b": {"x": 3}, "a.b": {"c": 4}, "x": 5})
    assert flatten({"a.b": {"c": 1}, "a": {"b": {"c": 2}}}) == {'"a.b".c': "1", "a.b.c": "2"}
    assert flatten({"a": {"b": {}}}) == {"a.b": "{}"}
    assert flatten({"a": {"b": None}}) == {"a.b": ""}
    assert flatten({"a": None}) == {"a": ""}


def test_numbers_as_text_are_copied_to_plain_text_at_every_depth() -> None:
    number = NumberText("1.5")
    row = flatten({"n": number, "o": {"n": number, "p": {"n": number}}})
    assert row == {"n": "1.5", "o.n": "1.5", "o.p.n": "1.5"}
    assert {type(value) for value in row.values()} == {str}


def test_an_object_of_a_dict_subclass_spreads_into_columns_at_every_depth() -> None:
    check({"top": OrderedDict(x=1), "o": {"inner": OrderedDict(y="z")}})
    assert flatten({"o": {"inner": OrderedDict(y="z")}}) == {"o.inner.y": "z"}


def test_names_kept_stay_bounded_and_names_past_the_bound_are_still_right() -> None:
    limit = flatten_module._NAMES_KEPT
    wide = {f"k{index}.": index for index in range(limit + 50)}
    deep = {f"p{index}": {"c": index} for index in range(limit + 50)}
    check(wide)
    check(deep)
    assert len(flatten_module._TOP) <= limit
    assert len(flatten_module._OBJECTS) <= limit
    assert all(len(columns) <= limit for columns in flatten_module._OBJECTS.values())
