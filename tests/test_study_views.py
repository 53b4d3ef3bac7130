"""A study's analysis views keep participants apart: `daily`, `heartrate_local`,
`heartrate_daily` and the series views have `account` and group, rank and join by it, so two
people's rows of one day are never merged; a one-person database turned study gets them too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from conftest import TOKEN, run_cli
from test_cohort import Study, make_study

from oura_stats.db.participants import Registry
from oura_stats.db.target import parse_target
from oura_stats.db.views import view_statements
from oura_stats.demo.server import FakeOura


@pytest.fixture
def two(pg_url: str) -> Iterator[Study]:
    """Two participants with data on the same days (other numbers: other seeds), collected."""
    for study in make_study(pg_url, 2, days=5):
        done = study.fetch()
        assert done.returncode == 0, done.stderr
        yield study


def rows(url: str, query: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()  # type: ignore[arg-type]


def columns(url: str, view: str) -> list[str]:
    with psycopg.connect(url) as conn:
        found = conn.execute(f"SELECT * FROM {view} LIMIT 0")  # type: ignore[arg-type]
        return [c.name for c in found.description or []]


def test_daily_has_one_row_per_participant_and_day_with_their_own_figures(two: Study) -> None:
    shared = rows(
        two.db,
        "SELECT a.day FROM daily_sleep a JOIN daily_sleep b ON a.day = b.day "
        "AND a.account < b.account AND a.score <> b.score",
    )
    assert shared  # the same days, different numbers: a merged view would be wrong
    assert columns(two.db, "daily")[:2] == ["account", "day"]
    assert rows(two.db, "SELECT account, day FROM daily GROUP BY 1, 2 HAVING count(*) > 1") == []
    own = (
        "SELECT d.account, d.day FROM daily d "
        "JOIN daily_sleep s ON s.account = d.account AND s.day = d.day "
        "JOIN daily_activity a ON a.account = d.account AND a.day = d.day "
        "WHERE d.sleep_score IS DISTINCT FROM s.score OR d.steps IS DISTINCT FROM a.steps"
    )
    assert rows(two.db, own) == []
    main_sleep = (
        "SELECT d.account, d.day FROM daily d JOIN sleep s ON s.account = d.account "
        "AND s.day = d.day AND s.type = 'long_sleep' "
        "WHERE d.total_sleep_duration IS DISTINCT FROM s.total_sleep_duration"
    )
    assert rows(two.db, main_sleep) == []
    per_person = rows(two.db, "SELECT account, count(*) FROM daily GROUP BY 1 ORDER BY 1")
    assert [name for name, _ in per_person] == ["p001", "p002"]
    assert sum(n for _, n in per_person) == len(rows(two.db, "SELECT * FROM daily"))


def test_heartrate_views_count_each_participants_own_samples(two: Study) -> None:
    assert columns(two.db, "heartrate_local")[0] == "account"
    assert columns(two.db, "heartrate_daily")[:2] == ["account", "day"]
    raw = rows(
        two.db,
        "SELECT account, count(*), sum(bpm), max(bpm) FROM heartrate GROUP BY 1 ORDER BY 1",
    )
    assert len(raw) == 2 and raw[0][1:] != raw[1][1:]
    local = rows(two.db, "SELECT account, count(*), sum(bpm), max(bpm) FROM heartrate_local "
                         "GROUP BY 1 ORDER BY 1")  # fmt: skip
    assert local == raw  # each sample once, under its own participant
    daily = rows(two.db, "SELECT account, sum(samples), round(sum(avg_bpm * samples))::bigint, "
                         "max(max_bpm) FROM heartrate_daily GROUP BY 1 ORDER BY 1")  # fmt: skip
    assert daily == raw
    assert rows(two.db, "SELECT account, day FROM heartrate_daily GROUP BY 1, 2 "
                        "HAVING count(*) > 1") == []  # fmt: skip
    mine = rows(
        two.db,
        "SELECT d.account, d.day FROM heartrate_daily d JOIN (SELECT account, day, "
        "max(bpm) AS top, count(*) AS n FROM heartrate_local GROUP BY 1, 2) l "
        "ON l.account = d.account AND l.day = d.day WHERE l.top <> d.max_bpm OR l.n <> d.samples",
    )
    assert mine == []


def test_series_views_name_each_samples_participant(two: Study) -> None:
    assert columns(two.db, "sleep__hrv")[:2] == ["account", "parent_id"]
    through_parent = rows(
        two.db,
        "SELECT p.account, count(*) FROM sleep__hrv s JOIN sleep p "
        "ON p.account = s.account AND p.id = s.parent_id GROUP BY 1 ORDER BY 1",
    )
    own = rows(two.db, "SELECT account, count(*) FROM sleep__hrv GROUP BY 1 ORDER BY 1")
    assert own == through_parent and len(own) == 2


def test_views_made_before_they_were_per_participant_are_remade_by_the_next_round(
    two: Study,
) -> None:
    with psycopg.connect(two.db) as conn:
        for statement in view_statements("postgresql"):  # the one-person views of old
            conn.execute(statement)  # type: ignore[arg-type]
    assert "account" not in columns(two.db, "daily")
    done = two.fetch()
    assert done.returncode == 0, done.stderr
    assert columns(two.db, "daily")[:2] == ["account", "day"]
    assert columns(two.db, "heartrate_daily")[:2] == ["account", "day"]


def test_a_one_person_database_made_a_study_gets_per_participant_views(
    api: FakeOura, pg_url: str
) -> None:
    done = run_cli("fetch", "--db", pg_url, "--no-csv", "--base-url", api.url, "--token", TOKEN)
    assert done.returncode == 0, done.stderr
    assert columns(pg_url, "daily")[0] == "day"  # one person: the views as they always were
    before = rows(pg_url, "SELECT * FROM daily ORDER BY day")
    with Registry(parse_target(pg_url)) as registry:
        registry.create_tables()  # what enrolling the first participant does
    assert columns(pg_url, "daily")[:2] == ["account", "day"]
    after = rows(pg_url, "SELECT * FROM daily ORDER BY day")
    assert after == [("default", *row) for row in before]


def test_a_column_widened_in_a_study_keeps_the_views_per_participant(pg_url: str) -> None:
    for study in make_study(pg_url, 2, days=3):
        doc = study.members[0].api.data["daily_activity"][0]
        doc["steps"] = 1234.5  # no integer: the column is widened, the views made again
        done = study.fetch()
        assert done.returncode == 0, done.stderr
        assert "steps" in done.stderr  # the widening is logged
        assert columns(study.db, "daily")[:2] == ["account", "day"]
        steps = rows(study.db, f"SELECT account, steps FROM daily WHERE day = '{doc['day']}' "
                               "ORDER BY 1")  # fmt: skip
        assert steps[0] == ("p001", 1234.5) and steps[1][0] == "p002"
