"""CSV files changed by hand or by a spreadsheet: read what can be read, never write ragged."""

from __future__ import annotations

import codecs
import copy
import csv
import io
from pathlib import Path

from conftest import TODAY, Workspace, fetch

from oura_stats.demo.history import revise
from oura_stats.demo.server import FakeOura

CATEGORIES = "daily_sleep,tag,heartrate"


def _as_a_spreadsheet_saves_it(path: Path) -> None:
    """UTF-8 with a byte order mark and CRLF line ends, every row rewritten."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(codecs.BOM_UTF8 + out.getvalue().encode("utf-8"))


def _change_upstream(api: FakeOura) -> None:
    """A revised sleep score, a new tag and a new heart-rate sample."""
    sleep = api.data["daily_sleep"]
    api.upsert_document("daily_sleep", revise(copy.deepcopy(sleep[-1])))
    tag = copy.deepcopy(api.data["tag"][-1])
    api.upsert_document("tag", {**tag, "id": "tag-added-later", "text": "=1+1"})
    sample = copy.deepcopy(api.data["heartrate"][-1])
    api.upsert_document("heartrate", {**sample, "source": "workout"})


def test_csvs_saved_by_a_spreadsheet_are_read_and_written_back_as_ours(
    api: FakeOura, tmp_path: Path
) -> None:
    plain, saved = Workspace(tmp_path / "plain"), Workspace(tmp_path / "saved")
    for ws in (plain, saved):
        assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    for name in CATEGORIES.split(","):
        _as_a_spreadsheet_saves_it(saved.data / f"{name}.csv")
    _change_upstream(api)
    for ws in (plain, saved):
        result = fetch(api, ws, "--categories", CATEGORIES)
        assert result.returncode == 0, result.stderr
    for name in CATEGORIES.split(","):
        written = (saved.data / f"{name}.csv").read_bytes()
        assert not written.startswith(codecs.BOM_UTF8)
        assert b"\r\n" not in written
        assert written == (plain.data / f"{name}.csv").read_bytes(), name
    assert any(row["text"] == "=1+1" for row in saved.csv("tag"))


def test_spreadsheet_file_is_rewritten_in_our_form_even_without_news(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws, "--categories", "tag").returncode == 0
    before = (ws.data / "tag.csv").read_bytes()
    _as_a_spreadsheet_saves_it(ws.data / "tag.csv")
    assert fetch(api, ws, "--categories", "tag").returncode == 0
    assert (ws.data / "tag.csv").read_bytes() == before


def _drop_header_column(path: Path, name: str) -> bytes:
    header, rest = path.read_bytes().split(b"\n", 1)
    columns = header.decode().split(",")
    columns.remove(name)
    damaged = ",".join(columns).encode() + b"\n" + rest
    path.write_bytes(damaged)
    return damaged


def test_header_that_lost_a_column_fails_its_category_and_leaves_the_file(
    api: FakeOura, ws: Workspace
) -> None:
    assert fetch(api, ws, "--categories", CATEGORIES).returncode == 0
    damaged = _drop_header_column(ws.data / "daily_sleep.csv", "score")
    _change_upstream(api)
    result = fetch(api, ws, "--categories", CATEGORIES)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    assert str(ws.data / "daily_sleep.csv") in errors[0]
    assert "header names" in errors[0]
    assert (ws.data / "daily_sleep.csv").read_bytes() == damaged
    assert any(row["id"] == "tag-added-later" for row in ws.csv("tag"))  # others went on
    assert any(row["source"] == "workout" for row in ws.csv("heartrate"))


def test_header_with_a_column_too_many_is_refused_for_the_whole_file(
    api: FakeOura, ws: Workspace
) -> None:
    """Only the recent tail is merged; the first row is checked too, so even a change
    far from the damage does not copy a ragged history under a new tail."""
    assert fetch(api, ws, "--categories", "heartrate").returncode == 0
    path = ws.data / "heartrate.csv"
    header, rest = path.read_bytes().split(b"\n", 1)
    damaged = header + b",note\n" + rest
    path.write_bytes(damaged)
    sample = {"bpm": 61, "source": "awake", "timestamp": f"{TODAY}T23:59:00+00:00"}
    api.upsert_document("heartrate", sample)
    result = fetch(api, ws, "--categories", "heartrate")
    assert result.returncode == 1
    width = len(header.split(b",")) + 1
    assert f"a row has {width - 1} fields but the header names {width} columns" in result.stderr
    assert path.read_bytes() == damaged


def test_text_that_looks_like_a_formula_is_written_verbatim(api: FakeOura, ws: Workspace) -> None:
    tag = copy.deepcopy(api.data["tag"][-1])
    texts = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"]
    for number, text in enumerate(texts):
        api.upsert_document("tag", {**tag, "id": f"formula-{number}", "text": text})
    assert fetch(api, ws, "--categories", "tag").returncode == 0
    stored = {row["id"]: row["text"] for row in ws.csv("tag")}
    assert [stored[f"formula-{n}"] for n in range(len(texts))] == texts


def test_document_deleted_upstream_keeps_its_row(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "tag").returncode == 0
    newest = api.data["tag"][-1]
    api.set_documents("tag", api.data["tag"][:-1])
    assert fetch(api, ws, "--categories", "tag", "--start-date", "2015-01-01").returncode == 0
    assert newest["id"] in {row["id"] for row in ws.csv("tag")}


def test_readme_csv_section_warns_of_formulas_deletions_and_keyless_documents() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Output format")[1].split("\n## ")[0]
    assert "starts with `=`, `+`, `-` or `@`" in section
    assert "written verbatim" in section
    assert "as text" in section
    assert "deleted upstream stay" in section
    assert "lacks a key field is not stored" in section
    assert "skips them" in section
