"""Enrolling a participant at the terminal, and withdrawing one: what `accounts add` and
`accounts remove` do, beyond their arguments."""

from __future__ import annotations

import logging
import sys
import time

import requests

from oura_stats.auth.login import (
    LoginRequest,
    code_via_listener,
    code_via_paste,
    exchange_code,
    report_scopes,
    say,
)
from oura_stats.auth.manage import revoke_grant
from oura_stats.auth.provider import OAuthTokenProvider
from oura_stats.db.participants import Registry
from oura_stats.db.target import Target
from oura_stats.errors import AuthError
from oura_stats.run.homes import participant_credentials
from oura_stats.run.identify import oura_user_id
from oura_stats.scrub import remember

log = logging.getLogger(__name__)


def add_participant(
    target: Target,
    name: str,
    request: LoginRequest,
    base_url: str,
    *,
    manual: bool,
    open_browser: bool,
    timeout: float,
    plain_tokens: bool,
) -> str:
    """Run the consent for `name` (as `auth login` does), then store their tokens and
    enrolment; the Oura user id."""
    store = participant_credentials(target, name, plain_tokens=plain_tokens)  # key first
    try:
        with Registry(target) as registry:
            registry.create_tables()
            say(f"Enrolling {name}: the participant signs in to Oura and approves.")
            say(f"Redirect URI to register (exactly): {request.redirect_uri}")
            remember(request.client_secret)
            if manual:
                code = code_via_paste(request, sys.stdin)
            else:
                code = code_via_listener(request, open_browser=open_browser, timeout=timeout)
            remember(code)
            with requests.Session() as session:
                credentials = exchange_code(request, code, session=session, clock=time.time())
            user = oura_user_id(base_url, credentials.access_token)
            registry.enrol(name, user)
            store.save(credentials)
    finally:
        store.close()
    report_scopes(request.scopes, credentials.scopes)
    log.info("enrolled %s (Oura user %s); tokens stored in %s", name, user, target.display)
    return user


def remove_participant(
    target: Target,
    name: str,
    *,
    delete_data: bool,
    revoke_first: bool,
    revoke_url: str | None,
    plain_tokens: bool,
) -> dict[str, int]:
    """Revoke `name`'s grant at Oura (unless told not to), then withdraw them; with
    `delete_data`, their rows go too. {table: rows deleted}."""
    with Registry(target) as registry:
        registry.get(name)  # an unknown name is a usage error before anything happens
        store = participant_credentials(target, name, plain_tokens=plain_tokens)
        try:
            if revoke_first and store.exists():
                with requests.Session() as session:
                    try:
                        provider = OAuthTokenProvider(store, session=session)
                    except AuthError:
                        provider = None  # nothing usable left to revoke
                    if provider is not None:
                        revoke_grant(
                            provider,
                            session,
                            revoke_url,
                            kept=f"nothing of {name} was removed (retry, or add --no-revoke)",
                        )
        finally:
            store.close()
        removed = registry.withdraw(name, delete_data=delete_data)
    for table, count in sorted(removed.items()):
        log.info("%s: removed %s rows of %s", table, f"{count:,}", name)
    log.info(
        "%s withdrawn%s",
        name,
        f"; {sum(removed.values()):,} rows deleted" if delete_data else " (their data is kept)",
    )
    return removed
