"""`oura-stats fetch`: collect once, for one person or (`--all-accounts`, `--account`) a
study; the settings it shares with `service`. Its options are in `fetch_args.py`."""

from __future__ import annotations

import argparse
import sys
import threading
from dataclasses import replace

from oura_stats.api.tokens import TokenProvider
from oura_stats.cli.common import collected_categories, db_target, imported
from oura_stats.cli.progress import progress_for
from oura_stats.cli.tokens import resolve_tokens
from oura_stats.db.target import NO_CSV_NEEDS_POSTGRESQL
from oura_stats.errors import ConfigError
from oura_stats.run.rounds import Settings, run_round
from oura_stats.run.stopping import install_stop_handlers, interrupted_code
from oura_stats.store.statehome import folder_state


def run_fetch(args: argparse.Namespace) -> int:
    settings = with_progress(settings_from_args(args), args)
    if wants_study(args):  # the study's modules are imported only for a study
        code: int | None = imported("oura_stats.cli.study:fetch_study")(settings, args)
        if code is not None:
            return code
    tokens = token_provider(args)
    stop = threading.Event()
    received = install_stop_handlers(stop)
    return interrupted_code(run_round(settings, tokens, stop), received)


def wants_study(args: argparse.Namespace) -> bool:
    """--all-accounts, --account or --shard (checked by `study.cohort_from_args`)."""
    return any(getattr(args, name, None) for name in ("all_accounts", "account", "shard"))


def with_progress(settings: Settings, args: argparse.Namespace) -> Settings:
    """A live display on stderr when it is a terminal and the run is not quiet."""
    return replace(settings, observer=progress_for(sys.stderr, quiet=args.quiet))


def settings_from_args(args: argparse.Namespace) -> Settings:
    if args.start_date and args.end_date and args.end_date < args.start_date:
        raise ConfigError(
            f"--end-date {args.end_date} is before --start-date {args.start_date}; swap them"
        )
    if args.state_file is not None and args.state_file.is_dir():
        raise ConfigError(f"--state-file {args.state_file} is a directory; name a file")
    parents = args.state_file.parents if args.state_file is not None else []
    blocker = next((p for p in parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ConfigError(
            f"--state-file {args.state_file}: {blocker} is a file, not a directory; "
            "name a state file in a directory"
        )
    target = db_target(args)
    if args.no_csv and (target is None or target.kind != "postgresql"):
        raise ConfigError(NO_CSV_NEEDS_POSTGRESQL)
    if args.no_csv and args.report is not None:
        raise ConfigError("--report writes a file; a --no-csv run writes none: leave one out")
    if args.report is not None and (args.report.is_dir() or not args.report.parent.is_dir()):
        raise ConfigError(f"--report {args.report}: name a file in an existing directory")
    return Settings(
        base_url=args.base_url,
        output_dir=args.output_dir,
        state_path=args.state_file or folder_state(args.output_dir),
        categories=collected_categories(args.categories, args.exclude),
        start=args.start_date,
        end=args.end_date,
        lookback_days=args.lookback_days,
        sandbox=args.sandbox,
        concurrency=args.concurrency,
        reset_state=args.reset_state,
        db=target,
        no_csv=args.no_csv,
        report_path=args.report,
        backfill_days=args.backfill_days,
        timeout=args.timeout,
        retries=args.retries,
    )


def token_provider(args: argparse.Namespace) -> TokenProvider:
    """--token, then the token environment variables, then saved OAuth2 credentials."""
    return resolve_tokens(args, sandbox=args.sandbox)
