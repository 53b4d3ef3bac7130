"""`oura-stats auth login|status|logout|import`: the handlers (the options are in
`auth_args.py`).

Handlers return an exit code or raise an `OuraStatsError`; `cli.main` reports those.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys

import requests

from oura_stats.api.defaults import DEFAULT_BASE_URL
from oura_stats.auth.credentials import load_credentials, resolve_path
from oura_stats.auth.login import LoginRequest, login
from oura_stats.auth.manage import logout, show_status
from oura_stats.auth.oauth import requested_scopes
from oura_stats.auth.portals import portal_named
from oura_stats.auth.provider import OAuthTokenProvider
from oura_stats.cli.tokens import flag_or_env as _env
from oura_stats.cli.tokens import store_from_args, token_provider_from_args
from oura_stats.errors import EXIT_OK, ConfigError

log = logging.getLogger(__name__)

SCOPE_ENV = "OURA_SCOPE_PREFIX"


def _client_secret(args: argparse.Namespace) -> str:
    secret = _env(args, "client_secret", "OURA_CLIENT_SECRET")
    if secret:
        return secret
    if sys.stdin.isatty():
        secret = getpass.getpass("Oura client secret: ")
        if secret:
            return secret
    raise ConfigError("no client secret: pass --client-secret or set OURA_CLIENT_SECRET")


def run_login(args: argparse.Namespace) -> int:
    request = login_request(args)
    store = store_from_args(args, writing=True)
    with requests.Session() as session:
        login(
            request,
            store,
            session=session,
            manual=args.manual,
            open_browser=not (args.no_browser or args.manual),
            stdin=sys.stdin,
            timeout=args.timeout,
        )
    return EXIT_OK


def login_request(args: argparse.Namespace) -> LoginRequest:
    """The authorization-code flow the login options describe (also `accounts add`)."""
    client_id = _env(args, "client_id", "OURA_CLIENT_ID")
    if not client_id:
        raise ConfigError(
            "no client id: pass --client-id or set OURA_CLIENT_ID (from your application "
            "at developer.ouraring.com)"
        )
    portal = portal_named(args.portal)
    token_url = _env(args, "token_url", "OURA_TOKEN_URL")
    # --scope-prefix '' asks for plain names; an empty variable counts as unset.
    prefix = (
        args.scope_prefix if args.scope_prefix is not None else os.environ.get(SCOPE_ENV) or None
    )
    return LoginRequest(
        client_id=client_id,
        client_secret=_client_secret(args),
        scopes=requested_scopes(args.scopes, portal, prefix),
        port=args.port,
        authorize_url=_env(args, "auth_url", "OURA_AUTH_URL") or portal.authorize_url,
        # The other portal's endpoint only if this one never took the code (see oauth.py).
        token_urls=(token_url,) if token_url else (portal.token_url, portal.other.token_url),
        portal=portal,
        api_base_url=_env(args, "base_url", "OURA_API_BASE_URL"),
    )


def run_status(args: argparse.Namespace) -> int:
    provider = token_provider_from_args(args)
    if provider is None:
        raise ConfigError(
            f"not logged in: no credentials in the {store_from_args(args).where}; "
            "run `oura-stats auth login`"
        )
    assert isinstance(provider, OAuthTokenProvider)  # what token_provider_from_args builds
    base_url = (
        _env(args, "base_url", "OURA_API_BASE_URL")
        or provider.credentials().api_base_url  # the API the login was for
        or DEFAULT_BASE_URL
    )
    show_status(provider, base_url, sys.stdout)
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    if not args.db:
        raise ConfigError("auth import needs --db postgresql://user@host/dbname")
    path, _ = resolve_path(args.credentials_file)
    credentials = load_credentials(path)
    store = store_from_args(args, writing=True)
    store.save(credentials)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    log.info("moved the login from %s into the %s", path, store.where)
    return EXIT_OK


def run_logout(args: argparse.Namespace) -> int:
    logout(
        store_from_args(args),
        token_url=_env(args, "token_url", "OURA_TOKEN_URL"),
        revoke_url=_env(args, "revoke_url", "OURA_REVOKE_URL"),
        revoke_first=not args.no_revoke,
    )
    return EXIT_OK
