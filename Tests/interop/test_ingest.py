"""POST /api/logs and POST /api/logs/batch: happy paths, field handling and validation errors."""

import json
import time
from datetime import datetime, timezone

import pytest

from conftest import LEVELS, assert_error, channel_name, compact


def count(server, channel):
    return server.db("SELECT count(*) FROM logs WHERE channel = ?", (channel,))[0][0]


def row(server, log_id):
    rows = server.db("SELECT id, ts, channel, level, message, meta FROM logs WHERE id = ?", (log_id,))
    assert len(rows) == 1, f"no row with id {log_id}"
    return rows[0]


# -- happy paths --------------------------------------------------------------------------------------------------


def test_single_record_is_stored_and_acknowledged(server):
    ch = channel_name()
    r = server.post("/api/logs", json={"channel": ch, "level": "ERROR", "message": "boom",
                                       "timestamp": "2024-05-06T07:08:09.250Z"})
    assert r.status_code == 201, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"accepted", "firstId", "lastId"}
    assert body["accepted"] == 1
    assert isinstance(body["firstId"], int) and body["firstId"] == body["lastId"] and body["firstId"] > 0
    ts = int(datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=timezone.utc).timestamp()) * 1_000_000 + 250_000
    assert row(server, body["firstId"]) == (body["firstId"], ts, ch, 4, "boom", None)
    assert server.read(ch) == [{"channel": ch, "level": "ERROR", "message": "boom", "id": body["firstId"],
                                "timestamp": "2024-05-06T07:08:09.250Z"}]


def test_batch_ids_are_contiguous_and_in_request_order(server):
    ch = channel_name()
    records = [{"channel": ch, "message": f"m{i}", "level": ["DEBUG", "WARN"][i % 2]} for i in range(7)]
    body = server.post_batch(records)
    assert set(body) == {"accepted", "firstId", "lastId"}
    assert body["accepted"] == 7
    assert body["lastId"] - body["firstId"] == 6
    rows = server.db("SELECT id, message, level FROM logs WHERE id BETWEEN ? AND ? ORDER BY id",
                     (body["firstId"], body["lastId"]))
    assert rows == [(body["firstId"] + i, f"m{i}", [1, 3][i % 2]) for i in range(7)]
    assert count(server, ch) == 7


def test_empty_batch_accepts_zero_and_omits_ids(server):
    r = server.post("/api/logs/batch", json=[])
    assert r.status_code == 201, r.text
    assert r.json() == {"accepted": 0}


def test_ids_strictly_increase_across_requests(server):
    ch = channel_name()
    last = 0
    for i in range(5):
        body = server.post_batch([{"channel": ch, "message": f"{i}-{j}"} for j in range(i + 1)])
        assert body["firstId"] > last
        assert body["lastId"] == body["firstId"] + i
        last = body["lastId"]
    single = server.post_one({"channel": ch, "message": "single"})
    assert single["firstId"] == single["lastId"] > last


# -- levels -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent,expected",
    [
        ("TRACE", "TRACE"), ("trace", "TRACE"), ("Debug", "DEBUG"), ("info", "INFO"), ("INFO", "INFO"),
        ("WARN", "WARN"), ("warn", "WARN"), ("WARNING", "WARN"), ("warning", "WARN"), ("WaRnInG", "WARN"),
        ("error", "ERROR"), ("Error", "ERROR"), ("fatal", "FATAL"), ("FATAL", "FATAL"),
        (None, "INFO"), ("<absent>", "INFO"),
    ],
)
def test_level_is_normalised(server, sent, expected):
    ch = channel_name()
    record = {"channel": ch, "message": "lvl"}
    if sent != "<absent>":
        record["level"] = sent
    body = server.post_one(record)
    assert row(server, body["firstId"])[3] == LEVELS[expected]
    assert server.read(ch)[0]["level"] == expected


@pytest.mark.parametrize("bad", ["VERBOSE", "warnings", "CRITICAL", "I NFO", "0"])
def test_unknown_level_is_rejected(server, bad):
    ch = channel_name()
    assert_error(server.post("/api/logs", json={"channel": ch, "message": "x", "level": bad}),
                 400, "VALIDATION_ERROR", "level")
    records = [{"channel": ch, "message": f"{i}"} for i in range(5)]
    records[3]["level"] = bad
    assert_error(server.post("/api/logs/batch", json=records), 400, "VALIDATION_ERROR", "records[3].level")
    assert count(server, ch) == 0


