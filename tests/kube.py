"""Helpers for the tests of deploy/kubernetes: render a kustomization with the real kubectl,
walk the rendered objects to their pods and containers, and check a container's command line
with the CLI's own parser."""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from oura_stats.cli import envopts
from oura_stats.cli.main import build_parser
from oura_stats.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "kubernetes"
NAMESPACE = "oura-stats"
# kubectl 1.20 (Debian 12's kubernetes-client) embeds kustomize 2, which knows `bases:` only;
# newer ones render the same files and warn that `bases` is deprecated.
BASES_WARNING = "'bases' is deprecated"

# OURA_STATS_* variables that are not options.
NOT_OPTIONS = {"OURA_STATS_SECRET_KEY"}


def overlays() -> list[str]:
    return sorted(p.parent.name for p in DEPLOY.glob("*/kustomization.yaml"))


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("kubectl is not installed; .ci/run installs kubernetes-client in CI")
        pytest.skip("kubectl is not installed")
    return path


@functools.cache
def render(overlay: str) -> tuple[dict[str, Any], ...]:
    """The objects `kubectl kustomize deploy/kubernetes/OVERLAY` prints."""
    result = subprocess.run(
        [kubectl(), "kustomize", str(DEPLOY / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    noise = [line for line in result.stderr.splitlines() if line and BASES_WARNING not in line]
    assert not noise, result.stderr
    return tuple(o for o in yaml.safe_load_all(result.stdout) if o)


def pod_specs(objects: tuple[dict[str, Any], ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind/name, pod spec) of every workload."""
    for obj in objects:
        spec = obj.get("spec", {})
        if obj["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if "template" in spec:
            yield f"{obj['kind']}/{obj['metadata']['name']}", spec["template"]["spec"]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def find(objects: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def load_yaml(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def container_env(
    objects: tuple[dict[str, Any], ...], container: dict[str, Any], **extra: str
) -> dict[str, str]:
    """The environment a container starts with: its ConfigMaps, the example Secret, its env."""
    secret = load_yaml(DEPLOY / "base" / "secret.example.yaml")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= find(objects, "ConfigMap", source["configMapRef"]["name"])["data"]
        else:
            assert source["secretRef"]["name"] == secret["metadata"]["name"]
            env |= secret["stringData"]
    env |= {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    return env | extra


def expand(arg: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion of a command's arguments."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m[1], m[0]), arg)


def subparser(argv: list[str]) -> argparse.ArgumentParser:
    """The parser of the (sub)command that argv names."""
    parser = build_parser()
    for word in argv:
        commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not commands:
            break
        assert word in commands[0].choices, f"{word!r} is not a command of oura-stats"
        parser = commands[0].choices[word]
    return parser


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {o: a for a in parser._actions for o in a.option_strings}


def variables_name_options(env: dict[str, str]) -> None:
    """Every OURA_STATS_* variable (but the key) names an option of some command."""
    every = options_of_every_command()
    for name in env:
        if name.startswith("OURA_STATS_") and name not in NOT_OPTIONS:
            option = "--" + name.removeprefix("OURA_STATS_").lower().replace("_", "-")
            assert option in every, f"{name}: no command has an option {option}"


@functools.cache
def options_of_every_command() -> frozenset[str]:
    found: set[str] = set()
    pending = [build_parser()]
    while pending:
        parser = pending.pop()
        found |= set(options(parser))
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending += action.choices.values()
    return frozenset(found)


def check_command_line(argv: list[str], env: dict[str, str]) -> argparse.Namespace:
    """Parse `oura-stats ARGV` with its OURA_STATS_* settings in the environment, as the CLI
    does; fail the test when the CLI rejects either."""
    subparser(argv)
    variables_name_options(env)
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            return envopts.parse(build_parser(), argv, env)
    except SystemExit:
        pytest.fail(f"the CLI rejects {argv}: {stderr.getvalue().strip()}")
    except ConfigError as error:
        pytest.fail(f"the CLI rejects {argv} with its settings: {error}")
