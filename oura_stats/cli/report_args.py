"""The options of `oura-stats report` (the handler is in `report.py`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from oura_stats.cli.argtypes import iso_date, port, positive_int
from oura_stats.cli.common import Subparsers, add_command, run_by
from oura_stats.cli.fetch_args import add_db_option
from oura_stats.cli.helptext import REPORT_EXIT, epilog

DEFAULT_PORT = 8000

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
    run_by(parser, "oura_stats.cli.report:run_report")
