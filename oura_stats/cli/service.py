"""`oura-stats service`: collect now, then every interval, until stopped (the options are
in `service_args.py`)."""

from __future__ import annotations

import argparse

from oura_stats.cli.fetch import settings_from_args, token_provider, with_progress
from oura_stats.cli.status import policy_from_args
from oura_stats.cli.study import cohort_from_args, study_settings
from oura_stats.run.service import Schedule, serve
from oura_stats.run.studyservice import serve_study


def run_service(args: argparse.Namespace) -> int:
    schedule = Schedule(
        interval_hours=args.interval_hours,
        jitter_minutes=args.jitter_minutes,
        max_runs=args.max_runs,
        health_port=args.health_port,
        health_host=args.health_host,
        policy=policy_from_args(args),  # checks --stale-categories even without --health-port
    )
    settings = with_progress(settings_from_args(args), args)
    cohort = cohort_from_args(args)
    if cohort is not None:
        return serve_study(schedule, study_settings(settings), cohort)
    return serve(schedule, settings, token_provider(args))
