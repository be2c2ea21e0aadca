"""Answers sent before the request body is read (413, 415, 401, 429, 400 on a bad header) end cleanly on HTTP/1.1:
the client reads the status instead of hanging, also with `Connection: close` and with clients that write their
whole body before reading (Python's urllib). The server drains the rest of the body within a bound (2x the body
limit, 5 s), then closes."""

import gzip
import json
import os
import socket
import time
import urllib.error
import urllib.request

import pytest

from conftest import channel_name

MAX_BODY = 10 * 1024 * 1024
BODY = 12 * 1024 * 1024  # over the limit, under the drain bound
ANSWER_WITHIN = 2.0


def send_then_read(port: int, head: bytes, body_size: int, *, chunk: bytes = b"x" * 65536, timeout: float = 10):
    """Writes the head and the whole body before reading anything, as urllib does; returns (seconds, answer)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        sent = 0
        while sent < body_size:
            piece = chunk[: body_size - sent]
            sock.sendall(piece)
            sent += len(piece)
        answer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    return time.monotonic() - started, answer


def post_head(path: str, length: int, *, content_type="application/json", extra="Connection: close\r\n") -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\n{extra}\r\n").encode()


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1.1 "), answer[:200]
    return int(answer[9:12])


def header(answer: bytes, name: str) -> str | None:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


@pytest.mark.parametrize("path", ["/api/logs/batch", "/api/logs"])
def test_raw_client_writing_12_mib_with_connection_close_gets_413(server, path):
    seconds, answer = send_then_read(server.http_port, post_head(path, BODY), BODY)
    assert status_of(answer) == 413, answer[:300]
    assert b"PAYLOAD_TOO_LARGE" in answer
    assert header(answer, "Connection") == "close"
    assert seconds < ANSWER_WITHIN, f"answered after {seconds:.2f} s"


def test_raw_client_writing_12_mib_keep_alive_gets_413_and_close(server):
    seconds, answer = send_then_read(server.http_port, post_head("/api/logs/batch", BODY, extra=""), BODY)
    assert status_of(answer) == 413, answer[:300]
    assert header(answer, "Connection") == "close"  # the connection does not carry a half-read request further
    assert seconds < ANSWER_WITHIN, f"answered after {seconds:.2f} s"


def test_urllib_client_posting_12_mib_gets_413(server):
    request = urllib.request.Request(server.url("/api/logs/batch"), data=b"[" + b" " * (BODY - 2) + b"]",
                                     headers={"Content-Type": "application/json"}, method="POST")
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)
    seconds = time.monotonic() - started
    assert raised.value.code == 413
    assert json.loads(raised.value.read())["errorCode"] == "PAYLOAD_TOO_LARGE"
    assert seconds < ANSWER_WITHIN, f"answered after {seconds:.2f} s"


def test_wrong_content_type_with_a_large_body_gets_415(server):
    seconds, answer = send_then_read(server.http_port, post_head("/api/logs/batch", BODY, content_type="text/plain"),
                                     BODY)
    assert status_of(answer) == 415, answer[:300]
    assert seconds < ANSWER_WITHIN


def test_missing_api_key_with_a_large_body_gets_401(make_server):
    keyed = make_server("--api-keys", "early-error-key")
    seconds, answer = send_then_read(keyed.http_port, post_head("/api/logs/batch", BODY), BODY)
    assert status_of(answer) == 401, answer[:300]
    assert seconds < ANSWER_WITHIN


def test_rate_limited_request_with_a_large_body_gets_429(make_server):
    limited = make_server("--rate-limit-enabled", "true", "--rate-limit-capacity", "1",
                          "--rate-limit-refill-tokens", "1", "--rate-limit-refill-duration-seconds", "3600")
    small = json.dumps([{"channel": channel_name(), "message": "first"}]).encode()
    _, first = send_then_read(limited.http_port, post_head("/api/logs/batch", len(small)) + small, 0)
    assert status_of(first) == 201, first[:300]
    seconds, answer = send_then_read(limited.http_port, post_head("/api/logs/batch", BODY), BODY)
    assert status_of(answer) == 429, answer[:300]
    assert header(answer, "Retry-After") is not None
    assert seconds < ANSWER_WITHIN


@pytest.mark.parametrize("bad_header", [
    "Content-Length: twelve\r\n",  # unparsable length: the HTTP parser fails
    "X-Padding: " + "a" * 20000 + "\r\nContent-Length: %d\r\n" % BODY,  # a header field over 16 KiB
])
def test_bad_header_with_a_large_body_gets_400(server, bad_header):
    head = f"POST /api/logs/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n{bad_header}Connection: close\r\n\r\n".encode()
    seconds, answer = send_then_read(server.http_port, head, BODY)
    assert status_of(answer) == 400, answer[:300]
    assert seconds < ANSWER_WITHIN


def test_gzip_bomb_with_connection_close_gets_413(server):
    bomb = gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]", compresslevel=9)
    head = post_head("/api/logs/batch", len(bomb), extra="Content-Encoding: gzip\r\nConnection: close\r\n")
    seconds, answer = send_then_read(server.http_port, head + bomb, 0)
    assert status_of(answer) == 413, answer[:300]
    assert b"decompressed body exceeds" in answer
    assert seconds < ANSWER_WITHIN


def test_compressed_body_over_the_limit_with_connection_close_gets_413(server):
    noise = os.urandom(BODY)  # incompressible: the gzip body itself is over the limit
    body = gzip.compress(noise, compresslevel=1)
    head = post_head("/api/logs/batch", len(body), extra="Content-Encoding: gzip\r\nConnection: close\r\n")
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as sock:
        sock.sendall(head + body)
        answer = sock.recv(65536)
    assert status_of(answer) == 413, answer[:300]
    assert time.monotonic() - started < ANSWER_WITHIN


def test_the_drain_is_bounded_in_bytes(server):
    """A client that keeps sending far beyond the limit is cut off after about twice the body limit."""
    huge = 200 * 1024 * 1024
    sent = 0
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as sock:
        sock.sendall(post_head("/api/logs/batch", huge))
        chunk = b"x" * 65536
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            while sent < huge:
                sock.sendall(chunk)
                sent += len(chunk)
    assert sent < 4 * MAX_BODY, f"the server read {sent} bytes of an oversized body"
    assert time.monotonic() - started < 10


def test_the_drain_is_bounded_in_time(server):
    """A client that stops sending mid-body has its connection closed after the linger time. (Keep-alive request:
    with `Connection: close` the server half-closes at once after the answer, so EOF comes early by design.)"""
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=15) as sock:
        sock.sendall(post_head("/api/logs/batch", BODY, extra="") + b"x" * 65536)
        started = time.monotonic()
        answer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        closed_after = time.monotonic() - started
    assert status_of(answer) == 413
    assert 3 < closed_after < 9, f"closed after {closed_after:.1f} s (linger bound is 5 s)"


def test_the_connection_still_serves_after_a_complete_request(server):
    """Requests read to the end keep the connection open (keep-alive), pipelined too."""
    ch = channel_name()
    one = json.dumps([{"channel": ch, "message": "first"}]).encode()
    two = json.dumps([{"channel": ch, "message": "second"}]).encode()
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as sock:
        sock.sendall(post_head("/api/logs/batch", len(one), extra="") + one
                     + post_head("/api/logs/batch", len(two), extra="") + two)
        answer = b""
        while answer.count(b"HTTP/1.1 201") < 2:
            data = sock.recv(65536)
            assert data, f"closed early: {answer[:400]!r}"
            answer += data
    assert header(answer, "Connection") != "close"
