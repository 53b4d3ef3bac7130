"""`service --all-accounts`: a study's round now and then every interval, until stopped,
with the study's health board (`--health-port`).

Kept apart from `cohort` so that a one-off `fetch --all-accounts` (a cohort pod's run)
imports neither the service loop nor the health endpoint.
"""

from __future__ import annotations

import threading

from oura_stats.errors import EXIT_FAILED
from oura_stats.monitor.study_health import StudyBoard, serve_board
from oura_stats.run.cohort import Cohort, run_cohort_round
from oura_stats.run.rounds import Settings
from oura_stats.run.service import Schedule, run_forever
from oura_stats.run.stopping import install_stop_handlers, interrupted_code


def serve_study(schedule: Schedule, settings: Settings, cohort: Cohort) -> int:
    """`service --all-accounts`: a study round now, then every interval, until stopped."""
    stop = threading.Event()
    received = install_stop_handlers(stop)
    board = StudyBoard(settings.db) if settings.db is not None else None
    server = None
    if board is not None and schedule.health_port is not None:
        server = serve_board(board, schedule.health_host, schedule.health_port)

    def one_round() -> int:
        if board is not None:
            board.round_started()
        code = EXIT_FAILED
        try:
            code = run_cohort_round(settings, cohort, stop)
        finally:
            if board is not None:
                board.round_finished(code)
        return code

    try:
        code = run_forever(
            one_round,
            interval_seconds=schedule.interval_hours * 3600,
            stop=stop,
            max_runs=schedule.max_runs,
            jitter_seconds=schedule.jitter_minutes * 60,
        )
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    return interrupted_code(code, received)
