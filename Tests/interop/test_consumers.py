"""GET /api/logs/{channel} (latest and consumer reads), POST /api/logs/commit and POST /api/logs/seek."""

import time
import urllib.parse
import uuid

import pytest

from conftest import ISO_Z, assert_error, channel_name


def fill(server, channel, n, start=0):
    body = server.post_batch([{"channel": channel, "message": f"m{start + i}"} for i in range(n)])
    return list(range(body["firstId"], body["lastId"] + 1))


def consumer():
    return f"consumer-{uuid.uuid4().hex[:8]}"


def offset_row(server, consumer_id, channel):
    return server.db("SELECT last_log_id FROM consumer_offsets WHERE consumer_id = ? AND channel = ?",
                     (consumer_id, channel))


def ids(entries):
    return [e["id"] for e in entries]


# -- latest (no consumerId) ---------------------------------------------------------------------------------------


def test_latest_returns_newest_first_default_limit_100(server):
    ch = channel_name()
    all_ids = fill(server, ch, 150)
    fill(server, channel_name(), 5)  # another channel, newer ids: must not show up
    entries = server.read(ch)
    assert ids(entries) == all_ids[::-1][:100]
    assert all(e["channel"] == ch for e in entries)
    assert ids(server.read(ch, limit=5)) == all_ids[::-1][:5]
    assert ids(server.read(ch, limit=10000)) == all_ids[::-1]
    assert server.read(ch, limit=0) == []
    assert server.read(ch, limit="") == entries  # empty = default


def test_latest_entry_shape(server):
    ch = channel_name()
    server.post_one({"channel": ch, "level": "fatal", "message": "shape", "meta": {"k": [1]},
                     "timestamp": "2025-01-01T00:00:00.001Z"})
    [entry] = server.read(ch)
    assert list(entry) == ["channel", "level", "message", "meta", "id", "timestamp"]
    assert entry["channel"] == ch and entry["level"] == "FATAL" and entry["message"] == "shape"
    assert entry["meta"] == {"k": [1]} and isinstance(entry["id"], int)
    assert entry["timestamp"] == "2025-01-01T00:00:00.001Z"
    import re
    assert re.match(ISO_Z, entry["timestamp"])


def test_unknown_channel_reads_empty(server):
    assert server.read(channel_name("never")) == []
    assert server.read(channel_name("never"), consumerId=consumer()) == []


@pytest.mark.parametrize("limit,code", [("10001", "VALIDATION_ERROR"), ("99999999", "VALIDATION_ERROR"),
                                        ("abc", "BAD_REQUEST"), ("1.5", "BAD_REQUEST"), ("1e3", "BAD_REQUEST")])
def test_limit_out_of_range_or_not_integer(server, limit, code):
    ch = channel_name()
    fill(server, ch, 1)
    assert_error(server.get(f"/api/logs/{ch}", params={"limit": limit}), 400, code, "limit")
    assert_error(server.get(f"/api/logs/{ch}", params={"limit": limit, "consumerId": "c"}), 400, code, "limit")
    assert offset_row(server, "c", ch) == []


def test_negative_limit_is_400(server):
    ch = channel_name()
    for params in ({"limit": "-1"}, {"limit": "-1", "consumerId": "c"}):
        r = server.get(f"/api/logs/{ch}", params=params)
        assert r.status_code == 400, r.text
        assert r.json()["errorCode"] in ("VALIDATION_ERROR", "BAD_REQUEST")
        assert r.json().get("field") == "limit"


def test_channel_in_path_is_percent_decoded(server):
    ch = "ns/" + channel_name() + ":é?#&%"
    body = server.post_one({"channel": ch, "message": "decoded"})
    quoted = urllib.parse.quote(ch, safe="")
    entries = server.read(quoted)
    assert ids(entries) == [body["firstId"]] and entries[0]["channel"] == ch
    entries = server.read(quoted, consumerId="c1")
    assert ids(entries) == [body["firstId"]]
    assert offset_row(server, "c1", ch) == [(body["firstId"],)]


