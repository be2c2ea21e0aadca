"""The kustomize overlays: they render, they validate (strict OpenAPI for the built-in kinds, k8s/schemas for the
custom resources), and they hang together: ports, probes, the shutdown budget, security settings, per-pod volumes,
backups, autoscaling, ingress and routes. The checks against the running binary are in test_k8s_binary.py."""

from __future__ import annotations

import json
import re

import jsonschema
import kubernetes_validate
import pytest
import yaml

from k8s_support import (CANCELLATION_GRACE_SECONDS, COMPONENTS_DIR, CONTRACT_PORTS, DEFAULT_SHUTDOWN_SECONDS, K8S,
                         OVERLAYS_DIR, SCHEMAS_DIR, by_kind, config_file_of, containers, dig, find, image_product,
                         labels_match, load_yaml_file, overlay_names, pod_template, pods_selected, quantity_bytes,
                         render, resolve_port, runs_logpilot, workloads)

OVERLAYS = overlay_names()
# Kubernetes versions to validate against: the oldest the manifests support (preStop `sleep` is on by default from
# 1.30) and the newest kubernetes-validate knows.
K8S_VERSIONS = sorted({"1.30.0", kubernetes_validate.latest_version()}, key=lambda v: tuple(map(int, v.split("."))))
CRD_SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "servicemonitor-monitoring.coreos.com-v1.json",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "prometheusrule-monitoring.coreos.com-v1.json",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "httproute-gateway.networking.k8s.io-v1.json",
    ("gateway.networking.k8s.io/v1", "GRPCRoute"): "grpcroute-gateway.networking.k8s.io-v1.json",
}
EXTRA_MANIFESTS = [K8S / "backup" / "restore-pod.yaml", K8S / "base" / "api-keys-secret.template.yaml"]


def statefulsets(objects):
    return by_kind(objects, "StatefulSet")


def server_container(sts: dict) -> dict:
    found = [c for c in containers(pod_template(sts)["spec"], init=False) if runs_logpilot(c)]
    assert len(found) == 1, f"{sts['metadata']['name']}: expected one LogPilot container, got {found}"
    return found[0]


def config_of(objects, sts) -> dict:
    found = config_file_of(objects, sts)
    assert found, f"{sts['metadata']['name']} sets no LOGPILOT_CONFIG in a mounted ConfigMap"
    return yaml.safe_load(found[1]) or {}


# -- rendering ----------------------------------------------------------------------------------------------------


def test_the_three_overlays_exist():
    assert OVERLAYS == ["development", "production", "staging"], OVERLAYS


@pytest.mark.parametrize("overlay", OVERLAYS + ["base"])
def test_overlay_renders(overlay):
    objects = render(overlay)
    assert objects
    names = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    assert len(names) == len(set(names)), f"duplicate objects: {names}"
    for o in objects:
        if o["kind"] != "Namespace":
            assert o["metadata"].get("namespace") == "logpilot", o["metadata"]


def test_every_component_is_used_by_an_overlay():
    """So that every component is rendered and validated by the tests of some overlay."""
    used = set()
    for overlay in OVERLAYS:
        kustomization = yaml.safe_load((OVERLAYS_DIR / overlay / "kustomization.yaml").read_text())
        used |= {c.rstrip("/").rsplit("/", 1)[-1] for c in kustomization.get("components", [])}
    components = {p.parent.name for p in COMPONENTS_DIR.glob("*/kustomization.yaml")}
    assert components == {"split", "ingress", "gateway-api", "monitoring", "backup", "backup-split"}, components
    assert components <= used, f"components no overlay renders: {sorted(components - used)}"


# -- schema validation ----------------------------------------------------------------------------------------------


