"""`oura-stats report`: one self-contained HTML page of charts from the CSVs."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import threading
from pathlib import Path

from oura_stats.cli.argtypes import iso_date, port, positive_int
from oura_stats.cli.common import Subparsers, add_command
from oura_stats.cli.fetch import add_db_option, db_target
from oura_stats.cli.helptext import REPORT_EXIT, epilog
from oura_stats.errors import EXIT_OK, ConfigError
from oura_stats.monitor.freshness import local_now
from oura_stats.monitor.health import HealthServer
from oura_stats.monitor.pages import LivePage
from oura_stats.report.assets import CONTENT_SECURITY_POLICY
from oura_stats.report.build import build_report, make_page
from oura_stats.report.cohort_build import write_cohort_report
from oura_stats.report.sources import Period
from oura_stats.run.service import install_stop_handlers, interrupted_code
from oura_stats.store.statehome import state_path

DEFAULT_PORT = 8000

log = logging.getLogger(__name__)
ANNOUNCE = logging.getLogger("oura_stats.announce")  # shown even with -q

REPORT_EPILOG = epilog(
    [
        "oura-stats report --output-dir ~/oura --out ~/oura/report.html",
        "oura-stats report --last 90",
        "oura-stats report --from 2024-01-01 --to 2024-12-31 --out 2024.html",
        "oura-stats report --output-dir ~/oura --serve   # then open http://127.0.0.1:8000/",
    ],
    REPORT_EXIT,
)


def add_report_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_command(
        commands,
        "report",
        parents=parents,
        help="write one offline HTML page of charts from the CSVs",
        description="Build one self-contained HTML file (no network needed to view it) with "
        "charts of sleep, readiness, heart rate, activity, SpO2, stress and resilience, and "
        "lists of workouts and tags, from the CSVs in --output-dir.",
        epilog=REPORT_EPILOG,
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("data"), help="where the CSV files are (./data)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("report.html"),
        help="the HTML file to write (./report.html)",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="state file, for the last sync shown in the header (default: .oura_state.json "
        "in --output-dir)",
    )
    parser.add_argument("--from", dest="first", type=iso_date, help="first day shown (YYYY-MM-DD)")
    until = parser.add_mutually_exclusive_group()
    until.add_argument("--to", dest="last", type=iso_date, help="last day shown (YYYY-MM-DD)")
    until.add_argument(
        "--last",
        dest="last_days",
        type=positive_int,
        metavar="DAYS",
        help="show the DAYS days ending today (default: all the data)",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="build the page in memory and serve it on 127.0.0.1 until Ctrl-C (writes no file)",
    )
    parser.add_argument(
        "--port",
        type=port,
        default=None,
        metavar="PORT",
        help=f"port for --serve ({DEFAULT_PORT}; 0 picks a free one)",
    )
    parser.add_argument(
        "--cohort",
        action="store_true",
        help="a study's adherence page instead (needs --db postgresql://…): one row per "
        "participant with coverage strips for the last 30 and 90 days, the silent ones first",
    )
    add_db_option(parser)
    parser.set_defaults(handler=run_report)


def period_from_args(args: argparse.Namespace, today: dt.date) -> Period:
    if args.last_days is not None:
        if args.first is not None:
            raise ConfigError("--last counts back from today: give it alone, or --from with --to")
        span = (today - dt.date.min).days + 1
        if args.last_days > span:
            raise ConfigError(
                f"--last {args.last_days} reaches back before year 1; give at most {span:,} "
                "days, or leave --last out to show all the data"
            )
        return Period(today - dt.timedelta(days=args.last_days - 1), today)
    if args.first and args.last and args.last < args.first:
        raise ConfigError(f"--to {args.last} is before --from {args.first}; swap them")
    return Period(args.first, args.last)


def run_report(args: argparse.Namespace) -> int:
    now = local_now()
    if args.cohort:
        return run_cohort_report(args, now)
    if args.port is not None and not args.serve:
        raise ConfigError("--port is the port for --serve: add --serve, or leave --port out")
    args.state_file = state_path(args.output_dir, args.state_file)
    if args.serve:
        return serve_report(args, now)
    built = build_report(
        args.output_dir, args.out, args.state_file, period_from_args(args, now.date()), now=now
    )
    log.info(
        "wrote %s: %s to %s, %.0f kB in %.1f s",
        built.path,
        built.first,
        built.last,
        built.size / 1024,
        built.seconds,
    )
    return EXIT_OK


def serve_report(args: argparse.Namespace, now: dt.datetime) -> int:
    """Build the page once and serve it at / until SIGTERM (exit 0) or Ctrl-C (130)."""
    period = period_from_args(args, now.date())
    html, days = make_page(args.output_dir, args.state_file, period, now=now)
    page = LivePage()
    page.publish(html, CONTENT_SECURITY_POLICY)
    stop = threading.Event()
    received = install_stop_handlers(stop)
    port_number = DEFAULT_PORT if args.port is None else args.port
    with HealthServer(None, "127.0.0.1", port_number, page=page, options="--port") as server:
        ANNOUNCE.info(
            "serving the report (%s to %s) at %s/ ; Ctrl-C stops", days[0], days[-1], server.url
        )
        stop.wait()
    return interrupted_code(EXIT_OK, received)


def run_cohort_report(args: argparse.Namespace, now: dt.datetime) -> int:
    target = db_target(args)
    if target is None or target.kind != "postgresql":
        raise ConfigError("--cohort reads a study's database: add --db postgresql://…")
    if args.serve:
        raise ConfigError("--cohort writes a file: leave --serve out")
    count = write_cohort_report(target, args.out, now.date())
    log.info("wrote %s: %s participants", args.out, f"{count:,}")
    return EXIT_OK
