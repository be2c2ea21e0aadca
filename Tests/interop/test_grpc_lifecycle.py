"""gRPC and the process: SIGTERM draining (health NOT_SERVING, open streams acknowledged then UNAVAILABLE, new calls
refused, exit 0), restart, which executable / --protocol serves which front, and gRPC settings errors."""

import signal
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2

from conftest import (Server, assert_rpc_error, channel_name, db_query, env_binary, free_port, port_accepts,
                      require_grpc_build, rpc_error, run_binary)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
REST_BIN = env_binary("LOGPILOT_REST_BIN")
GRPC_BIN = env_binary("LOGPILOT_GRPC_BIN")


def send_one(client, channel, message="m", **kw):
    return client.stub.SendLog(client.lp.pb.LogRequest(channel=channel, message=message), timeout=10, **kw)


# -- SIGTERM ------------------------------------------------------------------------------------------------------


@pytest.mark.time_limit(60)
def test_sigterm_drains_grpc(make_grpc_server, grpc_connect):
    s = make_grpc_server()
    c = grpc_connect(s)
    pb = c.lp.pb
    ch = channel_name("gdrain")
    before = send_one(c, ch, "before")

    # an open Watch and an open, idle stream with 500 acknowledged records
    watch = c.health.Watch(health_pb2.HealthCheckRequest(), timeout=30)
    assert next(watch).status == SERVING
    release = threading.Event()

    def requests():
        for i in range(500):
            yield pb.LogRequest(channel=ch, message=f"s{i}")
        release.wait(30)

    stream = c.stub.StreamLogs(requests(), timeout=30)
    stream_acks, stream_end = [], {}
    first_ack_500 = threading.Event()

    def read_stream():
        try:
            for ack in stream:
                stream_acks.append(ack.records_committed)
                if ack.records_committed == 500:
                    first_ack_500.set()
            stream_end["code"] = grpc.StatusCode.OK
        except grpc.RpcError as error:
            stream_end["code"], stream_end["details"] = error.code(), error.details()
        first_ack_500.set()

    reader = threading.Thread(target=read_stream, daemon=True)
    reader.start()
    assert first_ack_500.wait(15) and stream_acks and stream_acks[-1] == 500, stream_acks[-3:]

    s.signal(signal.SIGTERM)

    # the Watch reports NOT_SERVING before it ends
    statuses, watch_end = [], None
    try:
        for resp in watch:
            statuses.append(resp.status)
    except grpc.RpcError as error:
        watch_end = error
    assert NOT_SERVING in statuses, f"Watch ended without NOT_SERVING: {statuses}, {watch_end}"
    assert SERVING not in statuses[statuses.index(NOT_SERVING):]

    # a new call on a new connection is refused
    late = grpc_connect(s, wait_ready=False)
    error = rpc_error(send_one, late, ch, "late")
    assert_rpc_error(error, grpc.StatusCode.UNAVAILABLE)

    # the idle stream is ended by the server: final ack, then UNAVAILABLE
    reader.join(15)
    release.set()
    assert not reader.is_alive(), "the open stream was not ended by the drain"
    assert stream_end.get("code") == grpc.StatusCode.UNAVAILABLE, stream_end
    assert stream_acks[-1] == 500

    assert s.wait(timeout=20) == 0, s.output_tail()
    assert db_query(s.db_path, "PRAGMA integrity_check") == [("ok",)]
    rows = s.db("SELECT id, message FROM logs WHERE channel = ? ORDER BY id", (ch,))
    assert [m for _, m in rows] == ["before"] + [f"s{i}" for i in range(500)]
    assert rows[0][0] == before.id
    # and after the exit nothing listens
    error = rpc_error(send_one, grpc_connect(s, wait_ready=False), ch, "after exit")
    assert_rpc_error(error, grpc.StatusCode.UNAVAILABLE)


@pytest.mark.time_limit(60)
def test_health_check_turns_not_serving_or_unavailable_after_sigterm(make_grpc_server, grpc_connect):
    s = make_grpc_server()
    c = grpc_connect(s)
    watch = c.health.Watch(health_pb2.HealthCheckRequest(service="logpilot.LogService"), timeout=30)
    assert next(watch).status == SERVING  # an open call keeps the process draining for a moment
    s.signal(signal.SIGTERM)
    seen = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            seen.append(c.health.Check(health_pb2.HealthCheckRequest(), timeout=2).status)
        except grpc.RpcError as error:
            seen.append(error.code())
        if seen[-1] != SERVING:
            break
        time.sleep(0.02)
    assert seen[-1] in (NOT_SERVING, grpc.StatusCode.UNAVAILABLE), seen
    watch.cancel()
    assert s.wait(timeout=20) == 0, s.output_tail()


