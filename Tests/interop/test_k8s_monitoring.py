"""Monitoring: the PrometheusRule passes `promtool check rules`, the dashboard's queries parse, and every metric name
the alerts and panels use is on the real binary's /metrics after traffic that exercises every family (REST, gRPC,
rejections, a refused key, retention, a config reload, a full database)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import yaml

from conftest import GrpcClient
from k8s_support import (COMPONENTS_DIR, by_kind, dashboard_exprs, dashboard_panels, find, grafana_expr_for_promtool,
                         grafana_query_metric_names, load_yaml_file, parse_metric_families, promql_metric_names,
                         render, sim_server, simulate_pod)

MONITORING = COMPONENTS_DIR / "monitoring"
RULE = load_yaml_file(MONITORING / "prometheusrule.yaml")[0]
DASHBOARD = json.loads((MONITORING / "dashboards" / "logpilot.json").read_text())
# Series Prometheus itself makes for every scrape target (not on any /metrics page).
PROMETHEUS_SYNTHETIC = {"up"}


def rules():
    return [r for g in RULE["spec"]["groups"] for r in g["rules"]]


def recorded_names() -> set[str]:
    return {r["record"] for r in rules() if "record" in r}


def alert_metric_names() -> dict[str, set[str]]:
    return {r.get("alert") or r["record"]: promql_metric_names(str(r["expr"])) - recorded_names() for r in rules()}


def dashboard_metric_names() -> dict[str, set[str]]:
    used = {}
    for title, expr in dashboard_exprs(DASHBOARD):
        used.setdefault(title, set()).update(promql_metric_names(expr) - recorded_names())
    for var in DASHBOARD.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            used.setdefault(f"variable {var['name']}", set()).update(grafana_query_metric_names(query))
    return used


# -- PromQL name extraction ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("expr,names", [
    ('sum by (namespace, pod) (rate(logpilot_storage_errors_total{job="logpilot"}[5m])) > 0',
     {"logpilot_storage_errors_total"}),
    ('histogram_quantile(0.99, sum by (le, route) '
     '(rate(http_request_duration_seconds_bucket{route=~"a|b"}[$__rate_interval])))',
     {"http_request_duration_seconds_bucket"}),
    ("a_total / on (pod) group_left (version) b_info offset 5m", {"a_total", "b_info"}),
    ('{__name__="foo_total", job="x"} unless bar', {"foo_total", "bar"}),
    ('count_values("version", x) and bool y or without_z', {"x", "y", "without_z"}),
    ("predict_linear(free_bytes[6h], 24 * 3600) < 0", {"free_bytes"}),
    ("1e3 * 0x1f + Inf - NaN + 2.5e-3", set()),
    ("sum without (instance) (m)", {"m"}),
    ('label_replace(m, "dst", "$1 rate(sum)", "src", "(.*)")', {"m"}),
    ("max_over_time(rate(m[5m])[1h:5m]) # a comment naming not_a_metric", {"m"}),
    ("time() - process_start_time_seconds", {"process_start_time_seconds"}),
    ('topk(10, sum by (channel) (rate(logpilot_logs_received_total{pod=~"$pod"}[${__rate_interval}])))',
     {"logpilot_logs_received_total"}),
    ("job:requests:rate5m > 0", {"job:requests:rate5m"}),
])
def test_promql_metric_names(expr, names):
    assert promql_metric_names(expr) == names


def test_promql_unknown_function_is_an_error():
    with pytest.raises(ValueError):
        promql_metric_names("rat(m[5m])")


def test_grafana_variable_queries():
    assert grafana_query_metric_names('label_values(logpilot_build_info{job="x"}, namespace)') == {"logpilot_build_info"}
    assert grafana_query_metric_names("label_values(pod)") == set()


# -- promtool -----------------------------------------------------------------------------------------------------


def promtool() -> str:
    path = shutil.which("promtool")
    if not path:
        pytest.skip("promtool is not on PATH (Debian package prometheus, installed by scripts/setup.sh)")
    return path


def check_rules(tmp_path, groups) -> subprocess.CompletedProcess:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True, timeout=60)


def test_promtool_check_rules_on_the_prometheusrule_groups(tmp_path):
    out = check_rules(tmp_path, RULE["spec"]["groups"])
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"SUCCESS: {len(rules())} rules found" in out.stdout, out.stdout


def test_promtool_rejects_a_broken_rule(tmp_path):
    """The check above is real: a syntax error fails it."""
    out = check_rules(tmp_path, [{"name": "x", "rules": [{"alert": "X", "expr": "sum(rate(m[5m]) > "}]}])
    assert out.returncode != 0


def test_rendered_rules_are_the_component_file():
    for overlay in ("staging", "production"):
        assert find(render(overlay), "PrometheusRule", "logpilot")["spec"] == RULE["spec"]


def test_dashboard_queries_parse_with_promtool(tmp_path):
    """Each panel query, with Grafana's variables substituted, as a recording rule: promtool parses it."""
    exprs = dashboard_exprs(DASHBOARD)
    assert len(exprs) >= 20
    group = {"name": "dashboard", "rules": [{"record": f"dashboard_query_{i}", "expr": grafana_expr_for_promtool(e)}
                                            for i, (_, e) in enumerate(exprs)]}
    out = check_rules(tmp_path, [group])
    assert out.returncode == 0, out.stdout + out.stderr


