"""Management port: health probes and Prometheus metrics."""

import re
import time

import pytest

from conftest import channel_name

HEALTH_PATHS = ["/health", "/health/live", "/health/ready", "/health/startup", "/actuator/health",
                "/actuator/health/liveness", "/actuator/health/readiness"]


@pytest.mark.parametrize("path", HEALTH_PATHS)
def test_health_probes_are_up(server, path):
    r = server.mget(path)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["status"] == "UP"
    assert isinstance(body["components"], dict) and body["components"]
    for name, component in body["components"].items():
        assert component["status"] == "UP", (name, component)


def test_overall_health_reports_storage(server):
    body = server.mget("/health").json()
    storage = body["components"]["storage"]
    assert storage["status"] == "UP"
    assert storage["details"]["path"] == str(server.db_path)
    assert set(server.mget("/actuator/health").json()["components"]) == set(body["components"])


def test_unknown_management_path_is_404(server):
    assert server.mget("/nope").status_code == 404
    assert server.mget("/api/channels").status_code == 404  # the API is not on the management port


def parse_metrics(text: str) -> dict:
    """{'name{labels}': value} for every sample line."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        # Label values may hold braces (route="/api/logs/{channel}"): the label set ends at the last "}".
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)$", line)
        assert m, f"not a Prometheus sample line: {line!r}"
        samples[m.group(1)] = float(m.group(2))
    return samples


def metric(samples, name, **labels):
    """Value of one sample; labels must match exactly (in any order)."""
    for key, value in samples.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if got == {k: str(v) for k, v in labels.items()}:
            return value
    return None


REQUIRED = [
    'logpilot_logs_received_total{protocol="rest",level="INFO",channel=',
    "logpilot_logs_stored_total",
    "logpilot_logs_rejected_total",
    "logpilot_storage_commit_records_bucket",
    "logpilot_storage_commit_duration_seconds_bucket",
    "logpilot_storage_queue_records",
    "process_resident_memory_bytes",
]


@pytest.mark.parametrize("path", ["/metrics", "/actuator/prometheus"])
def test_metrics_page_has_the_documented_series(server, path):
    server.post_one({"channel": channel_name(), "message": "so that commit histograms have samples"})
    server.post("/api/logs", json={"channel": "bad channel", "message": "rejected"})
    r = server.mget(path)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    for series in REQUIRED:
        assert series in text, f"{series} missing from {path}"
    samples = parse_metrics(text)
    assert metric(samples, "process_resident_memory_bytes") > 1_000_000


def test_metrics_count_exactly(make_server):
    s = make_server()
    before = parse_metrics(s.mget("/metrics").text)
    assert metric(before, "logpilot_logs_stored_total") in (0, None)
    ch = channel_name()
    s.post_batch([{"channel": ch, "message": "i", "level": "info"}] * 3 + [{"channel": ch, "message": "w",
                                                                             "level": "WARNING"}] * 2)
    s.post_one({"channel": ch, "message": "e", "level": "ERROR"})
    bad = [{"channel": ch, "message": "ok"}] * 3 + [{"channel": ch, "message": "x", "level": "nope"}]
    assert s.post("/api/logs/batch", json=bad).status_code == 400
    # the writer updates its metrics just after it answers the requests: allow it a moment
    deadline = time.monotonic() + 3
    while True:
        samples = parse_metrics(s.mget("/metrics").text)
        if metric(samples, "logpilot_logs_stored_total") == 6 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert metric(samples, "logpilot_logs_received_total", protocol="rest", level="INFO", channel=ch) == 3
    assert metric(samples, "logpilot_logs_received_total", protocol="rest", level="WARN", channel=ch) == 2
    assert metric(samples, "logpilot_logs_received_total", protocol="rest", level="ERROR", channel=ch) == 1
    assert metric(samples, "logpilot_logs_received_total", protocol="rest", level="FATAL", channel=ch) in (0, None)
    assert metric(samples, "logpilot_logs_stored_total") == 6
    rejected = sum(v for k, v in samples.items() if k.startswith("logpilot_logs_rejected_total"))
    assert rejected >= 4  # the whole 4-record batch was rejected
    assert metric(samples, "logpilot_storage_queue_records") is not None  # exact value: see the test below
    # commit histograms: +Inf bucket equals the count, records sum equals what was stored
    inf = metric(samples, "logpilot_storage_commit_records_bucket", le="+Inf")
    assert inf == metric(samples, "logpilot_storage_commit_records_count") and inf >= 1
    assert metric(samples, "logpilot_storage_commit_records_sum") == 6
    assert metric(samples, "logpilot_storage_commit_duration_seconds_bucket", le="+Inf") >= 1


def test_queue_gauge_is_zero_when_the_queue_is_empty(make_server):
    import requests
    s = make_server()
    ch = channel_name()
    with requests.Session() as session:
        for i in range(300):
            assert session.post(s.url("/api/logs"), json={"channel": ch, "message": str(i)}).status_code == 201
            samples = parse_metrics(session.get(s.murl("/metrics")).text)
            queued = session.get(s.murl("/health")).json()["components"]["storage"]["details"]["queuedRecords"]
            assert queued == 0  # nothing else writes: the queue is empty once the 201 came back
            assert metric(samples, "logpilot_storage_queue_records") == 0, f"stale gauge after request {i}"
            assert metric(samples, "logpilot_storage_queue_bytes") == 0, f"stale gauge after request {i}"