def test_invalid_channel_in_path_is_400(server):
    assert_error(server.get("/api/logs/a%20b"), 400, "VALIDATION_ERROR", "channel")
    assert_error(server.get("/api/logs/" + "x" * 129), 400, "VALIDATION_ERROR", "channel")


# -- consumer reads -----------------------------------------------------------------------------------------------


def test_consumer_fetch_with_autocommit(server):
    ch, c = channel_name(), consumer()
    all_ids = fill(server, ch, 10)
    fill(server, channel_name(), 3)
    assert offset_row(server, c, ch) == []
    first = server.read(ch, consumerId=c, limit=4)
    assert ids(first) == all_ids[:4]  # ascending, from the start
    assert offset_row(server, c, ch) == [(all_ids[3],)]
    assert ids(server.read(ch, consumerId=c, limit=4)) == all_ids[4:8]
    assert ids(server.read(ch, consumerId=c)) == all_ids[8:]
    assert offset_row(server, c, ch) == [(all_ids[-1],)]
    assert server.read(ch, consumerId=c) == []
    assert offset_row(server, c, ch) == [(all_ids[-1],)]
    more = fill(server, ch, 3, start=10)
    got = server.read(ch, consumerId=c)
    assert ids(got) == more and [e["message"] for e in got] == ["m10", "m11", "m12"]
    # consumer_offsets row
    [(cid, chan, last, updated)] = server.db(
        "SELECT consumer_id, channel, last_log_id, updated_at FROM consumer_offsets WHERE consumer_id = ?", (c,))
    assert (cid, chan, last) == (c, ch, more[-1])
    assert abs(updated - time.time() * 1e6) < 60e6


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes", "on", "True"])
def test_autocommit_true_values(server, value):
    ch, c = channel_name(), consumer()
    all_ids = fill(server, ch, 3)
    assert ids(server.read(ch, consumerId=c, autoCommit=value, limit=2)) == all_ids[:2]
    assert offset_row(server, c, ch) == [(all_ids[1],)]


@pytest.mark.parametrize("value", ["false", "FALSE", "0", "no", "off", "Off"])
def test_autocommit_false_peeks(server, value):
    ch, c = channel_name(), consumer()
    all_ids = fill(server, ch, 5)
    for _ in range(3):
        assert ids(server.read(ch, consumerId=c, autoCommit=value, limit=2)) == all_ids[:2]
    assert offset_row(server, c, ch) == []
    # manual commit, then the peek moves on
    r = server.post("/api/logs/commit", json={"channel": ch, "consumerId": c, "lastLogId": all_ids[1]})
    assert r.status_code == 200, r.text
    assert r.json() == {"channel": ch, "consumerId": c, "offset": all_ids[1]}
    assert ids(server.read(ch, consumerId=c, autoCommit=value)) == all_ids[2:]
    assert offset_row(server, c, ch) == [(all_ids[1],)]


def test_bad_autocommit_is_400(server):
    ch, c = channel_name(), consumer()
    fill(server, ch, 2)
    assert_error(server.get(f"/api/logs/{ch}", params={"consumerId": c, "autoCommit": "maybe"}),
                 400, "BAD_REQUEST", "autoCommit")
    assert offset_row(server, c, ch) == []


def test_consumer_limit_zero_returns_nothing_and_keeps_offset(server):
    ch, c = channel_name(), consumer()
    all_ids = fill(server, ch, 3)
    assert server.read(ch, consumerId=c, limit=0) == []
    assert ids(server.read(ch, consumerId=c, limit=1)) == all_ids[:1]
    assert server.read(ch, consumerId=c, limit=0) == []
    assert offset_row(server, c, ch) == [(all_ids[0],)]


def test_consumers_and_channels_are_independent(server):
    a, b = channel_name("a"), channel_name("b")
    c1, c2 = consumer(), consumer()
    ids_a = fill(server, a, 4)
    ids_b = fill(server, b, 4)
    assert ids(server.read(a, consumerId=c1)) == ids_a
    assert ids(server.read(a, consumerId=c2, limit=1)) == ids_a[:1]  # c1's reads don't move c2
    assert ids(server.read(b, consumerId=c1, limit=2)) == ids_b[:2]  # c1 on b starts from 0
    assert offset_row(server, c1, a) == [(ids_a[-1],)]
    assert offset_row(server, c2, a) == [(ids_a[0],)]
    assert offset_row(server, c1, b) == [(ids_b[1],)]
    assert ids(server.read(a, consumerId=c2)) == ids_a[1:]
    assert server.read(a, consumerId=c1) == []
    assert ids(server.read(b, consumerId=c1)) == ids_b[2:]


