"""The options that make `fetch` and `service` collect for a study's participants."""

from __future__ import annotations

import argparse
import threading
from dataclasses import replace

from oura_stats.db.budget import DEFAULT_BUDGET, parse_budget
from oura_stats.db.participants import check_name
from oura_stats.errors import ConfigError
from oura_stats.run.cohort import Cohort, run_cohort_round
from oura_stats.run.rounds import Settings
from oura_stats.run.shard import EVERYONE, parse_shard


def add_study_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("a study (participants kept in a PostgreSQL --db)")
    group.add_argument(
        "--all-accounts",
        action="store_true",
        help="collect every enrolled participant (see `oura-stats accounts`); rows, cursors "
        "and tokens stay in the database, no CSV is written",
    )
    group.add_argument(
        "--account",
        action="append",
        metavar="NAME",
        help="collect this participant only (repeatable)",
    )
    group.add_argument(
        "--shard",
        metavar="INDEX/COUNT",
        help="collect only this process's share of the participants: INDEX of COUNT "
        "(INDEX defaults to JOB_COMPLETION_INDEX, as in a Kubernetes Indexed Job: --shard /4)",
    )
    group.add_argument(
        "--app-budget",
        metavar="REQUESTS/SECONDS",
        default=str(DEFAULT_BUDGET),
        help=f"requests the Oura application may make, shared by every process of the "
        f"study through the database ({DEFAULT_BUDGET})",
    )
    group.add_argument(
        "--plain-tokens",
        action="store_true",
        help="participants' tokens were stored unencrypted (no OURA_STATS_SECRET_KEY)",
    )


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