def validate_object(obj: dict, version: str) -> None:
    key = (obj["apiVersion"], obj["kind"])
    if key in CRD_SCHEMAS:
        schema = json.loads((SCHEMAS_DIR / CRD_SCHEMAS[key]).read_text())
        jsonschema.Draft7Validator(schema).validate(obj)
        return
    kubernetes_validate.validate(obj, version, strict=True)


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_strictly(overlay, version):
    errors = []
    for obj in render(overlay):
        try:
            validate_object(obj, version)
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{obj['apiVersion']} {obj['kind']}: no schema (add one under k8s/schemas/)")
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as error:
            message = getattr(error, "message", str(error))
            path = "/".join(str(p) for p in getattr(error, "path", []))
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {message}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("path", EXTRA_MANIFESTS, ids=lambda p: p.name)
def test_manifests_outside_the_overlays_validate(path):
    for obj in load_yaml_file(path):
        for version in K8S_VERSIONS:
            validate_object(obj, version)


def test_validation_is_really_strict():
    """A misspelt field must fail: the checks above would be worthless with a lenient validator."""
    sts = statefulsets(render("development"))[0]
    broken = json.loads(json.dumps(sts))
    broken["spec"]["replica"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSIONS[-1], strict=True)
    monitor = find(render("production"), "ServiceMonitor", "logpilot")
    broken = json.loads(json.dumps(monitor))
    broken["spec"]["endpoints"][0]["intervall"] = "30s"
    with pytest.raises(jsonschema.ValidationError):
        validate_object(broken, K8S_VERSIONS[-1])


# -- ports ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_container_ports_are_the_contract_ports_and_the_config_files(overlay):
    objects = render(overlay)
    for sts in statefulsets(objects):
        c = server_container(sts)
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        product = image_product(c["image"])
        expected = {"logpilot-all": {"http", "grpc", "management"}, "logpilot-rest": {"http", "management"},
                    "logpilot-grpc": {"grpc", "management"}}[product]
        assert set(ports) == expected, (sts["metadata"]["name"], ports)
        for name, number in ports.items():
            assert number == CONTRACT_PORTS[name], (name, number)
        config = config_of(objects, sts)
        for name, key in [("http", "logpilot.server.port"), ("grpc", "logpilot.grpc.port"),
                          ("management", "logpilot.management.port")]:
            value = dig(config, key)
            if value is not None and name in ports:
                assert int(value) == ports[name], f"config {key}={value} but containerPort {name}={ports[name]}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_port_reaches_a_named_container_port(overlay):
    objects = render(overlay)
    for svc in by_kind(objects, "Service"):
        selected = pods_selected(objects, svc["spec"]["selector"])
        servers = [w for w in selected if w["kind"] == "StatefulSet"]
        assert servers and len(selected) == len(servers), f"Service {svc['metadata']['name']} selects {selected}"
        for port in svc["spec"]["ports"]:
            assert isinstance(port["targetPort"], str), f"{svc['metadata']['name']}: use named targetPorts"
            for sts in servers:
                name, number = resolve_port(server_container(sts), port["targetPort"])
                assert port["port"] == number == CONTRACT_PORTS[name], (svc["metadata"]["name"], port)
                if name == "grpc":
                    assert port.get("appProtocol") == "kubernetes.io/h2c"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_statefulset_has_a_headless_governing_service(overlay):
    objects = render(overlay)
    for sts in statefulsets(objects):
        svc = find(objects, "Service", sts["spec"]["serviceName"])
        assert svc and svc["spec"].get("clusterIP") == "None", sts["spec"]["serviceName"]
        assert labels_match({"matchLabels": svc["spec"]["selector"]}, pod_template(sts)["metadata"]["labels"])


