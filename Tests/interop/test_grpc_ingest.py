"""gRPC SendLog / SendLogs against the real binary: acknowledgements, field handling, validation (the REST rules,
as real gRPC status codes), and records crossing between the gRPC and REST fronts with the same ids."""

import json
import time

import grpc
import pytest

from conftest import LEVELS, assert_rpc_error, channel_name, compact, rpc_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def rows(server, channel):
    return server.db("SELECT id, ts, channel, level, message, meta FROM logs WHERE channel = ? ORDER BY id", (channel,))


def count(server, channel):
    return server.db("SELECT count(*) FROM logs WHERE channel = ?", (channel,))[0][0]


# -- SendLog ------------------------------------------------------------------------------------------------------


def test_send_log_is_acknowledged_with_java_status_and_the_stored_id(grpc_server, grpc_shared, lp):
    ch = channel_name("g1")
    before = int(time.time() * 1_000_000)
    resp = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, level="ERROR", message="boom",
                                                     meta={"k": "v"}, storage="sqlite"), timeout=10)
    after = int(time.time() * 1_000_000)
    assert resp.status == "success"
    assert resp.message == "Log stored successfully"
    assert resp.id > 0
    [(log_id, ts, channel, level, message, meta)] = rows(grpc_server, ch)
    assert (log_id, channel, level, message, meta) == (resp.id, ch, LEVELS["ERROR"], "boom", '{"k":"v"}')
    assert before - 2_000_000 <= ts <= after + 2_000_000, "timestamp 0 (unset) means the server's receive time"


def test_send_log_ids_strictly_increase(grpc_shared, lp):
    ch = channel_name("g2")
    ids = [grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message=f"m{i}"), timeout=10).id for i in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5


@pytest.mark.parametrize("sent,stored", [
    ("", "INFO"), ("info", "INFO"), ("Info", "INFO"), ("trace", "TRACE"), ("DEBUG", "DEBUG"), ("warn", "WARN"),
    ("WARNING", "WARN"), ("warning", "WARN"), ("Error", "ERROR"), ("fatal", "FATAL"),
])
def test_level_is_case_insensitive_warning_is_warn_and_empty_is_info(grpc_server, grpc_shared, lp, sent, stored):
    ch = channel_name("glv")
    resp = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, level=sent, message="m"), timeout=10)
    assert resp.status == "success"
    assert grpc_server.db("SELECT level FROM logs WHERE id = ?", (resp.id,)) == [(LEVELS[stored],)]
    [entry] = grpc_shared.stub.FetchLogs(lp.pb.FetchLogsRequest(channel=ch), timeout=10).logs
    assert entry.level == stored


@pytest.mark.parametrize("level", ["bogus", "WARNINGS", "INFO ", "err", "5"])
def test_unknown_level_is_invalid_argument_naming_level(grpc_server, grpc_shared, lp, level):
    ch = channel_name("gbad")
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(channel=ch, level=level, message="m"), timeout=10)
    assert_rpc_error(error, INVALID, contains="level")
    assert error.details().startswith("level"), error.details()
    assert count(grpc_server, ch) == 0


def test_missing_channel_is_invalid_argument_naming_channel(grpc_shared, lp):
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(message="no channel"), timeout=10)
    assert_rpc_error(error, INVALID, contains="channel")
    assert error.details().startswith("channel"), error.details()


@pytest.mark.parametrize("channel", ["a b", "tab\there", "new\nline", "ctl\x01", "x" * 129, "é" * 65])
def test_invalid_channel_is_refused_like_rest(grpc_shared, lp, channel):
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(channel=channel, message="m"), timeout=10)
    assert_rpc_error(error, INVALID, contains="channel")


def test_channel_of_128_bytes_is_accepted(grpc_server, grpc_shared, lp):
    ch = channel_name("c128")
    ch = ch + "x" * (128 - len(ch))
    resp = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="m"), timeout=10)
    assert resp.status == "success"
    assert count(grpc_server, ch) == 1


def test_message_limit_is_65536_bytes(grpc_server, grpc_shared, lp):
    ch = channel_name("gmsg")
    ok = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="é" * 32768), timeout=10)  # 65536 bytes
    assert ok.status == "success"
    assert grpc_server.db("SELECT length(CAST(message AS BLOB)) FROM logs WHERE id = ?", (ok.id,)) == [(65536,)]
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(channel=ch, message="x" * 65537), timeout=10)
    assert_rpc_error(error, INVALID, contains="message")
    assert count(grpc_server, ch) == 1