@pytest.mark.time_limit(60)
def test_restart_keeps_grpc_consumer_offsets_and_ids(make_grpc_server, grpc_connect):
    s = make_grpc_server()
    c = grpc_connect(s)
    pb = c.lp.pb
    ch = channel_name("grst")
    sent = c.stub.SendLogs(pb.SendLogsRequest(log_requests=[pb.LogRequest(channel=ch, message=f"m{i}")
                                                            for i in range(10)]), timeout=10)
    c.stub.FetchLogs(pb.FetchLogsRequest(channel=ch, consumerId="c", limit=4), timeout=10)
    c.close()
    s.restart()
    c = grpc_connect(s)
    got = c.stub.FetchLogs(pb.FetchLogsRequest(channel=ch, consumerId="c", limit=100), timeout=10).logs
    assert [e.id for e in got] == list(range(sent.first_id + 4, sent.last_id + 1))
    assert send_one(c, ch).id > sent.last_id


# -- executables and --protocol -------------------------------------------------------------------------------------


def assert_rest_serves(s, ch):
    assert s.post_one({"channel": ch, "message": "via rest"})["accepted"] == 1


def test_logpilot_all_protocol_all_serves_both_fronts_over_one_database(make_grpc_server, grpc_connect):
    s = make_grpc_server("--protocol", "all")
    c = grpc_connect(s)
    ch = channel_name("pall")
    g = send_one(c, ch, "via grpc")
    r = s.post_one({"channel": ch, "message": "via rest"})
    assert [e["id"] for e in s.read(ch)] == [r["firstId"], g.id]


def test_logpilot_all_protocol_rest_does_not_listen_on_the_grpc_port(make_grpc_server):
    s = make_grpc_server("--protocol", "rest")
    assert_rest_serves(s, channel_name("prest"))
    assert not port_accepts(s.grpc_port), f"--protocol rest listens on the gRPC port {s.grpc_port}"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_logpilot_all_protocol_grpc_serves_grpc_and_management_only(make_grpc_server, grpc_connect, how):
    if how == "flag":
        s = make_grpc_server("--protocol", "grpc")
    else:
        s = make_grpc_server(env={"LOGPILOT_PROTOCOL": "GRPC"})
    c = grpc_connect(s)
    assert send_one(c, channel_name("pgrpc")).status == "success"
    assert s.mget("/health/ready").status_code == 200
    assert not port_accepts(s.http_port), f"--protocol grpc listens on the REST port {s.http_port}"


def test_grpc_port_from_the_environment(grpc_connect, tmp_path):
    require_grpc_build()
    port = free_port()

    class EnvPortServer(Server):
        def command(self):
            cmd = super().command()
            if "--grpc-port" in cmd:
                i = cmd.index("--grpc-port")
                del cmd[i:i + 2]
            return cmd

    s = EnvPortServer(tmp_path / "envport", env={"LOGPILOT_GRPC_PORT": str(port)})
    try:
        s.start()
        s.grpc_port = port
        assert send_one(grpc_connect(s), channel_name("penv")).status == "success"
    finally:
        s.kill()


@pytest.mark.skipif(not REST_BIN, reason="LOGPILOT_REST_BIN not set")
def test_logpilot_rest_does_not_listen_on_the_grpc_port(make_server):
    s = make_server(binary=REST_BIN)
    assert_rest_serves(s, channel_name("brest"))
    assert not port_accepts(s.grpc_port), f"logpilot-rest listens on the gRPC port {s.grpc_port}"


@pytest.mark.skipif(not GRPC_BIN, reason="LOGPILOT_GRPC_BIN not set")
def test_logpilot_grpc_serves_grpc_and_management_but_no_rest(make_grpc_server, grpc_connect):
    s = make_grpc_server(binary=GRPC_BIN)
    c = grpc_connect(s)
    ch = channel_name("bgrpc")
    assert send_one(c, ch).status == "success"
    assert c.health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING
    assert s.mget("/health/ready").status_code == 200
    assert "logpilot_logs_received_total" in s.mget("/metrics").text
    assert not port_accepts(s.http_port), f"logpilot-grpc listens on the REST port {s.http_port}"
    s.stop()