def test_level_of_wrong_type_is_rejected(server):
    ch = channel_name()
    assert_error(server.post("/api/logs", json={"channel": ch, "message": "x", "level": 3}),
                 400, "VALIDATION_ERROR", "level")
    assert count(server, ch) == 0


# -- timestamps ---------------------------------------------------------------------------------------------------


def utc_us(*args) -> int:
    dt = datetime(*args, tzinfo=timezone.utc)
    return (int(dt.replace(microsecond=0).timestamp()) * 1_000_000) + dt.microsecond


@pytest.mark.parametrize(
    "sent,stored_us,shown",
    [
        ("2024-03-01T12:00:00Z", utc_us(2024, 3, 1, 12), "2024-03-01T12:00:00Z"),
        ("2024-03-01T12:00:00", utc_us(2024, 3, 1, 12), "2024-03-01T12:00:00Z"),  # no offset = UTC
        ("2024-03-01T12:00:00.000Z", utc_us(2024, 3, 1, 12), "2024-03-01T12:00:00Z"),
        ("2024-03-01T12:00:00.5Z", utc_us(2024, 3, 1, 12, 0, 0, 500000), "2024-03-01T12:00:00.500Z"),
        ("2024-03-01T12:00:00.123Z", utc_us(2024, 3, 1, 12, 0, 0, 123000), "2024-03-01T12:00:00.123Z"),
        ("2024-03-01T12:00:00.123456Z", utc_us(2024, 3, 1, 12, 0, 0, 123456), "2024-03-01T12:00:00.123456Z"),
        ("2024-03-01T12:00:00.000001Z", utc_us(2024, 3, 1, 12, 0, 0, 1), "2024-03-01T12:00:00.000001Z"),
        ("2024-03-01T12:00:00.120100", utc_us(2024, 3, 1, 12, 0, 0, 120100), "2024-03-01T12:00:00.120100Z"),
        ("2024-03-01T17:30:00+05:30", utc_us(2024, 3, 1, 12), "2024-03-01T12:00:00Z"),
        ("2024-03-01T04:00:00.750-08:00", utc_us(2024, 3, 1, 12, 0, 0, 750000), "2024-03-01T12:00:00.750Z"),
        ("2024-03-02T01:00:00+13:00", utc_us(2024, 3, 1, 12), "2024-03-01T12:00:00Z"),  # crosses a day
        ("2024-02-29T23:59:59.999+00:00", utc_us(2024, 2, 29, 23, 59, 59, 999000), "2024-02-29T23:59:59.999Z"),
        (1709294400000, utc_us(2024, 3, 1, 12), "2024-03-01T12:00:00Z"),  # epoch ms
        (1709294400123, utc_us(2024, 3, 1, 12, 0, 0, 123000), "2024-03-01T12:00:00.123Z"),
        (0, 0, "1970-01-01T00:00:00Z"),
    ],
)
def test_timestamp_round_trips(server, sent, stored_us, shown):
    ch = channel_name()
    body = server.post_one({"channel": ch, "message": "t", "timestamp": sent})
    assert row(server, body["firstId"])[1] == stored_us
    [entry] = server.read(ch)
    assert entry["timestamp"] == shown
    # the same through the batch endpoint
    ch2 = channel_name()
    server.post_batch([{"channel": ch2, "message": "t", "timestamp": sent}])
    assert server.read(ch2)[0]["timestamp"] == shown


def test_missing_timestamp_defaults_to_server_time(server):
    ch = channel_name()
    before = time.time_ns() // 1000
    body = server.post_one({"channel": ch, "message": "now"})
    after = time.time_ns() // 1000
    ts = row(server, body["firstId"])[1]
    assert before - 1_000_000 <= ts <= after + 1_000_000, (before, ts, after)
    entry = server.read(ch)[0]
    shown = datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))
    assert abs(shown.timestamp() * 1e6 - ts) < 2.0


def test_null_timestamp_defaults_to_server_time(server):
    ch = channel_name()
    before = time.time_ns() // 1000
    body = server.post_one({"channel": ch, "message": "now", "timestamp": None})
    assert abs(row(server, body["firstId"])[1] - before) < 5_000_000


@pytest.mark.parametrize("bad", ["yesterday", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
                                 "2024-03-01T25:00:00Z", 1.5, True, {"ms": 1}, "2024-03-01T12:00:00+25:00"])
