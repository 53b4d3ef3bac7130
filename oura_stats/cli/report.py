"""`oura-stats report`: one self-contained HTML page of charts from the CSVs (the options
are in `report_args.py`)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import threading

from oura_stats.cli.common import db_target
from oura_stats.cli.report_args import DEFAULT_PORT
from oura_stats.errors import EXIT_OK, ConfigError
from oura_stats.monitor.freshness import local_now
from oura_stats.monitor.health import HealthServer
from oura_stats.monitor.pages import LivePage
from oura_stats.report.assets import CONTENT_SECURITY_POLICY
from oura_stats.report.build import build_report, make_page
from oura_stats.report.cohort_build import write_cohort_report
from oura_stats.report.sources import Period
from oura_stats.run.stopping import install_stop_handlers, interrupted_code
from oura_stats.store.statehome import state_path

log = logging.getLogger(__name__)
ANNOUNCE = logging.getLogger("oura_stats.announce")  # shown even with -q


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
