"""Regenerate oura_stats/api/fields.json from the API's per-field type map.

Usage: python tools/build_fields.py PATH/TO/oura-endpoints.json

The map (`oura-endpoints.json`, derived from the Oura API v2 OpenAPI spec) is not shipped;
the package carries the compact table this script writes, and a test checks that the two
agree whenever the map is present.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGET = Path(__file__).resolve().parents[2] / "oura_stats" / "api" / "fields.json"

# Named string formats of the spec, as the table's types.
_SEMANTIC = {
    "ISODate": "date",
    "LocalizedDateTime": "datetime",
    "UtcDateTime": "datetime",
    "LocalDateTime": "datetime",
}


def build(spec: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """{category: {dotted column: {"type", "nullable"[, "enum"]}}} in the spec's field order."""
    return {
        endpoint["name"]: dict(_columns(endpoint["field_details"], ""))
        for endpoint in spec["list_endpoints"]
    }


def _columns(fields: dict[str, Any], prefix: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for name, detail in fields.items():
        column = prefix + name
        entry: dict[str, Any] = {"type": _type(detail), "nullable": bool(detail.get("nullable"))}
        if "enum" in detail:
            entry["enum"] = list(detail["enum"])
        # A null (or empty) object keeps one column under its own name: typed "object".
        out.append((column, entry))
        if detail.get("kind") == "object" and "fields" in detail:
            out.extend(_columns(detail["fields"], column + "."))
    return out


def _type(detail: dict[str, Any]) -> str:
    kind = detail.get("kind")
    if kind in ("array", "object"):
        return str(kind)
    if detail.get("format") == "date":
        return "date"
    semantic = detail.get("semantic")
    if semantic is not None:
        return _SEMANTIC[semantic]
    return str(detail["type"])


def render(table: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One line per column: small diffs when the API adds a field."""
    lines = ["{"]
    for i, (category, columns) in enumerate(table.items()):
        lines.append(f"  {json.dumps(category)}: {{")
        for j, (column, entry) in enumerate(columns.items()):
            comma = "," if j < len(columns) - 1 else ""
            lines.append(f"    {json.dumps(column)}: {json.dumps(entry)}{comma}")
        lines.append("  }" + ("," if i < len(table) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    TARGET.write_text(render(build(spec)), encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
