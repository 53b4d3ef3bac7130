"""Oura's two application consoles ("portals"): their OAuth2 endpoints and scope names.

Applications created at developer.ouraring.com (every one since personal tokens ended)
belong to the new portal: consent, tokens and revocation at moi.ouraring.com, scope names
prefixed `extapi:`. Applications from the old cloud.ouraring.com console use the
documented endpoints and plain scope names. Each portal answers "invalid client" to the
other's applications, so an error names the portal to try instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from oura_stats.errors import ConfigError

PORTAL_ENV = "OURA_PORTAL"
MOI = "https://moi.ouraring.com/oauth/v2/ext"
NEW_TOKEN_PATH = "/oauth/v2/ext/oauth-token"  # noqa: S105 - a URL path, not a secret

# Every scope a category needs (see `Category.scope`), in the order consoles list them.
NEEDED_SCOPES = (
    "personal",
    "daily",
    "heartrate",
    "workout",
    "tag",
    "session",
    "spo2",
    "stress",
    "heart_health",
)
CLASSIC_SCOPES = ("email", "personal", "daily", "heartrate", "workout", "tag", "session", "spo2")
KNOWN_SCOPES = ("email", *NEEDED_SCOPES, "ring_configuration")


@dataclass(frozen=True)
class Portal:
    name: str
    console: str  # where its applications are created
    authorize_url: str
    token_url: str
    revoke_url: str
    scope_prefix: str
    default_scopes: tuple[str, ...]  # asked for unless --scopes says otherwise
    all_scopes: tuple[str, ...]  # what `--scopes all` asks for

    @property
    def other(self) -> Portal:
        return LEGACY if self is NEW else NEW


NEW = Portal(
    name="new",
    console="https://developer.ouraring.com/applications",
    authorize_url=f"{MOI}/oauth-authorize",
    token_url=f"{MOI}/oauth-token",
    revoke_url=f"{MOI}/oauth-revoke",
    scope_prefix="extapi:",
    default_scopes=NEEDED_SCOPES,  # this portal offers no e-mail scope
    all_scopes=(*NEEDED_SCOPES, "ring_configuration"),
)
LEGACY = Portal(
    name="legacy",
    console="https://cloud.ouraring.com/oauth/applications",
    authorize_url="https://cloud.ouraring.com/oauth/authorize",
    token_url="https://api.ouraring.com/oauth/token",  # noqa: S106 - a URL, not a secret
    revoke_url="https://api.ouraring.com/oauth/revoke",
    scope_prefix="",
    default_scopes=CLASSIC_SCOPES,  # stress and heart_health exist only in the new portal
    all_scopes=CLASSIC_SCOPES,
)
PORTALS = {portal.name: portal for portal in (NEW, LEGACY)}
DEFAULT = NEW


def portal_named(name: str | None, environ: Mapping[str, str] | None = None) -> Portal:
    """The portal `name` (else $OURA_PORTAL, else the new one); ConfigError if unknown."""
    env = os.environ if environ is None else environ
    chosen = (name or env.get(PORTAL_ENV) or DEFAULT.name).strip().lower()
    try:
        return PORTALS[chosen]
    except KeyError:
        raise ConfigError(
            f"unknown portal {chosen!r}: use `--portal new` (applications from "
            "developer.ouraring.com, the default) or `--portal legacy` (the old console)"
        ) from None


def portal_of_token_url(token_url: str) -> Portal:
    """The portal a token endpoint belongs to, by its path (so that a test host works too)."""
    return NEW if urlsplit(token_url).path.rstrip("/") == NEW_TOKEN_PATH else LEGACY


def sibling_revoke_url(token_url: str, portal: Portal) -> str:
    """The revoke endpoint beside a token endpoint: `…token` → `…revoke` on the same host."""
    if token_url == portal.token_url:
        return portal.revoke_url
    parts = urlsplit(token_url)
    path = parts.path.rstrip("/")
    path = path[: -len("token")] + "revoke" if path.endswith("token") else "/oauth/revoke"
    return f"{parts.scheme}://{parts.netloc}{path}"


def wrong_portal_hint(portal: Portal, error: str | None) -> str:
    """What to try when Oura answers invalid_client / invalid_scope, else ''."""
    if error not in ("invalid_client", "unauthorized_client", "invalid_scope"):
        return ""
    other = portal.other
    made = (
        "in the old cloud.ouraring.com console"
        if other is LEGACY
        else "at developer.ouraring.com/applications"
    )
    if error == "invalid_scope":
        return (
            f"; the {portal.name} portal did not accept these scope names: if your application "
            f"was created {made}, run `oura-stats auth login --portal {other.name}`"
        )
    return (
        f"; check the client id and secret, and if your application was created {made}, "
        f"run `oura-stats auth login --portal {other.name}`"
    )
