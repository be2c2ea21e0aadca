"""gRPC StreamLogs (client stream of LogRequest, cumulative StreamLogsAck) against the real binary: a 100 000-record
stream, a client that reads only after half-closing, a bad message mid-stream, cancellation, deadlines and many
concurrent streams, each checked against the SQLite file."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from conftest import LEVELS, assert_rpc_error, channel_name, compact, rpc_error

LEVEL_CYCLE = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]


def messages(server, channel):
    return server.db("SELECT id, message FROM logs WHERE channel = ? ORDER BY id", (channel,))


def read_acks(call):
    """All acks of a call and its ending: (acks as (records_committed, last_id), RpcError or None)."""
    acks = []
    try:
        for ack in call:
            acks.append((ack.records_committed, ack.last_id))
    except grpc.RpcError as error:
        return acks, error
    return acks, None


def assert_monotonic(acks):
    committed = [c for c, _ in acks]
    assert committed == sorted(committed), f"records_committed goes backwards: {committed[:50]}"
    last_ids = [i for _, i in acks]
    assert last_ids == sorted(last_ids), f"last_id goes backwards: {last_ids[:50]}"


@pytest.mark.time_limit(150)
def test_stream_of_100000_records_is_acknowledged_and_stored_in_stream_order(make_grpc_server, grpc_connect):
    s = make_grpc_server()
    c = grpc_connect(s)
    ch = channel_name("st100k")
    total = 100_000
    LogRequest = c.lp.pb.LogRequest

    def requests():
        for i in range(total):
            if i % 1000 == 0:
                yield LogRequest(channel=ch, level=LEVEL_CYCLE[i % 6], message=f"m{i}", meta={"i": str(i)},
                                 timestamp=1_700_000_000_000 + i)
            else:
                yield LogRequest(channel=ch, level=LEVEL_CYCLE[i % 6], message=f"m{i}")

    started = time.monotonic()
    acks, error = read_acks(c.stub.StreamLogs(requests(), timeout=120))
    elapsed = time.monotonic() - started
    assert error is None, f"{error.code()}: {error.details()}"
    assert acks, "no ack at all"
    assert acks[-1][0] == total, acks[-5:]
    assert_monotonic(acks)
    assert len(acks) > 1, "the server acknowledges as it commits, not only at the end"

    rows = s.db("SELECT id, level, message, meta, ts FROM logs ORDER BY id")
    assert len(rows) == total
    first = rows[0][0]
    assert [r[0] for r in rows] == list(range(first, first + total)), "ids are contiguous on an otherwise idle server"
    assert [r[2] for r in rows] == [f"m{i}" for i in range(total)], "stored in stream order"
    assert all(r[1] == LEVELS[LEVEL_CYCLE[i % 6]] for i, r in enumerate(rows))
    for i in range(0, total, 1000):
        assert rows[i][3] == compact({"i": str(i)}) and rows[i][4] == (1_700_000_000_000 + i) * 1000
    # every ack names the id of the record at its position: acks are cumulative over one contiguous range
    for committed, last_id in acks:
        assert last_id == first + committed - 1, (committed, last_id, first)
    print(f"100000-record stream: {elapsed:.1f}s, {len(acks)} acks")


def test_client_that_reads_only_after_half_closing_gets_the_final_ack(grpc_server, grpc_shared, lp):
    ch = channel_name("sthc")
    total = 20_000
    sent_all = threading.Event()

    def requests():
        for i in range(total):
            yield lp.pb.LogRequest(channel=ch, message=f"m{i}")
        sent_all.set()

    call = grpc_shared.stub.StreamLogs(requests(), timeout=60)
    assert sent_all.wait(50), "the client could not send the whole stream without reading acks"
    acks, error = read_acks(call)
    assert error is None, f"{error.code()}: {error.details()}"
    assert acks and acks[-1][0] == total
    assert_monotonic(acks)
    rows = messages(grpc_server, ch)
    assert [m for _, m in rows] == [f"m{i}" for i in range(total)]
    assert acks[-1][1] == rows[-1][0]


def test_empty_stream_gets_one_zero_ack(grpc_shared, lp):
    acks, error = read_acks(grpc_shared.stub.StreamLogs(iter(()), timeout=10))
    assert error is None, f"{error.code()}: {error.details()}"
    assert acks == [(0, 0)]


def test_trickle_is_acknowledged_message_by_message(grpc_server, grpc_shared, lp):
    """A slow client gets each record acknowledged before it sends the next."""
    ch = channel_name("sttr")
    acked = []
    got = threading.Condition()

    def requests():
        for i in range(5):
            yield lp.pb.LogRequest(channel=ch, message=f"m{i}")
            with got:
                assert got.wait_for(lambda: len(acked) > i, timeout=10), f"no ack for record {i}"

    call = grpc_shared.stub.StreamLogs(requests(), timeout=30)
    try:
        for ack in call:
            with got:
                acked.append((ack.records_committed, ack.last_id))
                got.notify_all()
    except grpc.RpcError as error:
        pytest.fail(f"{error.code()}: {error.details()}")
    rows = messages(grpc_server, ch)
    assert acked == [(i + 1, rows[i][0]) for i in range(5)]


@pytest.mark.parametrize("bad_at", [0, 1, 1234, 2999])
def test_bad_message_ends_the_stream_naming_its_index_after_committing_the_ones_before(
        grpc_server, grpc_shared, lp, bad_at):
    ch = channel_name("stbad")
    total = 3000

    def requests():
        for i in range(total):
            yield lp.pb.LogRequest(channel=ch, message=f"m{i}", level="bogus" if i == bad_at else "info")

    acks, error = read_acks(grpc_shared.stub.StreamLogs(requests(), timeout=30))
    assert error is not None, "the stream must fail"
    assert_rpc_error(error, grpc.StatusCode.INVALID_ARGUMENT, contains=f"log_requests[{bad_at}].level")
    rows = messages(grpc_server, ch)
    assert [m for _, m in rows] == [f"m{i}" for i in range(bad_at)], "exactly the records before the bad one"
    if bad_at:
        assert acks and acks[-1] == (bad_at, rows[-1][0]), acks[-3:]
    else:
        assert acks == []
    assert_monotonic(acks)


def test_undecodable_message_is_named_by_its_index(grpc_server, grpc_shared, lp):
    ch = channel_name("stgarb")
    good = [lp.pb.LogRequest(channel=ch, message=f"m{i}").SerializeToString() for i in range(4)]
    call = grpc_shared.channel.stream_stream("/logpilot.LogService/StreamLogs",
                                             response_deserializer=lp.pb.StreamLogsAck.FromString)
    acks, error = read_acks(call(iter([good[0], good[1], b"\x0a\xff\xff\xff\xff\x0f", good[3]]), timeout=10))
    assert error is not None
    assert_rpc_error(error, grpc.StatusCode.INVALID_ARGUMENT, contains="log_requests[2]")
    assert [m for _, m in messages(grpc_server, ch)] == ["m0", "m1"]
    assert acks and acks[-1][0] == 2


@pytest.mark.time_limit(60)
def test_cancelling_mid_stream_keeps_what_was_acknowledged_and_the_server_healthy(make_grpc_server, grpc_connect):
    s = make_grpc_server()
    c = grpc_connect(s)
    ch = channel_name("stcan")
    stop = threading.Event()
    sent = [0]

    def requests():
        i = 0
        while not stop.is_set() and i < 1_000_000:
            sent[0] = i + 1  # counted before the yield: grpc may send it before resuming the generator
            yield c.lp.pb.LogRequest(channel=ch, message=f"m{i}")
            i += 1

    call = c.stub.StreamLogs(requests(), timeout=60)
    acked = 0
    for ack in call:
        acked = ack.records_committed
        if acked >= 5000:
            break
    call.cancel()
    stop.set()
    error = rpc_error(lambda: list(call))
    assert error.code() == grpc.StatusCode.CANCELLED
    assert acked >= 5000

    # the stream's records settle: a prefix of the stream, in order, at least everything acknowledged
    deadline = time.monotonic() + 10
    previous = -1
    while True:
        n = len(messages(s, ch))
        if n == previous:
            break
        assert time.monotonic() < deadline, "records keep arriving after the cancel"
        previous = n
        time.sleep(0.5)
    rows = messages(s, ch)
    assert len(rows) >= acked
    assert len(rows) <= sent[0]
    assert [m for _, m in rows] == [f"m{i}" for i in range(len(rows))]

    # healthy: readiness, health, and new calls on the same connection and on a new one
    assert s.mget("/health/ready").status_code == 200
    from grpc_health.v1 import health_pb2
    assert c.health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == \
        health_pb2.HealthCheckResponse.SERVING
    assert c.stub.SendLog(c.lp.pb.LogRequest(channel=ch, message="after"), timeout=10).status == "success"
    acks, error = read_acks(grpc_connect(s).stub.StreamLogs(
        iter([c.lp.pb.LogRequest(channel=ch, message="again")]), timeout=10))
    assert error is None and acks[-1][0] == 1
    s.stop()


def test_deadline_on_a_stream_is_deadline_exceeded_and_acknowledged_records_stay(grpc_server, grpc_shared, lp):
    ch = channel_name("stdl")
    release = threading.Event()

    def requests():
        for i in range(1000):
            yield lp.pb.LogRequest(channel=ch, message=f"m{i}")
        release.wait(15)  # keep the stream open and idle past its deadline

    try:
        acks, error = read_acks(grpc_shared.stub.StreamLogs(requests(), timeout=2.0))
    finally:
        release.set()
    assert error is not None
    assert_rpc_error(error, grpc.StatusCode.DEADLINE_EXCEEDED)
    assert acks and acks[-1][0] == 1000
    assert [m for _, m in messages(grpc_server, ch)] == [f"m{i}" for i in range(1000)]
    # the connection is still usable
    assert grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="after"), timeout=10).status == "success"


def test_tiny_deadline_on_a_stream_is_deadline_exceeded(grpc_shared, lp):
    ch = channel_name("stdl0")
    reqs = (lp.pb.LogRequest(channel=ch, message=f"m{i}") for i in range(50_000))
    error = rpc_error(lambda: list(grpc_shared.stub.StreamLogs(reqs, timeout=0.001)))
    assert_rpc_error(error, grpc.StatusCode.DEADLINE_EXCEEDED)
    assert grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, message="after"), timeout=10).status == "success"


@pytest.mark.time_limit(150)
def test_50_concurrent_streams_on_one_channel(make_grpc_server, grpc_connect):
    s = make_grpc_server()
    c = grpc_connect(s)
    ch = channel_name("stconc")
    streams, per_stream = 50, 1000
    start = threading.Barrier(streams)
    LogRequest = c.lp.pb.LogRequest

    def run(k):
        reqs = [LogRequest(channel=ch, message=f"s{k}-{i}") for i in range(per_stream)]
        start.wait(timeout=30)
        return read_acks(c.stub.StreamLogs(iter(reqs), timeout=120))

    with ThreadPoolExecutor(streams) as pool:
        results = list(pool.map(run, range(streams)))

    for k, (acks, error) in enumerate(results):
        assert error is None, f"stream {k}: {error.code()}: {error.details()}"
        assert acks and acks[-1][0] == per_stream, (k, acks[-3:])
        assert_monotonic(acks)
    rows = messages(s, ch)
    assert len(rows) == streams * per_stream
    assert len({i for i, _ in rows}) == len(rows), "ids are unique"
    by_stream: dict[int, list[tuple[int, int]]] = {}
    for log_id, message in rows:
        k, i = message[1:].split("-")
        by_stream.setdefault(int(k), []).append((int(i), log_id))
    for k, (acks, _) in enumerate(results):
        got = by_stream[k]  # in id order
        assert [i for i, _ in got] == list(range(per_stream)), f"stream {k} is not stored in stream order"
        assert acks[-1][1] == got[-1][1], f"stream {k}: final last_id is not the id of its last record"


@pytest.mark.time_limit(120)
def test_streams_wait_out_overload_instead_of_failing(make_grpc_server, grpc_connect):
    """With a small write queue, concurrent streams are slowed down (backoff, flow control), never refused."""
    s = make_grpc_server("--max-batch-records", "1000", "--queue-max-records", "1000", "--queue-max-bytes", "65536")
    c = grpc_connect(s)
    ch = channel_name("stovl")
    streams, per_stream = 8, 2000
    LogRequest = c.lp.pb.LogRequest

    def run(k):
        return read_acks(c.stub.StreamLogs((LogRequest(channel=ch, message=f"s{k}-{i}" + "x" * 100)
                                            for i in range(per_stream)), timeout=100))

    with ThreadPoolExecutor(streams) as pool:
        results = list(pool.map(run, range(streams)))
    for k, (acks, error) in enumerate(results):
        assert error is None, f"stream {k}: {error.code()}: {error.details()}"
        assert acks[-1][0] == per_stream
    assert s.db("SELECT count(*) FROM logs WHERE channel = ?", (ch,)) == [(streams * per_stream,)]
