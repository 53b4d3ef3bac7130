"""A synthetic study: many Oura accounts behind one address, as Oura serves an app's users.

Each participant has their own history (a different seed: other numbers, another user id)
and their own token; a request is answered from the account its bearer token belongs to,
and a token nobody owns gets 401. Some participants are made as studies find them: one
stopped wearing the ring days ago, one has a gap of a week.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from oura_stats.demo.api_rules import Response, detail_response, json_response
from oura_stats.demo.history import make_history
from oura_stats.demo.httpd import Served
from oura_stats.demo.server import FakeOura

DATED = ("timestamp", "day", "start_day", "bedtime_end")
TOKEN_PATH = "/oauth/token"  # noqa: S105 - a path, not a secret


@dataclass
class Member:
    name: str  # the study's name for them (p001)
    token: str
    api: FakeOura  # their account, answered through the cohort's address

    @property
    def user_id(self) -> str:
        return str(self.api.data["personal_info"]["id"])


def member_history(
    index: int, days: int, end: dt.date, *, silent_days: int = 0, gap: tuple[int, int] | None = None
) -> dict[str, Any]:
    """One participant's history: `silent_days` without data at the end, and an optional
    gap (`gap` = (days before the end, length)) where the ring was not worn."""
    data = make_history(days, end=end, seed=1000 + index)
    holes: list[tuple[dt.date, dt.date]] = []
    if silent_days:
        holes.append((end - dt.timedelta(days=silent_days - 1), end))
    if gap is not None:
        first = end - dt.timedelta(days=gap[0])
        holes.append((first, first + dt.timedelta(days=gap[1] - 1)))
    if holes:
        for name, docs in data.items():
            if isinstance(docs, list):
                data[name] = [doc for doc in docs if not _within(doc, holes)]
    return data


def _within(doc: dict[str, Any], holes: list[tuple[dt.date, dt.date]]) -> bool:
    for field in DATED:
        value = doc.get(field)
        if isinstance(value, str) and len(value) >= 10:
            try:
                day = dt.date.fromisoformat(value[:10])
            except ValueError:
                return False
            return any(first <= day <= last for first, last in holes)
    return False


class CohortOura(Served):
    """The synthetic API for a whole study, on 127.0.0.1. `owner` maps a token to the
    participant's user id (for tokens a fake OAuth server issued); static member tokens
    always work."""

    def __init__(
        self, members: list[Member], owner: Callable[[str], str | None] | None = None
    ) -> None:
        self.members = members
        self.owner = owner
        self.by_user = {member.user_id: member for member in members}
        self.by_token = {member.token: member for member in members}
        for member in members:  # a member's own server trusts the cohort's routing
            member.api.token_check = lambda token: True
        self._init_served()

    def member_of(self, authorization: str | None) -> Member | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        member = self.by_token.get(token)
        if member is None and self.owner is not None:
            user = self.owner(token)
            member = self.by_user.get(user) if user else None
        return member

    def revoke(self, member: Member) -> None:
        """The participant removed the study's app in Oura: their token stops working."""
        self.by_token.pop(member.token, None)
        self.by_user.pop(member.user_id, None)

    def respond(self, method: str, target: str, authorization: str | None) -> Response:
        if method == "POST" and target.split("?", maxsplit=1)[0].endswith(TOKEN_PATH):
            # The demo's tokens cannot be refreshed: a refused one stays refused.
            return json_response(400, {"error": "invalid_grant"})
        member = self.member_of(authorization)
        if member is None:
            detail = "Not authenticated" if not authorization else "Invalid or expired token"
            return detail_response(401, detail, {"WWW-Authenticate": "Bearer"})
        return member.api.respond(method, target, authorization)

    def requests_total(self) -> int:
        return sum(len(member.api.requests) for member in self.members)


def make_cohort(
    count: int, days: int, end: dt.date, *, latency: float = 0.0, today: dt.date | None = None
) -> list[Member]:
    """`count` participants p001…: every seventh stopped syncing 4 days ago, every
    eleventh has a week-long gap a month ago; the rest wear their ring every day."""
    members = []
    for index in range(1, count + 1):
        silent = 4 if index % 7 == 0 else 0
        gap = (30, 7) if index % 11 == 0 else None
        data = member_history(index, days, end, silent_days=silent, gap=gap)
        api = FakeOura(data, latency=latency, today=today)
        members.append(Member(f"p{index:03d}", f"demo-token-p{index:03d}", api))
    return members
