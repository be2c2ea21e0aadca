"""gRPC reads against the real binary: FetchLogs (newest-first and consumer fetch, auto_commit), CommitOffset, Seek
and ListLogs (filters and cursor paging), each checked against the REST front and the database."""

import grpc
import pytest

from conftest import assert_rpc_error, channel_name, rpc_error

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def send(client, lp, channel, n, **fields):
    """SendLogs n records m0..m{n-1}; returns their ids."""
    reqs = [lp.pb.LogRequest(channel=channel, message=f"m{i}", **fields) for i in range(n)]
    resp = client.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=reqs), timeout=30)
    assert resp.accepted == n
    return list(range(resp.first_id, resp.last_id + 1))


def fetch(client, lp, **fields):
    return list(client.stub.FetchLogs(lp.pb.FetchLogsRequest(**fields), timeout=10).logs)


def ids(entries):
    return [e.id for e in entries]


def offset(server, consumer, channel):
    got = server.db("SELECT last_log_id FROM consumer_offsets WHERE consumer_id = ? AND channel = ?",
                    (consumer, channel))
    return got[0][0] if got else None


# -- FetchLogs ----------------------------------------------------------------------------------------------------


def test_fetch_without_consumer_returns_newest_first_and_limit_0_means_100(grpc_shared, lp):
    ch = channel_name("fn")
    written = send(grpc_shared, lp, ch, 150)
    assert ids(fetch(grpc_shared, lp, channel=ch)) == written[::-1][:100]
    assert ids(fetch(grpc_shared, lp, channel=ch, limit=0)) == written[::-1][:100]
    assert ids(fetch(grpc_shared, lp, channel=ch, limit=7)) == written[::-1][:7]
    assert ids(fetch(grpc_shared, lp, channel=ch, limit=1000)) == written[::-1]
    assert fetch(grpc_shared, lp, channel=channel_name("fnone")) == []


def test_fetch_entry_fields(grpc_shared, lp):
    ch = channel_name("ff")
    resp = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=ch, level="fatal", message="x", meta={"a": "b"},
                                                     timestamp=1_234_567_890_123), timeout=10)
    [e] = fetch(grpc_shared, lp, channel=ch)
    assert (e.channel, e.level, e.message, dict(e.meta), e.timestamp, e.id, e.timestamp_micros) == (
        ch, "FATAL", "x", {"a": "b"}, 1_234_567_890_123, resp.id, 1_234_567_890_123_000)


def test_fetch_without_channel_is_invalid_argument(grpc_shared, lp):
    assert_rpc_error(rpc_error(fetch, grpc_shared, lp), INVALID, contains="channel")
    assert_rpc_error(rpc_error(fetch, grpc_shared, lp, consumerId="c"), INVALID, contains="channel")
    assert_rpc_error(rpc_error(fetch, grpc_shared, lp, channel="a b"), INVALID, contains="channel")


@pytest.mark.parametrize("limit", [-1, 10_001])
def test_fetch_limit_out_of_range_is_invalid_argument(grpc_shared, lp, limit):
    error = rpc_error(fetch, grpc_shared, lp, channel=channel_name("fl"), limit=limit)
    assert_rpc_error(error, INVALID, contains="limit")


def test_consumer_fetch_is_ascending_and_auto_commits_by_default(grpc_server, grpc_shared, lp):
    ch = channel_name("fc")
    written = send(grpc_shared, lp, ch, 25)
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="c1", limit=10)) == written[:10]
    assert offset(grpc_server, "c1", ch) == written[9]
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="c1", limit=10, auto_commit=True)) == written[10:20]
    # the same consumer over REST continues where gRPC left it, and the other way round
    assert [e["id"] for e in grpc_server.read(ch, consumerId="c1", limit=3)] == written[20:23]
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="c1")) == written[23:]
    assert fetch(grpc_shared, lp, channel=ch, consumerId="c1") == []
    assert offset(grpc_server, "c1", ch) == written[-1]
    # other consumers are independent
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="c2", limit=0)) == written


