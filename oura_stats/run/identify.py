"""Whose Oura account a token belongs to: personal_info's `id`."""

from __future__ import annotations

from oura_stats.api.categories import BY_NAME
from oura_stats.api.client import OuraClient, RequestStats
from oura_stats.api.tokens import StaticToken
from oura_stats.errors import AuthError
from oura_stats.scrub import remember


def oura_user_id(base_url: str, access_token: str) -> str:
    remember(access_token)
    client = OuraClient(base_url, StaticToken(access_token), pool_size=1)
    try:
        info = client.get_object(BY_NAME["personal_info"].path, RequestStats())
    finally:
        client.close()
    user = str(info.get("id") or "")
    if not user:
        raise AuthError("Oura's personal_info carried no user id for this token")
    return user
