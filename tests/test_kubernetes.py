"""deploy/kubernetes: every kustomization renders with the real kubectl, every object it makes
is valid for Kubernetes (the API's own schemas, offline, unknown fields rejected), and every
pod runs locked down: non-root, read-only root file system, no privileges, no service-account
token, bounded resources."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from kube import (
    DEPLOY,
    NAMESPACE,
    containers,
    find,
    load_yaml,
    options_of_every_command,
    overlays,
    pod_specs,
    render,
)

# The oldest Kubernetes still supported upstream when these manifests were written; the
# fields used (Indexed Jobs, podFailurePolicy) are all generally available there.
KUBERNETES = "1.32"
EXPECTED = {"base", "cohort", "cronjob", "grafana", "postgres", "service", "try"}
# Made by the user, never by a kustomization (so `apply -k` cannot overwrite them).
USER_SECRETS = {"oura-stats", "grafana", "enroll-tls"}


def test_the_overlays_are_all_there() -> None:
    assert set(overlays()) == EXPECTED


@pytest.mark.parametrize("overlay", overlays())
def test_every_rendered_object_is_valid_for_kubernetes(overlay: str) -> None:
    objects = render(overlay)
    assert objects
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{overlay}: {obj['kind']}/{obj['metadata']['name']}: {error.message}")
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == NAMESPACE, obj["metadata"]


def test_the_validation_rejects_what_kubernetes_would() -> None:
    (cronjob,) = [o for o in render("cronjob") if o["kind"] == "CronJob"]
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    pod["containers"][0]["securityContext"]["readOnlyRootFs"] = True  # a typo
    with pytest.raises(kubernetes_validate.ValidationError, match="readOnlyRootFs"):
        kubernetes_validate.validate(cronjob, KUBERNETES, strict=True)


def quantity(value: str) -> float:
    """A CPU or memory quantity in base units (enough of the format for these files)."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|)", value)
    assert match, value
    return float(match[1]) * units[match[2]]


@pytest.mark.parametrize("overlay", overlays())
def test_every_pod_runs_unprivileged_read_only_and_bounded(overlay: str) -> None:
    for where, pod in pod_specs(render(overlay)):
        assert pod["automountServiceAccountToken"] is False, where
        assert pod["enableServiceLinks"] is False, where
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True, where
        assert security["runAsUser"] > 0, where
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert not pod.get("hostNetwork") and not pod.get("hostPID"), where
        assert all("hostPath" not in volume for volume in pod.get("volumes", [])), where
        for container in containers(pod):
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"] == {"drop": ["ALL"]}, where
            assert not context.get("privileged"), where
            resources = container["resources"]
            for name in ("cpu", "memory"):
                request, limit = resources["requests"][name], resources["limits"][name]
                assert quantity(request) <= quantity(limit), (where, name)


def test_oura_stats_pods_run_as_the_image_user_with_a_writable_tmp() -> None:
    dockerfile = (DEPLOY.parent.parent / "docs" / "Dockerfile").read_text(encoding="utf-8")
    uid, gid = re.findall(r"^USER (\d+):(\d+)$", dockerfile, flags=re.MULTILINE)[0]
    entrypoint = re.findall(r"^ENTRYPOINT (\[.*\])$", dockerfile, flags=re.MULTILINE)[0]
    seen = 0
    for overlay in ("cronjob", "service", "cohort"):
        for where, pod in pod_specs(render(overlay)):
            assert pod["securityContext"]["runAsUser"] == int(uid), where
            assert pod["securityContext"]["runAsGroup"] == int(gid), where
            for container in containers(pod):
                assert entrypoint == '["oura-stats"]' == f'["{container["command"][0]}"]'
                env = {e["name"]: e.get("value") for e in container["env"]}
                (tmp,) = [m for m in container["volumeMounts"] if m["mountPath"] == env["HOME"]]
                (volume,) = [v for v in pod["volumes"] if v["name"] == tmp["name"]]
                assert "emptyDir" in volume, where
                seen += 1
    assert seen == 4


@pytest.mark.parametrize("overlay", overlays())
def test_every_reference_resolves(overlay: str) -> None:
    objects = render(overlay)
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    secret = load_yaml(DEPLOY / "base" / "secret.example.yaml")
    assert not any(kind == "Secret" for kind, _ in names), "a Secret in a kustomization"
    for where, pod in pod_specs(objects):
        for container in containers(pod):
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in names, where
                else:
                    assert source["secretRef"]["name"] in USER_SECRETS, where
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["name"] == "oura-stats":
                    assert ref["key"] in secret["stringData"], (where, ref)
        for volume in pod.get("volumes", []):
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names, where
            if "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                assert ("PersistentVolumeClaim", claim) in names, where


@pytest.mark.parametrize("overlay", overlays())
def test_services_and_network_policies_select_pods_with_their_ports(overlay: str) -> None:
    objects = render(overlay)
    for service in (o for o in objects if o["kind"] == "Service"):
        assert ports_of(objects, service["spec"]["selector"]) >= {
            p["targetPort"] for p in service["spec"]["ports"]
        }, service["metadata"]["name"]
    for policy in (o for o in objects if o["kind"] == "NetworkPolicy"):
        named = ports_of(objects, policy["spec"]["podSelector"]["matchLabels"])
        for rule in policy["spec"]["ingress"]:
            assert {p["port"] for p in rule["ports"]} <= named, policy["metadata"]["name"]