# -- probes and shutdown ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_probes_use_the_management_port_and_grpc_health(overlay):
    objects = render(overlay)
    grpc_probes = 0
    for sts in statefulsets(objects):
        c = server_container(sts)
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert kind in c, f"{sts['metadata']['name']}: no {kind}"
        # startup and liveness: management port, no API key (no headers), the right semantics
        for kind, path in (("startupProbe", "/health/startup"), ("livenessProbe", "/health/live")):
            probe = c[kind]["httpGet"]
            assert resolve_port(c, probe["port"])[0] == "management", (kind, probe)
            assert probe["path"] == path, f"{kind} must be {path} (a full disk must not restart the pod)"
            assert not probe.get("httpHeaders")
        readiness = c["readinessProbe"]
        ports = {p["name"] for p in c["ports"]}
        if "grpc" in ports:
            assert "grpc" in readiness, "gRPC pods: readiness through kubelet's native gRPC probe"
            assert resolve_port(c, readiness["grpc"]["port"])[0] == "grpc"
            assert readiness["grpc"].get("service") == "logpilot.LogService"
            grpc_probes += 1
        else:
            assert readiness["httpGet"]["path"] == "/health/ready"
            assert resolve_port(c, readiness["httpGet"]["port"])[0] == "management"
        # liveness must be more patient than readiness, and startup must cover a long migration
        live, start = c["livenessProbe"], c["startupProbe"]
        assert live["periodSeconds"] * live["failureThreshold"] >= 30
        assert start["periodSeconds"] * start["failureThreshold"] >= 120
    assert grpc_probes >= 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_grace_period_covers_prestop_and_the_shutdown_budget(overlay):
    objects = render(overlay)
    for sts in statefulsets(objects):
        spec = pod_template(sts)["spec"]
        c = server_container(sts)
        prestop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert 3 <= prestop <= 15, prestop
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        budget = env.get("LOGPILOT_SHUTDOWN_TIMEOUT_SECONDS") or dig(config_of(objects, sts),
                                                                     "logpilot.server.shutdown-timeout-seconds")
        budget = int(budget if budget is not None else DEFAULT_SHUTDOWN_SECONDS)
        needed = prestop + budget + CANCELLATION_GRACE_SECONDS
        grace = spec["terminationGracePeriodSeconds"]
        assert grace >= needed + 1, (f"{sts['metadata']['name']}: terminationGracePeriodSeconds {grace} < preStop "
                                     f"{prestop} + shutdown {budget} + cancellation {CANCELLATION_GRACE_SECONDS}")
        assert grace <= needed + 15, f"{grace}: more than 15 s of slack hides the arithmetic"


def test_the_budget_arithmetic_is_written_next_to_the_grace_period():
    for path in [K8S / "base" / "statefulset.yaml", COMPONENTS_DIR / "split" / "statefulset-rest.yaml",
                 COMPONENTS_DIR / "split" / "statefulset-grpc.yaml"]:
        text = path.read_text()
        comment = text[: text.index("terminationGracePeriodSeconds:")]
        assert re.search(r"\+ *25 .*LOGPILOT_SHUTDOWN_TIMEOUT_SECONDS", comment), path
        assert "= 40" in comment and "terminationGracePeriodSeconds: 40" in text, path


# -- pod security -----------------------------------------------------------------------------------------------------