def test_invalid_timestamp_is_rejected(server, bad):
    ch = channel_name()
    assert_error(server.post("/api/logs", json={"channel": ch, "message": "x", "timestamp": bad}),
                 400, "VALIDATION_ERROR", "timestamp")
    records = [{"channel": ch, "message": "ok"}, {"channel": ch, "message": "x", "timestamp": bad}]
    assert_error(server.post("/api/logs/batch", json=records), 400, "VALIDATION_ERROR", "records[1].timestamp")
    assert count(server, ch) == 0


# -- meta ---------------------------------------------------------------------------------------------------------

NESTED_META = {
    "request": {"path": "/x", "headers": {"a": ["1", "2"], "empty": {}}, "ids": [1, 2, 3, [4, [5]]]},
    "t": True, "f": False, "n": None,
    "neg": -1.5e-3, "zero": 0, "big": 12345678901234567890123, "float": 3.25,
    "s": "quote\" backslash\\ newline\n tab\t",
    "u": "ü€𝄞 日本語",
    "list": [None, True, {"deep": {"deeper": {"deepest": "x"}}}],
}


def test_meta_nested_values_are_preserved(server):
    ch = channel_name()
    body = server.post_one({"channel": ch, "message": "m", "meta": NESTED_META})
    [entry] = server.read(ch)
    assert entry["meta"] == NESTED_META
    assert list(entry) == ["channel", "level", "message", "meta", "id", "timestamp"]
    stored = row(server, body["firstId"])[5]
    assert json.loads(stored) == NESTED_META
    # stored compact: no insignificant whitespace outside strings
    assert json.loads(stored) == json.loads(compact(NESTED_META))


