"""`status --accounts`: a study's adherence, per participant, from its PostgreSQL database
(imported only when asked for)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import IO

from oura_stats.cli.common import db_target
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ConfigError
from oura_stats.monitor.adherence import as_json as adherence_json
from oura_stats.monitor.adherence import as_table as adherence_table
from oura_stats.monitor.adherence import needs_attention, study_adherence


def run_accounts_status(args: argparse.Namespace, out: IO[str]) -> int:
    """`status --accounts`: 0 when no participant needs attention, else 1."""
    target = db_target(args)
    if target is None or target.kind != "postgresql":
        raise ConfigError("--accounts reads a study's database: add --db postgresql://…")
    today = dt.datetime.now(dt.UTC).date()
    rows = study_adherence(target, today)
    text = adherence_json(rows, today) if args.json else adherence_table(rows, today)
    calm = not any(needs_attention(row, today) for row in rows)
    if not (calm and getattr(args, "quiet", False)):
        out.write(text)
    return EXIT_OK if calm else EXIT_FAILED
