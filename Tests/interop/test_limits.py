"""Body limits (413), media types and encodings (415), gzip bodies and the largest allowed batch."""

import gzip
import json
import socket
import zlib

import pytest
import requests

from conftest import HTTP_TIMEOUT, assert_error, channel_name

MAX_BODY = 10 * 1024 * 1024


def count(server, channel):
    return server.db("SELECT count(*) FROM logs WHERE channel = ?", (channel,))[0][0]


def total(server):
    return server.db("SELECT count(*) FROM logs")[0][0]


# -- 413 ----------------------------------------------------------------------------------------------------------


def test_batch_over_10000_records_is_413_and_stores_nothing(server):
    ch = channel_name()
    records = [{"channel": ch, "message": str(i)} for i in range(10001)]
    body = assert_error(server.post("/api/logs/batch", json=records), 413, "PAYLOAD_TOO_LARGE")
    assert "10000" in body["message"]
    assert count(server, ch) == 0


@pytest.mark.time_limit(120)
def test_batch_of_10000_records_near_the_body_limit(server):
    """The largest batch the defaults allow, about 9.6 MiB of JSON: all stored, ids contiguous, readable back."""
    ch = channel_name()
    pad = "p" * 940
    records = [{"channel": ch, "level": "WARN" if i % 10 == 0 else "INFO", "message": f"{i:05d} {pad}",
                "timestamp": 1_700_000_000_000 + i} for i in range(10000)]
    payload = json.dumps(records, separators=(",", ":")).encode()
    assert MAX_BODY - 600_000 < len(payload) < MAX_BODY
    r = server.post("/api/logs/batch", data=payload, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text[:500]
    body = r.json()
    assert body["accepted"] == 10000
    assert body["lastId"] - body["firstId"] == 9999
    rows = server.db("SELECT id, message, level, ts FROM logs WHERE channel = ? ORDER BY id", (ch,))
    assert len(rows) == 10000
    assert [row[0] for row in rows] == list(range(body["firstId"], body["lastId"] + 1))
    assert all(row[1] == f"{i:05d} {pad}" for i, row in enumerate(rows))
    assert sum(1 for row in rows if row[2] == 3) == 1000
    assert rows[-1][3] == (1_700_000_000_000 + 9999) * 1000
    # read back through the API: newest first, all 10 000
    entries = server.read(ch, limit=10000)
    assert len(entries) == 10000
    assert [e["id"] for e in entries] == list(range(body["lastId"], body["firstId"] - 1, -1))
    assert entries[0]["message"] == f"09999 {pad}"
    assert [c for c in server.get("/api/channels").json()["channels"] if c["channel"] == ch] == [
        {"channel": ch, "count": 10000, "lastId": body["lastId"]}]


def oversized_batch(ch: str, size: int) -> bytes:
    """A valid JSON batch of exactly `size` bytes (fewer than 10 000 records)."""
    head = json.dumps([{"channel": ch, "message": ""}], separators=(",", ":")).encode()
    pad = size - len(head)
    data = json.dumps([{"channel": ch, "message": "x" * pad}], separators=(",", ":")).encode()
    assert len(data) == size
    return data


def test_body_over_10_mib_with_content_length_is_413(server):
    """Sends only the headers of an 11 MiB request: the server must answer 413 without needing the body."""
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as sock:
        sock.sendall(b"POST /api/logs/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {11 * 1024 * 1024}\r\n\r\n".encode() + b"[" + b" " * 65536)
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
    status_line = response.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), response[:300]


def test_body_just_over_10_mib_is_413(server):
    ch = channel_name()
    data = oversized_batch(ch, MAX_BODY + 1)
    try:
        r = server.post("/api/logs/batch", data=data, headers={"Content-Type": "application/json"})
    except requests.ConnectionError as error:  # the server may answer and close before reading everything
        pytest.fail(f"connection dropped instead of a 413 answer: {error}")
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert count(server, ch) == 0


def test_body_of_exactly_10_mib_is_accepted(server):
    ch = channel_name()
    r = server.post("/api/logs/batch", data=oversized_batch(ch, MAX_BODY), headers={"Content-Type": "application/json"})
    # one 10 MiB message exceeds the 64 KiB message limit: the body was read and validated, not refused for size
    assert_error(r, 400, "VALIDATION_ERROR", "records[0].message")


