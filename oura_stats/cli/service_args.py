"""The options of `oura-stats service` (the handler is in `service.py`)."""

from __future__ import annotations

import argparse

from oura_stats.cli.argtypes import non_negative_float, port, positive_float, positive_int
from oura_stats.cli.common import Subparsers, add_command, add_freshness_options, run_by
from oura_stats.cli.fetch_args import add_collect_options
from oura_stats.cli.helptext import SERVICE_EXIT, epilog
from oura_stats.run.defaults import DEFAULT_HEALTH_HOST

SERVICE_EPILOG = epilog(
    [
        "oura-stats service --output-dir ~/oura",
        "oura-stats service --output-dir ~/oura --exclude heartrate --health-port 8977",
        "oura-stats service --interval-hours 6 --max-runs 1",
    ],
    SERVICE_EXIT,
    notes="SIGTERM or Ctrl-C stop it cleanly, also in the middle of a round.",
)


def add_service_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    service = add_command(
        commands,
        "service",
        parents=parents,
        help="collect now and then every interval until stopped",
        description="Run a collection round now and then every --interval-hours; "
        "SIGTERM or Ctrl-C stop it cleanly.",
        epilog=SERVICE_EPILOG,
    )
    add_collect_options(service)
    add_service_options(service)
    run_by(service, "oura_stats.cli.service:run_service")


def add_service_options(parser: argparse.ArgumentParser) -> None:
    """Options of `oura-stats service` beyond those it shares with `fetch`."""
    parser.add_argument(
        "--interval-hours",
        type=positive_float,
        default=2.0,
        help="hours from the start of one round to the start of the next (2)",
    )
    parser.add_argument(
        "--jitter-minutes",
        type=non_negative_float,
        default=0.0,
        help="add a random 0..N minutes to each wait, shorter than the interval (0)",
    )
    parser.add_argument(
        "--max-runs", type=positive_int, default=None, help="stop after this many rounds"
    )
    parser.add_argument(
        "--health-port",
        type=port,
        default=None,
        metavar="PORT",
        help="serve GET /health, /metrics and the report at / on this port "
        "(off; 0 picks a free port, logged)",
    )
    parser.add_argument(
        "--health-host",
        default=DEFAULT_HEALTH_HOST,
        metavar="ADDRESS",
        help=f"address the endpoint binds to ({DEFAULT_HEALTH_HOST}; 0.0.0.0 in a container, "
        "behind a proxy: it has no login)",
    )
    add_freshness_options(parser)
