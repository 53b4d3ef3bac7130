"""`oura-stats demo`: the whole pipeline against a built-in synthetic account, offline."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from oura_stats.cli.argtypes import positive_int
from oura_stats.cli.common import Subparsers, add_command
from oura_stats.cli.fetch import add_db_option, db_target
from oura_stats.cli.helptext import DEMO_EXIT, epilog
from oura_stats.db.target import Target
from oura_stats.demo.pipeline import run_demo
from oura_stats.demo.study import run_study_demo
from oura_stats.errors import ConfigError
from oura_stats.run.service import install_stop_handlers

DEMO_EPILOG = epilog(
    [
        "oura-stats demo",
        "oura-stats demo --output-dir /tmp/oura-demo --days 90",
        "oura-stats demo --participants 20 --days 120 --db postgresql://localhost/study",
    ],
    DEMO_EXIT,
)
MAX_DAYS = 3660  # ten years
MAX_PARTICIPANTS = 1000


def add_demo_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_command(
        commands,
        "demo",
        parents=parents,
        help="try everything offline: a synthetic account, a real fetch, then the report",
        description="Serve a synthetic Oura account on 127.0.0.1 (realistic data for every "
        "category), collect it with the real fetch into --output-dir (CSVs and state), then "
        "write report.html there. Needs no account and no network.",
        epilog=DEMO_EPILOG,
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("oura-demo"),
        help="where the CSVs, the state file and report.html go (./oura-demo)",
    )
    parser.add_argument(
        "--days",
        type=positive_int,
        default=365,
        help=f"days of synthetic history, ending today (365; at most {MAX_DAYS})",
    )
    add_db_option(parser, env=False)
    parser.add_argument(
        "--participants",
        type=positive_int,
        metavar="N",
        help="a synthetic study of N participants instead (distinct data each, some with "
        "gaps, one with a revoked consent), collected into --db postgresql://…, then its "
        f"cohort page in --output-dir (at most {MAX_PARTICIPANTS})",
    )
    parser.set_defaults(handler=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    if args.days > MAX_DAYS:
        raise ConfigError(f"--days {args.days} is more than {MAX_DAYS}; ask for fewer days")
    if args.output_dir.exists() and not args.output_dir.is_dir():
        raise ConfigError(f"--output-dir {args.output_dir} is a file; name a directory")
    db = db_target(args)
    stop = threading.Event()
    install_stop_handlers(stop)
    if args.participants is not None:
        return study_demo(args, db, stop)
    return run_demo(args.output_dir, args.days, stop, db=db)


def study_demo(args: argparse.Namespace, db: Target | None, stop: threading.Event) -> int:
    if args.participants > MAX_PARTICIPANTS:
        raise ConfigError(f"--participants is at most {MAX_PARTICIPANTS}")
    if db is None or db.kind != "postgresql":
        raise ConfigError(
            "a study lives in PostgreSQL: add --db postgresql://user@host/dbname (an empty "
            "database; the demo enrols its synthetic participants there)"
        )
    return run_study_demo(args.participants, args.days, db, args.output_dir, stop)