def ports_of(objects: tuple[dict[str, Any], ...], selector: dict[str, str]) -> set[Any]:
    """The named container ports of the pods a selector picks (at least one pod must match)."""
    found: set[Any] = set()
    matched = False
    for obj in objects:
        template = obj.get("spec", {}).get("template") or {"metadata": {"labels": {}}}
        if selector.items() <= template["metadata"]["labels"].items():
            matched = True
            for container in template["spec"]["containers"]:
                found |= {p["name"] for p in container.get("ports", [])}
    assert matched, selector
    return found


def test_the_secret_example_is_valid_and_plainly_an_example() -> None:
    secret = load_yaml(DEPLOY / "base" / "secret.example.yaml")
    kubernetes_validate.validate(secret, KUBERNETES, strict=True)
    assert secret["metadata"] == {"name": "oura-stats", "namespace": NAMESPACE}
    values = secret["stringData"]
    assert set(values) == {
        "OURA_CLIENT_ID",
        "OURA_CLIENT_SECRET",
        "OURA_STATS_SECRET_KEY",
        "OURA_STATS_DB",
        "PGPASSWORD",
    }
    for key, value in values.items():
        assert value.startswith("EXAMPLE-") or key == "OURA_STATS_DB", key
    assert values["OURA_STATS_DB"].startswith("postgresql://oura@postgres:5432/")  # no password
    for path in DEPLOY.glob("*/kustomization.yaml"):
        kustomization = load_yaml(path)
        assert "secret.example.yaml" not in kustomization.get("resources", []), path


def test_grafana_is_provisioned_with_the_repository_files() -> None:
    objects = render("grafana")
    grafana = DEPLOY / "grafana"
    (_, pod) = next(pod_specs(objects))
    (container,) = pod["containers"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v}
    files = {
        "provisioning/datasources/oura.yaml": "/etc/grafana/provisioning/datasources",
        "provisioning/dashboards/oura.yaml": "/etc/grafana/provisioning/dashboards",
        "dashboards/oura.json": "/var/lib/grafana/dashboards",
    }
    for relative, path in files.items():
        (volume,) = [name for name, mounted in mounts.items() if mounted == path]
        data = find(objects, "ConfigMap", volumes[volume])["data"]
        assert data == {Path(relative).name: (grafana / relative).read_text(encoding="utf-8")}
    provider = load_yaml(grafana / "provisioning/dashboards/oura.yaml")["providers"][0]
    assert provider["options"]["path"] == files["dashboards/oura.json"]
    env = {e["name"]: e for e in container["env"]}
    assert env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]["value"].startswith(
        provider["options"]["path"] + "/"
    )
    assert env["OURA_DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "PGPASSWORD"
    source = load_yaml(grafana / "provisioning/datasources/oura.yaml")["datasources"][0]
    assert source["secureJsonData"]["password"] == "$OURA_DB_PASSWORD"
    host, port = source["url"].split(":")
    database = find(render("postgres"), "Service", host)
    assert [p["port"] for p in database["spec"]["ports"]] == [int(port)]


def test_try_brings_service_database_and_grafana_together() -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in render("try")}
    for part in ("service", "postgres", "grafana"):
        assert {(o["kind"], o["metadata"]["name"]) for o in render(part)} <= kinds, part


def test_the_image_installs_the_postgres_extra_by_default() -> None:
    root = DEPLOY.parent.parent
    dockerfile = (root / "docs" / "Dockerfile").read_text(encoding="utf-8")
    (extras,) = re.findall(r'^ARG EXTRAS="\[([\w,]+)\]"$', dockerfile, flags=re.MULTILINE)
    assert 'pip install "/src${EXTRAS}"' in dockerfile
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project["optional-dependencies"]
    assert extras.split(",") == ["postgres"]
    # Every third-party package the code imports beyond the two runtime dependencies: the
    # driver and the library that seals the tokens a database-only run stores.
    source = " ".join(p.read_text(encoding="utf-8") for p in (root / "oura_stats").rglob("*.py"))
    statements = r"^\s*(?:from (\w+)[\w.]* import |import (\w+))"
    imported = {a or b for a, b in re.findall(statements, source, flags=re.MULTILINE)}
    third_party = imported - set(sys.stdlib_module_names) - {"oura_stats"}
    runtime = {"requests", "urllib3", "dateutil"}  # urllib3 comes with requests
    assert third_party - runtime == {"psycopg", "cryptography"}
    for module in ("psycopg", "cryptography"):
        assert any(r.startswith(module) for r in optional["postgres"]), module
        assert any(r.startswith(module) for r in optional["dev"]), module


def test_service_links_would_set_options_so_no_pod_gets_them() -> None:
    """Kubernetes gives each pod <SERVICE>_PORT=tcp://... for every Service in the namespace
    unless enableServiceLinks is false; for the Services made here those read as options."""
    every = options_of_every_command()
    services = {
        o["metadata"]["name"] for x in overlays() for o in render(x) if o["kind"] == "Service"
    }
    clashes = set()
    for name in services:
        prefix = name.upper().replace("-", "_")
        for variable in (f"{prefix}_PORT", f"{prefix}_SERVICE_HOST", f"{prefix}_SERVICE_PORT"):
            if variable.startswith("OURA_STATS_"):
                option = "--" + variable.removeprefix("OURA_STATS_").lower().replace("_", "-")
                clashes |= {option} & every
    assert "--port" in clashes


def test_the_guide_and_the_directorys_readme_list_every_overlay() -> None:
    guide = (DEPLOY.parent.parent / "docs" / "kubernetes.md").read_text(encoding="utf-8")
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for overlay in overlays():
        assert f"[`{overlay}/`](../deploy/kubernetes/{overlay})" in guide, overlay
        assert f"| `{overlay}/` |" in readme, overlay