def test_empty_message_is_allowed(grpc_server, grpc_shared, lp):
    ch = channel_name("gempty")
    resp = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch), timeout=10)
    assert resp.status == "success"
    assert grpc_server.db("SELECT message, level, meta FROM logs WHERE id = ?", (resp.id,)) == [("", 2, None)]


def test_meta_limits_are_64_keys_and_16384_json_bytes(grpc_server, grpc_shared, lp):
    ch = channel_name("gmeta")
    keys64 = {f"k{i:02d}": str(i) for i in range(64)}
    assert grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, meta=keys64), timeout=10).status == "success"
    keys65 = dict(keys64, k64="64")
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(channel=ch, meta=keys65), timeout=10)
    assert_rpc_error(error, INVALID, contains="meta")
    # {"k":"xxx..."} compact: 8 bytes of syntax + the value
    exact = {"k": "x" * (16384 - 8)}
    assert len(compact(exact)) == 16384
    assert grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, meta=exact), timeout=10).status == "success"
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(channel=ch, meta={"k": "x" * (16384 - 7)}),
                      timeout=10)
    assert_rpc_error(error, INVALID, contains="meta")
    assert count(grpc_server, ch) == 2


def test_meta_is_stored_as_sorted_compact_json_and_empty_meta_as_null(grpc_server, grpc_shared, lp):
    ch = channel_name("gmj")
    meta = {"zeta": "1", "alpha": 'say "hi"\n', "mid": "ü€😀", "": "empty key"}
    a = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="a", meta=meta), timeout=10)
    b = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="b"), timeout=10)
    stored = dict(grpc_server.db("SELECT id, meta FROM logs WHERE channel = ?", (ch,)))
    assert json.loads(stored[a.id]) == meta
    assert list(json.loads(stored[a.id])) == sorted(meta), "keys are stored in sorted order"
    assert stored[b.id] is None
    by_id = {e["id"]: e for e in grpc_server.read(ch)}
    assert by_id[a.id]["meta"] == meta
    assert "meta" not in by_id[b.id]


# -- timestamps ---------------------------------------------------------------------------------------------------


def test_timestamp_is_epoch_milliseconds(grpc_server, grpc_shared, lp):
    ch = channel_name("gts")
    resp = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="m", timestamp=1_700_000_000_123),
                                    timeout=10)
    assert grpc_server.db("SELECT ts FROM logs WHERE id = ?", (resp.id,)) == [(1_700_000_000_123_000,)]
    [entry] = grpc_server.read(ch)
    assert entry["timestamp"] == "2023-11-14T22:13:20.123Z"
    [fetched] = grpc_shared.stub.FetchLogs(lp.pb.FetchLogsRequest(channel=ch), timeout=10).logs
    assert (fetched.timestamp, fetched.timestamp_micros) == (1_700_000_000_123, 1_700_000_000_123_000)


def test_timestamp_before_1970_is_accepted(grpc_server, grpc_shared, lp):
    ch = channel_name("gts0")
    resp = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="m", timestamp=-1_500), timeout=10)
    assert grpc_server.db("SELECT ts FROM logs WHERE id = ?", (resp.id,)) == [(-1_500_000,)]
    assert grpc_server.read(ch)[0]["timestamp"] == "1969-12-31T23:59:58.500Z"


@pytest.mark.parametrize("ts", [253_402_300_800_000, -62_135_596_800_001, 2 ** 62, -(2 ** 63)])
def test_timestamp_outside_years_1_to_9999_is_invalid_argument(grpc_server, grpc_shared, lp, ts):
    ch = channel_name("gtsbad")
    error = rpc_error(grpc_shared.stub.SendLog, lp.pb.LogRequest(channel=ch, message="m", timestamp=ts), timeout=10)
    assert_rpc_error(error, INVALID, contains="timestamp")
    assert count(grpc_server, ch) == 0


# -- SendLogs -----------------------------------------------------------------------------------------------------


