"""argparse types shared by every command: each turns bad input into one clear message."""

from __future__ import annotations

import argparse
import datetime as dt
import math

# Oura's data begins in 2015; the bounds only keep date arithmetic far from its limits.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
LONGEST_LOOKBACK_DAYS = 3650
LONGEST_BACKFILL_DAYS = 20_000  # back to the 1970s: more than any history


def iso_date(text: str) -> dt.date:
    """A real calendar day written YYYY-MM-DD, between 1970 and 2099."""
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: expected a real day as YYYY-MM-DD"
        )
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"date {text!r} is out of range: use a day from {FIRST_DAY} to {LAST_DAY}"
        )
    return day


def lookback_days(text: str) -> int:
    """Days to fetch again before the newest stored data: 0 to ten years."""
    value = non_negative_int(text)
    if value > LONGEST_LOOKBACK_DAYS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is too long a lookback: at most {LONGEST_LOOKBACK_DAYS} days "
            "(use --start-date to refetch older history)"
        )
    return value


def backfill_days(text: str) -> int:
    """How far back a first run goes: 1 day to the 1970s."""
    value = positive_int(text)
    if value > LONGEST_BACKFILL_DAYS:
        raise argparse.ArgumentTypeError(
            f"{text!r} days reach before 1970: at most {LONGEST_BACKFILL_DAYS}"
        )
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number")
    return value


def positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def positive_float(text: str) -> float:
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def non_negative_float(text: str) -> float:
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def port(text: str) -> int:
    """A TCP port; 0 lets the system pick a free one."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {text!r} is out of range (0-65535)")
    return value


def listen_port(text: str) -> int:
    """A TCP port a browser can be sent to (not 0)."""
    value = port(text)
    if value == 0:
        raise argparse.ArgumentTypeError("port 0 cannot be registered as a redirect URI")
    return value
