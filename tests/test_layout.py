"""The package's shape: parts that import one way only, short modules, a small top level."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import oura_stats

PACKAGE = Path(oura_stats.__file__).parent
MAX_LINES = 350
TOP_LEVEL = {"__init__", "__main__", "errors", "outcome", "scrub"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(path: Path) -> Iterator[str]:
    """Every oura_stats module `path` imports, TYPE_CHECKING blocks and functions included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("oura_stats"):
            module = node.module or ""
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                yield sub if sub in MODULES else module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("oura_stats"))


def part(module: str) -> str:
    """The subpackage (or top-level module) a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle in `graph`, or None."""
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done:
            return None
        for target in sorted(graph.get(node, ())):
            found = visit(target, [*trail, node])
            if found:
                return found
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start, [])
        if found:
            return found
    return None


def test_no_module_imports_itself_back_in_a_circle() -> None:
    graph = {name: set(imported(path)) - {name} for name, path in MODULES.items()}
    assert cycle(graph) is None


def test_parts_depend_on_each_other_one_way_only() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        for target in imported(path):
            if part(target) not in (part(name), "oura_stats"):
                graph.setdefault(part(name), set()).add(part(target))
    assert cycle(graph) is None
    assert "store" not in graph.get("api", set())  # the API side knows nothing of files


def test_no_module_is_longer_than_its_limit() -> None:
    lengths = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_the_top_level_holds_only_the_run_and_its_entry_points() -> None:
    top = {path.stem for path in PACKAGE.glob("*.py")}
    assert top <= TOP_LEVEL
    assert len(top) <= 6
    assert all(
        (PACKAGE / sub / "__init__.py").exists()
        for sub in ("api", "auth", "cli", "db", "demo", "monitor", "report", "run", "store")
    )


def test_every_module_says_what_it_is_for() -> None:
    missing = [
        name for name, path in MODULES.items() if not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert missing == []