def test_send_logs_ids_are_contiguous_in_request_order(grpc_server, grpc_shared, lp):
    ch = channel_name("gb")
    reqs = [lp.pb.LogRequest(channel=ch, message=f"m{i}", level=["debug", "WARNING"][i % 2],
                             meta={"i": str(i)} if i % 3 == 0 else {}, timestamp=1_600_000_000_000 + i)
            for i in range(25)]
    resp = grpc_shared.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=reqs), timeout=10)
    assert (resp.status, resp.message, resp.accepted) == ("success", "Logs stored successfully", 25)
    assert resp.last_id - resp.first_id == 24 and resp.first_id > 0
    assert rows(grpc_server, ch) == [
        (resp.first_id + i, (1_600_000_000_000 + i) * 1000, ch, [1, 3][i % 2], f"m{i}",
         compact({"i": str(i)}) if i % 3 == 0 else None)
        for i in range(25)
    ]


def test_send_logs_across_channels_in_one_batch(grpc_server, grpc_shared, lp):
    a, b = channel_name("gxa"), channel_name("gxb")
    reqs = [lp.pb.LogRequest(channel=[a, b][i % 2], message=f"m{i}") for i in range(6)]
    resp = grpc_shared.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=reqs), timeout=10)
    assert resp.accepted == 6
    got = grpc_server.db("SELECT id, channel, message FROM logs WHERE id BETWEEN ? AND ? ORDER BY id",
                         (resp.first_id, resp.last_id))
    assert got == [(resp.first_id + i, [a, b][i % 2], f"m{i}") for i in range(6)]


def test_empty_send_logs_succeeds_with_nothing_accepted(grpc_shared, lp):
    resp = grpc_shared.stub.SendLogs(lp.pb.SendLogsRequest(), timeout=10)
    assert (resp.status, resp.message, resp.accepted, resp.first_id, resp.last_id) == (
        "success", "Logs stored successfully", 0, 0, 0)


@pytest.mark.parametrize("bad,field", [
    ({"level": "loud"}, "log_requests[3].level"),
    ({"channel": ""}, "log_requests[3].channel"),
    ({"channel": "has space"}, "log_requests[3].channel"),
    ({"message": "x" * 65537}, "log_requests[3].message"),
    ({"meta": {f"k{i}": "v" for i in range(65)}}, "log_requests[3].meta"),
    ({"timestamp": 253_402_300_800_000}, "log_requests[3].timestamp"),
])
def test_bad_record_in_send_logs_is_named_and_nothing_is_stored(grpc_server, grpc_shared, lp, bad, field):
    ch = channel_name("gbb")
    reqs = [lp.pb.LogRequest(channel=ch, message=f"m{i}") for i in range(6)]
    fields = {"channel": ch, "message": "m3"}
    fields.update(bad)
    reqs[3] = lp.pb.LogRequest(**fields)
    reqs[5] = lp.pb.LogRequest(channel=ch, level="also-bad")  # the first bad record is the one named
    error = rpc_error(grpc_shared.stub.SendLogs, lp.pb.SendLogsRequest(log_requests=reqs), timeout=10)
    assert_rpc_error(error, INVALID, contains=field)
    assert "log_requests[5]" not in error.details()
    assert count(grpc_server, ch) == 0, "a refused batch stores nothing"


def test_more_records_than_max_batch_records_is_resource_exhausted(grpc_server, grpc_shared, lp):
    ch = channel_name("gbig")
    reqs = [lp.pb.LogRequest(channel=ch, message="m")] * 10_001
    error = rpc_error(grpc_shared.stub.SendLogs, lp.pb.SendLogsRequest(log_requests=reqs), timeout=30)
    assert_rpc_error(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert count(grpc_server, ch) == 0
    ok = grpc_shared.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=reqs[:10_000]), timeout=30)
    assert ok.accepted == 10_000


def test_malformed_protobuf_is_invalid_argument(grpc_shared):
    call = grpc_shared.channel.unary_unary("/logpilot.LogService/SendLog")  # raw bytes in and out
    error = rpc_error(call, b"\x0a\xff\xff\xff\xff\x0f", timeout=10)  # field 1, length far beyond the message
    assert_rpc_error(error, INVALID)


def test_unknown_fields_are_skipped(grpc_server, grpc_shared, lp):
    """Old and new clients interoperate: a field number the server does not know is ignored."""
    ch = channel_name("gunk")
    body = lp.pb.LogRequest(channel=ch, message="m").SerializeToString() + b"\xf8\x06\x01"  # field 111 varint 1
    call = grpc_shared.channel.unary_unary("/logpilot.LogService/SendLog",
                                           response_deserializer=lp.pb.LogResponse.FromString)
    resp = call(body, timeout=10)
    assert resp.status == "success"
    assert count(grpc_server, ch) == 1


# -- gRPC ⇄ REST --------------------------------------------------------------------------------------------------


