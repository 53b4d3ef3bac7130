"""Odd bytes in a CSV (a spreadsheet's cp1252 save, a huge cell) and damaged CSVs handed to
`db sync`: each fails its own category or table with one line; the rest goes on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import Workspace, fetch, fetch_args, run_cli
from dbcheck import Db

from oura_stats.demo.server import FakeOura
from oura_stats.store.csvfile import CsvFormatError, first_bad_byte, read_header

ONE_LINE = re.compile(r"stress\.csv: not UTF-8: byte 0xe9 at offset (\d+); .*UTF-8")


def spoil(path: Path) -> int:
    """Put a cp1252 'é' into the last row's last text cell; return its byte offset."""
    data = path.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    at = data.index(b",", last) + 1  # the second cell of the last row
    path.write_bytes(data[:at] + b"\xe9" + data[at:])
    return at


def sync(db: Db, ws: Workspace, *extra: str) -> list[str]:
    return ["db", "sync", "--db", db.target, "--output-dir", str(ws.data),
            "--state-file", str(ws.state), *extra]  # fmt: skip


def spoiled_run(api: FakeOura, ws: Workspace, tmp_path: Path) -> tuple[list[str], int]:
    """Fetch two categories, spoil one CSV; the args of a run with --db and --report."""
    picked = ("--categories", "daily_stress,daily_sleep")
    assert fetch(api, ws, *picked).returncode == 0
    offset = spoil(ws.data / "daily_stress.csv")
    extra = ("--db", str(tmp_path / "oura.db"), "--report", str(tmp_path / "report.html"))
    return fetch_args(api, ws, *picked, *extra), offset


def test_cp1252_byte_fails_its_category_with_the_offset_and_the_rest_goes_on(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    args, offset = spoiled_run(api, ws, tmp_path)
    result = run_cli(*args)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    found = ONE_LINE.search(result.stderr)
    assert found, result.stderr
    assert int(found.group(1)) == offset
    assert (tmp_path / "report.html").is_file()
    database = Db("sqlite", str(tmp_path / "oura.db"))
    assert database.query("SELECT count(*) FROM daily_sleep")[0][0] > 0


def test_service_with_a_cp1252_csv_reaches_its_next_round(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    args, _ = spoiled_run(api, ws, tmp_path)
    args[0] = "service"
    result = run_cli(*args, "--max-runs", "2", "--interval-hours", "0.0001")
    assert "Traceback" not in result.stderr
    assert len(ONE_LINE.findall(result.stderr)) >= 2, result.stderr  # both rounds ran
    assert (tmp_path / "report.html").is_file()


def test_report_and_db_sync_skip_a_cp1252_csv_with_one_line(
    api: FakeOura, ws: Workspace, db: Db, tmp_path: Path
) -> None:
    assert fetch(api, ws, "--categories", "daily_stress,daily_sleep").returncode == 0
    spoil(ws.data / "daily_stress.csv")
    out = tmp_path / "report.html"
    report = run_cli("report", "--output-dir", str(ws.data), "--out", str(out))
    assert "Traceback" not in report.stderr
    assert ONE_LINE.search(report.stderr), report.stderr
    assert out.is_file()
    loaded = run_cli(*sync(db, ws))
    assert loaded.returncode == 1
    assert "Traceback" not in loaded.stderr
    assert ONE_LINE.search(loaded.stderr), loaded.stderr
    assert db.query("SELECT count(*) FROM daily_sleep")[0][0] == len(api.data["daily_sleep"])


def test_a_huge_cell_is_written_and_read_back_everywhere(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    doc = api.data["daily_activity"][-1]
    items = [round(1.1 + i % 7 / 10, 1) for i in range(40_000)]
    api.upsert_document("daily_activity", dict(doc, met=dict(doc["met"], items=items)))
    database, report = tmp_path / "oura.db", tmp_path / "report.html"
    picked = ("--categories", "daily_activity", "--db", str(database), "--report", str(report))
    first = fetch(api, ws, *picked)
    assert first.returncode == 0, first.stderr
    again = fetch(api, ws, *picked)  # the merge reads the cell back
    assert again.returncode == 0, again.stderr
    rebuilt = tmp_path / "rebuilt.db"
    synced = run_cli(*sync(Db("sqlite", str(rebuilt)), ws, "--categories", "daily_activity"))
    assert synced.returncode == 0, synced.stderr
    stored = Db("sqlite", str(rebuilt)).query(
        'SELECT "met.items" FROM daily_activity WHERE id = ?', (doc["id"],)
    )
    assert len(stored[0][0]) > 131072
    assert report.is_file()


@pytest.mark.parametrize("damaged", ["daily_stress", "heartrate"])  # row by row; bulk COPY
def test_db_sync_refuses_a_header_that_lost_a_column(
    api: FakeOura, ws: Workspace, db: Db, damaged: str
) -> None:
    assert fetch(api, ws, "--categories", f"{damaged},daily_sleep").returncode == 0
    path = ws.data / f"{damaged}.csv"
    header, rest = path.read_text().split("\n", 1)
    path.write_text(header.rsplit(",", 1)[0] + "\n" + rest)
    result = run_cli(*sync(db, ws))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(rf"{damaged}: .*{damaged}\.csv.*fields but the header", result.stderr)
    assert db.query(f"SELECT count(*) FROM {damaged}") == [(0,)]
    assert db.query("SELECT count(*) FROM daily_sleep")[0][0] == len(api.data["daily_sleep"])


def test_headers_read_as_records_and_bad_bytes_found_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b'id,"line\nbreak","say ""hi"""\n1,2,3\n')
    with path.open("rb") as handle:
        assert read_header(handle) == (["id", "line\nbreak", 'say "hi"'], 29)
    path.write_bytes(b"id,caf\xe9\n1\n")
    with path.open("rb") as handle, pytest.raises(CsvFormatError, match="0xe9 at offset 6;"):
        read_header(handle)
    body = b"id\n" + "é".encode() * (1 << 20) + b"\x80"  # a character split across chunks
    path.write_bytes(body)
    with path.open("rb") as handle:
        assert first_bad_byte(handle, 3) == (len(body) - 1, 0x80)


def test_db_sync_refuses_a_truncated_or_overlong_row(api: FakeOura, ws: Workspace, db: Db) -> None:
    assert fetch(api, ws, "--categories", "daily_stress").returncode == 0
    path = ws.data / "daily_stress.csv"
    good = path.read_text()
    lines = good.rstrip("\n").split("\n")
    for broken in (lines[-1].rsplit(",", 2)[0], lines[-1] + ",extra"):
        path.write_text("\n".join([*lines[:-1], broken]) + "\n")
        result = run_cli(*sync(db, ws))
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "fields but the header names" in result.stderr
        assert db.query("SELECT count(*) FROM daily_stress") == [(0,)]


def test_db_sync_mirrors_a_row_deleted_from_the_csv(api: FakeOura, ws: Workspace, db: Db) -> None:
    assert fetch(api, ws, "--categories", "daily_stress", "--db", db.target).returncode == 0
    path = ws.data / "daily_stress.csv"
    lines = path.read_text().split("\n")
    removed = lines.pop(3).split(",")[0]
    path.write_text("\n".join(lines))
    result = run_cli(*sync(db, ws, "--categories", "daily_stress"))
    assert result.returncode == 0, result.stderr
    ids = {row[0] for row in db.query("SELECT id FROM daily_stress")}
    assert removed not in ids
    assert len(ids) == len(api.data["daily_stress"]) - 1
