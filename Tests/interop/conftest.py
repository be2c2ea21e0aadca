"""Fixtures for the LogPilot interop suite: run the real binary on loopback and talk to it over HTTP.

The binary comes from $LOGPILOT_BIN, else .build/release/logpilot-all when it exists, else .build/debug/logpilot-all.
Every server gets two fresh loopback ports and its own temporary directory holding the SQLite file and a log of
the server's stdout/stderr (printed when a test fails).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]

# Servers get `--retention-days 0` unless a test passes its own: the suite writes records with timestamps in the
# past, and the default 7-day retention would delete them behind the tests' backs.
DEFAULT_ARGS = ("--retention-days", "0")

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
HTTP_TIMEOUT = (5, 60)  # (connect, read) seconds for every request the suite makes

LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}


def binary_path() -> Path:
    explicit = os.environ.get("LOGPILOT_BIN")
    if explicit:
        return Path(explicit)
    release = REPO / ".build" / "release" / "logpilot-all"
    if release.exists():
        return release
    return REPO / ".build" / "debug" / "logpilot-all"


BIN = binary_path()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def channel_name(prefix: str = "ch") -> str:
    """A channel name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# Every process the suite started and has not reaped: killed at session end whatever happened.
_LIVE: set[subprocess.Popen] = set()
_LIVE_LOCK = threading.Lock()
# Servers touched by the running test, for printing their output when it fails.
_CURRENT_SERVERS: list["Server"] = []


class ServerStartError(Exception):
    pass


class Server:
    """One logpilot-all process (restartable over the same database)."""

    def __init__(self, workdir: Path, args=(), env=None, db_path: Path | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = Path(db_path) if db_path else self.workdir / "logpilot.db"
        self.log_path = self.workdir / "server.log"
        self.extra_args = list(args)
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.http_port = 0
        self.management_port = 0
        self.starts = 0

    # -- URLs ---------------------------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def mgmt(self) -> str:
        return f"http://127.0.0.1:{self.management_port}"

    def url(self, path: str) -> str:
        return self.base + path

    def murl(self, path: str) -> str:
        return self.mgmt + path

    # -- process control ----------------------------------------------------------------------------------------

    def command(self) -> list[str]:
        args = list(self.extra_args)
        for i in range(0, len(DEFAULT_ARGS), 2):
            if DEFAULT_ARGS[i] not in args:
                args += [DEFAULT_ARGS[i], DEFAULT_ARGS[i + 1]]
        return [
            str(BIN),
            "--host", "127.0.0.1",
            "--http-port", str(self.http_port),
            "--management-port", str(self.management_port),
            "--sqlite-path", str(self.db_path),
            *args,
        ]

    def start(self, timeout: float = READY_TIMEOUT) -> "Server":
        if not BIN.exists():
            pytest.fail(f"LogPilot binary not found at {BIN} (set LOGPILOT_BIN)")
        last_error = None
        for _attempt in range(3):  # a fresh port can be taken between probing and binding: retry then
            self.http_port, self.management_port = free_port(), free_port()
            if self.http_port == self.management_port:
                continue
            try:
                self._spawn_and_wait(timeout)
                return self
            except ServerStartError as error:
                last_error = error
                if "address already in use" not in self.output().lower():
                    break
        pytest.fail(f"{last_error}\n--- server output ({self.log_path}) ---\n{self.output_tail()}")

    def _spawn_and_wait(self, timeout: float) -> None:
        env = dict(os.environ)
        for key in list(env):
            if key.startswith("LOGPILOT_") and key != "LOGPILOT_BIN":
                del env[key]  # the developer's shell must not change what a test means
        env.update(self.extra_env)
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start #{self.starts}: {' '.join(self.command())}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                                         stdin=subprocess.DEVNULL)
        with _LIVE_LOCK:
            _LIVE.add(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                self._reaped()
                raise ServerStartError(f"logpilot-all exited with {code} before becoming ready")
            try:
                r = requests.get(self.murl("/health/ready"), timeout=1)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.kill()
        raise ServerStartError(f"logpilot-all was not ready within {timeout}s")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None and self.proc.poll() is None, "server is not running"
        self.proc.send_signal(sig)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"logpilot-all did not exit within {timeout}s of SIGTERM\n{self.output_tail()}")
        self._reaped()
        return code

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, wait, and require a clean exit (0)."""
        self.signal(signal.SIGTERM)
        code = self.wait(timeout)
        assert code == 0, f"logpilot-all exited with {code} after SIGTERM\n{self.output_tail()}"
        return code

    def restart(self) -> "Server":
        """Graceful stop and a new process over the same database (on fresh ports)."""
        self.stop()
        return self.start()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self._reaped()

    def _reaped(self) -> None:
        if self.proc is not None:
            with _LIVE_LOCK:
                _LIVE.discard(self.proc)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def output_tail(self, lines: int = 80) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    # -- HTTP helpers (every call bounded in time) --------------------------------------------------------------

    def get(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return requests.get(self.url(path), **kw)

    def post(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return requests.post(self.url(path), **kw)

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return requests.request(method, self.url(path), **kw)

    def mget(self, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return requests.get(self.murl(path), **kw)

    def post_one(self, record: dict, **kw) -> dict:
        r = self.post("/api/logs", json=record, **kw)
        assert r.status_code == 201, r.text
        return r.json()

    def post_batch(self, records: list, **kw) -> dict:
        r = self.post("/api/logs/batch", json=records, **kw)
        assert r.status_code == 201, r.text
        return r.json()

    def read(self, channel: str, **params) -> list:
        r = self.get(f"/api/logs/{channel}", params=params)
        assert r.status_code == 200, r.text
        return r.json()

    # -- database -----------------------------------------------------------------------------------------------

    def db(self, sql: str, params=()) -> list[tuple]:
        return db_query(self.db_path, sql, params)


def db_query(path, sql: str, params=()) -> list[tuple]:
    """Runs one read-only query on the database file (a fresh connection each time, so no lock is held)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# -- assertions ---------------------------------------------------------------------------------------------------

ISO_Z = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6})?Z$"


