"""Startup configuration: invalid settings fail fast naming the key; --help documents every option."""

import re

import pytest

from conftest import channel_name, free_port, run_binary

OPTIONS = {
    "--host": "LOGPILOT_HOST",
    "--http-port": "LOGPILOT_HTTP_PORT",
    "--management-port": "LOGPILOT_MANAGEMENT_PORT",
    "--protocol": "LOGPILOT_PROTOCOL",
    "--sqlite-path": "LOGPILOT_SQLITE_PATH",
    "--sqlite-synchronous": "LOGPILOT_SQLITE_SYNCHRONOUS",
    "--sqlite-readers": "LOGPILOT_SQLITE_POOL_SIZE",
    "--sqlite-busy-timeout-ms": "LOGPILOT_SQLITE_BUSY_TIMEOUT_MS",
    "--queue-max-records": "LOGPILOT_QUEUE_MAX_RECORDS",
    "--queue-max-bytes": "LOGPILOT_QUEUE_MAX_BYTES",
    "--commit-max-records": "LOGPILOT_COMMIT_MAX_RECORDS",
    "--retention-days": "LOGPILOT_RETENTION_DAYS",
    "--retention-max-bytes": "LOGPILOT_RETENTION_MAX_BYTES",
    "--retention-interval-seconds": "LOGPILOT_RETENTION_INTERVAL_SECONDS",
    "--max-body-bytes": "LOGPILOT_MAX_BODY_BYTES",
    "--max-batch-records": "LOGPILOT_MAX_BATCH_RECORDS",
    "--max-message-bytes": "LOGPILOT_MAX_MESSAGE_BYTES",
    "--max-meta-bytes": "LOGPILOT_MAX_META_BYTES",
    "--max-meta-keys": "LOGPILOT_MAX_META_KEYS",
    "--max-channel-bytes": "LOGPILOT_MAX_CHANNEL_BYTES",
    "--max-read-limit": "LOGPILOT_MAX_READ_LIMIT",
    "--api-keys": "LOGPILOT_API_KEYS",
    "--api-keys-file": "LOGPILOT_API_KEYS_FILE",
    "--log-level": "LOGPILOT_LOG_LEVEL",
    "--shutdown-timeout-seconds": "LOGPILOT_SHUTDOWN_TIMEOUT_SECONDS",
}


def help_blocks(text: str) -> dict:
    """{'--option': 'its help text'} from the OPTIONS section of --help."""
    section = text.split("OPTIONS:", 1)[1]
    blocks, current = {}, None
    for line in section.splitlines():
        m = re.match(r"^  (?:-\w, )?(--[a-z0-9-]+)", line)
        if m:
            current = m.group(1)
            blocks[current] = line
        elif current and line.strip():
            blocks[current] += " " + line.strip()
    return {k: re.sub(r"\s+", " ", v) for k, v in blocks.items()}


def test_help_lists_every_option_with_its_variable():
    result = run_binary(["--help"])
    assert result.returncode == 0, result.stderr
    text = result.stdout + result.stderr
    blocks = help_blocks(text)
    missing = set(OPTIONS) - set(blocks)
    assert not missing, f"options missing from --help: {sorted(missing)}"
    assert "--help" in blocks
    for option, variable in OPTIONS.items():
        assert re.search(rf"\benv {variable}\b", blocks[option]), (option, blocks[option])
    # every option other than --help (including ones added after this test was written) names its variable
    for option, block in blocks.items():
        if option != "--help":
            assert re.search(r"\benv LOGPILOT_[A-Z0-9_]+", block), block
    assert "LOGPILOT_API_KEY" in blocks["--api-keys"].replace("LOGPILOT_API_KEYS", "")


def test_short_help_flag():
    result = run_binary(["-h"])
    assert result.returncode == 0
    assert "--sqlite-path" in result.stdout + result.stderr