# -- rule and dashboard content ---------------------------------------------------------------------------------------


def test_alerts_cover_the_required_conditions():
    names = alert_metric_names()
    every = set().union(*names.values())
    assert {"logpilot_storage_errors_total", "logpilot_logs_rejected_total", "logpilot_logs_stored_total",
            "logpilot_storage_queue_records", "logpilot_storage_queue_max_records", "logpilot_storage_free_bytes",
            "logpilot_storage_volume_bytes", "logpilot_ready"} <= every, every
    for rule in rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        assert 'job="logpilot"' in str(rule["expr"]), f"{rule['alert']}: scope to the ServiceMonitor's job"
    monitor = load_yaml_file(MONITORING / "servicemonitor.yaml")[0]
    assert monitor["spec"]["jobLabel"] == "app.kubernetes.io/part-of"  # whose value is "logpilot"


def test_dashboard_is_well_formed():
    assert DASHBOARD["uid"] == "logpilot"
    panels = dashboard_panels(DASHBOARD)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    variables = {v["name"] for v in DASHBOARD["templating"]["list"]}
    assert variables == {"datasource", "namespace", "pod"}
    for p in panels:
        assert 0 <= p["gridPos"]["x"] and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24, p["title"]
        if p["type"] != "row":
            assert p["datasource"]["uid"] == "${datasource}" and p["targets"], p["title"]
            for t in p["targets"]:
                assert 'namespace=~"$namespace"' in t["expr"] and 'pod=~"$pod"' in t["expr"], (p["title"], t["expr"])
    cm = find(render("production"), "ConfigMap", "logpilot-grafana-dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(cm["data"]["logpilot.json"]) == DASHBOARD


# -- every name against the real binary ----------------------------------------------------------------------------


def post(server, path, body, key, expect=None):
    r = requests.post(server.url(path), json=body, headers={"X-API-Key": key} if key else {}, timeout=(5, 30))
    if expect is not None:
        assert r.status_code == expect, (path, r.status_code, r.text[:300])
    return r


@pytest.fixture(scope="module")
def scraped_metrics(tmp_path_factory, lp):
    """logpilot-all run as the development overlay's pod (its config file, env and API key), driven through every
    path that creates a metric family; then /metrics."""
    tmp = tmp_path_factory.mktemp("k8s-metrics")
    objects = render("development")
    (sts,) = by_kind(objects, "StatefulSet")
    sim = simulate_pod(objects, sts, tmp / "pod")
    # retention every second (age from the overlay's config), and a small database cap to reach SQLITE_FULL at the end
    sim.env.update({"LOGPILOT_RETENTION_INTERVAL_SECONDS": "1", "LOGPILOT_SQLITE_MAX_BYTES": "400000"})
    server = sim_server(sim, tmp / "server", args=("--retention-days", "3"))
    server.start()
    try:
        key = sim.api_key
        ch = f"metrics-{uuid.uuid4().hex[:8]}"
        post(server, "/api/logs/batch", [{"channel": ch, "level": lvl, "message": "m"}
                                         for lvl in ("INFO", "WARN", "ERROR", "DEBUG")], key, 201)
        post(server, "/api/logs", {"channel": ch, "message": "one"}, key, 201)
        post(server, "/api/logs/batch", [{"channel": ch, "level": "nope", "message": "m"}], key, 400)
        post(server, "/api/logs", {"channel": ch, "message": "no key"}, None, 401)
        assert requests.get(server.url(f"/api/logs/{ch}"), headers={"X-API-Key": key}, timeout=10).status_code == 200
        old = (datetime.now(timezone.utc) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        post(server, "/api/logs/batch", [{"channel": ch, "message": "old", "timestamp": old}] * 3, key, 201)
        client = GrpcClient(server, lp, api_key=key)
        try:
            client.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=[lp.pb.LogRequest(channel=ch, message="g")]),
                                 metadata=client.metadata, timeout=10)
            from grpc_health.v1 import health_pb2

            client.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        finally:
            client.close()
        # a config reload: the same file with another log level (a live key)
        config = tmp / "pod" / "reload.yaml"
        path = Path(sim.env["LOGPILOT_CONFIG"])
        config.write_text(path.read_text().replace("level: debug", "level: info"))
        config.replace(path)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            text = server.mget("/metrics").text
            if "logpilot_config_reloads_total{" in text and "logpilot_retention_deleted_total" in text:
                break
            time.sleep(0.5)
        # fill the database to its cap: SQLITE_FULL, 507
        for _ in range(20):
            big = [{"channel": ch, "message": os.urandom(2000).hex()} for _ in range(25)]  # incompressible
            if post(server, "/api/logs/batch", big, key).status_code == 507:
                break
        time.sleep(0.2)
        return parse_metric_families(server.mget("/metrics").text)
    finally:
        server.kill()


