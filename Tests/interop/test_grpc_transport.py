"""gRPC transport and platform services against the real binary: deadlines, gzip, message size limits, unknown
methods, API keys in metadata, grpc.health.v1 and server reflection (v1 and v1alpha)."""

import gzip
import threading
import time

import grpc
import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from conftest import assert_rpc_error, binary_help, channel_name, rpc_error

KEY = "grpc-k1-0123456789abcdef"
LOG_METHODS = ["SendLog", "SendLogs", "ListLogs", "FetchLogs", "Seek", "CommitOffset", "StreamLogs"]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVICE_UNKNOWN = health_pb2.HealthCheckResponse.SERVICE_UNKNOWN


def count(server, channel):
    return server.db("SELECT count(*) FROM logs WHERE channel = ?", (channel,))[0][0]


def big_batch(lp, channel, records, message_bytes):
    return lp.pb.SendLogsRequest(log_requests=[lp.pb.LogRequest(channel=channel, message="a" * message_bytes)
                                               for _ in range(records)])


# -- deadlines ----------------------------------------------------------------------------------------------------


def test_tiny_deadline_on_a_big_send_logs_is_deadline_exceeded(grpc_server, grpc_shared, lp):
    ch = channel_name("tdl")
    request = big_batch(lp, ch, 10_000, 100)
    error = rpc_error(grpc_shared.stub.SendLogs, request, timeout=0.001)
    assert_rpc_error(error, grpc.StatusCode.DEADLINE_EXCEEDED)
    assert grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="after"), timeout=10).status == "success"
    assert grpc_server.mget("/health/ready").status_code == 200


def test_generous_deadline_is_fine(grpc_shared, lp):
    resp = grpc_shared.stub.SendLogs(big_batch(lp, channel_name("tdg"), 1000, 10), timeout=30)
    assert resp.accepted == 1000


# -- compression --------------------------------------------------------------------------------------------------


def test_gzip_request_per_call(grpc_server, grpc_shared, lp):
    ch = channel_name("tgz")
    request = lp.pb.SendLogsRequest(log_requests=[lp.pb.LogRequest(channel=ch, message=f"{i} " + "gzip " * 200,
                                                                    meta={"i": str(i)}) for i in range(2000)])
    resp = grpc_shared.stub.SendLogs(request, timeout=30, compression=grpc.Compression.Gzip)
    assert (resp.status, resp.accepted) == ("success", 2000)
    got = grpc_server.db("SELECT message FROM logs WHERE channel = ? ORDER BY id", (ch,))
    assert got == [(f"{i} " + "gzip " * 200,) for i in range(2000)]
    # reads with a gzip channel too
    [entry] = grpc_shared.stub.FetchLogs(lp.pb.FetchLogsRequest(channel=ch, limit=1), timeout=10,
                                         compression=grpc.Compression.Gzip).logs
    assert entry.message == "1999 " + "gzip " * 200


def test_gzip_channel_for_every_method(grpc_server, grpc_connect, lp):
    c = grpc_connect(grpc_server, compression=grpc.Compression.Gzip)
    ch = channel_name("tgc")
    one = c.stub.SendLog(lp.pb.LogRequest(channel=ch, message="x" * 5000), timeout=10)
    assert one.status == "success"
    acks = [a.records_committed for a in c.stub.StreamLogs(
        iter([lp.pb.LogRequest(channel=ch, message="y" * 5000) for _ in range(300)]), timeout=30)]
    assert acks[-1] == 300
    assert len(c.stub.ListLogs(lp.pb.ListLogsRequest(channel=ch, limit=1000), timeout=10).logs) == 301
    assert c.health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING


def test_gzip_that_inflates_beyond_the_receive_limit_is_resource_exhausted(grpc_server, grpc_shared, lp):
    ch = channel_name("tgzb")
    request = big_batch(lp, ch, 90, 60_000)  # 5.4 MB of 'a': compresses to a few KiB
    assert len(request.SerializeToString()) > 4 * 1024 * 1024
    assert len(gzip.compress(request.SerializeToString())) < 100_000
    error = rpc_error(grpc_shared.stub.SendLogs, request, timeout=30, compression=grpc.Compression.Gzip)
    assert_rpc_error(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert count(grpc_server, ch) == 0
    assert grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="after"), timeout=10).status == "success"


