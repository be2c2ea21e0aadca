"""Operations: the YAML config file and its live reload, `config print`, rate limits (REST and gRPC), trusted
proxies, CORS, the metric families (promtool, a real Prometheus scraping the binary), liveness details and the
`backup` subcommand — all against the real binary on loopback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import block_store
import requests

from conftest import BIN, channel_name, free_port, run_binary
from test_management import metric, parse_metrics


def count(server, channel) -> int:
    """Records of a channel, straight from the database file."""
    return block_store.query(server.db_path, "SELECT count(*) FROM logs WHERE channel = ?", (channel,))[0][0]


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def wait_until(predicate, timeout=15.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"{what} not reached within {timeout}s (last: {last!r})")


def post_batch(s, records, key=None, headers=None):
    h = dict(headers or {})
    if key:
        h["X-API-KEY"] = key
    return s.post("/api/logs/batch", json=records, headers=h)


# -- config file ----------------------------------------------------------------------------------------------------


def test_config_file_configures_the_server(make_server, tmp_path):
    config = write_config(tmp_path / "logpilot.yaml", """
logpilot:
  server:
    api-keys: [file-key-1, file-key-2]
  limits:
    max-message-bytes: 10
    max-read-limit: 5
""")
    s = make_server("--config", str(config))
    ch = channel_name("cfg")
    assert s.post("/api/logs", json={"channel": ch, "message": "x"}).status_code == 401
    assert post_batch(s, [{"channel": ch, "message": "0123456789"}], key="file-key-2").status_code == 201
    r = post_batch(s, [{"channel": ch, "message": "01234567890"}], key="file-key-1")
    assert r.status_code == 400 and r.json()["field"] == "records[0].message"
    assert s.get(f"/api/logs/{ch}", params={"limit": 6}, headers={"X-API-KEY": "file-key-1"}).status_code == 400


def test_environment_and_flags_win_over_the_config_file(make_server, tmp_path):
    config = write_config(tmp_path / "c.yaml", "logpilot:\n  limits:\n    max-message-bytes: 10\n    max-read-limit: 5\n")
    s = make_server("--config", str(config), "--max-read-limit", "7", env={"LOGPILOT_MAX_MESSAGE_BYTES": "20"})
    ch = channel_name("prec")
    assert s.post("/api/logs", json={"channel": ch, "message": "x" * 20}).status_code == 201
    assert s.get(f"/api/logs/{ch}", params={"limit": 7}).status_code == 200
    assert s.get(f"/api/logs/{ch}", params={"limit": 8}).status_code == 400


@pytest.mark.parametrize("text,key", [
    ("logpilot:\n  storage:\n    sqlite:\n      pth: /x.db\n", "logpilot.storage.sqlite.pth (line 4"),
    ("logpilot:\n  grpc:\n    max-connections: lots\n", "logpilot.grpc.max-connections (line 3"),
    ("spring:\n  port: 1\n", "spring (line 1"),
    ("logpilot:\n  retention:\n    days: [1, 2]\n", "logpilot.retention.days"),
    ("logpilot: {server: \n", "not valid YAML"),
])
def test_a_bad_config_file_fails_at_startup_naming_the_key(tmp_path, text, key):
    config = write_config(tmp_path / "bad.yaml", text)
    db = tmp_path / "never.db"
    result = run_binary(["--config", str(config), "--sqlite-path", str(db), "--http-port", str(free_port()),
                         "--management-port", str(free_port())])
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert key in output, output
    assert not db.exists()


def test_a_missing_config_file_fails_at_startup(tmp_path):
    result = run_binary(["--sqlite-path", str(tmp_path / "x.db")], env={"LOGPILOT_CONFIG": str(tmp_path / "nope.yaml")})
    assert result.returncode != 0
    assert "LOGPILOT_CONFIG" in result.stderr and "nope.yaml" in result.stderr


def test_config_print_shows_the_effective_configuration_with_secrets_masked(tmp_path):
    config = write_config(tmp_path / "c.yaml", "logpilot:\n  server:\n    api-keys: [top-secret-1]\n"
                                              "  retention:\n    days: 30\n")
    keys_file = tmp_path / "keys"
    keys_file.write_text("# mounted secret\ntop-secret-2\n")
    result = run_binary(["config", "print", "--config", str(config), "--http-port", "9191"],
                        env={"LOGPILOT_API_KEYS_FILE": str(keys_file), "LOGPILOT_LOG_LEVEL": "debug"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "top-secret" not in out
    assert out.count('"********"') == 2
    assert "    port: 9191" in out
    assert "    days: 30" in out
    assert "    level: debug" in out
    # The printed document is itself a valid config file (masked keys aside).
    reprinted = tmp_path / "printed.yaml"
    reprinted.write_text(out.replace('"********"', "k"))
    again = run_binary(["config", "print", "--config", str(reprinted)])
    assert again.returncode == 0, again.stderr
    assert "    days: 30" in again.stdout


def test_config_reload_applies_keys_rate_limits_and_level_without_restart(make_server, tmp_path):
    config = tmp_path / "c.yaml"
    write_config(config, "logpilot:\n  server:\n    api-keys: [old-key]\n")
    s = make_server("--config", str(config))
    pid = s.proc.pid
    ch = channel_name("reload")
    assert post_batch(s, [{"channel": ch, "message": "a"}], key="old-key").status_code == 201
    assert post_batch(s, [{"channel": ch, "message": "a"}], key="new-key").status_code == 401

    # What a ConfigMap update does: the file is replaced (here by rename, atomically), the process keeps running.
    staged = tmp_path / "c.yaml.new"
    write_config(staged, "logpilot:\n  server:\n    api-keys: [new-key]\n    rate-limit:\n      enabled: true\n"
                         "      capacity: 2\n      refill-tokens: 1\n      refill-duration-seconds: 3600\n"
                         "  grpc:\n    max-connections: 7\n  logging:\n    level: debug\n")
    os.replace(staged, config)
    wait_until(lambda: post_batch(s, [{"channel": ch, "message": "b"}], key="new-key").status_code != 401,
               what="the new key accepted")
    assert post_batch(s, [{"channel": ch, "message": "c"}], key="old-key").status_code == 401
    statuses = [post_batch(s, [{"channel": ch, "message": "d"}], key="new-key").status_code for _ in range(3)]
    assert 429 in statuses, statuses
    assert s.proc.pid == pid and s.running
    log = s.output()
    assert "configuration reloaded" in log
    assert "logpilot.grpc.max-connections" in log and "restart" in log
    assert "new-key" not in log and "old-key" not in log, "API keys must never be logged"

    # A broken edit keeps the running configuration and says so.
    write_config(config, "logpilot:\n  server:\n    api-keys: [new-key]\n  limits:\n    max-meta-keys: many\n")
    wait_until(lambda: "configuration reload failed" in s.output(), what="the reload failure logged")
    samples = parse_metrics(s.mget("/metrics").text)
    assert metric(samples, "logpilot_config_reloads_total", result="failure") >= 1
    assert metric(samples, "logpilot_config_reloads_total", result="success") >= 1


def test_api_keys_file_rotation_like_a_kubernetes_secret(make_server, tmp_path):
    # The kubelet updates a Secret volume by writing a new directory and swapping the `..data` symlink.
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "..v1").mkdir()
    (secret / "..v1" / "api-keys").write_text("key-v1\n")
    os.symlink("..v1", secret / "..data")
    os.symlink("..data/api-keys", secret / "api-keys")
    s = make_server(env={"LOGPILOT_API_KEYS_FILE": str(secret / "api-keys")})
    ch = channel_name("rot")
    assert post_batch(s, [{"channel": ch, "message": "a"}], key="key-v1").status_code == 201
    (secret / "..v2").mkdir()
    (secret / "..v2" / "api-keys").write_text("key-v2\n")
    os.symlink("..v2", secret / "..data_tmp")
    os.replace(secret / "..data_tmp", secret / "..data")
    wait_until(lambda: post_batch(s, [{"channel": ch, "message": "b"}], key="key-v2").status_code == 201,
               what="the rotated key accepted")
    assert post_batch(s, [{"channel": ch, "message": "c"}], key="key-v1").status_code == 401


# -- rate limits ----------------------------------------------------------------------------------------------------

RATE_LIMIT = ("--rate-limit-enabled", "true", "--rate-limit-capacity", "3", "--rate-limit-refill-tokens", "1",
              "--rate-limit-refill-duration-seconds", "3600")


def test_rest_rate_limit_is_per_api_key_with_retry_hints(make_server):
    s = make_server("--api-keys", "key-a,key-b", *RATE_LIMIT)
    ch = channel_name("rl")
    codes = [post_batch(s, [{"channel": ch, "message": "m"}], key="key-a").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    r = post_batch(s, [{"channel": ch, "message": "m"}], key="key-a")
    assert r.status_code == 429
    assert r.json()["errorCode"] == "RATE_LIMITED"
    assert int(r.headers["Retry-After"]) >= 1
    assert r.headers["X-Rate-Limit-Retry-After-Seconds"] == r.headers["Retry-After"]
    # Another key has its own bucket (the Java server shared one bucket between every valid key).
    assert post_batch(s, [{"channel": ch, "message": "m"}], key="key-b").status_code == 201
    samples = parse_metrics(s.mget("/metrics").text)
    assert metric(samples, "logpilot_requests_rejected_total", protocol="rest", reason="rate_limited") == 2
    # Health and metrics are never rate limited.
    for _ in range(10):
        assert s.mget("/health/ready").status_code == 200


def test_rest_rate_limit_counts_records(make_server):
    s = make_server("--api-keys", "k", "--rate-limit-enabled", "true", "--max-batch-records", "100",
                    "--rate-limit-records-capacity", "250", "--rate-limit-records-refill-tokens", "1",
                    "--rate-limit-refill-duration-seconds", "3600")
    ch = channel_name("rlr")
    batch = [{"channel": ch, "message": str(i)} for i in range(100)]
    assert [post_batch(s, batch, key="k").status_code for _ in range(3)] == [201, 201, 429]
    assert post_batch(s, batch[:50], key="k").status_code == 201
    assert count(s, ch) == 250
    samples = parse_metrics(s.mget("/metrics").text)
    assert metric(samples, "logpilot_logs_rejected_total", protocol="rest", reason="rate_limited") == 100


def test_x_forwarded_for_is_believed_only_from_trusted_proxies(make_server):
    s = make_server(*RATE_LIMIT, "--trusted-proxies", "127.0.0.0/8")
    ch = channel_name("xff")

    def send(client_ip):
        return post_batch(s, [{"channel": ch, "message": "m"}],
                          headers={"X-Forwarded-For": f"6.6.6.6, {client_ip}"}).status_code

    assert [send("198.51.100.1") for _ in range(4)] == [201, 201, 201, 429]
    assert send("198.51.100.2") == 201  # another client behind the same proxy

    untrusted = make_server(*RATE_LIMIT, name="untrusted")
    codes = [post_batch(untrusted, [{"channel": ch, "message": "m"}],
                        headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429], "a client must not choose its bucket with X-Forwarded-For"


def test_grpc_rate_limit_is_resource_exhausted_with_a_retry_hint(make_grpc_server, grpc_connect, lp):
    import grpc

    s = make_grpc_server("--api-keys", "gk", *RATE_LIMIT)
    c = grpc_connect(s)
    ch = channel_name("grl")
    md = (("x-api-key", "gk"),)
    for i in range(3):
        c.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=[lp.pb.LogRequest(channel=ch, message=str(i))]),
                        metadata=md, timeout=10)
    with pytest.raises(grpc.RpcError) as info:
        c.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=[lp.pb.LogRequest(channel=ch, message="x")]),
                        metadata=md, timeout=10)
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "rate limit" in info.value.details()
    trailers = dict(info.value.trailing_metadata() or ())
    assert int(trailers["retry-after-seconds"]) >= 1
    samples = parse_metrics(s.mget("/metrics").text)
    assert metric(samples, "logpilot_requests_rejected_total", protocol="grpc", reason="rate_limited") == 1
    assert metric(samples, "grpc_server_handled_total", grpc_service="logpilot.LogService", grpc_method="SendLogs",
                  grpc_type="unary", grpc_code="ResourceExhausted") == 1
    # gRPC health stays available.
    from grpc_health.v1 import health_pb2
    assert c.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status == 1


# -- CORS -----------------------------------------------------------------------------------------------------------


def test_cors_preflight_and_response_headers_for_allowed_origins_only(make_server):
    s = make_server("--api-keys", "k", "--cors-allowed-origins", "https://app.example.com")
    ch = channel_name("cors")
    pre = s.request("OPTIONS", "/api/logs/batch", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-api-key"})
    assert pre.status_code == 204, pre.text  # no API key needed for a preflight
    assert pre.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "x-api-key" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert pre.headers["Vary"] == "Origin"

    r = post_batch(s, [{"channel": ch, "message": "m"}], key="k", headers={"Origin": "https://app.example.com"})
    assert r.status_code == 201
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example.com"

    evil = s.request("OPTIONS", "/api/logs/batch", headers={
        "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil.headers
    r = post_batch(s, [{"channel": ch, "message": "m"}], key="k", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in r.headers


# -- metrics --------------------------------------------------------------------------------------------------------


def exercise(s, lp=None, grpc_client=None, records=25):
    ch = channel_name("met")
    s.post_batch([{"channel": ch, "level": "ERROR", "message": str(i)} for i in range(records)])
    s.read(ch)
    s.post("/api/logs/batch", data="not json", headers={"Content-Type": "application/json"})
    s.get("/no/such/path")
    if grpc_client is not None:
        grpc_client.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=[lp.pb.LogRequest(channel=ch, message="g")]),
                                  timeout=10)
    return ch


def test_metric_families_are_recorded_with_bounded_labels(make_grpc_server, grpc_connect, lp):
    s = make_grpc_server("--metrics-max-channels", "2")
    c = grpc_connect(s)
    exercise(s, lp, c)
    for i in range(5):
        s.post_batch([{"channel": f"many-{i}", "message": "m"}])
    # One batch with many distinct (level, channel) pairs, counted per pair.
    s.post_batch([{"channel": f"wide-{i}", "level": ["INFO", "WARN"][i % 2], "message": "m"} for i in range(40)])
    text = s.mget("/metrics").text
    samples = parse_metrics(text)
    assert metric(samples, "http_requests_total", method="POST", route="/api/logs/batch", code="201") >= 1
    assert metric(samples, "http_requests_total", method="POST", route="/api/logs/batch", code="400") == 1
    assert metric(samples, "http_requests_total", method="GET", route="/api/logs/{channel}", code="200") == 1
    assert metric(samples, "http_requests_total", method="GET", route="other", code="404") == 1
    assert metric(samples, "grpc_server_handled_total", grpc_service="logpilot.LogService", grpc_method="SendLogs",
                  grpc_type="unary", grpc_code="OK") == 1
    assert metric(samples, "grpc_server_msg_received_total", grpc_service="logpilot.LogService",
                  grpc_method="SendLogs", grpc_type="unary") == 1
    assert metric(samples, "grpc_server_msg_sent_total", grpc_service="logpilot.LogService",
                  grpc_method="SendLogs", grpc_type="unary") == 1
    assert metric(samples, "grpc_server_started_total", grpc_service="logpilot.LogService",
                  grpc_method="SendLogs", grpc_type="unary") == 1
    assert metric(samples, "logpilot_ingest_bytes_total", protocol="rest") > 0
    assert metric(samples, "logpilot_ingest_bytes_total", protocol="grpc") > 0
    assert "logpilot_batch_records_bucket" in text and "http_request_duration_seconds_bucket" in text
    assert "grpc_server_handling_seconds_bucket" in text
    assert metric(samples, "logpilot_ready") == 1
    assert metric(samples, "logpilot_storage_database_bytes") > 0
    assert metric(samples, "logpilot_storage_volume_bytes") >= metric(samples, "logpilot_storage_free_bytes")
    assert metric(samples, "logpilot_storage_queue_max_records") == 10000
    channels = {dict([kv.split("=") for kv in k[k.index("{") + 1:-1].replace('"', "").split(",")])["channel"]
                for k in samples if k.startswith("logpilot_logs_received_total{")}
    assert len(channels - {"other"}) == 2 and "other" in channels, channels
    received = sum(v for k, v in samples.items() if k.startswith("logpilot_logs_received_total{"))
    assert received == 25 + 1 + 5 + 40, received


def test_metrics_page_passes_promtool(make_grpc_server, grpc_connect, lp):
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool is not installed (Debian package prometheus; scripts/setup.sh installs it)")
    s = make_grpc_server()
    exercise(s, lp, grpc_connect(s))
    text = s.mget("/metrics").text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not result.stdout.strip() and not result.stderr.strip(), result.stdout + result.stderr


@pytest.mark.time_limit(90)
def test_a_real_prometheus_scrapes_the_binary_and_answers_promql(make_server, tmp_path):
    prometheus = shutil.which("prometheus")
    if not prometheus:
        pytest.skip("prometheus is not installed (Debian package prometheus; scripts/setup.sh installs it)")
    s = make_server()
    ch = channel_name("prom")
    stored = 0
    for size in (100, 250, 37):
        s.post_batch([{"channel": ch, "message": str(i)} for i in range(size)])
        stored += size
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"""
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: logpilot
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:{s.management_port}"]
""")
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    try:
        def query():
            try:
                r = requests.get(f"http://127.0.0.1:{port}/api/v1/query",
                                 params={"query": 'logpilot_logs_stored_total{job="logpilot"}'}, timeout=2)
                result = r.json()["data"]["result"]
                return float(result[0]["value"][1]) if result else None
            except (requests.RequestException, KeyError, ValueError):
                return None

        value = wait_until(lambda: query() == stored and stored, timeout=45, interval=0.5,
                           what=f"Prometheus answering logpilot_logs_stored_total == {stored}")
        assert value == stored
        up = requests.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": 'up{job="logpilot"}'},
                          timeout=2).json()["data"]["result"]
        assert up and up[0]["value"][1] == "1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# -- probes ---------------------------------------------------------------------------------------------------------


def test_liveness_reports_the_event_loop_heartbeat(server):
    body = server.mget("/health/live").json()
    details = body["components"]["liveness"]["details"]
    assert body["status"] == "UP"
    assert 0 <= details["eventLoopSilenceSeconds"] < 5
    assert details["writerBusySeconds"] < 5


# -- backup ---------------------------------------------------------------------------------------------------------


@pytest.mark.time_limit(90)
def test_backup_while_the_server_runs_and_restore(make_server, tmp_path):
    s = make_server()
    ch = channel_name("bk")
    s.post_batch([{"channel": ch, "message": str(i)} for i in range(500)])
    out_dir = tmp_path / "backups"
    reports = []
    for round_ in range(3):
        s.post_batch([{"channel": ch, "message": f"r{round_}-{i}"} for i in range(100)])
        result = subprocess.run([str(BIN), "backup", "--sqlite-path", str(s.db_path), "--output-dir", str(out_dir),
                                 "--keep", "2"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stderr
        reports.append(json.loads(result.stdout))
        time.sleep(1.1)  # copies are named by the second
    assert [r["kept"] for r in reports] == [1, 2, 2]
    assert reports[2]["deleted"] == [reports[0]["backup"]]
    copies = sorted(p.name for p in out_dir.iterdir())
    assert copies == sorted(Path(r["backup"]).name for r in reports[1:]), copies
    latest = reports[-1]["backup"]
    assert block_store.query(latest, "PRAGMA integrity_check")[0][0] == "ok"
    assert block_store.query(latest, "SELECT count(*) FROM logs WHERE channel = ?", (ch,))[0][0] == 800

    # Restore: stop, copy the backup over the database, drop the WAL files, start.
    s.post_batch([{"channel": ch, "message": "after the backup"}])
    s.stop()
    shutil.copy(latest, s.db_path)
    for suffix in ("-wal", "-shm"):
        Path(str(s.db_path) + suffix).unlink(missing_ok=True)
    s.start()
    assert count(s, ch) == 800


def test_backup_of_a_missing_database_fails_clearly(tmp_path):
    result = run_binary(["backup", "--sqlite-path", str(tmp_path / "none.db")])
    assert result.returncode != 0
    assert "no database" in result.stderr


# -- connections and request logs -----------------------------------------------------------------------------------


def test_rest_connections_beyond_the_limit_are_closed(make_server):
    s = make_server("--http-max-connections", "2")
    held = []
    try:
        for _ in range(2):
            sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=5)
            sock.sendall(b"GET /api/channels HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(12).startswith(b"HTTP/1.1 200")
            held.append(sock)
        extra = socket.create_connection(("127.0.0.1", s.http_port), timeout=5)
        held.append(extra)
        try:
            extra.sendall(b"GET /api/channels HTTP/1.1\r\nHost: x\r\n\r\n")
            assert extra.recv(64) == b"", "a connection beyond the limit must be closed without an answer"
        except (ConnectionResetError, BrokenPipeError):
            pass
    finally:
        for sock in held:
            sock.close()
    # Closed connections free their slots.
    wait_until(lambda: requests.get(s.url("/api/channels"), timeout=5).status_code == 200, what="a slot again")


def test_request_logs_at_debug_name_routes_not_keys_or_payloads(make_server):
    # The key goes in through the environment: the test's own log header prints the command line.
    s = make_server("--log-level", "debug", "--log-format", "json", env={"LOGPILOT_API_KEYS": "very-secret-key"})
    ch = channel_name("dbg")
    post_batch(s, [{"channel": ch, "message": "payload-text-never-logged"}], key="very-secret-key")
    s.get(f"/api/logs/{ch}", params={"consumerId": "c1"}, headers={"X-API-KEY": "very-secret-key"})
    s.get("/api/channels", headers={"X-API-KEY": "wrong-key"})
    wait_until(lambda: s.output().count('"http.route"') >= 3, what="three request log lines")
    out = s.output()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    requests_logged = [line for line in lines if line.get("message") == "request"]
    assert {line["http.route"] for line in requests_logged} >= {"/api/logs/batch", "/api/logs/{channel}", "/api/channels"}
    assert all(line["level"] == "debug" for line in requests_logged)
    for secret in ("very-secret-key", "wrong-key", "payload-text-never-logged"):
        assert secret not in out


def test_an_empty_api_keys_file_fails_at_startup_instead_of_turning_auth_off(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("# no keys yet\n\n")
    result = run_binary(["--sqlite-path", str(tmp_path / "x.db"), "--http-port", str(free_port()),
                         "--management-port", str(free_port())], env={"LOGPILOT_API_KEYS_FILE": str(keys)})
    assert result.returncode != 0
    assert "LOGPILOT_API_KEYS_FILE" in result.stderr and "holds no API key" in result.stderr


def test_a_second_process_on_the_same_database_fails_at_startup(make_server, tmp_path):
    first = make_server()
    result = run_binary(["--sqlite-path", str(first.db_path), "--host", "127.0.0.1", "--http-port", str(free_port()),
                         "--management-port", str(free_port()), "--grpc-port", str(free_port())], timeout=20)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "another LogPilot process" in output, output
    # The first one is unharmed.
    first.post_batch([{"channel": channel_name("lock"), "message": "still fine"}])


def test_idle_rest_connections_are_closed_after_the_idle_timeout(make_server):
    s = make_server("--http-idle-timeout-seconds", "1")
    sock = socket.create_connection(("127.0.0.1", s.http_port), timeout=10)
    try:
        started = time.monotonic()
        assert sock.recv(64) == b"", "an idle connection must be closed by the server"
        assert 0.5 <= time.monotonic() - started < 8
    finally:
        sock.close()