def assert_error(r: requests.Response, status: int, code: str, field: str | None = None, *, field_prefix=None):
    """The response is the JSON error document with this status and errorCode (and field, when given)."""
    import re

    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text[:500]}"
    ctype = r.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip().lower() == "application/json", ctype
    body = r.json()
    assert isinstance(body, dict), body
    assert set(body) <= {"errorCode", "message", "timestamp", "field"}, body
    assert body.get("errorCode") == code, body
    assert isinstance(body.get("message"), str) and body["message"], body
    assert isinstance(body.get("timestamp"), str) and re.match(ISO_Z, body["timestamp"]), body
    if field is not None:
        assert body.get("field") == field, body
    if field_prefix is not None:
        assert isinstance(body.get("field"), str) and body["field"].startswith(field_prefix), body
    if "field" in body:
        assert isinstance(body["field"], str), body
    return body


def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True)


# -- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server for the read-mostly tests; tests isolate themselves with unique channel names."""
    s = Server(tmp_path_factory.mktemp("shared-server"))
    s.start()
    yield s
    if s.running:
        try:
            s.stop()  # after the whole suite's traffic: still a clean exit 0 ...
        finally:
            s.kill()
        # ... and a sound database file
        assert db_query(s.db_path, "PRAGMA integrity_check") == [("ok",)]


# Fixtures (session/module scoped) that yield a Server, for failure output.
SHARED_SERVER_FIXTURES = ("server", "keyed")


@pytest.fixture(autouse=True)
def _track_shared(request):
    """Lets the failure report show the shared server's output when a test using it fails."""
    _CURRENT_SERVERS.clear()
    for name in SHARED_SERVER_FIXTURES:
        if name in request.fixturenames:
            _CURRENT_SERVERS.append(request.getfixturevalue(name))
    yield
    _CURRENT_SERVERS.clear()


@pytest.fixture
def make_server(tmp_path):
    """Factory for a dedicated server with its own flags/env: make_server("--api-keys", "k", env={...})."""
    made: list[Server] = []

    def factory(*args, env=None, start=True, name=None) -> Server:
        s = Server(tmp_path / (name or f"server{len(made)}"), args=args, env=env)
        made.append(s)
        _CURRENT_SERVERS.append(s)
        if start:
            s.start()
        return s

    yield factory
    for s in made:
        s.kill()


def run_binary(args, env=None, timeout=15) -> subprocess.CompletedProcess:
    """Runs logpilot-all to completion (config errors, --help)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
    full_env.update(env or {})
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=full_env, timeout=timeout,
                          stdin=subprocess.DEVNULL)


# -- time bound per test and failure output -----------------------------------------------------------------------


def pytest_configure(config):
    config.addinivalue_line("markers", "time_limit(seconds): per-test wall-clock bound (default 60 s)")


class TimeLimitExceeded(Exception):
    pass


@pytest.fixture(autouse=True)
def _time_limit(request):
    marker = request.node.get_closest_marker("time_limit")
    seconds = int(marker.args[0]) if marker else 60

    def on_alarm(_signum, _frame):
        raise TimeLimitExceeded(f"test exceeded its {seconds}s time limit")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and not hasattr(report, "wasxfail"):
        for s in list(_CURRENT_SERVERS):
            report.sections.append((f"logpilot-all output ({s.log_path})", s.output_tail(60)))


def pytest_sessionfinish(session, exitstatus):
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for p in procs:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