def test_meta_pretty_printed_is_stored_compact(server):
    ch = channel_name()
    meta = {"a": [1, 2, {"b": "c d"}], "e": {"f": None}}
    raw = '{"channel": "%s", "message": "m", "meta": %s}' % (ch, json.dumps(meta, indent=4))
    r = server.post("/api/logs", data=raw.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    stored = row(server, r.json()["firstId"])[5]
    assert json.loads(stored) == meta
    assert stored == compact(meta)


def test_meta_number_text_is_kept_exactly(server):
    """Numbers are not re-rendered: 2.50 stays 2.50, 1e3 stays 1e3, big integers keep every digit."""
    ch = channel_name()
    raw = '{"channel":"%s","message":"m","meta":{"a":2.50,"b":1e3,"c":-0.0,"d":123456789012345678901234567890}}' % ch
    r = server.post("/api/logs", data=raw.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert row(server, r.json()["firstId"])[5] == '{"a":2.50,"b":1e3,"c":-0.0,"d":123456789012345678901234567890}'
    text = server.get(f"/api/logs/{ch}").text
    assert '"meta":{"a":2.50,"b":1e3,"c":-0.0,"d":123456789012345678901234567890}' in text


def test_absent_or_null_meta_is_omitted(server):
    ch = channel_name()
    server.post_batch([{"channel": ch, "message": "a"}, {"channel": ch, "message": "b", "meta": None}])
    entries = server.read(ch)
    assert [e["message"] for e in entries] == ["b", "a"]
    for e in entries:
        assert "meta" not in e
        assert set(e) == {"channel", "level", "message", "id", "timestamp"}
    assert server.db("SELECT meta FROM logs WHERE channel = ?", (ch,)) == [(None,), (None,)]


@pytest.mark.parametrize("bad", ["string", [1, 2], 5, True])
def test_meta_must_be_an_object(server, bad):
    ch = channel_name()
    assert_error(server.post("/api/logs", json={"channel": ch, "message": "x", "meta": bad}),
                 400, "VALIDATION_ERROR", "meta")
    assert_error(server.post("/api/logs/batch", json=[{"channel": ch, "message": "x", "meta": bad}]),
                 400, "VALIDATION_ERROR", "records[0].meta")
    assert count(server, ch) == 0


def test_meta_key_count_limit(server):
    ch = channel_name()
    ok = {f"k{i}": {"nested": list(range(3)), **{f"n{j}": j for j in range(70)}} if i == 0 else i for i in range(64)}
    body = server.post_one({"channel": ch, "message": "64 keys", "meta": ok})
    assert json.loads(row(server, body["firstId"])[5]) == ok
    too_many = {f"k{i}": i for i in range(65)}
    assert_error(server.post("/api/logs", json={"channel": ch, "message": "65", "meta": too_many}),
                 400, "VALIDATION_ERROR", "meta")
    assert count(server, ch) == 1


def meta_of_compact_size(size: int) -> dict:
    base = compact({"pad": ""})
    meta = {"pad": "x" * (size - len(base))}
    assert len(compact(meta)) == size
    return meta


def test_meta_byte_limit_counts_compact_json(server):
    ch = channel_name()
    at_limit = meta_of_compact_size(16384)
    # sent with lots of whitespace: the limit applies to the compact form
    raw = '{"channel": "%s", "message": "m", "meta": %s}' % (ch, json.dumps(at_limit, indent=8).replace(":", " :  "))
    assert len(raw) > 16384 + 30
    r = server.post("/api/logs", data=raw.encode(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert row(server, r.json()["firstId"])[5] == compact(at_limit)
    assert_error(server.post("/api/logs", json={"channel": ch, "message": "m", "meta": meta_of_compact_size(16385)}),
                 400, "VALIDATION_ERROR", "meta")
    assert count(server, ch) == 1


# -- message ------------------------------------------------------------------------------------------------------


def test_message_byte_limit(server):
    ch = channel_name()
    exact = "é" * 32768  # 65536 UTF-8 bytes
    body = server.post_one({"channel": ch, "message": exact})
    assert row(server, body["firstId"])[4] == exact
    assert_error(server.post("/api/logs", json={"channel": ch, "message": exact + "a"}),
                 400, "VALIDATION_ERROR", "message")
    assert_error(server.post("/api/logs/batch", json=[{"channel": ch, "message": "ok"},
                                                      {"channel": ch, "message": "a" * 65537}]),
                 400, "VALIDATION_ERROR", "records[1].message")
    assert count(server, ch) == 1


@pytest.mark.parametrize("bad", ["<absent>", None, 42, ["a"], {"a": 1}])
def test_message_is_required_string(server, bad):
    ch = channel_name()
    record = {"channel": ch}
    if bad != "<absent>":
        record["message"] = bad
    assert_error(server.post("/api/logs", json=record), 400, "VALIDATION_ERROR", "message")
    assert_error(server.post("/api/logs/batch", json=[{"channel": ch, "message": "ok"}, record]),
                 400, "VALIDATION_ERROR", "records[1].message")
    assert count(server, ch) == 0


# -- channel ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["<absent>", None, "", "a b", "a\tb", "a\nb", "a\u0001b", "a\u007fb", " lead",
                                 "x" * 129, "é" * 65, 7, ["a"]])
def test_channel_is_validated(server, bad):
    record = {"message": "x"}
    if bad != "<absent>":
        record["channel"] = bad
    assert_error(server.post("/api/logs", json=record), 400, "VALIDATION_ERROR", "channel")
    ok = channel_name()
    assert_error(server.post("/api/logs/batch", json=[{"channel": ok, "message": "fine"}, record]),
                 400, "VALIDATION_ERROR", "records[1].channel")
    assert count(server, ok) == 0
    if isinstance(bad, str):
        assert count(server, bad) == 0


def test_channel_length_limit_is_in_bytes(server):
    name128 = "c" + "x" * 127
    name128_multibyte = "é" * 64  # 128 bytes
    for name in (name128, name128_multibyte):
        before = count(server, name)
        body = server.post_one({"channel": name, "message": "edge"})
        assert row(server, body["firstId"])[2] == name
        assert count(server, name) == before + 1


# -- unicode, ignored fields --------------------------------------------------------------------------------------


def test_unicode_round_trips(server):
    ch = "日志-" + channel_name() + "-é🎉"
    message = "héllo wörld — 日本語 🎉 \U0001D11E \u2028 \"quoted\" \\ \r\n\t end"
    meta = {"emoji": "😀", "ключ": "значение", "mixed": "é😀"}
    body = server.post_one({"channel": ch, "message": message, "meta": meta})
    assert row(server, body["firstId"])[2:5] == (ch, 2, message)
    [entry] = server.read(ch)
    assert entry["channel"] == ch and entry["message"] == message and entry["meta"] == meta
    # raw UTF-8 (not \u escapes) in the request body works the same
    raw = json.dumps({"channel": ch, "message": message}, ensure_ascii=False).encode("utf-8")
    r = server.post("/api/logs", data=raw, headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text
    assert row(server, r.json()["firstId"])[4] == message


def test_message_with_nul_character_round_trips(server):
    ch = channel_name()
    message = "before\u0000after"
    body = server.post_one({"channel": ch, "message": message})
    assert row(server, body["firstId"])[4] == message
    assert server.read(ch)[0]["message"] == message


def test_id_storage_and_unknown_keys_are_ignored(server):
    ch = channel_name()
    record = {"id": 999_999_999, "storage": "file", "channel": ch, "message": "m", "unknown": {"deep": [1, {"x": 2}]},
              "host": "h1", "tags": ["a"], "level": "warn", "extra": None}
    body = server.post_one(record)
    assert body["firstId"] != 999_999_999
    assert row(server, body["firstId"])[2:] == (ch, 3, "m", None)
    assert server.db("SELECT count(*) FROM logs WHERE id = 999999999")[0][0] == 0
    batch = server.post_batch([{"id": 1, "channel": ch, "message": "b0"}, {"id": 1, "channel": ch, "message": "b1"}])
    assert batch["lastId"] == batch["firstId"] + 1
    assert count(server, ch) == 3


# -- malformed requests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/logs", "/api/logs/batch"])
@pytest.mark.parametrize("raw", [b'{"channel":', b"[{", b"", b"   ", b"nope", b'{"channel":"a","message":"m"} x',
                                 b'[{"channel":"a","message":"m"}] [', b'{"channel":"a" "message":"m"}',
                                 b"\xff\xfe{}", b'{"channel":"a","message":"m",}'])
def test_malformed_json_is_bad_request(server, path, raw):
    before = server.db("SELECT count(*) FROM logs")[0][0]
    assert_error(server.post(path, data=raw, headers={"Content-Type": "application/json"}), 400, "BAD_REQUEST")
    assert server.db("SELECT count(*) FROM logs")[0][0] == before


def test_wrong_top_level_shape_is_rejected(server):
    ch = channel_name()
    # single endpoint given an array, batch endpoint given an object
    r1 = server.post("/api/logs", json=[{"channel": ch, "message": "m"}])
    r2 = server.post("/api/logs/batch", json={"channel": ch, "message": "m"})
    for r in (r1, r2):
        assert r.status_code == 400, r.text
        assert r.json()["errorCode"] in ("BAD_REQUEST", "VALIDATION_ERROR")
    assert count(server, ch) == 0


def test_batch_element_that_is_not_an_object(server):
    ch = channel_name()
    r = server.post("/api/logs/batch", json=[{"channel": ch, "message": "a"}, {"channel": ch, "message": "b"}, "x"])
    assert_error(r, 400, "VALIDATION_ERROR", field_prefix="records[2]")
    assert count(server, ch) == 0


def test_rejected_batch_stores_nothing(server):
    ch = channel_name()
    records = [{"channel": ch, "message": f"m{i}"} for i in range(500)]
    records[499]["level"] = "NOPE"
    assert_error(server.post("/api/logs/batch", json=records), 400, "VALIDATION_ERROR", "records[499].level")
    records[499]["level"] = "INFO"
    records[250]["channel"] = "bad channel"
    assert_error(server.post("/api/logs/batch", json=records), 400, "VALIDATION_ERROR", "records[250].channel")
    assert count(server, ch) == 0
    assert count(server, "bad channel") == 0
    records[250]["channel"] = ch
    body = server.post_batch(records)
    assert body["accepted"] == 500 and count(server, ch) == 500


# -- nesting depth ------------------------------------------------------------------------------------------------


def nested(levels: int) -> dict:
    """An object nesting `levels` objects deep: nested(1) == {"leaf": 1}."""
    value = {"leaf": levels}
    for _ in range(levels - 1):
        value = {"x": value}
    return value


def test_meta_nested_16_levels_is_kept(server):
    ch = channel_name()
    meta = nested(16)
    body = server.post_one({"channel": ch, "message": "deep", "meta": meta})
    assert json.loads(row(server, body["firstId"])[5]) == meta
    assert server.read(ch)[0]["meta"] == meta


@pytest.mark.parametrize("where", ["meta", "unknown-key"])
def test_nesting_deeper_than_16_levels_is_refused(server, where):
    """Documented limit (docs/api.md): JSON nested deeper than 16 levels inside a record is refused, in meta and in
    ignored keys alike, so hostile nesting never costs memory or stack. Nothing of the batch is stored."""
    ch = channel_name()
    record = {"channel": ch, "message": "deeper"}
    record["meta" if where == "meta" else "context"] = nested(17)
    r = server.post("/api/logs/batch", json=[record])
    assert_error(r, 400, "VALIDATION_ERROR", "records[0].meta" if where == "meta" else "records[0]")
    assert count(server, ch) == 0
