"""`status --check-api`: one request that proves the API answers and accepts the token.

Kept apart from `status` so that a plain `status` (what cron runs) imports no HTTP client.
"""

from __future__ import annotations

from oura_stats.api.categories import BY_NAME
from oura_stats.api.client import OuraClient, RequestStats, RetryPolicy
from oura_stats.api.tokens import TokenProvider
from oura_stats.errors import ForbiddenError, OuraStatsError
from oura_stats.monitor.status_table import ApiCheck
from oura_stats.scrub import scrub

CHECK_RETRY = RetryPolicy(attempts=2, backoff_base=0.5, rate_limit_retries=1, longest_wait=10.0)


def check_api(base_url: str, tokens: TokenProvider) -> ApiCheck:
    """One personal_info request: the cheapest proof that the API and the token work."""
    client = OuraClient(base_url, tokens, retry=CHECK_RETRY, pool_size=1)
    try:
        client.get_object(BY_NAME["personal_info"].path, RequestStats())
    except ForbiddenError as error:
        return ApiCheck(True, f"API reachable, token accepted; personal_info refused: {error}")
    except OuraStatsError as error:
        return ApiCheck(False, scrub(str(error)))
    finally:
        client.close()
    return ApiCheck(True, "API reachable, token accepted")