def test_records_sent_over_grpc_are_read_over_rest_with_the_same_ids(grpc_server, grpc_shared, lp):
    ch = channel_name("g2r")
    reqs = [lp.pb.LogRequest(channel=ch, level="warn", message=f"m{i} ü", meta={"i": str(i)},
                             timestamp=1_700_000_000_000 + i * 1000) for i in range(5)]
    resp = grpc_shared.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=reqs), timeout=10)
    one = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="single"), timeout=10)
    got = grpc_server.read(ch, limit=100)
    assert [e["id"] for e in got] == [one.id] + list(range(resp.last_id, resp.first_id - 1, -1))
    assert got[1:] == [
        {"channel": ch, "level": "WARN", "message": f"m{i} ü", "meta": {"i": str(i)}, "id": resp.first_id + i,
         "timestamp": f"2023-11-14T22:13:{20 + i}Z"}
        for i in reversed(range(5))
    ]
    # a REST consumer sees them in id order
    assert [e["id"] for e in grpc_server.read(ch, consumerId="rest-c")] == [e["id"] for e in reversed(got)]


def test_records_written_over_rest_are_fetched_over_grpc(grpc_server, grpc_shared, lp):
    ch = channel_name("r2g")
    raw = ('[{"channel":"%s","level":"error","message":"plain","timestamp":"2024-01-01T00:00:00.123456Z"},'
           '{"channel":"%s","message":"typed","timestamp":"1969-12-31T23:59:59.999500Z",'
           '"meta":{"s":"str","n":42,"f":2.50,"b":true,"z":null,"arr":[1,"a",{"k":null}],"obj":{"k":[1,2]}}}]'
           % (ch, ch))
    r = grpc_server.post("/api/logs/batch", data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    ack = r.json()
    logs = grpc_shared.stub.FetchLogs(lp.pb.FetchLogsRequest(channel=ch, limit=10), timeout=10).logs
    assert [e.id for e in logs] == [ack["lastId"], ack["firstId"]], "newest first"
    typed, plain = logs
    assert (plain.channel, plain.level, plain.message, dict(plain.meta)) == (ch, "ERROR", "plain", {})
    assert (plain.timestamp, plain.timestamp_micros) == (1_704_067_200_123, 1_704_067_200_123_456)
    assert (typed.level, typed.message) == ("INFO", "typed")
    # epoch ms is rounded down (towards the past) also before 1970
    assert (typed.timestamp, typed.timestamp_micros) == (-1, -500)
    assert dict(typed.meta) == {"s": "str", "n": "42", "f": "2.50", "b": "true", "z": "null",
                                "arr": '[1,"a",{"k":null}]', "obj": '{"k":[1,2]}'}


def test_rest_and_grpc_share_one_id_sequence(grpc_server, grpc_shared, lp):
    ch = channel_name("gseq")
    ids = []
    for i in range(4):
        if i % 2:
            ids.append(grpc_server.post_one({"channel": ch, "message": f"r{i}"})["firstId"])
        else:
            ids.append(grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message=f"g{i}"), timeout=10).id)
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert [e.id for e in grpc_shared.stub.FetchLogs(lp.pb.FetchLogsRequest(channel=ch), timeout=10).logs] == \
        ids[::-1]
    assert [e["id"] for e in grpc_server.read(ch)] == ids[::-1]


def test_grpc_ingest_is_counted_with_protocol_grpc(make_grpc_server, grpc_connect):
    from test_management import metric, parse_metrics

    s = make_grpc_server()
    c = grpc_connect(s)
    ch = channel_name("gmet")
    pb = c.lp.pb
    c.stub.SendLogs(pb.SendLogsRequest(log_requests=[pb.LogRequest(channel=ch, level=lvl) for lvl in
                                                     ["info", "info", "warn", "error", "INFO"]]), timeout=10)
    c.stub.SendLog(pb.LogRequest(channel=ch, level="warning"), timeout=10)
    samples = parse_metrics(s.mget("/metrics").text)
    assert metric(samples, "logpilot_logs_received_total", protocol="grpc", level="INFO", channel=ch) == 3
    assert metric(samples, "logpilot_logs_received_total", protocol="grpc", level="WARN", channel=ch) == 2
    assert metric(samples, "logpilot_logs_received_total", protocol="grpc", level="ERROR", channel=ch) == 1
    assert metric(samples, "logpilot_logs_received_total", protocol="rest", level="INFO", channel=ch) in (0, None)
