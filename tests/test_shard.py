"""`--shard INDEX/COUNT`: every participant in exactly one shard, stable as people enrol."""

from __future__ import annotations

import pytest

from oura_stats.errors import ConfigError
from oura_stats.run.shard import EVERYONE, Shard, parse_shard

NAMES = [f"p{n:03d}" for n in range(200)]


def test_every_participant_belongs_to_exactly_one_shard() -> None:
    shards = [Shard(i, 4) for i in range(4)]
    picked = [name for shard in shards for name in shard.select(NAMES)]
    assert sorted(picked) == sorted(NAMES)
    assert all(30 <= len(shard.select(NAMES)) <= 70 for shard in shards)


def test_enrolling_someone_moves_nobody_else() -> None:
    before = {i: Shard(i, 3).select(NAMES) for i in range(3)}
    after = {i: Shard(i, 3).select([*NAMES, "p999"]) for i in range(3)}
    assert sum(len(v) for v in after.values()) == len(NAMES) + 1
    for i in range(3):
        assert [n for n in after[i] if n != "p999"] == before[i]


def test_one_shard_is_everyone() -> None:
    assert EVERYONE.select(NAMES) == NAMES


def test_index_comes_from_the_indexed_jobs_environment() -> None:
    assert parse_shard("/3", {"JOB_COMPLETION_INDEX": "2"}) == Shard(2, 3)
    assert parse_shard("3", {"JOB_COMPLETION_INDEX": "0"}) == Shard(0, 3)
    assert parse_shard("1/3", {"JOB_COMPLETION_INDEX": "2"}) == Shard(1, 3)


@pytest.mark.parametrize(
    ("text", "env", "says"),
    [
        ("4/3", {}, "INDEX must be from 0 to 2"),
        ("3/3", {}, "INDEX must be from 0 to 2"),
        ("0/0", {}, "COUNT must be 1 or more"),
        ("a/3", {}, "INDEX must be a whole number"),
        ("1/x", {}, "COUNT must be a whole number"),
        ("/3", {}, "JOB_COMPLETION_INDEX is not set"),
        ("/3", {"JOB_COMPLETION_INDEX": "5"}, "INDEX must be from 0 to 2"),
    ],
)
def test_a_shard_that_cannot_be_is_a_usage_error(text: str, env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_shard(text, env)
