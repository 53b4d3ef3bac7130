"""What a run did, per category: the outcome record, the state's run entry, the summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    """What one category's part of a run did."""

    category: str
    new: int = 0
    updated: int = 0
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None
    skipped: str | None = None
    db_error: str | None = None  # the CSV is fine; its database mirror failed
    keyless: int = 0  # documents skipped for lacking their key
    kept_until: str | None = None  # failed or stopped partway: the history is whole to here
    stopped: bool = False  # SIGINT or SIGTERM ended it: not a failure of the category

    @property
    def ok(self) -> bool:
        return self.error is None and self.db_error is None


def run_record(
    started: dt.datetime, finished: dt.datetime, outcomes: list[Outcome]
) -> dict[str, Any]:
    return {
        "started": started.isoformat(timespec="milliseconds"),
        "finished": finished.isoformat(timespec="milliseconds"),
        "categories": {
            o.category: {
                "new": o.new,
                "updated": o.updated,
                "requests": o.requests,
                "seconds": round(o.seconds, 3),
                "error": o.error,
                **({"skipped": o.skipped} if o.skipped else {}),
                **({"db_error": o.db_error} if o.db_error else {}),
                **({"without_key": o.keyless} if o.keyless else {}),
                **({"kept_until": o.kept_until} if o.kept_until else {}),
                **({"stopped": True} if o.stopped else {}),
            }
            for o in outcomes
        },
    }


def summary_lines(
    outcomes: list[Outcome], seconds: float, extra_requests: int = 0, *, account_requests: int = 0
) -> list[str]:
    """One line per category and a total, for stderr at the end of a run."""
    # requests made for no selected category: the floor step's, and naming the account
    extras = [
        (k, n) for k, n in (("history floor", extra_requests), ("account", account_requests)) if n
    ]
    names = [o.category for o in outcomes] + [label for label, _ in extras]
    width = max(map(len, names), default=8)
    lines = []
    for o in outcomes:
        if o.skipped:
            status = f"skipped: {o.skipped}"
        elif o.stopped:
            status = _stopped(o)
        elif o.error:
            status = f"FAILED, kept up to {o.kept_until}" if o.kept_until else "FAILED"
        elif o.db_error:
            status = "ok, database FAILED"
        else:
            status = "ok"
        lines.append(
            f"{o.category:<{width}}  {o.new:>7,} new  {o.updated:>6,} updated  "
            f"{o.requests:>5,} requests  {o.seconds:6.1f} s  {status}"
        )
    lines.extend(f"{label:<{width}}  {'':29}{count:>5,} requests" for label, count in extras)
    total_requests = sum(o.requests for o in outcomes) + sum(count for _, count in extras)
    lines.append(
        f"total: {sum(o.new for o in outcomes):,} new, {sum(o.updated for o in outcomes):,} "
        f"updated, {total_requests:,} requests in {seconds:.1f} s; {_verdict(outcomes)}"
    )
    return lines


def _stopped(outcome: Outcome) -> str:
    if outcome.kept_until:
        return f"stopped, kept up to {outcome.kept_until}"
    return "stopped" if outcome.requests else "not started"


def _verdict(outcomes: list[Outcome]) -> str:
    """The total's last words, agreeing with the lines above them."""
    failed = sum(1 for o in outcomes if not o.ok and not o.stopped)
    stopped = sum(1 for o in outcomes if o.stopped)
    said = f"{failed} of {len(outcomes)} categories failed" if failed else "all categories ok"
    if stopped:
        finished = len(outcomes) - stopped
        said = f"stopped with {finished} of {len(outcomes)} categories done"
        said += f", {failed} failed" if failed else ""
    return said


def shared_failure(outcomes: list[Outcome], error: str) -> str:
    """One line for an error many categories share: "18 categories: <error>"."""
    names = [o.category for o in outcomes if o.error == error]
    if len(names) == 1:
        return f"{names[0]}: {error}"
    return f"{len(names)} categories: {error}"
