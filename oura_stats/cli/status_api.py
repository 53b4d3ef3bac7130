"""`status --check-api`: the token the options give, and the one request that proves the API
answers and accepts it (imported only when asked for)."""

from __future__ import annotations

import argparse

from oura_stats.api.tokens import TokenProvider
from oura_stats.cli.tokens import resolve_tokens
from oura_stats.errors import ConfigError
from oura_stats.monitor import apicheck
from oura_stats.monitor.status_table import ApiCheck


def check_api(args: argparse.Namespace) -> ApiCheck:
    return apicheck.check_api(args.base_url, _tokens(args))


def _tokens(args: argparse.Namespace) -> TokenProvider:
    try:
        return resolve_tokens(args)
    except ConfigError:
        raise ConfigError(
            "--check-api needs a token: pass --token, set OURA_PERSONAL_ACCESS_TOKEN "
            "(or OURA_ACCESS_TOKEN), or log in with `oura-stats auth login`"
        ) from None