@pytest.mark.parametrize("args,env,key", [
    (["--http-port", "70000"], {}, "--http-port"),
    (["--management-port", "-1"], {}, "--management-port"),
    ([], {"LOGPILOT_HTTP_PORT": "abc"}, "LOGPILOT_HTTP_PORT"),
    ([], {"LOGPILOT_SQLITE_SYNCHRONOUS": "maybe"}, "LOGPILOT_SQLITE_SYNCHRONOUS"),
    (["--sqlite-synchronous", "SOMETIMES"], {}, "--sqlite-synchronous"),
    ([], {"LOGPILOT_STORAGE_TYPE": "file"}, "LOGPILOT_STORAGE_TYPE"),
    (["--queue-max-records", "10", "--max-batch-records", "100"], {}, "--queue-max-records"),
    ([], {"LOGPILOT_QUEUE_MAX_RECORDS": "500"}, "LOGPILOT_QUEUE_MAX_RECORDS"),  # below the default batch of 10 000
    (["--protocol", "carrier-pigeon"], {}, "--protocol"),
    (["--max-read-limit", "0"], {}, "--max-read-limit"),
    ([], {"LOGPILOT_MAX_BODY_BYTES": "10"}, "LOGPILOT_MAX_BODY_BYTES"),
    ([], {"LOGPILOT_LOG_LEVEL": "loud"}, "LOGPILOT_LOG_LEVEL"),
    (["--sqlite-readers", "0"], {}, "--sqlite-readers"),
    (["--retention-days", "-1"], {}, "--retention-days"),
    (["--shutdown-timeout-seconds", "0"], {}, "--shutdown-timeout-seconds"),
    (["--no-such-flag", "1"], {}, "--no-such-flag"),
])
def test_invalid_configuration_fails_at_startup(tmp_path, args, env, key):
    db = tmp_path / "never.db"
    # valid ports unless the case is about them (a flag would win over the variable under test)
    base = {"--host": "127.0.0.1", "--http-port": str(free_port()), "--management-port": str(free_port()),
            "--sqlite-path": str(db)}
    base = {k: v for k, v in base.items() if k not in args and "LOGPILOT_" + k[2:].upper().replace("-", "_") not in env}
    flags = [x for kv in base.items() for x in kv]
    result = run_binary(flags + args, env=env, timeout=15)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert key in output, output
    assert not db.exists(), "a configuration error must be caught before the database is created"


def test_unusable_database_path_fails_at_startup(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    path = blocker / "logpilot.db"
    result = run_binary(["--host", "127.0.0.1", "--http-port", str(free_port()), "--management-port",
                         str(free_port()), "--sqlite-path", str(path)], timeout=15)
    assert result.returncode != 0
    assert str(path) in result.stdout + result.stderr


def test_occupied_port_fails_at_startup(tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_binary(["--host", "127.0.0.1", "--http-port", str(port), "--management-port", str(free_port()),
                             "--sqlite-path", str(tmp_path / "x.db")], timeout=20)
    assert result.returncode != 0, result.stdout + result.stderr


def test_environment_configures_the_server(make_server, tmp_path):
    """Settings from LOGPILOT_* variables take effect (here: smaller limits)."""
    s = make_server(env={"LOGPILOT_MAX_MESSAGE_BYTES": "10", "LOGPILOT_MAX_BATCH_RECORDS": "3",
                         "LOGPILOT_MAX_READ_LIMIT": "5", "LOGPILOT_MAX_CHANNEL_BYTES": "20"})
    ch = "c-" + channel_name()[:15]
    assert s.post("/api/logs", json={"channel": ch, "message": "0123456789"}).status_code == 201
    r = s.post("/api/logs", json={"channel": ch, "message": "01234567890"})
    assert r.status_code == 400 and r.json()["field"] == "message"
    r = s.post("/api/logs/batch", json=[{"channel": ch, "message": "m"}] * 4)
    assert r.status_code == 413 and r.json()["errorCode"] == "PAYLOAD_TOO_LARGE"
    assert s.get(f"/api/logs/{ch}", params={"limit": 6}).status_code == 400
    assert s.get(f"/api/logs/{ch}", params={"limit": 5}).status_code == 200
    assert s.post("/api/logs", json={"channel": "x" * 21, "message": "m"}).status_code == 400


def test_flag_wins_over_environment(make_server):
    s = make_server("--max-message-bytes", "100", env={"LOGPILOT_MAX_MESSAGE_BYTES": "10",
                                                         "LOGPILOT_HTTP_PORT": "1"})
    # LOGPILOT_HTTP_PORT=1 is overridden by the fixture's --http-port: the server is reachable
    assert s.post("/api/logs", json={"channel": channel_name(), "message": "x" * 100}).status_code == 201
    assert s.post("/api/logs", json={"channel": channel_name(), "message": "x" * 101}).status_code == 400
