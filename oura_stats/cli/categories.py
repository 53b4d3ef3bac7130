"""`oura-stats categories`: the categories, their kind and key; with --columns, the data
dictionary (each column's type, unit and meaning), as text or as docs/columns.md."""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
from pathlib import Path

from oura_stats.api.categories import BY_NAME, CATEGORIES, select
from oura_stats.api.meanings import Column, columns
from oura_stats.cli.common import Subparsers, add_command
from oura_stats.cli.helptext import CATEGORIES_EXIT, epilog
from oura_stats.db.dictionary import local_time_columns, other_tables, series_tables
from oura_stats.errors import ConfigError
from oura_stats.store.csvfile import CsvFormatError, read_header
from oura_stats.store.names import MAX_IDENTIFIER_BYTES, db_column

log = logging.getLogger(__name__)

CATEGORIES_EPILOG = epilog(
    [
        "oura-stats categories",
        "oura-stats categories --columns sleep       # sleep.csv's columns: type, unit, meaning",
        "oura-stats categories --columns --markdown > docs/columns.md",
        "oura-stats categories --columns sleep --output-dir ~/oura   # with fields added since",
        "oura-stats fetch --categories sleep daily_readiness   # names as listed here",
    ],
    CATEGORIES_EXIT,
    notes="kind: daily (documents by day), series (timestamped samples), single (one "
    "document),\nundated (a list without dates). key: the columns that identify a row.",
)
ALL = "*all*"


def add_categories_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    categories = add_command(
        commands,
        "categories",
        parents=parents,
        help="list the categories, their kind and key; --columns: the data dictionary",
        description="List every category oura-stats collects (one CSV file each), with its "
        "kind and the key columns that identify a row. The names are those --categories, "
        "--exclude and --stale-categories accept. With --columns, list each column of the "
        "CSV files with its type, unit and meaning.",
        epilog=CATEGORIES_EPILOG,
    )
    categories.add_argument(
        "--columns",
        nargs="?",
        const=ALL,
        metavar="NAME",
        help="list the columns of every category, or of the one named: type, unit, meaning",
    )
    categories.add_argument(
        "--markdown",
        action="store_true",
        help="with --columns: write Markdown tables (how docs/columns.md is made)",
    )
    categories.add_argument(
        "--output-dir",
        type=Path,
        help="with --columns: also list the columns the CSVs there hold that the API's table "
        "does not (fields added since), with their database column",
    )
    categories.set_defaults(handler=run_categories)


def run_categories(args: argparse.Namespace) -> int:
    if args.columns is None:
        if args.markdown:
            raise ConfigError("--markdown goes with --columns")
        width = max(len(c.name) for c in CATEGORIES)
        for category in CATEGORIES:
            key = ",".join(category.key)
            sys.stdout.write(f"{category.name:<{width}}  {category.kind.value:<8}  key: {key}\n")
        return 0
    names = [c.name for c in CATEGORIES] if args.columns == ALL else [_one(args.columns)]
    if args.markdown:
        sys.stdout.write(_markdown(names))
    else:
        sys.stdout.write(_text(names, args.output_dir))
    return 0


def _one(name: str) -> str:
    (category,) = select([name])
    return category.name


def naming_rule() -> list[str]:
    """How odd field names become columns (store/names.py), with worked examples."""
    examples = {"Score": "Score", "the empty name": "", '"a.b"': '"a.b"', "x" * 80: "x" * 80}
    shown = "; ".join(
        f"{label if len(label) < 20 else label[:12] + '...'} → {db_column(column)}"
        for label, column in examples.items()
    )
    return [
        "Column names for odd field names (the same on every run, in the CSV and both databases):",
        "a part of a field's path that holds a dot or a NUL, or begins with a quote, is "
        'written as its JSON string: the top-level field a.b is the CSV column "a.b", '
        "beside a.b for a nested a: {b: ...}.",
        f"A CSV column that is empty, longer than {MAX_IDENTIFIER_BYTES} bytes, or holds "
        'A-Z, ", ~ or a control character is the database column <prefix>~<hash>: '
        f"{shown}. Every other column keeps its name.",
    ]


def _found_columns(name: str, directory: Path | None) -> list[str]:
    """The columns of `<directory>/<name>.csv` the API's table does not list."""
    if directory is None:
        return []
    path = directory / f"{name}.csv"
    try:
        with path.open("rb") as handle:
            header = read_header(handle)[0]
    except FileNotFoundError:
        return []
    except (OSError, CsvFormatError) as error:
        log.warning("%s: cannot read its header: %s", path, error)
        return []
    known = {column.name for column in columns(name)}
    return [column for column in header if column not in known]


def _text(names: list[str], directory: Path | None) -> str:
    out = []
    for name in names:
        listed = columns(name)
        out.append(f"{name}  ({BY_NAME[name].kind.value}, key: {','.join(BY_NAME[name].key)})")
        widths = [max((len(getattr(c, f)) for c in listed), default=0) for f in ("name", "type")]
        unit_width = max((len(c.unit) for c in listed), default=0)
        for c in listed:
            row = f"  {c.name:<{widths[0]}}  {c.type:<{widths[1]}}  {c.unit or '-':<{unit_width}}"
            out.append(f"{row}  {c.meaning}".rstrip())
        for column in _found_columns(name, directory):
            shown = column if column.isprintable() else ascii(column)
            out.append(f"  {shown}  → database column {db_column(column)}")
        out.append("")
    for paragraph in naming_rule():  # indented: only the categories head lines
        out.append(textwrap.fill(paragraph, 92, initial_indent="  ", subsequent_indent="    "))
    return "\n".join(out) + "\n"


def _markdown(names: list[str]) -> str:
    out = [
        "# Columns of the CSV files",
        "",
        "Generated by `oura-stats categories --columns --markdown`; do not edit by hand.",
        "Types are the API's: `date` is `YYYY-MM-DD`, `datetime` ISO 8601 with its UTC offset,",
        "`array` a JSON list in one cell, `object` the column of a nested object that was null.",
        "Digit strings (`class_5_min`, `sleep_phase_5_min`, ...) are `string`: read them as text.",
        "",
        *naming_rule(),
        "",
    ]
    for name in names:
        category = BY_NAME[name]
        out += [f"## {name}", "", f"{category.kind.value}, key `{','.join(category.key)}`", ""]
        out += ["| column | type | unit | meaning |", "|---|---|---|---|"]
        out += [_markdown_row(c) for c in columns(name)]
        out.append("")
    if len(names) == len(CATEGORIES):
        out += _database_markdown()
    return "\n".join(out)


def _database_markdown() -> list[str]:
    """What only the databases hold (`--db`), after the CSVs' columns."""
    out = [
        "# Database-only columns, series tables and views",
        "",
        "The databases (`--db`) hold the CSVs' columns and these. `local datetime` is",
        "`TIMESTAMP` (without time zone) in PostgreSQL and ISO text without an offset in",
        "SQLite; a series table's `timestamp` is `TIMESTAMPTZ`, or UTC ISO text in SQLite.",
        "",
        "## Local-time columns",
        "",
        "| column | type | unit | meaning |",
        "|---|---|---|---|",
        *[_markdown_row(c) for c in local_time_columns()],
        "",
    ]
    for table in [*series_tables(), *other_tables()]:
        out += [f"## {table.name}", "", f"{table.kind}: {table.about}", ""]
        out += ["| column | type | unit | meaning |", "|---|---|---|---|"]
        out += [_markdown_row(c) for c in table.columns]
        out.append("")
    return out


def _markdown_row(column: Column) -> str:
    cells = (f"`{column.name}`", column.type, column.unit, column.meaning)
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
