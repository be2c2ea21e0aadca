"""The manifests against the real executables: every rendered LogPilot container is laid out on this machine
(ConfigMap and Secret files, volumes, its environment with mounted paths rewritten; loopback host and free ports by
flag) and run, and then

- every probe of the manifests answers 200 (HTTP) or SERVING (gRPC) without an API key,
- every variable the manifests set is one the executable documents in --help,
- every config file of the overlays is accepted by the executable that mounts it (`config print`),
- the backup CronJob's command makes a consistent copy while the server runs, keeps --keep copies, and the documented
  restore (k8s/backup/restore-pod.yaml's script) brings the records back,
- a SIGTERM stops each of them with exit 0 well inside terminationGracePeriodSeconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from conftest import GrpcClient, db_query
from k8s_support import (K8S, binary_for, by_kind, config_file_of, containers, help_variables, image_product,
                         kubectl, load_yaml_file, overlay_names, pod_template, render, resolve_port, runs_logpilot,
                         server_port, sim_server, simulate_pod, workloads)

OVERLAYS = overlay_names()


def logpilot_containers(objects):
    """(workload, container) for every container running a LogPilot executable."""
    return [(w, c) for w in workloads(objects) for c in containers(pod_template(w)["spec"]) if runs_logpilot(c)]


def no_kubectl_case(n: int):
    """Parameters are computed from the rendered overlays at collection time: without kubectl, one skipped case."""
    path, why = kubectl()
    return None if path else [pytest.param(*([None] * n), marks=pytest.mark.skip(reason=why), id="no-kubectl")]


def statefulset_cases():
    if no_kubectl_case(2):
        return no_kubectl_case(2)
    cases = []
    for overlay in OVERLAYS:
        for sts in by_kind(render(overlay), "StatefulSet"):
            cases.append(pytest.param(overlay, sts["metadata"]["name"], id=f"{overlay}-{sts['metadata']['name']}"))
    return cases


@pytest.fixture
def servers():
    started = []
    yield started
    for s in started:
        s.kill()


def start_pod(overlay, name, tmp_path, servers, args=()):
    objects = render(overlay)
    sts = next(s for s in by_kind(objects, "StatefulSet") if s["metadata"]["name"] == name)
    sim = simulate_pod(objects, sts, tmp_path / "pod")
    server = sim_server(sim, tmp_path / "server", args=args)
    servers.append(server)
    server.start()
    return objects, sts, sim, server


def grpc_health(server, service: str, lp) -> int:
    from grpc_health.v1 import health_pb2

    client = GrpcClient(server, lp)
    try:
        return client.health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status
    finally:
        client.close()


# -- probes -----------------------------------------------------------------------------------------------------------


@pytest.mark.time_limit(60)
@pytest.mark.parametrize("overlay,name", statefulset_cases())
def test_every_probe_answers_on_the_running_binary(overlay, name, tmp_path, servers, lp):
    from grpc_health.v1 import health_pb2

    objects, sts, sim, server = start_pod(overlay, name, tmp_path, servers)
    c = sim.container
    assert sim.api_key, "the pod has an API key, so the probes below prove they need none"
    checked = []
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = c[kind]
        if "httpGet" in probe:
            port_name, _ = resolve_port(c, probe["httpGet"]["port"])
            url = f"http://127.0.0.1:{server_port(server, port_name)}{probe['httpGet']['path']}"
            r = requests.get(url, timeout=probe.get("timeoutSeconds", 1) + 1)
            assert r.status_code == 200, f"{kind} {probe['httpGet']} -> {r.status_code} {r.text[:300]}"
            assert r.json()["status"] == "UP"
        elif "grpc" in probe:
            port_name, _ = resolve_port(c, probe["grpc"]["port"])
            assert port_name == "grpc"
            status = grpc_health(server, probe["grpc"].get("service", ""), lp)
            assert status == health_pb2.HealthCheckResponse.SERVING, f"{kind} {probe['grpc']}: status {status}"
        else:
            pytest.fail(f"{kind}: unexpected probe type {probe}")
        checked.append(kind)
    # the API itself does require the key: the probes above are exempt, not the server open
    if "http" in {p["name"] for p in c["ports"]}:
        assert server.get("/api/channels").status_code == 401
        assert server.get("/api/channels", headers={"X-API-Key": sim.api_key}).status_code == 200
    # a graceful stop (SIGTERM -> exit 0) well inside the pod's grace period
    grace = pod_template(sts)["spec"]["terminationGracePeriodSeconds"]
    prestop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
    started = time.monotonic()
    server.stop(timeout=grace - prestop)
    assert time.monotonic() - started < grace - prestop
    assert checked == ["startupProbe", "livenessProbe", "readinessProbe"]


# -- variables and config files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_variable_the_manifests_set_is_one_the_binary_reads(overlay):
    problems = []
    for workload, c in logpilot_containers(render(overlay)):
        binary = binary_for(image_product(c["image"]))
        known = help_variables(binary)
        for entry in c.get("env", []):
            if entry["name"] not in known:
                problems.append(f"{workload['kind']}/{workload['metadata']['name']}: {entry['name']} is not in "
                                f"{binary.name} --help")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_subcommands_the_manifests_run_exist(overlay):
    for workload, c in logpilot_containers(render(overlay)):
        args = c.get("args") or []
        if args and not args[0].startswith("-"):
            binary = binary_for(image_product(c["image"]))
            out = subprocess.run([str(binary), args[0], "--help"], capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, (f"{workload['metadata']['name']} runs `{binary.name} {args[0]}`, which "
                                         f"fails: {out.stderr.strip()[:300]}")
            for flag in (a for a in args[1:] if a.startswith("--")):
                assert flag in out.stdout + out.stderr, f"`{args[0]}` has no option {flag}"


def leaves(tree, prefix=""):
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, tree


def config_cases():
    if no_kubectl_case(2):
        return no_kubectl_case(2)
    seen, cases = set(), []
    for overlay in OVERLAYS:
        objects = render(overlay)
        for sts in by_kind(objects, "StatefulSet"):
            found = config_file_of(objects, sts)
            product = image_product(next(c for c in containers(pod_template(sts)["spec"]) if runs_logpilot(c))["image"])
            if found and (product, found[1]) not in seen:
                seen.add((product, found[1]))
                cases.append(pytest.param(overlay, sts["metadata"]["name"], id=f"{overlay}-{product}"))
    return cases


@pytest.mark.parametrize("overlay,name", config_cases())
def test_config_files_are_accepted_and_read_as_written(overlay, name, tmp_path):
    """`config print` with the pod's environment (hence its LOGPILOT_CONFIG) prints every value of the file: no key
    unknown, misspelt or shadowed by a variable the manifests also set."""
    objects = render(overlay)
    sts = next(s for s in by_kind(objects, "StatefulSet") if s["metadata"]["name"] == name)
    sim = simulate_pod(objects, sts, tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
    env.update(sim.env)
    out = subprocess.run([str(sim.binary), "config", "print"], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 0, f"{sim.binary.name} config print: {out.stderr.strip()[:500]}"
    printed = yaml.safe_load(out.stdout)
    written = yaml.safe_load(Path(sim.env["LOGPILOT_CONFIG"]).read_text())  # already the local path
    printed_leaves = dict(leaves(printed))
    for key, value in leaves(written):
        assert key in printed_leaves, f"{key} is not in the effective configuration"
        assert str(printed_leaves[key]).lower() == str(value).lower(), (key, value, printed_leaves[key])


# -- backup and restore ---------------------------------------------------------------------------------------------


def run_container(sim, args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
    env.update(sim.env)
    return subprocess.run([str(sim.binary), *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.time_limit(90)
def test_backup_cronjob_copies_the_live_database_and_restore_brings_it_back(tmp_path, servers):
    objects = render("development")
    sts = by_kind(objects, "StatefulSet")[0]
    (cronjob,) = by_kind(objects, "CronJob")
    root = tmp_path / "node"  # one node: the CronJob's pod mounts the StatefulSet pod's claim
    pod = simulate_pod(objects, sts, root)
    job = simulate_pod(objects, cronjob, root)
    assert pod.local("/data") == job.local("/data")
    server = sim_server(pod, tmp_path / "server")
    servers.append(server)
    server.start()
    headers = {"X-API-Key": pod.api_key}
    channel = f"backup-{uuid.uuid4().hex[:8]}"
    batch = [{"channel": channel, "message": f"m{i}"} for i in range(50)]
    assert server.post("/api/logs/batch", json=batch, headers=headers).status_code == 201

    (job_container,) = pod_template(cronjob)["spec"]["containers"]
    args = job_container["args"]
    keep = int(args[args.index("--keep") + 1])
    reports = []
    for _ in range(keep + 1):
        out = run_container(job, args)
        assert out.returncode == 0, f"{args}: {out.stdout} {out.stderr}"
        reports.append(json.loads(out.stdout.strip().splitlines()[-1]))
        # more records while the server runs: the copies are online
        assert server.post("/api/logs/batch", json=batch[:5], headers=headers).status_code == 201
        time.sleep(1.1)  # the copies are named by the second
    backups_dir = job.local("/data/backups")
    copies = sorted(backups_dir.glob("logpilot-*.db"))
    assert len(copies) == keep, copies
    assert reports[-1]["kept"] == keep and len(reports[-1]["deleted"]) == 1
    first = reports[0]
    assert first["bytes"] > 0 and first["backup"].startswith(str(backups_dir))
    latest = reports[-1]["backup"]
    assert db_query(latest, "PRAGMA quick_check") == [("ok",)]
    in_backup = db_query(latest, "SELECT count(*) FROM logs WHERE channel = ?", (channel,))[0][0]
    assert in_backup == 50 + 5 * keep

    # restore as documented: stop, run restore-pod.yaml's script against the volume, start
    server.stop()
    (restore_pod,) = load_yaml_file(K8S / "backup" / "restore-pod.yaml")
    (restore,) = restore_pod["spec"]["containers"]
    script = restore["command"][-1].replace("/data/", str(pod.local("/data")) + "/").replace(
        "/data\n", str(pod.local("/data")) + "\n")
    shell = restore["command"][:-1]
    env = {"PATH": "/usr/bin:/bin", "RESTORE_FROM": latest.rsplit("/", 1)[-1]}
    out = subprocess.run([*shell, script], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert not pod.local("/data/logpilot.db-wal").exists()
    server.start()
    r = server.get(f"/api/logs/{channel}", params={"limit": 1000}, headers=headers)
    assert r.status_code == 200 and len(r.json()) == in_backup
