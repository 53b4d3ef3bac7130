"""`oura-stats enroll`: serve the enrolment pages that invitation links lead to (the options
are in `enroll_args.py`)."""

from __future__ import annotations

import argparse
import logging
import threading
import time
from typing import Any

from oura_stats.api.defaults import DEFAULT_BASE_URL
from oura_stats.auth.credentials import Credentials
from oura_stats.auth.oauth import TokenResponse, requested_scopes
from oura_stats.auth.portals import NEW, portal_named, portal_of_token_url
from oura_stats.cli.accounts import public_url, study_target
from oura_stats.cli.tokens import flag_or_env
from oura_stats.db.participants import Registry
from oura_stats.db.target import Target
from oura_stats.errors import EXIT_OK, AuthError, ConfigError
from oura_stats.run.enroll import Enrolment, EnrolPages, EnrolServer
from oura_stats.run.homes import participant_credentials
from oura_stats.run.identify import oura_user_id
from oura_stats.run.stopping import install_stop_handlers, interrupted_code
from oura_stats.scrub import remember

log = logging.getLogger(__name__)


def enrolment_from_args(args: argparse.Namespace) -> Enrolment:
    client_id = flag_or_env(args, "client_id", "OURA_CLIENT_ID")
    secret = flag_or_env(args, "client_secret", "OURA_CLIENT_SECRET")
    if not client_id or not secret:
        raise ConfigError(
            "the study's Oura application is needed: pass --client-id and --client-secret "
            "(or set OURA_CLIENT_ID and OURA_CLIENT_SECRET)"
        )
    remember(secret)
    portal = portal_named(args.portal) if args.portal else NEW
    token_url = flag_or_env(args, "token_url", "OURA_TOKEN_URL")
    return Enrolment(
        public_url=public_url(args.public_url),
        client_id=client_id,
        client_secret=secret,
        authorize_url=flag_or_env(args, "auth_url", "OURA_AUTH_URL") or portal.authorize_url,
        token_urls=(token_url,) if token_url else (portal.token_url,),
        scopes=requested_scopes(args.scopes, portal),
    )


def token_sink(target: Target, settings: Enrolment, *, plain: bool) -> Any:
    def save(_cursor: Any, name: str, tokens: TokenResponse) -> None:
        if tokens.refresh_token is None:
            raise AuthError("Oura issued no refresh token")
        now = time.time()
        credentials = Credentials(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_url=settings.token_urls[0],
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            obtained_at=now,
            expires_at=now + tokens.expires_in,
            scopes=tokens.scopes if tokens.scopes is not None else settings.scopes,
            portal_name=portal_of_token_url(settings.token_urls[0]).name,
        )
        store = participant_credentials(target, name, plain_tokens=plain)
        try:
            store.save(credentials)
        finally:
            store.close()

    return save


def identifier(base_url: str) -> Any:
    return lambda access_token: oura_user_id(base_url, access_token)


def run_enroll(args: argparse.Namespace) -> int:
    target = study_target(args)
    settings = enrolment_from_args(args)
    participant_credentials(target, "", plain_tokens=args.plain_tokens).close()  # key check
    base_url = flag_or_env(args, "base_url", "OURA_API_BASE_URL") or DEFAULT_BASE_URL
    stop = threading.Event()
    received = install_stop_handlers(stop)
    with Registry(target) as registry:
        registry.create_tables()
        pages = EnrolPages(
            settings,
            registry,
            token_sink(target, settings, plain=args.plain_tokens),
            identifier(base_url),
        )
        try:
            server = EnrolServer((args.host, args.port), pages)
        except OSError as error:
            raise ConfigError(
                f"cannot listen on {args.host}:{args.port} ({error.strerror}); pick another --port"
            ) from None
        with server:
            host, port = server.server_address[:2]
            log.warning(
                "enrolment pages on http://%s:%s (public: %s)", host, port, settings.public_url
            )
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            stop.wait()
            server.shutdown()
    return interrupted_code(EXIT_OK, received)