def test_since_is_the_legacy_consumer_id_and_wins_over_consumer_id(grpc_server, grpc_shared, lp):
    ch = channel_name("fs")
    written = send(grpc_shared, lp, ch, 10)
    assert ids(fetch(grpc_shared, lp, channel=ch, since="legacy", limit=4)) == written[:4]
    assert offset(grpc_server, "legacy", ch) == written[3]
    assert ids(fetch(grpc_shared, lp, channel=ch, since="legacy", consumerId="modern", limit=4)) == written[4:8]
    assert offset(grpc_server, "legacy", ch) == written[7]
    assert offset(grpc_server, "modern", ch) is None, "consumerId is ignored when since is set"


def test_auto_commit_false_peeks_then_commit_offset_acknowledges(grpc_server, grpc_shared, lp):
    ch = channel_name("fp")
    written = send(grpc_shared, lp, ch, 12)
    first = fetch(grpc_shared, lp, channel=ch, consumerId="peek", limit=5, auto_commit=False)
    assert ids(first) == written[:5]
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="peek", limit=5, auto_commit=False)) == written[:5]
    assert offset(grpc_server, "peek", ch) in (None, 0), "a peek does not move the offset"
    resp = grpc_shared.stub.CommitOffset(lp.pb.CommitOffsetRequest(channel=ch, consumerId="peek",
                                                                   lastLogId=written[2]), timeout=10)
    assert (resp.status, resp.offset) == ("success", written[2])
    assert resp.message
    assert offset(grpc_server, "peek", ch) == written[2]
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="peek", limit=100)) == written[3:]
    # the offset is set exactly, also backwards (as REST's commit)
    resp = grpc_shared.stub.CommitOffset(lp.pb.CommitOffsetRequest(channel=ch, consumerId="peek", lastLogId=0),
                                         timeout=10)
    assert (resp.status, resp.offset) == ("success", 0)
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="peek", limit=2)) == written[:2]


def test_commit_offset_over_grpc_is_seen_by_rest(grpc_server, grpc_shared, lp):
    ch = channel_name("fcr")
    written = send(grpc_shared, lp, ch, 6)
    grpc_shared.stub.CommitOffset(lp.pb.CommitOffsetRequest(channel=ch, consumerId="x", lastLogId=written[3]),
                                  timeout=10)
    assert [e["id"] for e in grpc_server.read(ch, consumerId="x")] == written[4:]


@pytest.mark.parametrize("fields,field", [
    ({"consumerId": "c", "lastLogId": 1}, "channel"),
    ({"channel": "CH", "lastLogId": 1}, "consumerId"),
    ({"channel": "CH", "consumerId": "  ", "lastLogId": 1}, "consumerId"),
    ({"channel": "CH", "consumerId": "c", "lastLogId": -1}, "lastLogId"),
])
def test_commit_offset_validation(grpc_shared, lp, fields, field):
    fields = {k: (channel_name("fcv") if v == "CH" else v) for k, v in fields.items()}
    error = rpc_error(grpc_shared.stub.CommitOffset, lp.pb.CommitOffsetRequest(**fields), timeout=10)
    assert_rpc_error(error, INVALID, contains=field)


def test_blank_consumer_id_is_invalid_argument(grpc_shared, lp):
    error = rpc_error(fetch, grpc_shared, lp, channel=channel_name("fb"), consumerId=" \t ")
    assert_rpc_error(error, INVALID, contains="consumerId")
    error = rpc_error(fetch, grpc_shared, lp, channel=channel_name("fb"), since="  ")
    assert_rpc_error(error, INVALID, contains="since")


@pytest.mark.time_limit(60)
def test_concurrent_grpc_consumers_never_get_the_same_record_twice(grpc_server, grpc_connect, lp):
    """Several connections fetching with one consumerId and auto-commit: each record is delivered once."""
    from concurrent.futures import ThreadPoolExecutor

    ch = channel_name("fcc")
    clients = [grpc_connect(grpc_server) for _ in range(4)]
    expected = send(clients[0], lp, ch, 2000)

    def reader(client):
        got = []
        for _ in range(200):
            page = ids(fetch(client, lp, channel=ch, consumerId="shared", limit=37))
            if not page:
                break
            assert page == sorted(page)
            got += page
        return got

    with ThreadPoolExecutor(4) as pool:
        delivered = [i for page in pool.map(reader, clients) for i in page]
    assert sorted(delivered) == expected, "records lost or delivered twice"
    assert offset(grpc_server, "shared", ch) == expected[-1]


