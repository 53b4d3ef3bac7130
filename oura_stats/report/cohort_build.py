"""Build the cohort page from a study's database and write it atomically."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from oura_stats.db.target import Target
from oura_stats.errors import ConfigError, StorageError
from oura_stats.monitor.adherence import study_adherence
from oura_stats.report.cohort import render_cohort
from oura_stats.store.atomic import write_text_atomic


def write_cohort_report(target: Target, out: Path, today: dt.date) -> int:
    """Write the page; the number of participants on it."""
    if out.is_dir():
        raise ConfigError(f"--out {out} is a directory; name the HTML file to write")
    rows = study_adherence(target, today)
    page = render_cohort(rows, today, dt.datetime.now().astimezone())
    try:
        write_text_atomic(out, page)
    except OSError as error:
        raise StorageError(f"cannot write {out}: {error.strerror or error}") from error
    return len(rows)