# -- message size -------------------------------------------------------------------------------------------------


def test_message_above_4_mib_is_resource_exhausted(grpc_server, grpc_shared, lp):
    ch = channel_name("tbig")
    request = big_batch(lp, ch, 80, 60_000)  # 4.8 MB
    assert len(request.SerializeToString()) > 4 * 1024 * 1024
    error = rpc_error(grpc_shared.stub.SendLogs, request, timeout=30)
    assert_rpc_error(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert count(grpc_server, ch) == 0
    # the connection survives and a batch just under the limit is stored
    ok = grpc_shared.stub.SendLogs(big_batch(lp, ch, 69, 60_000), timeout=30)
    assert ok.accepted == 69


def test_grpc_max_receive_bytes_flag(make_grpc_server, grpc_connect, lp):
    s = make_grpc_server("--grpc-max-receive-bytes", str(1024 * 1024))
    assert "--grpc-max-receive-bytes" in binary_help(s.binary)
    c = grpc_connect(s)
    ch = channel_name("tmax")
    assert c.stub.SendLogs(big_batch(lp, ch, 16, 60_000), timeout=30).accepted == 16  # 0.96 MB
    error = rpc_error(c.stub.SendLogs, big_batch(lp, ch, 18, 60_000), timeout=30)  # 1.08 MB
    assert_rpc_error(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
    # one oversized message in a stream ends it the same way; the record acknowledged before it stays
    acked = threading.Event()

    def requests():
        yield lp.pb.LogRequest(channel=ch, message="s0")
        acked.wait(10)
        yield lp.pb.LogRequest(channel=ch, message="b" * (1100 * 1024))

    acks, error = [], None
    try:
        for ack in c.stub.StreamLogs(requests(), timeout=30):
            acks.append(ack.records_committed)
            acked.set()
    except grpc.RpcError as e:
        error = e
    finally:
        acked.set()
    assert error is not None
    assert_rpc_error(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert acks == [1]
    assert s.db("SELECT message FROM logs WHERE channel = ? ORDER BY id", (ch,))[-1] == ("s0",)
    assert count(s, ch) == 17
    assert c.stub.SendLog(lp.pb.LogRequest(channel=ch, message="after"), timeout=10).status == "success"


@pytest.mark.time_limit(60)
def test_oversized_stream_message_acknowledges_exactly_what_was_stored(make_grpc_server, grpc_connect, lp):
    s = make_grpc_server("--grpc-max-receive-bytes", str(1024 * 1024))
    c = grpc_connect(s)
    outcomes = []
    for trial in range(6):  # the outcome is timing dependent: any trial that goes wrong shows the bug
        ch = channel_name(f"tovr{trial}")
        reqs = [lp.pb.LogRequest(channel=ch, message=f"m{i}") for i in range(3000)]
        reqs.append(lp.pb.LogRequest(channel=ch, message="b" * (1100 * 1024)))
        acks, error = [], None
        try:
            for ack in c.stub.StreamLogs(iter(reqs), timeout=30):
                acks.append(ack.records_committed)
        except grpc.RpcError as e:
            error = e
        assert error is not None
        assert_rpc_error(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
        time.sleep(0.5)  # let anything still in flight land
        outcomes.append((acks[-1] if acks else 0, count(s, ch)))
    assert all(last_ack == stored == 3000 for last_ack, stored in outcomes), \
        f"(last ack, rows stored) per trial: {outcomes}"


# -- unknown methods and services ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/logpilot.LogService/Nope", "/logpilot.Nope/SendLog", "/grpc.health.v1.Health/Nope"])
def test_unknown_method_is_unimplemented(grpc_shared, path):
    error = rpc_error(grpc_shared.channel.unary_unary(path), b"", timeout=10)
    assert_rpc_error(error, grpc.StatusCode.UNIMPLEMENTED)


def test_unknown_streaming_method_is_unimplemented(grpc_shared):
    call = grpc_shared.channel.stream_stream("/logpilot.LogService/StreamNope")
    error = rpc_error(lambda: list(call(iter([b"", b""]), timeout=10)))
    assert_rpc_error(error, grpc.StatusCode.UNIMPLEMENTED)


# -- API keys -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed_grpc(tmp_path_factory, lp):
    from conftest import GrpcClient, Server, require_grpc_build

    require_grpc_build()
    s = Server(tmp_path_factory.mktemp("keyed-grpc"), args=["--api-keys", f"{KEY},other-key-42"])
    s.start()
    client = GrpcClient(s, lp)
    yield s, client
    client.close()
    s.kill()


def log_calls(lp, ch):
    pb = lp.pb
    return [
        ("SendLog", lambda stub, md: stub.SendLog(pb.LogRequest(channel=ch, message="m"), metadata=md, timeout=10)),
        ("SendLogs", lambda stub, md: stub.SendLogs(pb.SendLogsRequest(log_requests=[pb.LogRequest(channel=ch)]),
                                                    metadata=md, timeout=10)),
        ("ListLogs", lambda stub, md: stub.ListLogs(pb.ListLogsRequest(channel=ch), metadata=md, timeout=10)),
        ("FetchLogs", lambda stub, md: stub.FetchLogs(pb.FetchLogsRequest(channel=ch, consumerId="c"), metadata=md,
                                                      timeout=10)),
        ("Seek", lambda stub, md: stub.Seek(pb.SeekRequest(channel=ch, consumerId="c", operation="EARLIEST"),
                                            metadata=md, timeout=10)),
        ("CommitOffset", lambda stub, md: stub.CommitOffset(pb.CommitOffsetRequest(channel=ch, consumerId="c",
                                                                                   lastLogId=1),
                                                            metadata=md, timeout=10)),
        ("StreamLogs", lambda stub, md: list(stub.StreamLogs(iter([pb.LogRequest(channel=ch, message="s")]),
                                                             metadata=md, timeout=10))),
    ]


@pytest.mark.parametrize("metadata", [None, (("x-api-key", "wrong-key-999"),), (("x-api-key", ""),),
                                      (("x-api-key", KEY[:-1]),), (("authorization", "Basic " + KEY),)],
                         ids=["none", "wrong", "empty", "prefix", "other-header"])
def test_log_service_without_a_valid_key_is_unauthenticated(keyed_grpc, lp, metadata):
    s, c = keyed_grpc
    ch = channel_name("kno")
    for name, call in log_calls(lp, ch):
        error = rpc_error(call, c.stub, metadata)
        assert_rpc_error(error, grpc.StatusCode.UNAUTHENTICATED)
        details = error.details() or ""
        trailers = repr(error.trailing_metadata()) + repr(error.initial_metadata())
        for secret in [KEY, "other-key-42"] + [v for _, v in (metadata or ()) if v]:
            assert secret not in details, (name, details)
            assert secret not in trailers, f"{name}: the key is echoed in the metadata: {trailers}"
    assert count(s, ch) == 0


def test_log_service_with_a_key_is_ok(keyed_grpc, lp):
    s, c = keyed_grpc
    ch = channel_name("kok")
    for key in (KEY, "other-key-42"):
        for name, call in log_calls(lp, ch):
            call(c.stub, (("x-api-key", key),))
    assert count(s, ch) == 2 * 3  # SendLog, SendLogs and StreamLogs store one record each


def test_health_and_reflection_need_no_key(keyed_grpc, lp):
    s, c = keyed_grpc
    assert c.health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == SERVING
    assert c.health.Check(health_pb2.HealthCheckRequest(service="logpilot.LogService"), timeout=5).status == SERVING
    watch = c.health.Watch(health_pb2.HealthCheckRequest(), timeout=10)
    assert next(watch).status == SERVING
    watch.cancel()
    db = ProtoReflectionDescriptorDatabase(c.channel)
    assert "logpilot.LogService" in db.get_services()


# -- health -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("service", ["", "logpilot.LogService"])
def test_health_check_serving(grpc_shared, service):
    resp = grpc_shared.health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert resp.status == SERVING


@pytest.mark.parametrize("service", ["nope", "logpilot.logservice", "grpc.health.v1.Health.Nope"])
def test_health_check_unknown_service_is_not_found(grpc_shared, service):
    error = rpc_error(grpc_shared.health.Check, health_pb2.HealthCheckRequest(service=service), timeout=5)
    assert_rpc_error(error, grpc.StatusCode.NOT_FOUND)


@pytest.mark.parametrize("service", ["", "logpilot.LogService"])
def test_health_watch_yields_serving_and_stays_open(grpc_shared, service):
    call = grpc_shared.health.Watch(health_pb2.HealthCheckRequest(service=service), timeout=20)
    assert next(call).status == SERVING
    # nothing changes: the stream stays open without sending more
    result = {}

    def more():
        try:
            result["next"] = next(call)
        except grpc.RpcError as error:
            result["error"] = error
        except StopIteration:
            result["end"] = True

    t = threading.Thread(target=more, daemon=True)
    t.start()
    t.join(2.5)
    assert t.is_alive(), f"Watch ended or sent again while nothing changed: {result}"
    call.cancel()
    t.join(5)
    assert result.get("error") is not None and result["error"].code() == grpc.StatusCode.CANCELLED


def test_health_watch_unknown_service_is_service_unknown(grpc_shared):
    call = grpc_shared.health.Watch(health_pb2.HealthCheckRequest(service="nope"), timeout=10)
    assert next(call).status == SERVICE_UNKNOWN
    call.cancel()


# -- reflection ---------------------------------------------------------------------------------------------------

EXPECTED_SERVICES = {"logpilot.LogService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                     "grpc.reflection.v1alpha.ServerReflection"}


def test_reflection_v1alpha_lists_services_and_describes_log_service(grpc_shared, lp):
    db = ProtoReflectionDescriptorDatabase(grpc_shared.channel)
    services = set(db.get_services())
    assert services >= {"logpilot.LogService", "grpc.health.v1.Health"}, services
    assert services <= EXPECTED_SERVICES, services

    fdp = db.FindFileContainingSymbol("logpilot.LogService")
    assert isinstance(fdp, descriptor_pb2.FileDescriptorProto)
    assert fdp.package == "logpilot"
    [service] = [s for s in fdp.service if s.name == "LogService"]
    assert [m.name for m in service.method] == LOG_METHODS
    by_name = {m.name: m for m in service.method}
    assert by_name["StreamLogs"].client_streaming and by_name["StreamLogs"].server_streaming
    assert (by_name["StreamLogs"].input_type, by_name["StreamLogs"].output_type) == (
        ".logpilot.LogRequest", ".logpilot.StreamLogsAck")
    for name in LOG_METHODS[:-1]:
        assert not by_name[name].client_streaming and not by_name[name].server_streaming, name

    # a descriptor pool over reflection resolves the service and the messages, matching the repository's proto
    pool = DescriptorPool(db)
    svc = pool.FindServiceByName("logpilot.LogService")
    assert [m.name for m in svc.methods] == LOG_METHODS
    local = lp.pb.DESCRIPTOR
    for name, message in local.message_types_by_name.items():
        remote = pool.FindMessageTypeByName(f"logpilot.{name}")
        assert sorted((f.name, f.number, f.type, f.is_repeated) for f in remote.fields) == \
            sorted((f.name, f.number, f.type, f.is_repeated) for f in message.fields), name
    assert pool.FindMessageTypeByName("logpilot.FetchLogsRequest").fields_by_name["auto_commit"].has_presence


def test_reflection_describes_health(grpc_shared):
    db = ProtoReflectionDescriptorDatabase(grpc_shared.channel)
    pool = DescriptorPool(db)
    svc = pool.FindServiceByName("grpc.health.v1.Health")
    assert sorted(m.name for m in svc.methods) == ["Check", "Watch"]


def reflection_call(channel, version):
    return channel.stream_stream(f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
                                 request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                                 response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_raw_reflection_stream_answers_each_request_in_order(grpc_shared, version):
    """v1 and v1alpha messages are the same on the wire (grpcio-reflection 1.85 ships only v1alpha stubs)."""
    R = reflection_pb2.ServerReflectionRequest
    requests = [
        R(host="h1", list_services=""),
        R(host="h2", file_containing_symbol="logpilot.LogService"),
        R(host="h3", file_containing_symbol="logpilot.NoSuchThing"),
        R(host="h4", file_by_filename="no/such/file.proto"),
        R(host="h5", file_containing_symbol="logpilot.LogService.SendLog"),
        R(host="h6", file_containing_symbol="logpilot.LogRequest"),
        R(host="h7", all_extension_numbers_of_type="logpilot.LogRequest"),
        R(host="h8"),
    ]
    responses = list(reflection_call(grpc_shared.channel, version)(iter(requests), timeout=10))
    assert len(responses) == len(requests)
    for req, resp in zip(requests, responses):
        assert resp.valid_host == req.host
        assert resp.original_request == req
    services = {s.name for s in responses[0].list_services_response.service}
    assert services >= {"logpilot.LogService", "grpc.health.v1.Health"}, services

    files = [descriptor_pb2.FileDescriptorProto.FromString(b)
             for b in responses[1].file_descriptor_response.file_descriptor_proto]
    assert files and files[0].package == "logpilot"
    assert [m.name for m in files[0].service[0].method] == LOG_METHODS
    # file_by_filename of that file gives the same descriptor
    by_name = list(reflection_call(grpc_shared.channel, version)(
        iter([R(file_by_filename=files[0].name)]), timeout=10))
    assert by_name[0].file_descriptor_response.file_descriptor_proto[0] == \
        responses[1].file_descriptor_response.file_descriptor_proto[0]

    for i in (2, 3):
        assert responses[i].WhichOneof("message_response") == "error_response"
        assert responses[i].error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
    for i in (4, 5):  # a method and a message resolve to the same file
        assert responses[i].WhichOneof("message_response") == "file_descriptor_response", i
        assert responses[i].file_descriptor_response.file_descriptor_proto[0] == \
            responses[1].file_descriptor_response.file_descriptor_proto[0]
    assert responses[6].WhichOneof("message_response") in ("error_response", "all_extension_numbers_response")
    assert responses[7].WhichOneof("message_response") == "error_response"
    assert responses[7].error_response.error_code == grpc.StatusCode.INVALID_ARGUMENT.value[0]


# -- overload and connection limits -------------------------------------------------------------------------------


@pytest.mark.time_limit(120)
@pytest.mark.parametrize("queue_flags", [[], ["--queue-max-bytes", "1024"]], ids=["records-bound", "bytes-bound"])
def test_overload_is_resource_exhausted_with_a_retry_hint_and_keeps_acknowledged_records(
        make_grpc_server, grpc_connect, lp, queue_flags):
    """Best effort, as the REST overload test: a small queue under many concurrent 1000-record SendLogs. Whatever
    the mix of OK and RESOURCE_EXHAUSTED, every acknowledged record is stored, no refused one is, and each refusal
    carries the `retry-after-seconds` trailer."""
    s = make_grpc_server("--max-batch-records", "1000", "--queue-max-records", "1000", *queue_flags)
    c = grpc_connect(s)
    ch = channel_name("tovl")
    threads, rounds = 12, 6
    start = threading.Barrier(threads)

    def client(t):
        out = []
        start.wait(timeout=30)
        for rnd in range(rounds):
            request = lp.pb.SendLogsRequest(log_requests=[lp.pb.LogRequest(channel=ch, message=f"t{t}-r{rnd}-{i}")
                                                          for i in range(1000)])
            try:
                resp = c.stub.SendLogs(request, timeout=60)
                out.append((t, rnd, grpc.StatusCode.OK, resp, None))
            except grpc.RpcError as error:
                out.append((t, rnd, error.code(), error.details(), dict(error.trailing_metadata() or ())))
        return out

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(threads) as pool:
        outcomes = [o for out in pool.map(client, range(threads)) for o in out]

    codes = [o[2] for o in outcomes]
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}, set(codes)
    stored = {m for (m,) in s.db("SELECT message FROM logs WHERE channel = ?", (ch,))}
    acked = 0
    for t, rnd, code, resp, trailers in outcomes:
        if code == grpc.StatusCode.OK:
            acked += 1000
            assert resp.accepted == 1000 and resp.last_id - resp.first_id == 999
            assert f"t{t}-r{rnd}-0" in stored and f"t{t}-r{rnd}-999" in stored
        else:
            assert f"t{t}-r{rnd}-0" not in stored, "a refused batch was (partly) stored"
            assert resp, "RESOURCE_EXHAUSTED without details"
            retry = trailers.get("retry-after-seconds")
            assert retry is not None and retry.isdigit() and int(retry) >= 1, trailers
    assert len(stored) == acked == s.db("SELECT count(*) FROM logs WHERE channel = ?", (ch,))[0][0]
    refused = codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED)
    print(f"gRPC overload: {codes.count(grpc.StatusCode.OK)} accepted, {refused} refused")
    if not refused:
        pytest.skip("the queue never filled on this machine: RESOURCE_EXHAUSTED not observed (invariants held)")


@pytest.mark.time_limit(120)
def test_overload_refusals_are_counted_in_the_rejected_metric(make_grpc_server, grpc_connect, lp):
    from concurrent.futures import ThreadPoolExecutor

    from test_management import metric, parse_metrics

    s = make_grpc_server("--max-batch-records", "1000", "--queue-max-records", "1000")
    c = grpc_connect(s)
    ch = channel_name("tovm")
    threads, rounds = 12, 4
    start = threading.Barrier(threads)

    def client(t):
        refused = 0
        start.wait(timeout=30)
        for rnd in range(rounds):
            request = lp.pb.SendLogsRequest(log_requests=[lp.pb.LogRequest(channel=ch, message=f"t{t}-r{rnd}-{i}")
                                                          for i in range(1000)])
            try:
                c.stub.SendLogs(request, timeout=60)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
                refused += 1000
        return refused

    with ThreadPoolExecutor(threads) as pool:
        refused = sum(pool.map(client, range(threads)))
    if not refused:
        pytest.skip("the queue never filled on this machine: nothing refused")
    samples = parse_metrics(s.mget("/metrics").text)
    # Calls refused by the admission check (before ingest) count as requests, refusals by the queue's hard limit
    # (inside ingest) as records: together, every refused record.
    early = metric(samples, "logpilot_requests_rejected_total", protocol="grpc", reason="overloaded") or 0
    late = metric(samples, "logpilot_logs_rejected_total", protocol="grpc", reason="overloaded") or 0
    assert early * 1000 + late == refused, f"{refused} records refused, metrics: {early} calls + {late} records"


def test_max_concurrent_streams_queues_calls_instead_of_failing_them(make_grpc_server, grpc_connect, lp):
    s = make_grpc_server("--grpc-max-concurrent-streams", "2")
    c = grpc_connect(s)
    ch = channel_name("tmcs")

    def run(k):
        acks = [a.records_committed for a in c.stub.StreamLogs(
            iter([lp.pb.LogRequest(channel=ch, message=f"s{k}-{i}") for i in range(300)]), timeout=60)]
        return acks[-1]

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(10) as pool:
        assert list(pool.map(run, range(10))) == [300] * 10
    assert count(s, ch) == 3000


def test_max_connections_refuses_the_connection_beyond_the_limit(make_grpc_server, grpc_connect, lp):
    s = make_grpc_server("--grpc-max-connections", "2")
    first, second = grpc_connect(s), grpc_connect(s)
    ch = channel_name("tmcn")
    for c in (first, second):
        assert c.stub.SendLog(lp.pb.LogRequest(channel=ch), timeout=10).status == "success"
    third = grpc_connect(s, wait_ready=False)
    error = rpc_error(third.stub.SendLog, lp.pb.LogRequest(channel=ch), timeout=5)
    assert_rpc_error(error, grpc.StatusCode.UNAVAILABLE)
    # a freed slot is usable again
    first.close()
    deadline = time.monotonic() + 10
    while True:
        fourth = grpc_connect(s, wait_ready=False)
        try:
            assert fourth.stub.SendLog(lp.pb.LogRequest(channel=ch), timeout=5).status == "success"
            break
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.UNAVAILABLE, e
            assert time.monotonic() < deadline, "the closed connection's slot was never freed"
            fourth.close()
            time.sleep(0.2)
    assert second.stub.SendLog(lp.pb.LogRequest(channel=ch), timeout=10).status == "success"


# -- metadata, status details, call shapes ------------------------------------------------------------------------


def test_unknown_and_binary_metadata_are_ignored(grpc_shared, lp):
    resp = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=channel_name("tmd"), message="m"), timeout=10,
                                    metadata=(("x-trace-bin", b"\x00\x01\xff"), ("x-request-id", "r-1")))
    assert resp.status == "success"


def test_oversized_metadata_is_resource_exhausted_and_the_connection_survives(grpc_shared, lp):
    ch = channel_name("tmdb")
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(channel=ch, message="m"), timeout=10,
                      metadata=(("x-big", "a" * 20_000),))
    assert_rpc_error(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="m"), timeout=10).status == "success"


