"""Collection for a study: the same database-only round once per participant.

Each participant has their own tokens, cursors and run lock (bound to their name), so one
participant's trouble never touches another's: a revoked consent marks them `needs
consent` and they are skipped until they enrol again; any other failure is recorded
(`failing since`) and retried next round. Every process draws on one application-wide
request budget kept in the database. `--shard` picks this process's participants; the
per-participant lock makes an overlap (two pods, or a pod and a manual run) harmless:
the second skips whoever the first is collecting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from oura_stats.api.tokens import TokenProvider
from oura_stats.auth.provider import OAuthTokenProvider
from oura_stats.db.budget import SharedBudget
from oura_stats.db.participants import NEEDS_CONSENT, OK, Participant, Registry
from oura_stats.db.pgrows import settle_schema
from oura_stats.db.studyterms import DEFAULT_BUDGET, Budget
from oura_stats.errors import (
    EXIT_FAILED,
    EXIT_OK,
    AuthError,
    ConfigError,
    DatabaseError,
    LockBusyError,
    OuraStatsError,
)
from oura_stats.run.homes import participant_credentials
from oura_stats.run.rounds import Settings, run_round
from oura_stats.run.shard import EVERYONE, Shard
from oura_stats.scrub import scrub

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cohort:
    """Who to collect for and how: `names` empty means every participant."""

    names: tuple[str, ...] = ()
    shard: Shard = EVERYONE
    budget: Budget = DEFAULT_BUDGET
    plain_tokens: bool = False


class WatchedTokens:
    """A participant's tokens, noting whether Oura refused them for good (a revoked
    consent), which the round itself only reports as failed categories."""

    def __init__(self, inner: TokenProvider) -> None:
        self.inner = inner
        self.refused: str | None = None

    def access_token(self) -> str:
        try:
            return self.inner.access_token()
        except AuthError as error:
            self.refused = str(error)
            raise

    def renew_after_rejection(self, rejected: str) -> bool:
        try:
            renewed = self.inner.renew_after_rejection(rejected)
        except AuthError as error:
            self.refused = str(error)
            raise
        if not renewed:
            self.refused = "Oura refused the participant's token"
        return renewed


def pick(everyone: Sequence[Participant], names: Sequence[str], shard: Shard) -> list[Participant]:
    """The participants this process collects: those named (all enrolled ones if none), in
    its shard, by name."""
    by_name = {p.name: p for p in everyone}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ConfigError(
            f"no participant {', '.join(map(repr, unknown))} in this study; "
            "`oura-stats accounts list` shows who is enrolled"
        )
    chosen = [by_name[name] for name in dict.fromkeys(names)] if names else list(everyone)
    return sorted((p for p in chosen if shard.owns(p.name)), key=lambda p: p.name)


def run_cohort_round(settings: Settings, cohort: Cohort, stop: threading.Event) -> int:
    """One round for every chosen participant; 1 when any of them failed this round."""
    target = settings.db
    if target is None or target.url is None or not settings.no_csv:
        raise ConfigError("a study is collected into PostgreSQL only: --db postgresql://… --no-csv")
    began = time.monotonic()
    with Registry(target) as registry:
        chosen = pick(registry.all(), cohort.names, cohort.shard)
        settle_schema(target.url, target.display)
        settings = replace(settings, schema_settled=True)
        pacer = SharedBudget(target.url, target.display, cohort.budget)
        counts = {"ok": 0, "failed": 0, "skipped": 0, "paused": 0}
        try:
            for participant in chosen:
                if stop.is_set():
                    break
                counts[
                    collect_one(settings, cohort, registry, participant, pacer=pacer, stop=stop)
                ] += 1
        finally:
            pacer.close()
    log.info(
        "study round (shard %s): %d participants collected, %d failed, %d skipped, "
        "%d paused by Oura's rate limit, in %.1f s",
        cohort.shard,
        counts["ok"],
        counts["failed"],
        counts["skipped"],
        counts["paused"],
        time.monotonic() - began,
    )
    return EXIT_FAILED if counts["failed"] else EXIT_OK


def collect_one(
    settings: Settings,
    cohort: Cohort,
    registry: Registry,
    participant: Participant,
    *,
    pacer: SharedBudget,
    stop: threading.Event,
) -> str:
    """Collect one participant: "ok", "failed", "skipped" or "paused"."""
    name = participant.name
    if participant.state != OK:
        log.info("%s: %s, skipped", name, participant.state)
        return "skipped"
    now = dt.datetime.now(dt.UTC)
    if participant.paused_until is not None and participant.paused_until > now:
        log.info("%s: paused by Oura's rate limit until %s", name, participant.paused_until)
        return "skipped"
    store = participant_credentials(settings.db, name, plain_tokens=cohort.plain_tokens)
    own = pacer.pacer()
    try:
        tokens = WatchedTokens(OAuthTokenProvider(store))
        code = run_round(replace(settings, account=name, pacer=own), tokens, stop)
    except LockBusyError:
        log.info("%s: collected by another process right now, skipped", name)
        return "skipped"
    except AuthError as error:
        return _needs_consent(registry, name, str(error))
    except (DatabaseError, OuraStatsError) as error:
        registry.record_result(name, scrub(str(error)))
        log.error("%s: %s", name, error)
        return "failed"
    finally:
        store.close()
    if tokens.refused is not None:
        return _needs_consent(registry, name, tokens.refused)
    if own.paused_for:
        registry.pause(name, own.paused_for)
        log.warning(
            "%s: Oura asked to wait %.0f s; skipped until then, the others go on",
            name,
            own.paused_for,
        )
        return "paused"
    registry.record_result(name, None if code == EXIT_OK else "a category failed (see the log)")
    return "ok" if code == EXIT_OK else "failed"


def _needs_consent(registry: Registry, name: str, reason: str) -> str:
    registry.set_state(name, NEEDS_CONSENT, scrub(reason))
    log.error(
        "%s: Oura refused their token (%s); skipped from now on until they enrol again "
        "(`oura-stats accounts invite %s`)",
        name,
        scrub(reason),
        name,
    )
    return "failed"