# -- Seek ---------------------------------------------------------------------------------------------------------


def seek(client, lp, **fields):
    return client.stub.Seek(lp.pb.SeekRequest(**fields), timeout=10)


@pytest.mark.parametrize("earliest,latest,specific", [
    ("EARLIEST", "LATEST", "SPECIFIC"), ("earliest", "latest", "specific"), ("Earliest", "lAtEsT", "Specific"),
])
def test_seek_operations_case_insensitive(grpc_server, grpc_shared, lp, earliest, latest, specific):
    ch = channel_name("sk")
    written = send(grpc_shared, lp, ch, 10)
    fetch(grpc_shared, lp, channel=ch, consumerId="s", limit=4)

    resp = seek(grpc_shared, lp, channel=ch, consumerId="s", operation=earliest, storage="sqlite")
    assert (resp.status, resp.message, resp.offset) == ("success", "Seek operation successful", 0)
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="s", limit=2)) == written[:2]

    resp = seek(grpc_shared, lp, channel=ch, consumerId="s", operation=latest)
    assert (resp.status, resp.message, resp.offset) == ("success", "Seek operation successful", written[-1])
    assert fetch(grpc_shared, lp, channel=ch, consumerId="s") == []
    more = send(grpc_shared, lp, ch, 2)
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="s")) == more

    resp = seek(grpc_shared, lp, channel=ch, consumerId="s", operation=specific, logId=written[6])
    assert (resp.status, resp.message, resp.offset) == ("success", "Seek operation successful", written[6] - 1)
    assert offset(grpc_server, "s", ch) == written[6] - 1
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="s", limit=100)) == written[6:] + more


def test_seek_latest_on_an_empty_channel_is_zero(grpc_shared, lp):
    resp = seek(grpc_shared, lp, channel=channel_name("ske"), consumerId="s", operation="LATEST")
    assert (resp.status, resp.offset) == ("success", 0)


def test_seek_over_grpc_moves_the_rest_consumer(grpc_server, grpc_shared, lp):
    ch = channel_name("skr")
    written = send(grpc_shared, lp, ch, 5)
    seek(grpc_shared, lp, channel=ch, consumerId="both", operation="SPECIFIC", logId=written[3])
    assert [e["id"] for e in grpc_server.read(ch, consumerId="both")] == written[3:]
    r = grpc_server.post("/api/logs/seek", json={"channel": ch, "consumerId": "both", "operation": "EARLIEST"})
    assert r.status_code == 200, r.text
    assert ids(fetch(grpc_shared, lp, channel=ch, consumerId="both")) == written


@pytest.mark.parametrize("fields,field", [
    ({"consumerId": "c", "operation": "EARLIEST"}, "channel"),
    ({"channel": "CH", "operation": "EARLIEST"}, "consumerId"),
    ({"channel": "CH", "consumerId": "c", "operation": "REWIND"}, "operation"),
    ({"channel": "CH", "consumerId": "c", "operation": ""}, "operation"),
    ({"channel": "CH", "consumerId": "c", "operation": "SPECIFIC"}, "logId"),
    ({"channel": "CH", "consumerId": "c", "operation": "SPECIFIC", "logId": -5}, "logId"),
])
def test_seek_validation(grpc_shared, lp, fields, field):
    fields = {k: (channel_name("skv") if v == "CH" else v) for k, v in fields.items()}
    error = rpc_error(seek, grpc_shared, lp, **fields)
    assert_rpc_error(error, INVALID, contains=field)


# -- ListLogs -----------------------------------------------------------------------------------------------------

LEVEL_CYCLE = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
T0 = 1_710_000_000_000  # epoch ms