def test_status_details_survive_percent_encoding(grpc_shared, lp):
    """grpc-message is percent-encoded on the wire: non-ASCII, '%' and control characters come back intact."""
    level = "bögus%20\n€"
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(channel=channel_name("tpe"), level=level),
                      timeout=10)
    assert_rpc_error(error, grpc.StatusCode.INVALID_ARGUMENT, contains=f"'{level}'")


@pytest.mark.parametrize("count_", [0, 2])
def test_unary_method_with_zero_or_two_messages_is_internal_and_stores_nothing(grpc_server, grpc_shared, lp, count_):
    ch = channel_name("tun")
    call = grpc_shared.channel.stream_stream("/logpilot.LogService/SendLog",
                                             response_deserializer=lp.pb.LogResponse.FromString)
    messages = [lp.pb.LogRequest(channel=ch, message=f"m{i}").SerializeToString() for i in range(count_)]
    error = rpc_error(lambda: list(call(iter(messages), timeout=10)))
    assert_rpc_error(error, grpc.StatusCode.INTERNAL)
    assert count(grpc_server, ch) == 0


def test_malformed_health_request_is_invalid_argument(grpc_shared):
    error = rpc_error(grpc_shared.channel.unary_unary("/grpc.health.v1.Health/Check"), b"\x0a\xff", timeout=10)
    assert_rpc_error(error, grpc.StatusCode.INVALID_ARGUMENT)


