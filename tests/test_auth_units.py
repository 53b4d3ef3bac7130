"""Pure pieces of the OAuth2 support: scopes, URLs, what a pasted redirect yields."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from oura_stats.auth.credentials import parse_credentials
from oura_stats.auth.login import LoginRequest, code_from_pasted
from oura_stats.auth.oauth import categories_without, requested_scopes
from oura_stats.auth.portals import (
    CLASSIC_SCOPES,
    LEGACY,
    NEW,
    portal_named,
    portal_of_token_url,
    sibling_revoke_url,
    wrong_portal_hint,
)
from oura_stats.errors import AuthError, ConfigError

STATE = "state-123"


def test_new_portal_is_the_default_with_moi_endpoints_and_prefixed_scopes() -> None:
    assert portal_named(None, {}) is NEW
    assert NEW.authorize_url == "https://moi.ouraring.com/oauth/v2/ext/oauth-authorize"
    assert NEW.token_url == "https://moi.ouraring.com/oauth/v2/ext/oauth-token"
    assert NEW.revoke_url == "https://moi.ouraring.com/oauth/v2/ext/oauth-revoke"
    needed = ("personal", "daily", "heartrate", "workout", "tag", "session", "spo2")
    assert requested_scopes(None, NEW) == tuple(
        "extapi:" + name for name in (*needed, "stress", "heart_health")
    )
    assert categories_without(requested_scopes(None, NEW)) == [
        c for c in categories_without([]) if c.scope == "ring_configuration"
    ]


def test_legacy_portal_switches_every_endpoint_and_the_scope_names() -> None:
    legacy = portal_named("legacy", {})
    assert portal_named(None, {"OURA_PORTAL": " Legacy "}) is legacy is LEGACY
    assert legacy.authorize_url == "https://cloud.ouraring.com/oauth/authorize"
    assert legacy.token_url == "https://api.ouraring.com/oauth/token"
    assert legacy.revoke_url == "https://api.ouraring.com/oauth/revoke"
    assert requested_scopes(None, legacy) == CLASSIC_SCOPES
    assert "spo2" in CLASSIC_SCOPES


def test_unknown_portal_is_a_usage_error_naming_both() -> None:
    with pytest.raises(ConfigError, match=r"--portal new.*--portal legacy"):
        portal_named("old", {})


def test_all_asks_for_what_the_portal_offers_and_a_prefix_override_applies_to_each() -> None:
    assert "extapi:ring_configuration" in requested_scopes("all", NEW)
    assert requested_scopes("all", LEGACY) == CLASSIC_SCOPES
    assert requested_scopes("daily, heartrate", LEGACY, "extapi:") == (
        "extapi:daily",
        "extapi:heartrate",
    )
    assert requested_scopes("extapi:daily daily", NEW) == ("extapi:daily",)
    assert requested_scopes("daily", NEW, "") == ("daily",)


def test_unknown_scope_is_requested_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert requested_scopes("daily,spo2Daily", LEGACY) == ("daily", "spo2Daily")
    assert "spo2Daily" in caplog.text


def test_empty_scope_list_is_a_usage_error() -> None:
    with pytest.raises(ConfigError):
        requested_scopes(" , ", NEW)


def test_categories_without_a_granted_scope() -> None:
    missing = {c.name for c in categories_without(["extapi:" + s for s in CLASSIC_SCOPES])}
    assert missing == {
        "daily_resilience",
        "daily_cardiovascular_age",
        "vO2_max",
        "ring_configuration",
    }
    assert categories_without(requested_scopes("all", NEW)) == []


def test_portal_and_revoke_url_follow_the_token_url() -> None:
    assert portal_of_token_url(NEW.token_url) is NEW
    assert portal_of_token_url("http://127.0.0.1:5/oauth/v2/ext/oauth-token") is NEW
    assert portal_of_token_url(LEGACY.token_url) is LEGACY
    assert portal_of_token_url("http://127.0.0.1:5/x/token") is LEGACY
    assert sibling_revoke_url(NEW.token_url, NEW) == NEW.revoke_url
    assert sibling_revoke_url(LEGACY.token_url, LEGACY) == LEGACY.revoke_url
    assert (
        sibling_revoke_url("http://h:5/oauth/v2/ext/oauth-token", NEW)
        == "http://h:5/oauth/v2/ext/oauth-revoke"
    )
    assert sibling_revoke_url("http://h:5/x/token", LEGACY) == "http://h:5/x/revoke"


@pytest.mark.parametrize(
    ("portal", "error", "advice"),
    [
        (NEW, "invalid_client", "--portal legacy"),
        (NEW, "invalid_scope", "--portal legacy"),
        (LEGACY, "invalid_client", "--portal new"),
        (LEGACY, "unauthorized_client", "--portal new"),
        (NEW, "invalid_grant", ""),
    ],
)
def test_invalid_client_or_scope_names_the_portal_to_try(
    portal: object, error: str, advice: str
) -> None:
    hint = wrong_portal_hint(portal, error)  # type: ignore[arg-type]
    assert (advice in hint) if advice else hint == ""


def test_credentials_saved_before_portals_were_recorded_still_load() -> None:
    old = (
        '{"version": 1, "client_id": "c", "client_secret": "s", "token_url": "%s", '
        '"access_token": "a", "refresh_token": "r", "obtained_at": "2026-01-01T00:00:00+00:00", '
        '"expires_at": "2026-01-02T00:00:00+00:00", "scopes": ["daily"]}'
    )
    for token_url, portal in ((LEGACY.token_url, LEGACY), (NEW.token_url, NEW)):
        credentials = parse_credentials(old % token_url)
        assert credentials.portal_name is None
        assert credentials.portal is portal
        assert '"portal"' not in credentials.to_json()
    recorded = parse_credentials(old % "http://h/x" + "")
    assert recorded.replace(portal_name="new").portal is NEW


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