@pytest.fixture(scope="module")
def listed(grpc_shared, lp):
    """60 records on one channel: level cycles TRACE..FATAL, timestamps T0 + i seconds, messages alpha/beta."""
    ch = channel_name("ls")
    reqs = [lp.pb.LogRequest(channel=ch, level=LEVEL_CYCLE[i % 6], message=f"{['alpha', 'Beta'][i % 2]} {i}",
                             timestamp=T0 + i * 1000) for i in range(60)]
    resp = grpc_shared.stub.SendLogs(lp.pb.SendLogsRequest(log_requests=reqs), timeout=10)
    return ch, [resp.first_id + i for i in range(60)]


def list_logs(client, lp, **fields):
    return client.stub.ListLogs(lp.pb.ListLogsRequest(**fields), timeout=10)


def test_list_logs_channel_newest_first(grpc_shared, lp, listed):
    ch, written = listed
    resp = list_logs(grpc_shared, lp, channel=ch, limit=1000)
    assert ids(resp.logs) == written[::-1]
    assert resp.next_cursor == ""
    e = resp.logs[-1]
    assert (e.channel, e.level, e.message, e.timestamp, e.timestamp_micros) == (ch, "TRACE", "alpha 0", T0, T0 * 1000)


def test_list_logs_default_limit_is_100(grpc_shared, lp):
    ch = channel_name("ld")
    written = send(grpc_shared, lp, ch, 130)
    resp = list_logs(grpc_shared, lp, channel=ch)
    assert ids(resp.logs) == written[::-1][:100]
    assert resp.next_cursor != ""


def test_list_logs_pages_through_everything_with_the_cursor(grpc_shared, lp, listed):
    ch, written = listed
    seen, cursor, pages = [], "", 0
    while True:
        resp = list_logs(grpc_shared, lp, channel=ch, limit=7, cursor=cursor)
        pages += 1
        assert len(resp.logs) <= 7
        seen += ids(resp.logs)
        if not resp.next_cursor:
            break
        cursor = resp.next_cursor
        assert pages < 20, "the cursor does not advance"
    assert seen == written[::-1]
    assert pages in (9, 10)  # 8 full pages and 4 records; a server may need one empty page to know it is the end


@pytest.mark.parametrize("fields,levels", [
    ({"level": "WARN"}, {"WARN"}),
    ({"level": "warning"}, {"WARN"}),
    ({"levels": ["error", "FATAL"]}, {"ERROR", "FATAL"}),
    ({"level": "trace,debug"}, {"TRACE", "DEBUG"}),
    ({"level": "INFO", "levels": ["ERROR"]}, {"INFO", "ERROR"}),
])
def test_list_logs_level_filters(grpc_shared, lp, listed, fields, levels):
    ch, written = listed
    resp = list_logs(grpc_shared, lp, channel=ch, limit=1000, **fields)
    expected = [written[i] for i in reversed(range(60)) if LEVEL_CYCLE[i % 6] in levels]
    assert ids(resp.logs) == expected
    assert {e.level for e in resp.logs} == levels


def test_list_logs_query_is_a_case_sensitive_substring(grpc_shared, lp, listed):
    ch, written = listed
    assert ids(list_logs(grpc_shared, lp, channel=ch, query="Beta", limit=1000).logs) == \
        [written[i] for i in reversed(range(60)) if i % 2]
    assert list(list_logs(grpc_shared, lp, channel=ch, query="beta", limit=1000).logs) == []
    assert ids(list_logs(grpc_shared, lp, channel=ch, query="a 1", limit=1000).logs) == \
        [written[i] for i in reversed(range(60)) if f"{['alpha', 'Beta'][i % 2]} {i}".find("a 1") >= 0]


def test_list_logs_time_range_from_is_inclusive(grpc_shared, lp, listed):
    ch, written = listed
    resp = list_logs(grpc_shared, lp, channel=ch, fromTimestamp=T0 + 50_000, limit=1000)
    assert ids(resp.logs) == written[50:][::-1]
    resp = list_logs(grpc_shared, lp, channel=ch, fromTimestamp=T0 + 49_999, limit=1000)
    assert ids(resp.logs) == written[50:][::-1]
    resp = list_logs(grpc_shared, lp, channel=ch, fromTimestamp=T0 + 50_001, limit=1000)
    assert ids(resp.logs) == written[51:][::-1]