def test_chunked_body_over_10_mib_is_413(server):
    ch = channel_name()
    data = oversized_batch(ch, MAX_BODY + 4096)

    def chunks():
        for i in range(0, len(data), 256 * 1024):
            yield data[i:i + 256 * 1024]

    try:
        r = server.post("/api/logs/batch", data=chunks(), headers={"Content-Type": "application/json"})
    except requests.ConnectionError as error:
        pytest.fail(f"connection dropped instead of a 413 answer: {error}")
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert count(server, ch) == 0


def gzip_of_inflated_size(size: int) -> bytes:
    """gzip of an empty JSON batch padded with whitespace to exactly `size` bytes."""
    return gzip.compress(b"[" + b" " * (size - 2) + b"]")


def test_gzip_body_inflating_to_exactly_10_mib_is_accepted(server):
    r = server.post("/api/logs/batch", data=gzip_of_inflated_size(MAX_BODY),
                    headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert r.status_code == 201, r.text
    assert r.json() == {"accepted": 0}


def test_gzip_body_inflating_far_over_10_mib_is_413(server):
    ch = channel_name()
    raw = json.dumps([{"channel": ch, "message": "y" * 1000}] * 1000, separators=(",", ":")).encode()
    raw = raw[:-1] + b" " * (40 * 1024 * 1024) + b"]"
    r = server.post("/api/logs/batch", data=gzip.compress(raw),
                    headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert count(server, ch) == 0


@pytest.mark.parametrize("inflated", [MAX_BODY + 1, 12 * 1024 * 1024])
def test_gzip_body_inflating_just_over_10_mib_is_413(server, inflated):
    r = server.post("/api/logs/batch", data=gzip_of_inflated_size(inflated),
                    headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert_error(r, 413, "PAYLOAD_TOO_LARGE")


def test_gzip_records_inflating_over_10_mib_are_not_stored(server):
    """10 000 valid records, 11.3 MB once inflated: must be refused, not stored."""
    ch = channel_name()
    raw = json.dumps([{"channel": ch, "message": "y" * 1100}] * 10000, separators=(",", ":")).encode()
    assert MAX_BODY < len(raw) < 12 * 1024 * 1024
    r = server.post("/api/logs/batch", data=gzip.compress(raw),
                    headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    stored = count(server, ch)
    assert (r.status_code, stored) == (413, 0), f"{r.status_code} {r.text[:200]}; {stored} records stored"


# -- gzip ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "GZIP", "x-gzip"])
def test_gzip_batch_is_accepted(server, encoding):
    ch = channel_name()
    records = [{"channel": ch, "message": f"gz {i} ü", "meta": {"i": i}} for i in range(300)]
    data = gzip.compress(json.dumps(records).encode())
    r = server.post("/api/logs/batch", data=data,
                    headers={"Content-Type": "application/json", "Content-Encoding": encoding})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["accepted"] == 300 and body["lastId"] - body["firstId"] == 299
    rows = server.db("SELECT message, meta FROM logs WHERE channel = ? ORDER BY id", (ch,))
    assert rows == [(f"gz {i} ü", json.dumps({"i": i}, separators=(",", ":"))) for i in range(300)]


def test_gzip_single_record_is_accepted(server):
    ch = channel_name()
    data = gzip.compress(json.dumps({"channel": ch, "message": "single gz", "level": "error"}).encode())
    r = server.post("/api/logs", data=data, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert r.status_code == 201, r.text
    assert server.read(ch)[0]["message"] == "single gz"


@pytest.mark.parametrize("data", [b"not gzip at all", gzip.compress(b'[{"channel":"a","message":"m"}]')[:-12],
                                  b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage"])
def test_corrupt_gzip_is_400(server, data):
    before = total(server)
    r = server.post("/api/logs/batch", data=data, headers={"Content-Type": "application/json",
                                                            "Content-Encoding": "gzip"})
    assert_error(r, 400, "BAD_REQUEST")
    assert total(server) == before


def test_gzip_of_malformed_json_is_400(server):
    r = server.post("/api/logs/batch", data=gzip.compress(b"[{"),
                    headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert_error(r, 400, "BAD_REQUEST")


# -- 415 ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", "application/octet-stream", "text/html",
                                   "application/jsonp", "json"])
@pytest.mark.parametrize("path", ["/api/logs", "/api/logs/batch"])
def test_non_json_content_type_is_415(server, path, ctype):
    ch = channel_name()
    data = json.dumps({"channel": ch, "message": "m"} if path == "/api/logs" else [{"channel": ch, "message": "m"}])
    assert_error(server.post(path, data=data.encode(), headers={"Content-Type": ctype}), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert count(server, ch) == 0


@pytest.mark.parametrize("ctype", ["application/json", "application/json; charset=utf-8", "text/json",
                                   "application/vnd.logpilot+json", "application/problem+json", "Application/JSON",
                                   None])
def test_json_content_types_are_accepted(server, ctype):
    ch = channel_name()
    headers = {"Content-Type": ctype} if ctype else {}
    r = server.post("/api/logs/batch", data=json.dumps([{"channel": ch, "message": "m"}]).encode(), headers=headers)
    assert "Content-Type" not in r.request.headers or ctype
    assert r.status_code == 201, r.text
    assert count(server, ch) == 1


@pytest.mark.parametrize("encoding", ["br", "deflate", "compress", "zstd"])
def test_unsupported_content_encoding_is_415(server, encoding):
    ch = channel_name()
    data = json.dumps([{"channel": ch, "message": "m"}]).encode()
    if encoding == "deflate":
        data = zlib.compress(data)
    r = server.post("/api/logs/batch", data=data, headers={"Content-Type": "application/json",
                                                            "Content-Encoding": encoding})
    assert_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert count(server, ch) == 0


@pytest.mark.parametrize("path,body", [
    ("/api/logs/commit", {"channel": "c", "consumerId": "x", "lastLogId": 1}),
    ("/api/logs/seek", {"channel": "c", "consumerId": "x", "operation": "EARLIEST"}),
])
def test_consumer_endpoints_check_content_type(server, path, body):
    ch = channel_name()
    body = dict(body, channel=ch)
    assert_error(server.post(path, data=json.dumps(body).encode(), headers={"Content-Type": "text/plain"}),
                 415, "UNSUPPORTED_MEDIA_TYPE")
    assert server.db("SELECT count(*) FROM consumer_offsets WHERE channel = ?", (ch,))[0][0] == 0
    r = server.post(path, data=gzip.compress(json.dumps(body).encode()),
                    headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text
    assert r.json()["channel"] == ch


def raw_post(server, path, body: bytes, extra_headers: str = "", wait_interim: float = 0.0):
    """POSTs over a raw socket; returns (interim response bytes seen before the body was sent, final response)."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra_headers}\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as sock:
        sock.sendall(head)
        interim = b""
        if wait_interim:
            sock.settimeout(wait_interim)
            try:
                interim = sock.recv(65536)
            except socket.timeout:
                pass
            sock.settimeout(10)
        sock.sendall(body)
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
    return interim, response


def test_expect_100_continue_request_succeeds(server):
    ch = channel_name()
    body = json.dumps([{"channel": ch, "message": "expect"}]).encode()
    _, response = raw_post(server, "/api/logs/batch", body, "Expect: 100-continue\r\n", wait_interim=1.0)
    assert b"HTTP/1.1 201" in response, response[:300]
    assert count(server, ch) == 1


def test_expect_100_continue_gets_an_interim_response(server):
    ch = channel_name()
    body = json.dumps([{"channel": ch, "message": "expect"}]).encode()
    interim, _ = raw_post(server, "/api/logs/batch", body, "Expect: 100-continue\r\n", wait_interim=1.0)
    assert interim.startswith(b"HTTP/1.1 100"), interim[:100]


def test_expect_100_continue_with_oversized_length_is_413_at_once(server):
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as sock:
        sock.sendall(b"POST /api/logs/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Expect: 100-continue\r\nContent-Length: 20000000\r\n\r\n")
        sock.settimeout(5)
        first = sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 413"), first[:200]