# -- commit -------------------------------------------------------------------------------------------------------


def test_commit_sets_the_offset_exactly(server):
    ch, c = channel_name(), consumer()
    all_ids = fill(server, ch, 6)
    for target in (all_ids[4], all_ids[1], 0, all_ids[-1] + 1000):  # forwards, backwards, to 0, past the end
        r = server.post("/api/logs/commit", json={"channel": ch, "consumerId": c, "lastLogId": target})
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json() == {"channel": ch, "consumerId": c, "offset": target}
        assert offset_row(server, c, ch) == [(target,)]
        expected = [i for i in all_ids if i > target]
        assert ids(server.read(ch, consumerId=c, autoCommit="false", limit=10000)) == expected


def test_commit_on_a_new_channel(server):
    ch, c = channel_name(), consumer()
    r = server.post("/api/logs/commit", json={"channel": ch, "consumerId": c, "lastLogId": 7})
    assert r.status_code == 200 and r.json() == {"channel": ch, "consumerId": c, "offset": 7}
    assert offset_row(server, c, ch) == [(7,)]


@pytest.mark.parametrize("body,field", [
    ({"consumerId": "c", "lastLogId": 1}, "channel"),
    ({"channel": None, "consumerId": "c", "lastLogId": 1}, "channel"),
    ({"channel": "bad ch", "consumerId": "c", "lastLogId": 1}, "channel"),
    ({"channel": 5, "consumerId": "c", "lastLogId": 1}, "channel"),
    ({"channel": "CH", "lastLogId": 1}, "consumerId"),
    ({"channel": "CH", "consumerId": None, "lastLogId": 1}, "consumerId"),
    ({"channel": "CH", "consumerId": "   ", "lastLogId": 1}, "consumerId"),
    ({"channel": "CH", "consumerId": "c"}, "lastLogId"),
    ({"channel": "CH", "consumerId": "c", "lastLogId": None}, "lastLogId"),
    ({"channel": "CH", "consumerId": "c", "lastLogId": -1}, "lastLogId"),
    ({"channel": "CH", "consumerId": "c", "lastLogId": 1.5}, "lastLogId"),
    ({"channel": "CH", "consumerId": "c", "lastLogId": "abc"}, "lastLogId"),
    ({"channel": "CH", "consumerId": "c", "lastLogId": True}, "lastLogId"),
])
def test_commit_validation(server, body, field):
    ch = channel_name()
    body = {k: (ch if v == "CH" else v) for k, v in body.items()}
    assert_error(server.post("/api/logs/commit", json=body), 400, "VALIDATION_ERROR", field)
    assert server.db("SELECT count(*) FROM consumer_offsets WHERE channel = ?", (ch,))[0][0] == 0


@pytest.mark.parametrize("path", ["/api/logs/commit", "/api/logs/seek"])
@pytest.mark.parametrize("raw", [b"{", b"", b"[1]", b"null", b'{"channel":"a"} extra'])
def test_consumer_endpoints_malformed_json(server, path, raw):
    assert_error(server.post(path, data=raw, headers={"Content-Type": "application/json"}), 400, "BAD_REQUEST")


# -- seek ---------------------------------------------------------------------------------------------------------


def seek(server, ch, c, operation, log_id=None):
    body = {"channel": ch, "consumerId": c, "operation": operation}
    if log_id is not None:
        body["logId"] = log_id
    return server.post("/api/logs/seek", json=body)