def test_list_logs_time_range_to_bounds_above(grpc_shared, lp, listed):
    ch, written = listed
    resp = list_logs(grpc_shared, lp, channel=ch, toTimestamp=T0 + 9_999, limit=1000)
    assert ids(resp.logs) == written[:10][::-1]
    resp = list_logs(grpc_shared, lp, channel=ch, fromTimestamp=T0 + 10_000, toTimestamp=T0 + 19_500,
                     level="DEBUG,ERROR", limit=1000)
    assert ids(resp.logs) == [written[i] for i in (19, 16, 13, 10)]


def test_list_logs_to_timestamp_is_inclusive_as_the_proto_documents(grpc_shared, lp, listed):
    """logpilot.proto: `int64 toTimestamp = 5; // epoch milliseconds, inclusive`."""
    ch, written = listed
    resp = list_logs(grpc_shared, lp, channel=ch, toTimestamp=T0 + 10_000, limit=1000)
    assert ids(resp.logs) == written[:11][::-1]


def test_list_logs_without_channel_searches_every_channel(grpc_shared, lp):
    a, b = channel_name("lxa"), channel_name("lxb")
    token = channel_name("tok")
    ra = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=a, message=f"{token} a"), timeout=10)
    rb = grpc_shared.stub.SendLog(lp.pb.LogRequest(channel=b, message=f"{token} b"), timeout=10)
    resp = list_logs(grpc_shared, lp, query=token)
    assert [(e.id, e.channel) for e in resp.logs] == [(rb.id, b), (ra.id, a)]


def test_list_logs_matches_rest_search(grpc_server, grpc_shared, lp, listed):
    ch, written = listed
    via_grpc = list_logs(grpc_shared, lp, channel=ch, level="WARN,ERROR", query="a", limit=1000).logs
    r = grpc_server.get("/api/logs", params={"channel": ch, "level": "WARN,ERROR", "q": "a", "limit": 1000})
    assert r.status_code == 200, r.text
    assert ids(via_grpc) == [e["id"] for e in r.json()["logs"]]


@pytest.mark.parametrize("fields,field", [
    ({"level": "bogus"}, "level"),
    ({"levels": ["INFO", "nope"]}, "levels[1]"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "-3"}, "cursor"),
    ({"limit": -1}, "limit"),
    ({"limit": 10_001}, "limit"),
    ({"channel": "a b"}, "channel"),
    ({"query": "q" * 1025}, "query"),
])
def test_list_logs_validation(grpc_shared, lp, fields, field):
    error = rpc_error(list_logs, grpc_shared, lp, **fields)
    assert_rpc_error(error, INVALID, contains=field)


def test_list_logs_stops_at_its_scan_bound_and_resumes(make_grpc_server, grpc_connect, lp):
    """ListLogs.truncated (addition): with --max-read-scan-records 2000 a search over 9000 records answers in bounded
    pages; the cursors lead through every match once, newest first."""
    server = make_grpc_server("--max-read-scan-records", "2000")
    client = grpc_connect(server)
    ch = channel_name("lt")
    written = []
    for start in range(0, 9000, 3000):
        written += send(client, lp, ch, 3000)
    matches = [id_ for i, id_ in enumerate(written) if "77" in f"m{i % 3000}"][::-1]
    seen, cursor, truncations = [], "", []
    while True:
        resp = list_logs(client, lp, channel=ch, query="77", limit=1000, cursor=cursor)
        seen += ids(resp.logs)
        truncations.append(resp.truncated)
        if not resp.next_cursor:
            break
        cursor = resp.next_cursor
        assert len(truncations) < 20, "the cursor does not advance"
    assert seen == matches
    assert truncations[:-1] == ["scan_limit"] * (len(truncations) - 1) and truncations[-1] == ""
    assert len(truncations) >= 3  # 9 000 records, 2 000 examined per read (whole blocks of 3 000)
