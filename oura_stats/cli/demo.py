"""`oura-stats demo`: the whole pipeline against a built-in synthetic account, offline (the
options are in `demo_args.py`)."""

from __future__ import annotations

import argparse
import threading

from oura_stats.cli.common import db_target
from oura_stats.cli.demo_args import MAX_DAYS, MAX_PARTICIPANTS
from oura_stats.db.target import Target
from oura_stats.demo.pipeline import run_demo
from oura_stats.demo.study import run_study_demo
from oura_stats.errors import ConfigError
from oura_stats.run.stopping import install_stop_handlers


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
