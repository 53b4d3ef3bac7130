"""deploy/kubernetes's workloads: the CronJob's schedule and limits, the service's probes, the
study's Indexed Job and enrollment pages, and every container's command line and settings
checked with the CLI's own parser, so that the manifests cannot drift from the code."""

from __future__ import annotations

import re
import shlex
from typing import Any
from urllib.parse import urlsplit

import pytest
from kube import (
    DEPLOY,
    check_command_line,
    container_env,
    containers,
    expand,
    find,
    overlays,
    pod_specs,
    render,
)

TWO_HOURS = 2 * 3600


def job_spec(cronjob: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = cronjob["spec"]["jobTemplate"]["spec"]
    return spec


def argv_of(container: dict[str, Any], env: dict[str, str]) -> list[str]:
    assert container["command"] == ["oura-stats"], container["name"]
    return [expand(arg, env) for arg in container["args"]]


def oura_stats_containers() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(overlay, container, its environment) for every container running oura-stats."""
    found = []
    for overlay in overlays():
        objects = render(overlay)
        for _, pod in pod_specs(objects):
            for container in containers(pod):
                if container["image"].startswith("oura-stats"):
                    env = container_env(objects, container, JOB_COMPLETION_INDEX="0")
                    found.append((overlay, container, env))
    return found


@pytest.mark.parametrize(
    ("overlay", "container", "env"),
    oura_stats_containers(),
    ids=lambda v: v if isinstance(v, str) else v.get("name", "env"),
)
def test_every_command_line_is_one_the_cli_accepts(
    overlay: str, container: dict[str, Any], env: dict[str, str]
) -> None:
    check_command_line(argv_of(container, env), env)


def test_the_cli_check_catches_a_misspelt_option_or_setting() -> None:
    with pytest.raises(pytest.fail.Exception, match="rejects"):
        check_command_line(["fetch", "--output-dri", "/tmp"], {})
    with pytest.raises(pytest.fail.Exception, match="rejects"):
        check_command_line(["fetch"], {"OURA_STATS_LOOKBACK_DAYS": "three"})
    with pytest.raises(AssertionError, match="OURA_STATS_INTERVAL_HOUR"):
        check_command_line(["fetch"], {"OURA_STATS_INTERVAL_HOUR": "2"})
    with pytest.raises(AssertionError, match="not a command"):
        check_command_line(["fecth"], {})


def test_every_container_keeps_everything_in_the_database() -> None:
    for overlay, container, env in oura_stats_containers():
        argv = argv_of(container, env)
        if argv[0] in ("fetch", "service") and "--all-accounts" not in argv:
            assert "--no-csv" in argv, overlay
        assert env["OURA_STATS_NO_CSV"] == "1"
        assert env["OURA_STATS_DB"].startswith("postgresql://"), overlay
        assert not any("://" in arg and "@" in arg for arg in argv), "a URL on the command line"


def test_the_cronjob_runs_every_two_hours_one_at_a_time() -> None:
    cronjob = find(render("cronjob"), "CronJob", "oura-stats-fetch")
    check_schedule_and_limits(cronjob)
    (container,) = job_spec(cronjob)["template"]["spec"]["containers"]
    assert container["args"] == ["fetch", "--no-csv"]


def check_schedule_and_limits(cronjob: dict[str, Any]) -> None:
    spec = cronjob["spec"]
    minute, hour, *days = spec["schedule"].split()
    assert re.fullmatch(r"\d+", minute) and hour == "*/2" and days == ["*", "*", "*"], spec
    assert spec["concurrencyPolicy"] == "Forbid"
    assert 0 < spec["startingDeadlineSeconds"] < TWO_HOURS
    job = job_spec(cronjob)
    assert 0 < job["activeDeadlineSeconds"] < TWO_HOURS  # over before the next is due
    assert 0 < job["backoffLimit"] <= 6
    assert job["template"]["spec"]["restartPolicy"] == "Never"
    (rule,) = job["podFailurePolicy"]["rules"]  # a configuration error is not retried
    assert rule["action"] == "FailJob" and rule["onExitCodes"]["values"] == [2]
    names = [c["name"] for c in job["template"]["spec"]["containers"]]
    assert rule["onExitCodes"]["containerName"] in names


def test_the_service_answers_its_probes_on_8080_health() -> None:
    objects = render("service")
    deployment = find(objects, "Deployment", "oura-stats")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"  # never two on one account
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[:2] == ["service", "--no-csv"]
    assert args[args.index("--health-port") + 1] == "8080"
    assert args[args.index("--health-host") + 1] == "0.0.0.0"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe in (container["readinessProbe"], container["livenessProbe"]):
        assert probe["httpGet"]["path"] == "/health"
        assert ports[probe["httpGet"]["port"]] == 8080
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] >= 3 * 3600
    service = find(objects, "Service", "oura-stats")
    assert [p["port"] for p in service["spec"]["ports"]] == [8080]


def test_the_cohort_job_spreads_the_shards_over_indexed_pods() -> None:
    cronjob = find(render("cohort"), "CronJob", "oura-stats-cohort")
    check_schedule_and_limits(cronjob)
    job = job_spec(cronjob)
    assert job["completionMode"] == "Indexed"
    pods = job["completions"]
    assert pods == job["parallelism"] > 1
    (container,) = job["template"]["spec"]["containers"]
    assert container["args"][:2] == ["fetch", "--all-accounts"]
    shards = set()
    for index in range(pods):  # what Kubernetes hands each pod
        argv = argv_of(container, {"JOB_COMPLETION_INDEX": str(index)})
        shards.add(argv[argv.index("--shard") + 1])
    assert shards == {f"{index}/{pods}" for index in range(pods)}


def test_the_enrollment_pages_are_served_at_their_public_url() -> None:
    objects = render("cohort")
    deployment = find(objects, "Deployment", "oura-stats-enroll")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    assert args[0] == "enroll"
    public = urlsplit(args[args.index("--public-url") + 1])
    assert public.scheme == "https"
    assert args[args.index("--host") + 1] == "0.0.0.0"
    port = int(args[args.index("--port") + 1])
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": port}
    ingress = find(objects, "Ingress", "oura-stats-enroll")
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == public.hostname
    assert public.hostname in ingress["spec"]["tls"][0]["hosts"]
    (path,) = rule["http"]["paths"]
    backend = path["backend"]["service"]
    service = find(objects, "Service", backend["name"])
    (service_port,) = service["spec"]["ports"]
    assert backend["port"]["name"] == service_port["name"]
    assert service_port["targetPort"] == "http"


def test_the_settings_name_only_real_options() -> None:
    lines = (DEPLOY / "base" / "settings.env").read_text(encoding="utf-8").splitlines()
    settings = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert settings["OURA_STATS_NO_CSV"] == "1"
    assert settings["OURA_STATS_INTERVAL_HOURS"] == "2"
    commented = [line.lstrip("# ") for line in lines if re.match(r"# OURA_STATS_\w+=", line)]
    examples = dict(line.split("=", 1) for line in commented)
    assert {"OURA_STATS_START_DATE", "OURA_STATS_BACKFILL_DAYS"} <= set(examples)
    for command in ("fetch", "service"):
        check_command_line([command], settings | examples)


def guide_lines() -> list[str]:
    text = (DEPLOY.parent.parent / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|yaml)\n(.*?)```", text, flags=re.DOTALL)
    return "\n".join(blocks).replace("\\\n", " ").splitlines()


def test_the_guides_command_lines_are_ones_the_cli_accepts() -> None:
    checked = set()
    for line in guide_lines():
        match = re.match(r"\s*oura-stats (.+)", line)
        if match:
            argv = shlex.split(match[1].split(" #")[0])
            check_command_line(argv, {})
            checked.add(argv[0])
    assert {"auth", "accounts"} <= checked


def test_the_guide_names_objects_the_manifests_make() -> None:
    kinds = {"cronjob": "CronJob", "deploy": "Deployment", "service": "Service"}
    made = {(o["kind"], o["metadata"]["name"]) for overlay in overlays() for o in render(overlay)}
    named = 0
    for line in guide_lines():
        if line.startswith("kubectl"):
            objects = re.findall(r"[\s=](cronjob|deploy|service)/([a-z0-9-]+)\b(?!/)", line)
            for kind, name in objects:
                assert (kinds[kind], name) in made, line
                named += 1
            assert "-n oura-stats" in line or "-k " in line or "namespace" in line, line
    assert named >= 6
