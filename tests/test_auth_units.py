"""Pure pieces of the OAuth2 support: scopes, URLs, what a pasted redirect yields."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from oura_stats.auth.login import LoginRequest, code_from_pasted
from oura_stats.auth.oauth import (
    ALL_SCOPES,
    CLASSIC_SCOPES,
    REVOKE_URL,
    categories_without,
    requested_scopes,
    revoke_url_for,
)
from oura_stats.errors import AuthError, ConfigError

STATE = "state-123"


def test_default_scopes_are_the_eight_every_app_has() -> None:
    assert requested_scopes(None) == CLASSIC_SCOPES
    assert "spo2" in CLASSIC_SCOPES


def test_all_adds_the_new_portal_scopes_and_a_prefix_applies_to_each() -> None:
    assert requested_scopes("all") == ALL_SCOPES
    assert requested_scopes("daily, heartrate", "extapi:") == ("extapi:daily", "extapi:heartrate")
    assert requested_scopes("extapi:daily daily", "extapi:") == ("extapi:daily",)


def test_unknown_scope_is_requested_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert requested_scopes("daily,spo2Daily") == ("daily", "spo2Daily")
    assert "spo2Daily" in caplog.text


def test_empty_scope_list_is_a_usage_error() -> None:
    with pytest.raises(ConfigError):
        requested_scopes(" , ")


def test_categories_without_a_granted_scope() -> None:
    missing = {c.name for c in categories_without(["extapi:" + s for s in CLASSIC_SCOPES])}
    assert missing == {
        "daily_resilience",
        "daily_cardiovascular_age",
        "vO2_max",
        "ring_configuration",
    }
    assert categories_without(ALL_SCOPES) == []


def test_revoke_url_is_ouras_own_or_beside_a_custom_token_url() -> None:
    assert revoke_url_for("https://moi.ouraring.com/oauth/v2/ext/oauth-token") == REVOKE_URL
    assert revoke_url_for("http://127.0.0.1:5/x/token") == "http://127.0.0.1:5/oauth/revoke"
    assert revoke_url_for("http://a/token", "http://b/revoke") == "http://b/revoke"


def test_authorization_url_carries_everything_oura_needs() -> None:
    request = LoginRequest(
        client_id="cid",
        client_secret="shh",
        scopes=("daily", "heartrate"),
        port=8899,
        authorize_url="https://cloud.ouraring.com/oauth/authorize",
        token_urls=("https://t",),
        state=STATE,
    )
    url = request.authorization_url()
    assert url.startswith("https://cloud.ouraring.com/oauth/authorize?")
    assert "scope=daily%20heartrate" in url
    assert parse_qs(urlsplit(url).query) == {
        "response_type": ["code"],
        "client_id": ["cid"],
        "redirect_uri": ["http://localhost:8899/callback"],
        "scope": ["daily heartrate"],
        "state": [STATE],
    }
    assert "shh" not in repr(request)
    assert STATE not in repr(request)


@pytest.mark.parametrize(
    "pasted",
    [
        f"http://localhost:8765/callback?code=abc&state={STATE}",
        f"localhost:8765/callback?state={STATE}&code=abc\n",
        f"code=abc&state={STATE}",
        "  abc  ",
    ],
)
def test_pasted_redirect_or_bare_code_gives_the_code(pasted: str) -> None:
    assert code_from_pasted(pasted, STATE) == "abc"


def test_pasted_redirect_with_another_state_is_refused() -> None:
    with pytest.raises(AuthError, match="state"):
        code_from_pasted("http://localhost:8765/callback?code=abc&state=other", STATE)


def test_pasted_error_redirect_reports_oauths_error() -> None:
    with pytest.raises(AuthError, match="access_denied: no thanks"):
        code_from_pasted(
            f"http://localhost:8765/callback?error=access_denied"
            f"&error_description=no+thanks&state={STATE}",
            STATE,
        )


@pytest.mark.parametrize("pasted", ["", "   ", "http://localhost:8765/callback", "two words"])
def test_pasted_garbage_is_a_usage_error(pasted: str) -> None:
    with pytest.raises(ConfigError):
        code_from_pasted(pasted, STATE)
