"""The Grafana files (deploy/kubernetes/grafana, also mounted by docs/compose.postgres.yaml):
every dashboard query answers against a real mirror."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY, Workspace, fetch
from test_cohort import make_study

from oura_stats.demo.server import FakeOura

DOCS = Path(__file__).resolve().parent.parent / "docs"
GRAFANA = DOCS.parent / "deploy" / "kubernetes" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "oura.json"


def queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [
        (panel["title"], target["rawSql"])
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def variable_query() -> str:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    (participant,) = dashboard["templating"]["list"]
    assert participant["name"] == "participant"
    return str(participant["query"])


def plain(sql: str, start: dt.datetime, end: dt.datetime, participant: str = "default") -> str:
    """The query with Grafana's macros and the `participant` variable replaced."""
    sql = sql.replace("$participant", participant)
    bounds = f"'{start.isoformat()}' AND '{end.isoformat()}'"
    sql = re.sub(r"\$__timeFilter\(([^)]+)\)", rf"\1 BETWEEN {bounds}", sql)
    sql = sql.replace("$__timeFrom()", f"'{start.isoformat()}'")
    sql = sql.replace("$__timeTo()", f"'{end.isoformat()}'")
    assert "$" not in sql, sql
    return sql


@pytest.mark.parametrize("mode", [(), ("--no-csv",)], ids=["csv-and-db", "database-only"])
def test_every_dashboard_query_returns_rows_after_a_fetch(
    api: FakeOura, ws: Workspace, pg_url: str, mode: tuple[str, ...]
) -> None:
    import psycopg

    result = fetch(api, ws, "--db", pg_url, *mode)
    assert result.returncode == 0, result.stderr
    end = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(), dt.UTC)
    start = end - dt.timedelta(days=90)
    found = queries()
    assert len(found) >= 10
    with psycopg.connect(pg_url) as connection:
        (who,) = connection.execute(variable_query()).fetchall()  # type: ignore[arg-type]
        assert who == ("default",)  # one person: the variable has one value
        for title, sql in found:
            rows = connection.execute(plain(sql, start, end)).fetchall()  # type: ignore[arg-type]
            assert rows, f"panel {title!r} shows nothing"


def test_in_a_study_every_panel_shows_the_chosen_participant_only(pg_url: str) -> None:
    import psycopg

    for study in make_study(pg_url, 2, days=5):
        assert study.fetch().returncode == 0
        end = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(), dt.UTC)
        start = end - dt.timedelta(days=90)
        with psycopg.connect(pg_url) as connection:
            names = connection.execute(variable_query()).fetchall()  # type: ignore[arg-type]
            assert names == [("p001",), ("p002",)]
            scores = {}
            for (name,) in names:
                for title, sql in queries():
                    found = connection.execute(plain(sql, start, end, name)).fetchall()  # type: ignore[arg-type]
                    assert found, f"panel {title!r} shows nothing for {name}"
                    times = [row[0] for row in found]
                    assert len(times) == len(set(times)), f"{title!r}: a day twice for {name}"
                (sql,) = [
                    sql for title, sql in queries() if "daily\n" in sql and "sleep_score" in sql
                ]
                scores[name] = connection.execute(plain(sql, start, end, name)).fetchall()  # type: ignore[arg-type]
                own = connection.execute(
                    "SELECT score FROM daily_sleep WHERE account = %s ORDER BY day", (name,)
                ).fetchall()
                assert [row[1] for row in scores[name]] == [row[0] for row in own]
            assert scores["p001"] != scores["p002"]


def test_dashboard_covers_the_topics_and_uses_the_provisioned_datasource() -> None:
    yaml = pytest.importorskip("yaml")
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning/datasources/oura.yaml").read_text(encoding="utf-8")
    )
    uid = provisioned["datasources"][0]["uid"]
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert {p["datasource"]["uid"] for p in dashboard["panels"]} == {uid}
    text = " ".join(sql for _, sql in queries())
    for topic in (
        "sleep_score",
        "readiness_score",
        "steps",
        "average_hrv",
        "lowest_heart_rate",
        "max_bpm",
        "spo2_average",
        "stress_high",
        "_runs",
    ):
        assert topic in text, topic


def test_postgres_compose_wires_database_service_and_grafana() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DOCS / "compose.postgres.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "oura-stats", "grafana"}
    oura = services["oura-stats"]
    assert oura["build"]["args"]["EXTRAS"] == "[postgres]"
    assert oura["environment"]["OURA_STATS_DB"].startswith("postgresql://oura@postgres")
    assert "PGPASSWORD" in oura["environment"]
    for mount in services["grafana"]["volumes"]:
        source = mount.split(":")[0]
        if source.startswith("./"):
            assert (DOCS / source).is_dir(), source
    assert "ARG EXTRAS" in (DOCS / "Dockerfile").read_text(encoding="utf-8")
    assert services["postgres"]["ports"] == ["127.0.0.1:${OURA_DB_PORT:-5432}:5432"]
    assert "${OURA_DATA:-oura-data}:/data" in oura["volumes"]


def test_last_sync_panel_lists_every_category_even_those_never_succeeded(
    api: FakeOura, ws: Workspace, pg_url: str
) -> None:
    import psycopg

    from oura_stats.api.categories import BY_NAME

    api.fail("daily_sleep", 400, times=1000)
    others = [name for name in BY_NAME if name != "tag"]
    result = fetch(api, ws, "--db", pg_url, "--categories", ",".join(others))
    assert result.returncode == 1
    (sql,) = [sql for title, sql in queries() if title == "Last sync per category"]
    with psycopg.connect(pg_url) as connection:
        found = connection.execute(sql).fetchall()  # type: ignore[arg-type]
    panel = {row[0]: row for row in found}
    assert set(panel) == set(BY_NAME)
    assert panel["daily_sleep"][1] is None and panel["daily_sleep"][3]  # failed, said why
    assert panel["tag"][1:] == (None, None, None)  # never run, still listed
    assert panel["sleep"][1] is not None
