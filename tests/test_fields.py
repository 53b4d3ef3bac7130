"""The per-field type table shipped in the package: complete, typed as the API says, in sync."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType

import pytest
from conftest import history

from oura_stats.api.categories import CATEGORIES
from oura_stats.api.fields import TYPES, field_type, fields
from oura_stats.store.flatten import flatten

ROOT = Path(__file__).resolve().parent.parent


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_fields", ROOT / "docs/scripts/build_fields.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _endpoints_file() -> Path | None:
    """The API's type map, if this checkout sits beside it (it is not shipped)."""
    named = os.environ.get("OURA_ENDPOINTS_JSON")
    if named:
        return Path(named)
    for parent in ROOT.parents:
        candidate = parent / "shared" / "oura-endpoints.json"
        if candidate.exists():
            return candidate
    return None


def test_every_category_has_its_key_and_time_columns_typed() -> None:
    for category in CATEGORIES:
        columns = fields(category.name)
        assert columns, category.name
        for column in category.lead_columns:
            assert column in columns, (category.name, column)
        assert {f.type for f in columns.values()} <= set(TYPES)


def test_types_follow_the_api_not_the_look_of_values() -> None:
    assert field_type("daily_activity", "class_5_min") == "string"
    assert field_type("sleep", "sleep_phase_5_min") == "string"
    assert field_type("sleep", "readiness.contributors.hrv_balance") == "integer"
    assert field_type("sleep", "heart_rate.items") == "array"
    assert field_type("sleep", "heart_rate") == "object"
    assert field_type("sleep", "average_breath") == "number"
    assert field_type("sleep", "low_battery_alert") == "boolean"
    assert field_type("heartrate", "timestamp") == "datetime"
    assert field_type("daily_resilience", "day") == "date"
    assert field_type("daily_readiness", "no_such_field") is None
    assert fields("daily_resilience")["level"].enum[0] == "limited"


def test_every_column_of_the_fake_history_is_described() -> None:
    for name, documents in history().items():
        columns = fields(name)
        for document in documents if isinstance(documents, list) else [documents]:
            unknown = set(flatten(document)) - set(columns)
            assert not unknown, (name, unknown)


def test_table_matches_the_api_type_map_when_present() -> None:
    path = _endpoints_file()
    if path is None:
        pytest.skip("the API type map is not beside this checkout")
    builder = _builder()
    spec = json.loads(path.read_text(encoding="utf-8"))
    shipped = (ROOT / "oura_stats/api/fields.json").read_text(encoding="utf-8")
    assert builder.render(builder.build(spec)) == shipped, "run docs/scripts/build_fields.py"