def test_alert_metrics_exist_on_the_binary(scraped_metrics):
    missing = {alert: sorted(names - scraped_metrics - PROMETHEUS_SYNTHETIC)
               for alert, names in alert_metric_names().items()}
    missing = {k: v for k, v in missing.items() if v}
    assert not missing, f"alerts on metrics /metrics does not have: {missing}"


def test_dashboard_metrics_exist_on_the_binary(scraped_metrics):
    missing = {panel: sorted(names - scraped_metrics) for panel, names in dashboard_metric_names().items()}
    missing = {k: v for k, v in missing.items() if v}
    assert not missing, f"panels on metrics /metrics does not have: {missing}"


# -- the first scrape ------------------------------------------------------------------------------------------------
# Counters and histograms exist before their first event: rate() and increase() over them are 0, not empty, and an
# absent() alert can tell "never happened" from "not exported".

METRICS_DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
DOC_FILES = sorted((Path(__file__).resolve().parents[2] / "docs").glob("*.md"))
_DOC_METRIC = re.compile(r"\b(?:logpilot|grpc_server|http_requests?|process)_[a-z0-9_]*[a-z0-9]\b")


def family(sample: str) -> str:
    return re.sub(r"_(bucket|sum|count)$", "", sample)


@pytest.fixture(scope="module")
def first_scrape(make_server_module):
    server = make_server_module()
    return server.mget("/metrics").text


@pytest.fixture(scope="module")
def make_server_module(tmp_path_factory):
    from conftest import Server

    made = []

    def factory(*args):
        server = Server(tmp_path_factory.mktemp("first-scrape"), args=args).start()
        made.append(server)
        return server

    yield factory
    for server in made:
        server.kill()


def first_scrape_families(text: str) -> set[str]:
    return {family(name) for name in parse_metric_families(text)}


def test_alert_metrics_exist_on_the_first_scrape(first_scrape):
    have = first_scrape_families(first_scrape)
    missing = {alert: sorted({family(n) for n in names} - have - PROMETHEUS_SYNTHETIC)
               for alert, names in alert_metric_names().items()}
    missing = {k: v for k, v in missing.items() if v}
    assert not missing, f"alerts on families a fresh server does not export: {missing}"


def test_dashboard_metrics_exist_on_the_first_scrape(first_scrape):
    have = first_scrape_families(first_scrape)
    missing = {panel: sorted({family(n) for n in names} - have) for panel, names in dashboard_metric_names().items()}
    missing = {k: v for k, v in missing.items() if v}
    assert not missing, f"panels on families a fresh server does not export: {missing}"


def test_documented_metrics_exist_on_the_first_scrape(first_scrape):
    have = first_scrape_families(first_scrape)
    named = {}
    for doc in DOC_FILES:
        for name in _DOC_METRIC.findall(doc.read_text()):
            named.setdefault(family(name), set()).add(doc.name)
    assert "logpilot_logs_rejected_total" in named  # the scan reads the docs at all
    missing = {name: sorted(docs) for name, docs in named.items() if name not in have}
    assert not missing, f"documented families a fresh server does not export: {missing}"


def documented_values(metric: str, label: str) -> list[str]:
    """The values docs/metrics.md lists for one label of one family: `label` (`a`, `b`, ...)."""
    for line in METRICS_DOC.read_text().splitlines():
        if line.startswith(f"| `{metric}`"):
            m = re.search(rf"`{label}` \(([^)]*)\)", line)
            assert m, f"docs/metrics.md lists no values for {metric}{{{label}}}"
            return re.findall(r"`([^`]+)`", m.group(1))
    raise AssertionError(f"{metric} is not in docs/metrics.md")


@pytest.mark.parametrize("metric", ["logpilot_logs_rejected_total", "logpilot_requests_rejected_total"])
def test_every_documented_reason_is_zero_on_the_first_scrape(first_scrape, metric):
    reasons = documented_values(metric, "reason")
    assert len(reasons) >= 3
    for protocol in ("rest", "grpc"):
        for reason in reasons:
            series = f'{metric}{{protocol="{protocol}",reason="{reason}"}} 0'
            assert series in first_scrape, f"missing from a fresh scrape: {series}"


def test_storage_errors_and_config_reloads_are_zero_on_the_first_scrape(first_scrape):
    for code in ("SQLITE_FULL", "SQLITE_BUSY", "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_READONLY"):
        assert f'logpilot_storage_errors_total{{code="{code}"}} 0' in first_scrape
    for result in ("success", "failure"):
        assert f'logpilot_config_reloads_total{{result="{result}"}} 0' in first_scrape
    for level in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"):
        assert f'logpilot_logs_received_total{{protocol="rest",level="{level}",channel="other"}} 0' in first_scrape