@pytest.mark.skipif(not GRPC_BIN, reason="LOGPILOT_GRPC_BIN not set")
def test_logpilot_grpc_help_lists_the_grpc_settings():
    import subprocess

    out = subprocess.run([str(GRPC_BIN), "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    for flag, variable in [("--grpc-port", "LOGPILOT_GRPC_PORT"),
                           ("--grpc-max-receive-bytes", "LOGPILOT_GRPC_MAX_RECEIVE_BYTES"),
                           ("--management-port", "LOGPILOT_MANAGEMENT_PORT"), ("--sqlite-path", "LOGPILOT_SQLITE_PATH")]:
        assert flag in out.stdout and variable in out.stdout, (flag, out.stdout)


# -- settings errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args,env,key", [
    (["--grpc-port", "70000"], {}, "--grpc-port"),
    ([], {"LOGPILOT_GRPC_PORT": "abc"}, "LOGPILOT_GRPC_PORT"),
    (["--grpc-max-receive-bytes", "10"], {}, "--grpc-max-receive-bytes"),
    ([], {"LOGPILOT_GRPC_MAX_RECEIVE_BYTES": "-1"}, "LOGPILOT_GRPC_MAX_RECEIVE_BYTES"),
])
def test_invalid_grpc_settings_fail_at_startup(tmp_path, args, env, key):
    require_grpc_build()
    db = tmp_path / "never.db"
    flags = ["--host", "127.0.0.1", "--http-port", str(free_port()), "--management-port", str(free_port()),
             "--sqlite-path", str(db)]
    result = run_binary(flags + args, env=env, timeout=15)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert key in output, output
    assert not db.exists()


def test_occupied_grpc_port_fails_at_startup(tmp_path):
    import socket

    require_grpc_build()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_binary(["--host", "127.0.0.1", "--http-port", str(free_port()), "--management-port",
                             str(free_port()), "--grpc-port", str(port), "--sqlite-path", str(tmp_path / "x.db")],
                            timeout=20)
    assert result.returncode != 0, result.stdout + result.stderr


@pytest.mark.time_limit(90)
def test_sigterm_during_sustained_grpc_ingest(make_grpc_server, grpc_connect):
    """Unary writers and a busy stream while SIGTERM arrives: every acknowledged record is stored, calls end with OK
    or UNAVAILABLE only, the stream's final ack covers exactly what it stored, and the process exits 0."""
    s = make_grpc_server()
    pb = grpc_connect(s).lp.pb
    ch, sch = channel_name("gsd"), channel_name("gsds")
    stop = threading.Event()
    lock = threading.Lock()
    acked, codes = [], []

    def writer(t):
        c = grpc_connect(s)
        n = 0
        deadline = time.monotonic() + 30
        while not stop.is_set() and time.monotonic() < deadline:
            key = f"t{t}-n{n}"
            request = pb.SendLogsRequest(log_requests=[pb.LogRequest(channel=ch, message=f"{key}-{i}")
                                                       for i in range(50)])
            try:
                resp = c.stub.SendLogs(request, timeout=20)
                with lock:
                    acked.append((key, resp.first_id, resp.last_id))
                    codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as error:
                with lock:
                    codes.append(error.code())
                if not s.running:
                    return
                time.sleep(0.02)
            n += 1

    stream_result = {}

    def streamer():
        c = grpc_connect(s)

        def requests():
            i = 0
            while not stop.is_set() and i < 2_000_000:
                yield pb.LogRequest(channel=sch, message=f"s{i}")
                i += 1

        last = 0
        try:
            for ack in c.stub.StreamLogs(requests(), timeout=60):
                last = ack.records_committed
            stream_result["code"] = grpc.StatusCode.OK
        except grpc.RpcError as error:
            stream_result["code"] = error.code()
        stream_result["last"] = last

    threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(3)]
    threads.append(threading.Thread(target=streamer, daemon=True))
    for t in threads:
        t.start()
    time.sleep(1.5)
    with lock:
        assert acked, "no write succeeded before SIGTERM"
    s.signal(signal.SIGTERM)
    code = s.wait(timeout=20)
    stop.set()
    for t in threads:
        t.join(timeout=25)
    assert code == 0, s.output_tail()
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}, set(codes)
    assert db_query(s.db_path, "PRAGMA integrity_check") == [("ok",)]

    by_id = dict(s.db("SELECT id, message FROM logs WHERE channel = ?", (ch,)))
    for key, first, last in acked:
        assert [by_id.get(i) for i in range(first, last + 1)] == [f"{key}-{i}" for i in range(50)]
    assert stream_result.get("code") == grpc.StatusCode.UNAVAILABLE, stream_result
    assert stream_result["last"] > 0, "the stream stored nothing before the drain"
    stream_rows = [m for (m,) in s.db("SELECT message FROM logs WHERE channel = ? ORDER BY id", (sch,))]
    assert stream_rows == [f"s{i}" for i in range(len(stream_rows))]
    assert stream_result["last"] == len(stream_rows), \
        f"the stream's final ack ({stream_result['last']}) is not what it stored ({len(stream_rows)})"