def test_connection_churn_frees_connection_slots(make_grpc_server, grpc_connect, lp):
    """Connections that close give their slot back: 40 connect-call-close cycles under a limit of 3."""
    s = make_grpc_server("--grpc-max-connections", "3")
    ch = channel_name("tchurn")
    for i in range(40):
        c = grpc_connect(s, wait_ready=False)
        assert c.stub.SendLog(lp.pb.LogRequest(channel=ch, message=f"m{i}"), timeout=10).status == "success", i
        c.close()
    assert count(s, ch) == 40


def test_client_keepalive_pings_are_answered(grpc_server, grpc_connect, lp):
    c = grpc_connect(grpc_server, options=(("grpc.keepalive_time_ms", 100), ("grpc.keepalive_timeout_ms", 1000),
                                           ("grpc.keepalive_permit_without_calls", 1),
                                           ("grpc.http2.max_pings_without_data", 0)))
    ch = channel_name("tka")
    assert c.stub.SendLog(lp.pb.LogRequest(channel=ch), timeout=10).status == "success"
    time.sleep(1.5)  # about 15 pings on an idle connection

    def slow():
        for i in range(3):
            yield lp.pb.LogRequest(channel=ch, message=f"s{i}")
            time.sleep(0.3)

    assert [a.records_committed for a in c.stub.StreamLogs(slow(), timeout=20)][-1] == 3
    assert count(grpc_server, ch) == 4
