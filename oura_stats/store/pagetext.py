"""A time series' page as CSV text, formatted straight from its documents and checked as text.

The block path (blocks.py) makes a tuple of every document, checks every value, then
writes the tuples as CSV (blockfile.py). A page as the API sends it (every document with
the same fields, sorted by key, plain values) needs none of that per value: its values,
taken in header order with one `itemgetter` per document, go through one format string,
and the text then shows what the per-value checks would:

- as many line ends and commas as the format writes: no value holds either;
- no `"`, CR or NUL, and only ASCII: no value needs quoting or the escape of flatten.py;
- of the kinds a page decodes to, only str, int, float, bool, None and `NumberText` (a
  list or object, or any other type, takes the block path). `%s` writes an int and a
  finite float as `repr` does, and a `NumberText` as its text, as flatten does. It
  spells the others apart: `inf`/`nan` (so a text without them holds only finite
  floats), and `None`/`True`/`False`, which flatten writes as empty, `true` and `false`.
  A column of booleans and nulls alone (a battery's `charging`) is looked up as flatten
  writes them before formatting. Elsewhere those words are replaced only when the text
  holds exactly as many of them as there are such values: each value gives one and the
  separators split no word, so then no other value holds one.

The time key (canonical UTC), the other key parts (non-empty text) and the order (times
never falling; equal times with rising keys, as blocks.py checks it) are checked on the
key columns. Whatever the text cannot prove, the page takes the block path, which is
always correct and gives the same bytes.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

from oura_stats.api.decode import NumberText
from oura_stats.store.blocks import Key, keys_rise, plain_text_part
from oura_stats.store.keys import all_canonical
from oura_stats.store.names import plain_parts

_KINDS = frozenset({str, int, float, bool, type(None), NumberText})
_SPELLED = frozenset({bool, type(None)})  # kinds whose %s text is not flatten's
_FLAG_KINDS = frozenset({bool, type(None)})
_FLAGS = {True: "true", False: "false", None: ""}  # as flatten writes them


class PageText(NamedTuple):
    """A page's rows as CSV text under `header`, sorted, one per key."""

    first: Key
    last: Key
    header: tuple[str, ...]
    text: str
    rows: int


def page_text(
    documents: Sequence[dict[str, Any]], key_columns: tuple[str, ...], known: tuple[str, ...]
) -> PageText | None:
    """The page under `known` (the columns so far) and its own new ones, or None when it
    must take the block path."""
    count = len(documents)
    columns = tuple(documents[0]) if count else ()
    # One length for all and (below) every column found in each: the same fields.
    if len(columns) < 2 or set(map(len, documents)) != {len(columns)}:
        return None
    if not plain_parts(columns) or not set(key_columns) <= set(columns):
        return None
    header = known + tuple(column for column in columns if column not in known)
    present = [column for column in header if column in columns]  # the page's, header order
    try:
        values = tuple(itertools.chain.from_iterable(map(operator.itemgetter(*present), documents)))
    except KeyError:  # a document lacks a field (and has another in its place)
        return None
    width = len(present)
    by_column = [values[index::width] for index in range(width)]
    kinds_by_column = [set(map(type, column)) for column in by_column]
    if not set().union(*kinds_by_column) <= _KINDS:
        return None
    # A column of booleans and nulls alone (a flag) is written by looking its values up.
    flags = [index for index, kinds in enumerate(kinds_by_column) if kinds <= _FLAG_KINDS]
    for index in flags:
        by_column[index] = tuple(map(_FLAGS.__getitem__, by_column[index]))
        kinds_by_column[index] = {str}
    cells = values
    if flags:
        cells = tuple(itertools.chain.from_iterable(zip(*by_column, strict=True)))
    text = _text(cells, set().union(*kinds_by_column), count, header, set(present))
    if text is None:
        return None
    offsets = [present.index(column) for column in key_columns]
    if not _keys_ordered(values, width, offsets):
        return None
    return PageText(
        _key_at(values, width, offsets, 0),
        _key_at(values, width, offsets, count - 1),
        header,
        text,
        count,
    )


def _text(
    values: tuple[Any, ...],
    kinds: set[type],
    count: int,
    header: tuple[str, ...],
    present: set[str],
) -> str | None:
    """The values (of the `present` columns) as CSV text under `header`, if the text shows
    that it is what flatten and csv.writer write (see the module's docstring)."""
    line = ",".join("%s" if column in present else "" for column in header) + "\n"
    text = (line * count) % values
    if text.count("\n") != count or text.count(",") != count * (len(header) - 1):
        return None
    if '"' in text or "\r" in text or "\x00" in text or not text.isascii():
        return None
    if float in kinds and ("inf" in text or "nan" in text):
        return None
    if kinds & _SPELLED:
        types = list(map(type, values))
        words = text.count("None") + text.count("True") + text.count("False")
        if words != types.count(bool) + types.count(type(None)):
            return None  # some other value holds one of the words
        text = text.replace("None", "").replace("True", "true").replace("False", "false")
    return text


def _keys_ordered(values: tuple[Any, ...], width: int, offsets: list[int]) -> bool:
    """Whether the key parts are canonical times and non-empty text, in rising key order."""
    times = values[offsets[0] :: width]
    if not all_canonical(times):
        return False
    if not all(plain_text_part(values[offset::width]) for offset in offsets[1:]):
        return False  # a key part missing, or not text (a NumberText is a number)
    return keys_rise(times, lambda i: _key_at(values, width, offsets, i))


def _key_at(values: tuple[Any, ...], width: int, offsets: list[int], row: int) -> Key:
    """Row `row`'s key as blocks.py forms it (a one-part key is the part twice)."""
    start = row * width
    if len(offsets) == 1:
        return (values[start + offsets[0]],) * 2
    return tuple(values[start + offset] for offset in offsets)
