"""Decoding response bodies compactly: one float object per distinct number on a page.

A page of daily activity holds 100 days of per-minute MET values (144,000 numbers) drawn
from a few dozen distinct ones. Decoded the usual way, each number is its own 24-byte
float; decoded through `parse_float` with a per-page table, equal numbers share one
object, which cuts the decoded page to a third while giving exactly the values
`float(text)` gives (the table is keyed by the number's text).
"""

from __future__ import annotations

from collections.abc import Callable


class _Floats(dict[str, float]):
    """Text of a JSON number → its float, made once per distinct text."""

    def __missing__(self, text: str) -> float:
        value = self[text] = float(text)
        return value


def shared_floats() -> Callable[[str], float]:
    """A `parse_float` for one body: the table lives as long as the decoding needs it."""
    return _Floats().__getitem__