def all_pod_specs(objects):
    return [(w["kind"] + "/" + w["metadata"]["name"], pod_template(w)["spec"]) for w in workloads(objects)]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_are_restricted_non_root_read_only(overlay):
    objects = render(overlay)
    namespace = find(objects, "Namespace", "logpilot")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    account = find(objects, "ServiceAccount", "logpilot")
    assert account["automountServiceAccountToken"] is False
    for name, spec in all_pod_specs(objects):
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["serviceAccountName"] == "logpilot", name
        # Service links would put LOGPILOT_GRPC_PORT=tcp://... (Service "logpilot-grpc") into the environment
        assert spec["enableServiceLinks"] is False, name
        sc = spec["securityContext"]
        assert sc["runAsNonRoot"] is True and sc["runAsUser"] >= 10000 and sc["fsGroup"] == sc["runAsGroup"], name
        assert sc["seccompProfile"]["type"] == "RuntimeDefault", name
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"), name
        for c in containers(spec):
            csc = c["securityContext"]
            assert csc["allowPrivilegeEscalation"] is False, (name, c["name"])
            assert csc["readOnlyRootFilesystem"] is True, (name, c["name"])
            assert csc["capabilities"]["drop"] == ["ALL"] and not csc["capabilities"].get("add"), (name, c["name"])
            assert csc.get("privileged") is False
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(c["resources"][kind]), (name, c["name"], kind)
            mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            if runs_logpilot(c):
                assert "/tmp" in mounts and "emptyDir" in volumes[mounts["/tmp"]], f"{name}: SQLite needs a writable /tmp"
                assert "/data" in mounts, name
                for path, volume in mounts.items():
                    if path.startswith("/etc/logpilot"):
                        assert next(m for m in c["volumeMounts"] if m["mountPath"] == path).get("readOnly") is True
                        assert not next(m for m in c["volumeMounts"] if m["mountPath"] == path).get("subPath"), (
                            "a subPath mount never sees ConfigMap/Secret updates, so live reload would not work")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_keys_come_from_a_secret_file(overlay):
    objects = render(overlay)
    for sts in statefulsets(objects):
        spec = pod_template(sts)["spec"]
        c = server_container(sts)
        env = {e["name"]: e for e in c.get("env", [])}
        assert not {"LOGPILOT_API_KEY", "LOGPILOT_API_KEYS"} & set(env), "keys belong in the mounted Secret file"
        assert all("valueFrom" not in e for e in env.values())
        path = env["LOGPILOT_API_KEYS_FILE"]["value"]
        mount = next(m for m in c["volumeMounts"] if path.startswith(m["mountPath"].rstrip("/") + "/"))
        volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
        secret_name = volume["secret"]["secretName"]
        assert path[len(mount["mountPath"].rstrip("/")) + 1:] == "api-keys"
        assert not volume["secret"].get("optional"), "a missing Secret must keep the pod from starting (fail closed)"
        secret = find(objects, "Secret", secret_name)
        if overlay == "development":
            assert secret, "development generates its own throw-away key"
        else:
            assert secret is None, f"{overlay} must not ship keys: the Secret is created out of band"
    template = load_yaml_file(K8S / "base" / "api-keys-secret.template.yaml")[0]
    assert template["metadata"]["name"] == "logpilot-api-keys" and "api-keys" in template["stringData"]


