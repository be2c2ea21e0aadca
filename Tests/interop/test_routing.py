"""Routing: 404 for unknown paths, 405 with Allow for wrong methods, the JSON error document everywhere."""

import pytest

from conftest import assert_error, channel_name


@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/api"), ("GET", "/api/"), ("GET", "/api/nope"), ("POST", "/api/nope"),
    ("GET", "/api/logs/a/b"), ("POST", "/api/logs/batch/extra"), ("GET", "/api/channels/x"), ("GET", "/logs"),
    ("GET", "/health"),  # the management paths are not on the API port
    ("GET", "/metrics"), ("DELETE", "/nothing/here"),
])
def test_unknown_path_is_404(server, method, path):
    body = assert_error(server.request(method, path), 404, "NOT_FOUND")
    assert "field" not in body


@pytest.mark.parametrize("method,path,allow", [
    # GET (and HEAD) on batch/commit/seek read a channel of that name, as in the Java version.
    ("DELETE", "/api/logs/batch", "GET, HEAD, POST"),
    ("PUT", "/api/logs/batch", "GET, HEAD, POST"),
    ("PATCH", "/api/logs/seek", "GET, HEAD, POST"),
    ("DELETE", "/api/logs/commit", "GET, HEAD, POST"),
    ("PUT", "/api/logs", "GET, HEAD, POST"),
    ("DELETE", "/api/logs", "GET, HEAD, POST"),
    ("POST", "/api/channels", "GET, HEAD"),
    ("DELETE", "/api/channels", "GET, HEAD"),
    ("POST", "/api/logs/some-channel", "GET, HEAD"),
    ("DELETE", "/api/logs/some-channel", "GET, HEAD"),
])
def test_wrong_method_is_405_with_allow(server, method, path, allow):
    r = server.request(method, path, json={"channel": "x", "message": "m"})
    assert_error(r, 405, "METHOD_NOT_ALLOWED")
    allowed = {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}
    assert allowed == {m.strip() for m in allow.split(",")}, r.headers


def test_wrong_method_stores_nothing(server):
    ch = channel_name()
    assert server.request("PUT", "/api/logs/batch", json=[{"channel": ch, "message": "m"}]).status_code == 405
    assert server.request("PUT", "/api/logs", json={"channel": ch, "message": "m"}).status_code == 405
    assert server.db("SELECT count(*) FROM logs WHERE channel = ?", (ch,))[0][0] == 0


def test_trailing_slash_is_tolerated(server):
    ch = channel_name()
    r = server.post("/api/logs/batch/", json=[{"channel": ch, "message": "m"}])
    assert r.status_code == 201, r.text
    assert len(server.get(f"/api/logs/{ch}/").json()) == 1


def test_get_commit_reads_the_channel_named_commit(server):
    body = server.post_one({"channel": "commit", "message": "a channel called commit"})
    r = server.get("/api/logs/commit")
    assert r.status_code == 200, r.text
    assert body["firstId"] in [e["id"] for e in r.json()]
    r = server.get("/api/logs/commit", params={"consumerId": "c-commit"})
    assert r.status_code == 200, r.text


def test_channel_named_commit_is_readable_by_search(server):
    """Whatever GET /api/logs/commit does, the records of channel 'commit' are stored and searchable."""
    body = server.post_one({"channel": "commit", "message": "searchable commit"})
    r = server.get("/api/logs", params={"channel": "commit"})
    assert r.status_code == 200 and body["firstId"] in [e["id"] for e in r.json()["logs"]]


def test_error_timestamp_is_current(server):
    from datetime import datetime, timezone
    body = assert_error(server.get("/api/nope"), 404, "NOT_FOUND")
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - stamp).total_seconds()) < 30


@pytest.mark.parametrize("path", ["/api/channels", "/api/logs", "/api/logs/some-channel"])
def test_head_is_supported_where_get_is(server, path):
    r = server.request("HEAD", path)
    assert r.status_code == 200, r.status_code
    assert r.content == b""
