"""API keys: --api-keys, LOGPILOT_API_KEYS, LOGPILOT_API_KEY, --api-keys-file; both header forms; no echo."""

import pytest

from conftest import assert_error, channel_name

KEY1 = "k1-0123456789abcdef"
KEY2 = "k2-fedcba9876543210"


def unauthorized(r, key=None):
    body = assert_error(r, 401, "UNAUTHORIZED")
    if key:
        assert key not in r.text, "the 401 must not echo the presented key"
        assert key not in body["message"]
    return body


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    from conftest import Server
    s = Server(tmp_path_factory.mktemp("keyed"), args=["--api-keys", f"{KEY1},{KEY2}"])
    s.start()
    yield s
    s.kill()


def requests_for(ch):
    """(method, path, kwargs) for every API route."""
    return [
        ("POST", "/api/logs", {"json": {"channel": ch, "message": "m"}}),
        ("POST", "/api/logs/batch", {"json": [{"channel": ch, "message": "m"}]}),
        ("GET", f"/api/logs/{ch}", {}),
        ("GET", f"/api/logs/{ch}?consumerId=c", {}),
        ("GET", "/api/logs", {"params": {"channel": ch}}),
        ("GET", "/api/channels", {}),
        ("POST", "/api/logs/commit", {"json": {"channel": ch, "consumerId": "c", "lastLogId": 1}}),
        ("POST", "/api/logs/seek", {"json": {"channel": ch, "consumerId": "c", "operation": "LATEST"}}),
    ]


def test_every_route_needs_a_key(keyed):
    ch = channel_name()
    for method, path, kw in requests_for(ch):
        unauthorized(keyed.request(method, path, **kw))
        unauthorized(keyed.request(method, path, headers={"X-API-KEY": "wrong-key-xyz"}, **kw), "wrong-key-xyz")
        unauthorized(keyed.request(method, path, headers={"Authorization": "Bearer wrong-bearer-xyz"}, **kw),
                     "wrong-bearer-xyz")
    assert keyed.db("SELECT count(*) FROM logs WHERE channel = ?", (ch,))[0][0] == 0
    assert keyed.db("SELECT count(*) FROM consumer_offsets WHERE channel = ?", (ch,))[0][0] == 0


@pytest.mark.parametrize("headers", [
    {"X-API-KEY": KEY1}, {"X-API-KEY": KEY2}, {"x-api-key": KEY1},
    {"Authorization": f"Bearer {KEY1}"}, {"Authorization": f"Bearer {KEY2}"},
])
def test_valid_key_in_either_header(keyed, headers):
    ch = channel_name()
    expected = [201, 201, 200, 200, 200, 200, 200, 200]
    for (method, path, kw), status in zip(requests_for(ch), expected):
        r = keyed.request(method, path, headers=headers, **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text)
    assert keyed.db("SELECT count(*) FROM logs WHERE channel = ?", (ch,))[0][0] == 2


@pytest.mark.parametrize("headers,echo", [
    ({"X-API-KEY": KEY1 + "x"}, KEY1 + "x"),
    ({"X-API-KEY": KEY1[:-1]}, KEY1[:-1]),
    ({"X-API-KEY": ""}, None),
    ({"Authorization": KEY1}, KEY1),                   # no "Bearer " scheme
    ({"Authorization": f"Basic {KEY1}"}, KEY1),
    ({"Authorization": "Bearer "}, None),
    ({"Authorization": f"Bearer {KEY1.upper()}"}, KEY1.upper()),  # keys are case-sensitive
    ({"X-API-KEY": f"{KEY1},{KEY2}"}, KEY1),
])
def test_wrong_or_malformed_key_is_401(keyed, headers, echo):
    ch = channel_name()
    unauthorized(keyed.post("/api/logs", json={"channel": ch, "message": "m"}, headers=headers), echo)
    assert keyed.db("SELECT count(*) FROM logs WHERE channel = ?", (ch,))[0][0] == 0


def test_management_port_needs_no_key(keyed):
    for path in ("/health", "/health/live", "/health/ready", "/health/startup", "/actuator/health", "/metrics",
                 "/actuator/prometheus"):
        r = keyed.mget(path)
        assert r.status_code == 200, (path, r.text)


def test_unknown_api_path_without_key_is_401(keyed):
    unauthorized(keyed.get("/api/does-not-exist"))


def test_env_keys_and_keys_file(make_server, tmp_path):
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("# comment line\n\n  file-key-1  \nfile-key-2\n")
    s = make_server("--api-keys-file", str(keys_file), env={"LOGPILOT_API_KEY": "env-single-key"})
    ch = channel_name()
    for key in ("file-key-1", "file-key-2", "env-single-key"):
        assert s.post("/api/logs", json={"channel": ch, "message": key}, headers={"X-API-KEY": key}).status_code == 201
    for key in ("# comment line", "", "file-key-3", "file-key-1x", "file-key"):
        unauthorized(s.post("/api/logs", json={"channel": ch, "message": "x"}, headers={"X-API-KEY": key}))
    assert s.db("SELECT message FROM logs WHERE channel = ? ORDER BY id", (ch,)) == [
        ("file-key-1",), ("file-key-2",), ("env-single-key",)]
    assert "file-key-1" not in s.output() and "env-single-key" not in s.output()  # keys never logged


def test_env_api_keys_list(make_server):
    s = make_server(env={"LOGPILOT_API_KEYS": "envA,envB"})
    ch = channel_name()
    unauthorized(s.get(f"/api/logs/{ch}"))
    assert s.get(f"/api/logs/{ch}", headers={"Authorization": "Bearer envB"}).status_code == 200
    assert s.get(f"/api/logs/{ch}", headers={"X-API-KEY": "envA"}).status_code == 200


def test_flag_wins_over_env_keys(make_server):
    s = make_server("--api-keys", "flag-key", env={"LOGPILOT_API_KEYS": "env-key"})
    assert s.get("/api/channels", headers={"X-API-KEY": "flag-key"}).status_code == 200
    unauthorized(s.get("/api/channels", headers={"X-API-KEY": "env-key"}), "env-key")


def test_no_keys_means_open(server):
    assert server.get("/api/channels").status_code == 200
    assert server.get("/api/channels", headers={"X-API-KEY": "anything"}).status_code == 200
