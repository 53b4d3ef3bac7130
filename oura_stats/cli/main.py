"""`main`: parse the command line, set up logging, run the command, map errors to exit codes.

Only the options are imported here (`*_args.py`); each command's handler is imported when
that command runs (`common.run_by`), so `fetch` never pays for `report`, `demo` or a study.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import sys
from collections.abc import Sequence

from oura_stats import __version__
from oura_stats.cli import envopts
from oura_stats.cli.accounts_args import add_accounts_command
from oura_stats.cli.auth_args import add_auth_command
from oura_stats.cli.categories_args import add_categories_command
from oura_stats.cli.common import add_output_options, log_level, output_parent
from oura_stats.cli.db_args import add_db_command
from oura_stats.cli.demo_args import add_demo_command
from oura_stats.cli.enroll_args import add_enroll_command
from oura_stats.cli.fetch_args import add_fetch_command
from oura_stats.cli.helptext import COLLECT_EXIT, epilog
from oura_stats.cli.report_args import add_report_command
from oura_stats.cli.service_args import add_service_command
from oura_stats.cli.status_args import add_status_command
from oura_stats.errors import EXIT_INTERRUPTED, EXIT_OK, ConfigError, OuraStatsError
from oura_stats.scrub import ScrubFilter

log = logging.getLogger("oura_stats")
ANNOUNCE = logging.getLogger("oura_stats.announce")  # shown even with -q: monitor/health.py

MAIN_EPILOG = epilog(
    [
        "oura-stats demo                                    # try it offline, no account",
        "oura-stats fetch --sandbox --output-dir ./sample   # sample data, needs internet",
        "oura-stats auth login                              # once, in a browser",
        "oura-stats fetch --output-dir ~/oura",
        "oura-stats -q fetch --output-dir ~/oura            # -v/-q before or after the command",
        "oura-stats status --output-dir ~/oura",
        "oura-stats report --output-dir ~/oura --out ~/oura/report.html",
        "oura-stats COMMAND --help",
    ],
    COLLECT_EXIT,
)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:  # here, not at exit: a reader gone (`| head -1`) is then caught below
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader has what it wanted. Point stdout at /dev/null, or the interpreter's
        # own flush at exit would complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _main(argv: Sequence[str] | None) -> int:
    # A backfill allocates millions of small acyclic objects (rows); with the default
    # thresholds the cyclic collector rescans them over and over (measured: ~15 % of CPU).
    gc.set_threshold(50_000, 20, 100)
    parser = build_parser()
    try:
        args = envopts.parse(parser, argv)
        level = log_level(args)
    except ConfigError as error:  # before logging is set up
        parser.exit(error.exit_code, f"oura-stats: error: {error}\n")
    configure_logging(level, timestamps=_wants_timestamps(args))
    try:
        code: int = args.handler(args)
    except OuraStatsError as error:
        log.debug("details", exc_info=True)
        log.error("%s", envopts.credited(str(error), args))
        return error.exit_code
    except KeyboardInterrupt:
        log.error("interrupted")
        return EXIT_INTERRUPTED
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oura-stats",
        description="Keep your Oura Ring data as one deduplicated CSV file per category.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_output_options(parser)  # -v/-q also before the command
    parents = [output_parent()]
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_fetch_command(commands, parents)
    add_service_command(commands, parents)
    add_categories_command(commands, parents)
    add_auth_command(commands)
    add_status_command(commands, parents)
    add_db_command(commands, parents)
    add_report_command(commands, parents)
    add_demo_command(commands, parents)
    add_accounts_command(commands, parents)
    add_enroll_command(commands, parents)
    envopts.name_variables(parser)
    return parser


def configure_logging(level: int, *, timestamps: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(level <= logging.DEBUG, timestamps=timestamps))
    handler.addFilter(ScrubFilter())  # no token leaves in a log line or traceback
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    ANNOUNCE.setLevel(min(level, logging.INFO))  # e.g. the port --health-port 0 picked
    # urllib3 logs request lines at debug level; keep them out (a revoke URL carries a token).
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def _wants_timestamps(args: argparse.Namespace) -> bool:
    """The service's lines carry their time, unless the journal (which stamps them) gets them."""
    return args.command == "service" and not under_journald()


def under_journald() -> bool:
    """True when stderr is the stream systemd named in JOURNAL_STREAM (device:inode)."""
    named = os.environ.get("JOURNAL_STREAM", "")
    try:
        device, inode = (int(part) for part in named.split(":"))
        status = os.fstat(sys.stderr.fileno())
    except (ValueError, OSError):
        return False
    return (status.st_dev, status.st_ino) == (device, inode)


class _Formatter(logging.Formatter):
    def __init__(self, verbose: bool, *, timestamps: bool = False) -> None:
        self._timestamps = timestamps or verbose
        super().__init__("%(name)s %(message)s" if verbose else "%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.ERROR:
            text = f"oura-stats: error: {text}"
        elif record.levelno >= logging.WARNING:
            text = f"oura-stats: warning: {text}"
        if self._timestamps:
            moment = dt.datetime.fromtimestamp(record.created).astimezone()
            return f"{moment.isoformat(timespec='seconds')} {text}"
        return text