# -- storage: one volume per pod, budgets -----------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_has_its_own_volume(overlay):
    objects = render(overlay)
    assert not by_kind(objects, "PersistentVolumeClaim"), "no shared claim: each pod gets its own from its template"
    for sts in statefulsets(objects):
        templates = sts["spec"]["volumeClaimTemplates"]
        assert [t["metadata"]["name"] for t in templates] == ["data"]
        assert templates[0]["spec"]["accessModes"] == ["ReadWriteOnce"]
        c = server_container(sts)
        data_mount = next(m for m in c["volumeMounts"] if m["name"] == "data")
        env = {e["name"]: e.get("value") for e in c["env"]}
        assert env["LOGPILOT_SQLITE_PATH"].startswith(data_mount["mountPath"].rstrip("/") + "/")
        assert sts["spec"]["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
        assert "data" not in {v["name"] for v in pod_template(sts)["spec"]["volumes"]}


def backups_by_pod(objects) -> dict[str, dict]:
    found = {}
    for cj in by_kind(objects, "CronJob"):
        spec = pod_template(cj)["spec"]
        term = spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
        pod = term["labelSelector"]["matchLabels"]["statefulset.kubernetes.io/pod-name"]
        found[pod] = cj
    return found


def guaranteed_replicas(objects, sts) -> int:
    hpa = next((h for h in by_kind(objects, "HorizontalPodAutoscaler")
                if h["spec"]["scaleTargetRef"]["name"] == sts["metadata"]["name"]), None)
    return hpa["spec"]["minReplicas"] if hpa else sts["spec"].get("replicas", 1)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backup_cronjobs_run_next_to_the_pod_that_owns_the_claim(overlay):
    objects = render(overlay)
    backups = backups_by_pod(objects)
    assert backups, f"{overlay} has no backup CronJob"
    pods = {}
    for sts in statefulsets(objects):
        for ordinal in range(guaranteed_replicas(objects, sts)):
            pods[f"{sts['metadata']['name']}-{ordinal}"] = sts
    assert set(backups) == set(pods), f"backups for {sorted(backups)}, pods {sorted(pods)}"
    for pod, cj in backups.items():
        sts = pods[pod]
        spec = pod_template(cj)["spec"]
        assert cj["spec"]["concurrencyPolicy"] == "Forbid"
        assert cj["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0
        term = spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
        assert term["topologyKey"] == "kubernetes.io/hostname"
        claim = next(v for v in spec["volumes"] if "persistentVolumeClaim" in v)
        assert claim["persistentVolumeClaim"]["claimName"] == f"data-{pod}"
        (job_container,) = spec["containers"]
        server = server_container(sts)
        assert job_container["image"] == server["image"], "the backup runs the server's own image (same SQLite)"
        assert job_container["args"][0] == "backup"
        job_env = {e["name"]: e.get("value") for e in job_container.get("env", [])}
        server_env = {e["name"]: e.get("value") for e in server["env"]}
        assert job_env["LOGPILOT_SQLITE_PATH"] == server_env["LOGPILOT_SQLITE_PATH"]
        job_mount = next(m for m in job_container["volumeMounts"] if m["name"] == claim["name"])
        server_mount = next(m for m in server["volumeMounts"] if m["name"] == "data")
        assert job_mount["mountPath"] == server_mount["mountPath"] and not job_mount.get("readOnly")
        assert pod_template(cj)["metadata"]["labels"]["app.kubernetes.io/component"] == "backup"
        assert spec["securityContext"]["runAsUser"] == pod_template(sts)["spec"]["securityContext"]["runAsUser"], (
            "same user as the server, or the backup cannot open the WAL's shared-memory file")


def backup_keep(cj: dict) -> int:
    args = pod_template(cj)["spec"]["containers"][0]["args"]
    return int(args[args.index("--keep") + 1]) if "--keep" in args else 7


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_volume_budget_holds_database_and_backups(overlay):
    """The volume holds the database (at most sqlite.max-bytes) and keep+1 backup copies (the new one is written before
    the oldest is deleted), with 10 % for the WAL and slack; size retention keeps the database below the cap."""
    objects = render(overlay)
    backups = backups_by_pod(objects)
    for sts in statefulsets(objects):
        config = config_of(objects, sts)
        cap = int(dig(config, "logpilot.storage.sqlite.max-bytes", 0))
        retention = int(dig(config, "logpilot.retention.max-bytes", 0))
        assert cap > 0 and 0 < retention < cap, f"{overlay}: set storage.sqlite.max-bytes and retention.max-bytes"
        volume = quantity_bytes(sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"])
        keeps = {backup_keep(cj) for pod, cj in backups.items() if pod.startswith(sts["metadata"]["name"] + "-")}
        keep = max(keeps or {0})
        assert (keep + 2) * cap <= 0.9 * volume, (
            f"{overlay}/{sts['metadata']['name']}: ({keep} + 2) x {cap} bytes do not fit in 90 % of {volume}")


# -- scaling --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaling_bounds_and_ownership_of_replicas(overlay):
    objects = render(overlay)
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in by_kind(objects, "HorizontalPodAutoscaler")}
    for sts in statefulsets(objects):
        hpa = hpas.get(sts["metadata"]["name"])
        if hpa is None:
            assert sts["spec"]["replicas"] >= 1
            continue
        assert "replicas" not in sts["spec"], "an HPA-scaled StatefulSet must not set replicas (apply would reset it)"
        spec = hpa["spec"]
        assert spec["scaleTargetRef"]["kind"] == "StatefulSet"
        assert 2 <= spec["minReplicas"] <= spec["maxReplicas"] <= 10, spec
        (metric,) = spec["metrics"]
        assert metric["resource"]["name"] == "cpu"
        assert 50 <= metric["resource"]["target"]["averageUtilization"] <= 90
        assert spec["behavior"]["scaleDown"]["selectPolicy"] == "Disabled", (
            "scaling down strands a replica's records and offsets: by hand only")
    if overlay == "development":
        (sts,) = statefulsets(objects)
        assert sts["metadata"]["name"] == "logpilot-all" and sts["spec"]["replicas"] == 1
        assert not hpas


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_disruption_budgets_and_topology_spread(overlay):
    objects = render(overlay)
    pdbs = by_kind(objects, "PodDisruptionBudget")
    for sts in statefulsets(objects):
        labels = pod_template(sts)["metadata"]["labels"]
        matching = [p for p in pdbs if labels_match(p["spec"]["selector"], labels)]
        assert len(matching) == 1, sts["metadata"]["name"]
        assert matching[0]["spec"].get("maxUnavailable") == 1 and "minAvailable" not in matching[0]["spec"]
        spread = pod_template(sts)["spec"]["topologySpreadConstraints"]
        keys = {s["topologyKey"] for s in spread}
        assert keys == {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}
        for s in spread:
            assert labels_match(s["labelSelector"], labels) and s["maxSkew"] == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies(overlay):
    objects = render(overlay)
    policies = by_kind(objects, "NetworkPolicy")
    for w in workloads(objects):
        labels = pod_template(w)["metadata"]["labels"]
        assert [p for p in policies if labels_match(p["spec"]["podSelector"], labels)], (
            f"{w['kind']}/{w['metadata']['name']} is not covered by a NetworkPolicy")
    server = find(objects, "NetworkPolicy", "logpilot-server")
    assert set(server["spec"]["policyTypes"]) == {"Ingress", "Egress"} and server["spec"]["egress"] == []
    rules = server["spec"]["ingress"]
    from_cluster = [r for r in rules if r["from"] == [{"namespaceSelector": {}}]]
    from_monitoring = [r for r in rules if r["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]]
    assert len(rules) == 2 and from_cluster and from_monitoring
    assert {p["port"] for p in from_cluster[0]["ports"]} == {"http", "grpc"}
    assert {p["port"] for p in from_monitoring[0]["ports"]} == {"management"}
    for sts in statefulsets(objects):
        assert labels_match(server["spec"]["podSelector"], pod_template(sts)["metadata"]["labels"])


# -- exposure: ingress and routes -----------------------------------------------------------------------------------


def service_target(objects, name: str, port) -> str:
    """The container port name a Service port (by name or number) leads to."""
    svc = find(objects, "Service", name)
    assert svc, f"backend Service {name} is not in the overlay"
    for p in svc["spec"]["ports"]:
        if port in (p.get("name"), p["port"]):
            return p["targetPort"]
    raise AssertionError(f"Service {name} has no port {port}")


def test_ingress_routes_the_api_without_rewriting():
    objects = render("production")
    ingresses = by_kind(objects, "Ingress")
    assert {i["metadata"]["name"] for i in ingresses} == {"logpilot-http", "logpilot-grpc"}
    config = config_of(objects, statefulsets(objects)[0])
    for ing in ingresses:
        annotations = ing["metadata"].get("annotations", {})
        assert not [k for k in annotations if "rewrite" in k or "use-regex" in k or "configuration-snippet" in k], (
            annotations)
        assert ing["spec"]["ingressClassName"] == "nginx"
        assert annotations.get("cert-manager.io/cluster-issuer") or annotations.get("cert-manager.io/issuer")
        hosts = {r["host"] for r in ing["spec"]["rules"]}
        assert hosts == {h for t in ing["spec"]["tls"] for h in t["hosts"]}
        for rule in ing["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                target = service_target(objects, path["backend"]["service"]["name"],
                                        path["backend"]["service"]["port"]["name"])
                if ing["metadata"]["name"] == "logpilot-http":
                    assert target == "http"
                    assert path["pathType"] == "Prefix"
                    for api_path in ["/api/logs", "/api/logs/batch", "/api/logs/orders", "/api/channels"]:
                        assert api_path == path["path"] or api_path.startswith(path["path"].rstrip("/") + "/")
                else:
                    assert target == "grpc"
                    assert annotations["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPC"
    http = find(objects, "Ingress", "logpilot-http")
    body = http["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    max_body = int(dig(config, "logpilot.limits.max-body-bytes", 10485760))
    assert quantity_bytes(body.replace("m", "Mi")) >= max_body, "nginx must not refuse bodies the server accepts"


def test_gateway_routes_reach_the_fronts_without_rewriting():
    objects = render("staging")
    (http,) = by_kind(objects, "HTTPRoute")
    (grpc,) = by_kind(objects, "GRPCRoute")
    for route in (http, grpc):
        for rule in route["spec"]["rules"]:
            assert not rule.get("filters"), "no URLRewrite or other filters"
    for rule in http["spec"]["rules"]:
        for ref in rule["backendRefs"]:
            assert service_target(objects, ref["name"], ref["port"]) == "http"
        assert [m["path"] for m in rule["matches"]] == [{"type": "PathPrefix", "value": "/api"}]
    proto = (K8S.parent / "proto" / "logpilot.proto").read_text()
    package = re.search(r"^package\s+([\w.]+);", proto, re.M).group(1)
    services = {f"{package}.{s}" for s in re.findall(r"^service\s+(\w+)", proto, re.M)}
    for rule in grpc["spec"]["rules"]:
        for ref in rule["backendRefs"]:
            assert service_target(objects, ref["name"], ref["port"]) == "grpc"
        for match in rule["matches"]:
            assert match["method"]["service"] in services, match


# -- overlays differ as documented --------------------------------------------------------------------------------


def test_development_is_small_with_debug_text_logs():
    objects = render("development")
    (sts,) = statefulsets(objects)
    config = config_of(objects, sts)
    assert dig(config, "logpilot.logging.level") == "debug" and dig(config, "logpilot.logging.format") == "text"
    c = server_container(sts)
    assert quantity_bytes(c["resources"]["limits"]["memory"]) <= 512 * 2**20
    assert c["imagePullPolicy"] == "IfNotPresent" and c["image"].endswith(":dev")
    for overlay in ("staging", "production"):
        for other in statefulsets(render(overlay)):
            assert dig(config_of(render(overlay), other), "logpilot.logging.format") == "json"
            assert server_container(other)["imagePullPolicy"] == "Always"


def test_staging_and_production_run_the_split_fronts():
    for overlay in ("staging", "production"):
        objects = render(overlay)
        names = {image_product(server_container(s)["image"]) for s in statefulsets(objects)}
        assert names == {"logpilot-rest", "logpilot-grpc"}, (overlay, names)
        assert find(objects, "ServiceMonitor", "logpilot") and find(objects, "PrometheusRule", "logpilot")


# -- docs/kubernetes.md stays true ------------------------------------------------------------------------------------


def doc_bytes(text: str) -> int:
    number, unit = text.split()
    return int(float(number) * {"MiB": 2**20, "GiB": 2**30}[unit])


def test_docs_storage_table_and_numbers_match_the_manifests():
    from k8s_support import DOCS, secret_data

    docs = DOCS.read_text()
    table = docs.split("## Storage budget", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| overlay") and "---" not in line]
    assert {r[0].split()[0] for r in rows} == set(OVERLAYS)
    for overlay, volume, cap, retention, keep, _ in rows:
        overlay = overlay.split()[0]
        objects = render(overlay)
        backups = backups_by_pod(objects)
        for sts in statefulsets(objects):
            config = config_of(objects, sts)
            assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == volume
            assert int(dig(config, "logpilot.storage.sqlite.max-bytes")) == doc_bytes(cap), overlay
            assert int(dig(config, "logpilot.retention.max-bytes")) == doc_bytes(retention), overlay
            assert {backup_keep(cj) for cj in backups.values()} == {int(keep)}, overlay
    for overlay in OVERLAYS:
        for hpa in by_kind(render(overlay), "HorizontalPodAutoscaler"):
            assert f"HPA {hpa['spec']['minReplicas']}..{hpa['spec']['maxReplicas']}" in docs, (overlay, hpa["spec"])
    grace = {pod_template(s)["spec"]["terminationGracePeriodSeconds"] for o in OVERLAYS for s in statefulsets(render(o))}
    assert grace == {40} and "= 40 s  terminationGracePeriodSeconds" in docs
    dev_key = secret_data(find(render("development"), "Secret", "logpilot-api-keys"))["api-keys"]
    assert f"X-API-Key: {[l for l in dev_key.splitlines() if l and not l.startswith('#')][0]}" in docs
