"""`fetch` and `service` for a study's participants: the cohort their options name (the
options are in `fetch_args.py`)."""

from __future__ import annotations

import argparse
import threading
from dataclasses import replace

from oura_stats.db.studyterms import check_name, parse_budget
from oura_stats.errors import ConfigError
from oura_stats.run.cohort import Cohort, run_cohort_round
from oura_stats.run.rounds import Settings
from oura_stats.run.shard import EVERYONE, parse_shard
from oura_stats.run.stopping import install_stop_handlers, interrupted_code


def cohort_from_args(args: argparse.Namespace) -> Cohort | None:
    """The study to collect, or None for a one-person run."""
    names = tuple(check_name(name) for name in getattr(args, "account", None) or ())
    everyone = getattr(args, "all_accounts", False)
    if not names and not everyone:
        if getattr(args, "shard", None):
            raise ConfigError("--shard splits a study: add --all-accounts (or --account NAME)")
        return None
    if names and everyone:
        raise ConfigError("--all-accounts and --account exclude each other; pick one")
    if getattr(args, "token", None):
        raise ConfigError("--token is one person's; a study uses each participant's own tokens")
    shard = parse_shard(args.shard) if args.shard else EVERYONE
    return Cohort(names, shard, parse_budget(args.app_budget), args.plain_tokens)


def study_settings(settings: Settings) -> Settings:
    """A study's round is database-only: a PostgreSQL --db is required."""
    if settings.db is None or settings.db.kind != "postgresql":
        raise ConfigError(
            "a study is collected into PostgreSQL: add --db postgresql://user@host/dbname"
        )
    return replace(settings, no_csv=True, report_path=None)


def run_study(settings: Settings, cohort: Cohort, stop: threading.Event) -> int:
    return run_cohort_round(study_settings(settings), cohort, stop)


def fetch_study(settings: Settings, args: argparse.Namespace) -> int | None:
    """`fetch --all-accounts` (or `--account`): a round for each participant; None when the
    options name no study."""
    cohort = cohort_from_args(args)
    if cohort is None:
        return None
    stop = threading.Event()
    received = install_stop_handlers(stop)
    return interrupted_code(run_study(settings, cohort, stop), received)