def test_seek_earliest_latest_specific(server):
    ch, other, c = channel_name(), channel_name(), consumer()
    all_ids = fill(server, ch, 5)
    fill(server, other, 5)  # newer ids in another channel must not count for LATEST
    assert ids(server.read(ch, consumerId=c)) == all_ids

    r = seek(server, ch, c, "EARLIEST")
    assert r.status_code == 200 and r.json() == {"channel": ch, "consumerId": c, "offset": 0}
    assert offset_row(server, c, ch) == [(0,)]
    assert ids(server.read(ch, consumerId=c, limit=2)) == all_ids[:2]

    r = seek(server, ch, c, "LATEST")
    assert r.status_code == 200 and r.json() == {"channel": ch, "consumerId": c, "offset": all_ids[-1]}
    assert server.read(ch, consumerId=c) == []
    newer = fill(server, ch, 2, start=5)
    assert ids(server.read(ch, consumerId=c)) == newer

    # SPECIFIC logId = k positions the consumer so that the next read starts AT k (offset k - 1)
    r = seek(server, ch, c, "SPECIFIC", all_ids[2])
    assert r.status_code == 200 and r.json() == {"channel": ch, "consumerId": c, "offset": all_ids[2] - 1}
    assert offset_row(server, c, ch) == [(all_ids[2] - 1,)]
    assert ids(server.read(ch, consumerId=c)) == all_ids[2:] + newer

    r = seek(server, ch, c, "SPECIFIC", 1)
    assert r.status_code == 200 and r.json()["offset"] == 0


@pytest.mark.parametrize("op", ["earliest", "Latest", "specific", "sPeCiFiC"])
def test_seek_operation_is_case_insensitive(server, op):
    ch, c = channel_name(), consumer()
    all_ids = fill(server, ch, 3)
    r = seek(server, ch, c, op, all_ids[1] if op.lower() == "specific" else None)
    assert r.status_code == 200, r.text
    expected = {"earliest": 0, "latest": all_ids[-1], "specific": all_ids[1] - 1}[op.lower()]
    assert r.json()["offset"] == expected


def test_seek_latest_on_empty_channel_is_zero(server):
    ch, c = channel_name(), consumer()
    fill(server, channel_name(), 2)
    r = seek(server, ch, c, "LATEST")
    assert r.status_code == 200 and r.json() == {"channel": ch, "consumerId": c, "offset": 0}
    assert offset_row(server, c, ch) == [(0,)]


@pytest.mark.parametrize("body,field", [
    ({"consumerId": "c", "operation": "EARLIEST"}, "channel"),
    ({"channel": "CH", "operation": "EARLIEST"}, "consumerId"),
    ({"channel": "CH", "consumerId": "c"}, "operation"),
    ({"channel": "CH", "consumerId": "c", "operation": "BACKWARDS"}, "operation"),
    ({"channel": "CH", "consumerId": "c", "operation": 1}, "operation"),
    ({"channel": "CH", "consumerId": "c", "operation": "SPECIFIC"}, "logId"),
    ({"channel": "CH", "consumerId": "c", "operation": "SPECIFIC", "logId": None}, "logId"),
    ({"channel": "CH", "consumerId": "c", "operation": "SPECIFIC", "logId": 0}, "logId"),
    ({"channel": "CH", "consumerId": "c", "operation": "SPECIFIC", "logId": -3}, "logId"),
    ({"channel": "CH", "consumerId": "c", "operation": "SPECIFIC", "logId": "5"}, "logId"),
    ({"channel": "CH", "consumerId": "c", "operation": "SPECIFIC", "logId": 2.5}, "logId"),
])
def test_seek_validation(server, body, field):
    ch = channel_name()
    body = {k: (ch if v == "CH" else v) for k, v in body.items()}
    assert_error(server.post("/api/logs/seek", json=body), 400, "VALIDATION_ERROR", field)
    assert server.db("SELECT count(*) FROM consumer_offsets WHERE channel = ?", (ch,))[0][0] == 0


def test_seek_and_commit_affect_only_their_consumer_and_channel(server):
    a, b = channel_name(), channel_name()
    c1, c2 = consumer(), consumer()
    ids_a = fill(server, a, 3)
    fill(server, b, 3)
    assert seek(server, a, c1, "LATEST").status_code == 200
    assert ids(server.read(a, consumerId=c2)) == ids_a
    assert len(server.read(b, consumerId=c1)) == 3
    assert offset_row(server, c1, a) == [(ids_a[-1],)]
