"""`demo --participants N`: a synthetic study, collected for real into PostgreSQL.

N participants are served on 127.0.0.1 (`cohort.py`: distinct data each; some stopped
syncing, some have a gap), enrolled with their synthetic tokens, and one has revoked
their consent (Oura refuses their token, and refreshing it). The real study round
collects everyone else, then the cohort page is written. No network, no account.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

from oura_stats.auth.credentials import Credentials
from oura_stats.db.participants import Registry
from oura_stats.db.target import Target
from oura_stats.demo.cohort import CohortOura, Member, make_cohort
from oura_stats.demo.pipeline import check_demo_folder, demo_settings, until_now
from oura_stats.report.cohort_build import write_cohort_report
from oura_stats.run.cohort import Cohort, run_cohort_round
from oura_stats.run.homes import participant_credentials
from oura_stats.run.identity import DEMO_SOURCE, claim_target
from oura_stats.run.rounds import Settings

log = logging.getLogger(__name__)

COHORT_REPORT = "cohort.html"
YEAR_SECONDS = 365 * 86400.0


def study_settings(base_url: str, db: Target) -> Settings:
    """The demo's settings, for a database-only round of the whole study."""
    return replace(demo_settings(base_url, Path(), db), no_csv=True, report_path=None)


def enrol_member(registry: Registry, db: Target, member: Member, token_url: str) -> None:
    """Enrol a synthetic participant as `enroll` would, with their long-lived demo token."""
    registry.enrol(member.name, member.user_id)
    now = time.time()
    credentials = Credentials(
        client_id="demo-study",
        client_secret="demo-study-secret",  # noqa: S106 - synthetic, served nowhere else
        token_url=token_url,
        access_token=member.token,
        refresh_token=f"{member.token}-refresh",
        obtained_at=now,
        expires_at=now + YEAR_SECONDS,
        scopes=(),
    )
    store = participant_credentials(db, member.name, plain_tokens=True)
    try:
        store.save(credentials)
    finally:
        store.close()


def run_study_demo(
    participants: int, days: int, db: Target, output_dir: Path, stop: threading.Event
) -> int:
    check_demo_folder(output_dir)
    claim_target(db, DEMO_SOURCE)  # never synthetic participants among real data
    end = dt.datetime.now(dt.UTC).date()
    began = time.monotonic()
    members = make_cohort(participants, days, end, today=end)
    for member in members:
        member.api.data = until_now(member.api.data)
    revoked = members[2] if len(members) > 2 else None
    with CohortOura(members) as api:
        with Registry(db) as registry:
            registry.create_tables()
            for member in members:
                enrol_member(registry, db, member, api.url + "/oauth/token")
        if revoked is not None:
            api.revoke(revoked)
        log.info("demo: a study of %d synthetic participants served on 127.0.0.1", participants)
        code = run_cohort_round(study_settings(api.url, db), Cohort(plain_tokens=True), stop)
    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / COHORT_REPORT
    write_cohort_report(db, out, end)
    log.info("demo: done in %.1f s; open %s in a browser", time.monotonic() - began, out)
    return code
