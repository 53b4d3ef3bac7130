"""The ready-made integration files in docs/ parse, agree with each other and with the CLI."""

from __future__ import annotations

import argparse
import configparser
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from oura_stats.cli.main import build_parser
from oura_stats.cli.status_args import add_status_command

DOCS = Path(__file__).resolve().parent.parent / "docs"
SYSTEMD = DOCS / "systemd"
UNITS = sorted(SYSTEMD.glob("oura-stats*.service")) + sorted(SYSTEMD.glob("*.timer"))
BINARY = "/opt/oura-stats/bin/oura-stats"
HARDENING = {
    "NoNewPrivileges": "true",
    "ProtectSystem": "strict",
    "ProtectHome": "true",
    "PrivateTmp": "true",
    "StateDirectory": "oura-stats",
}
COMMANDS = ("fetch", "service", "status", "auth", "categories")


def read_unit(path: Path) -> configparser.RawConfigParser:
    """A unit file as sections of keys (structural check: systemd's syntax is INI-like)."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment, method-assign]  # keys are case-sensitive
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")  # line continuations
    parser.read_string(text, source=str(path))
    return parser


def test_the_three_units_exist() -> None:
    assert [p.name for p in UNITS] == [
        "oura-stats-fetch.service",
        "oura-stats.service",
        "oura-stats-fetch.timer",
    ]


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_files_have_the_expected_structure(path: Path) -> None:
    unit = read_unit(path)
    assert unit.get("Unit", "Description")
    if path.suffix == ".timer":
        timer = dict(unit.items("Timer"))
        assert timer["Persistent"] == "true"
        assert timer["RandomizedDelaySec"]
        assert timer["OnCalendar"]
        assert unit.get("Install", "WantedBy") == "timers.target"
        assert (SYSTEMD / f"{path.stem}.service").is_file()  # the unit it starts
        return
    service = dict(unit.items("Service"))
    assert service["ExecStart"].startswith(BINARY + " ")
    assert service["User"] == service["Group"] == "oura-stats"
    assert service["Environment"] == "OURA_CREDENTIALS_FILE=%S/oura-stats/credentials.json"
    assert service["EnvironmentFile"] == "-/etc/oura-stats/env"
    for key, value in HARDENING.items():
        assert service.get(key) == value, key
    if path.name == "oura-stats-fetch.service":
        assert service["Type"] == "oneshot"
        assert " fetch -q " in service["ExecStart"]
        assert " status -q " in service["ExecStartPost"]
    else:
        assert " service " in service["ExecStart"]
        assert "--health-port" in service["ExecStart"]
        assert unit.get("Install", "WantedBy") == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    true = shutil.which("true")
    assert true is not None
    for path in UNITS:  # verify insists that the program exists: point it at /bin/true
        text = path.read_text(encoding="utf-8").replace(BINARY, true)
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / p.name) for p in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""  # unknown keys and bad values only warn


# every command line in docs/ is one the CLI accepts --------------------------------------------


def cli_parser() -> argparse.ArgumentParser:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "status" not in commands.choices:  # until cli.py wires it, as it will
        output = argparse.ArgumentParser(add_help=False)
        output.add_argument("-v", "--verbose", action="store_true")
        output.add_argument("-q", "--quiet", action="store_true")
        add_status_command(commands, parents=[output])
    return parser


def documented_command_lines() -> list[tuple[str, list[str]]]:
    """(where, argv) for every `oura-stats <command> …` in a code block, unit or Dockerfile."""
    found: list[tuple[str, list[str]]] = []
    sources = [DOCS / "unattended.md", DOCS / "cron.md", *UNITS, DOCS / "compose.yaml"]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".md":
            text = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL))
        for line in text.replace("\\\n", " ").splitlines():
            program = rf'(?:^|[\s/"])oura-stats"?\s+(({"|".join(COMMANDS)})\b.*)'
            for match in re.finditer(program, line):
                rest = re.split(r"&&|\|\||;|\||'|`|\)|\s#", match.group(1))[0]
                found.append((f"{path.name}: {line.strip()}", shlex.split(rest)))
    dockerfile = (DOCS / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, flags=re.MULTILINE)
    assert cmd is not None
    found.append(("Dockerfile CMD", json.loads(cmd.group(1))))
    return found


def test_docs_show_commands_of_every_kind() -> None:
    used = {argv[0] for _, argv in documented_command_lines()}
    assert {"fetch", "service", "status", "auth"} <= used


@pytest.mark.parametrize(("where", "argv"), documented_command_lines(), ids=lambda v: str(v)[:40])
def test_documented_command_line_is_accepted_by_the_cli(where: str, argv: list[str]) -> None:
    try:
        cli_parser().parse_args(argv)
    except SystemExit as exit_:
        pytest.fail(f"the CLI rejects {argv} ({where}): exit {exit_.code}")


# the container files agree with each other ------------------------------------------------------


def test_dockerfile_runs_the_service_unprivileged_with_a_health_check() -> None:
    text = (DOCS / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    assert re.search(r"^FROM python:3\.1[1-9]", text, flags=re.MULTILINE)
    user = re.findall(r"^USER (\d+):(\d+)$", text, flags=re.MULTILINE)
    assert user and int(user[0][0]) > 0, "USER by number, not root"
    assert f"--uid {user[0][0]} " in text  # the account created for it
    assert re.search(r'^ENTRYPOINT \["oura-stats"\]$', text, flags=re.MULTILINE)
    cmd = json.loads(re.findall(r"^CMD (\[.*\])$", text, flags=re.MULTILINE)[0])
    port = cmd[cmd.index("--health-port") + 1]
    assert cmd[cmd.index("--health-host") + 1] == "0.0.0.0"
    assert f"EXPOSE {port}" in text
    assert f"http://127.0.0.1:{port}/health" in text.split("HEALTHCHECK", 1)[1]
    for copied in re.findall(r"^COPY (.+) \S+$", text, flags=re.MULTILINE):
        for name in copied.split():
            assert (DOCS.parent / name).exists(), name


def test_compose_builds_the_dockerfile_and_publishes_health_on_loopback() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((DOCS / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["oura-stats"]
    context = (DOCS / service["build"]["context"]).resolve()
    assert (context / service["build"]["dockerfile"]).resolve() == DOCS / "Dockerfile"
    assert service["ports"] == ["127.0.0.1:8977:8977"]
    assert service["read_only"] is True
    assert "no-new-privileges:true" in service["security_opt"]
    volume = service["volumes"][0].split(":")
    assert volume[1] == "/data"
    assert volume[0] in compose["volumes"]


def test_crontab_line_is_lock_safe_and_quiet() -> None:
    text = (DOCS / "cron.md").read_text(encoding="utf-8")
    block = re.findall(r"```cron\n(.*?)```", text, flags=re.DOTALL)[0]
    jobs = [line for line in block.splitlines() if line and not line.startswith(("#", "MAILTO"))]
    (job,) = jobs
    fields = job.split(None, 5)
    assert all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), fields
    assert "flock -n" in fields[5]
    assert " fetch -q " in fields[5]
    assert "%" not in fields[5]  # cron turns % into a newline


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_relative_links_and_anchors_in_the_guides_resolve() -> None:
    for page in (DOCS / "unattended.md", DOCS / "cron.md", DOCS / "kubernetes.md"):
        text = page.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", text):
            path = page.parent / target if target else page
            assert path.exists(), f"{page.name} links to missing {target}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)
                assert anchor in {slug(h) for h in headings}, f"{page.name}: no #{anchor}"


def test_unattended_guide_references_every_integration_file() -> None:
    text = (DOCS / "unattended.md").read_text(encoding="utf-8")
    for name in (
        "systemd/oura-stats.service",
        "systemd/oura-stats-fetch.service",
        "systemd/oura-stats-fetch.timer",
        "cron.md",
        "Dockerfile",
        "compose.yaml",
    ):
        assert f"]({name})" in text, name


def all_options(parser: argparse.ArgumentParser) -> set[str]:
    options = {o for action in parser._actions for o in action.option_strings}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                options |= all_options(sub)
    return options


def test_every_option_in_the_guides_tables_exists() -> None:
    known = all_options(cli_parser())
    checked = 0
    for name in ("unattended.md", "cron.md"):
        rows = [line for line in (DOCS / name).read_text().splitlines() if line.startswith("| `-")]
        first_cells = [row.split("|")[1] for row in rows]
        for option in re.findall(r"`(--?[a-z][a-z-]*)", " ".join(first_cells)):
            assert option in known, f"{name} documents {option}, which no command has"
            checked += 1
    assert checked >= 12


def test_unattended_shows_the_status_output_of_today(tmp_path: Path) -> None:
    from conftest import run_cli

    (tmp_path / "data").mkdir()
    state = {"version": 1, "categories": {"sleep": {"cursor": "2026-03-10"}}, "runs": []}
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    where = ["--output-dir", str(tmp_path / "data"), "--state-file", str(tmp_path / "state.json")]
    real = run_cli("status", *where).stdout.splitlines()
    text = (DOCS / "unattended.md").read_text(encoding="utf-8")
    sample = re.search(r"```\n(category .*?)```", text, flags=re.DOTALL)
    assert sample is not None
    shown = sample.group(1).splitlines()
    assert shown[0].split() == real[0].split()  # the columns
    closing = [line.split(":")[0] for line in real if re.match(r"^(last run|times|verdict):", line)]
    assert [line.split(":")[0] for line in shown if line.split(":")[0] in closing] == closing
    # times carry their UTC offset, as status prints them
    assert re.search(r"\d\d:\d\d [+-]\d\d:\d\d", sample.group(1))
