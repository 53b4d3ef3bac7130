"""`oura-stats accounts add|list|remove|invite`: a study's participants (the options are in
`accounts_args.py`; `enroll.py` serves the pages invitations lead to)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from typing import Any

from oura_stats.api.defaults import DEFAULT_BASE_URL
from oura_stats.cli.auth import login_request
from oura_stats.cli.common import db_target
from oura_stats.db.adherence import Adherence
from oura_stats.db.participants import Registry
from oura_stats.db.target import Target
from oura_stats.errors import EXIT_OK, ConfigError
from oura_stats.monitor.adherence import study_adherence
from oura_stats.run.participants import add_participant, remove_participant

log = logging.getLogger(__name__)


def study_target(args: argparse.Namespace) -> Target:
    target = db_target(args)
    if target is None or target.kind != "postgresql":
        raise ConfigError(
            "a study lives in PostgreSQL: pass --db postgresql://… (or OURA_STATS_DB)"
        )
    return target


def public_url(text: str) -> str:
    url = text.strip().rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f"--public-url {text!r} must start with https:// (or http://)")
    return url


def run_add(args: argparse.Namespace) -> int:
    add_participant(
        study_target(args),
        args.name,
        login_request(args),
        args.base_url or os.environ.get("OURA_API_BASE_URL") or DEFAULT_BASE_URL,
        manual=args.manual,
        open_browser=not (args.no_browser or args.manual),
        timeout=args.timeout,
        plain_tokens=args.plain_tokens,
    )
    return EXIT_OK


def run_remove(args: argparse.Namespace) -> int:
    remove_participant(
        study_target(args),
        args.name,
        delete_data=args.delete_data,
        revoke_first=not args.no_revoke,
        revoke_url=args.revoke_url or os.environ.get("OURA_REVOKE_URL") or None,
        plain_tokens=args.plain_tokens,
    )
    return EXIT_OK


def run_invite(args: argparse.Namespace) -> int:
    if not 0 < args.days <= 365:
        raise ConfigError("--days must be more than 0 and at most 365")
    base = public_url(args.public_url)
    with Registry(study_target(args)) as registry:
        registry.create_tables()
        secret = registry.invite(args.name, args.days)
    sys.stdout.write(f"{base}/enroll/{secret}\n")
    log.info("link for %s: works once, for %g days", args.name, args.days)
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    today = dt.datetime.now(dt.UTC).date()
    rows = [_row(a) for a in study_adherence(study_target(args), today)]
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    header = ("NAME", "OURA USER ID", "ENROLLED", "LAST DAY", "STATE")
    table = [
        header,
        *(
            (r["name"], r["oura_user_id"] or "-", r["enrolled"], r["last_day"] or "-", r["state"])
            for r in rows
        ),
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    for line in table:
        sys.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)))
        sys.stdout.write("\n")
    return EXIT_OK


def _row(seen: Adherence) -> dict[str, Any]:
    participant, last = seen.participant, seen.last_any()
    return {
        "name": participant.name,
        "oura_user_id": participant.oura_user_id,
        "enrolled": participant.enrolled_at.date().isoformat(),
        "last_day": last.isoformat() if last else None,
        "state": participant.state,
    }
