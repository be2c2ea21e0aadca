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

import block_store
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

    def __init__(self, workdir: Path, args=(), env=None, db_path: Path | None = None, binary: Path | None = None):
        self.workdir = Path(workdir)
        # The executable (logpilot-all unless a test runs logpilot-rest / logpilot-grpc).
        self.binary = Path(binary) if binary else BIN
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = Path(db_path) if db_path else self.workdir / "logpilot.db"
        self.log_path = self.workdir / "server.log"
        self.extra_args = list(args)
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen | None = None
        self.http_port = 0
        self.management_port = 0
        # A fresh free port per start, passed as --grpc-port when the binary knows the flag: a gRPC build never
        # falls back to the fixed default 50051, which two servers of the suite would fight over.
        self.grpc_port = 0
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
        grpc = []
        if "--grpc-port" not in args and binary_supports(self.binary, "--grpc-port"):
            grpc = ["--grpc-port", str(self.grpc_port)]
        return [
            str(self.binary),
            "--host", "127.0.0.1",
            "--http-port", str(self.http_port),
            "--management-port", str(self.management_port),
            *grpc,
            "--sqlite-path", str(self.db_path),
            *args,
        ]

    def start(self, timeout: float = READY_TIMEOUT) -> "Server":
        if not self.binary.exists():
            pytest.fail(f"LogPilot binary not found at {self.binary} (set LOGPILOT_BIN)")
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
        self.grpc_port = free_port()
        while self.grpc_port in (self.http_port, self.management_port):
            self.grpc_port = free_port()
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
    """Runs one read-only query on the database file (a fresh connection each time, so no lock is held). `logs` is
    the stored records, decoded from the blocks by the tests' own reader (block_store.py), not by the server."""
    return block_store.query(path, sql, params)


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
SHARED_SERVER_FIXTURES = ("server", "keyed", "grpc_server")


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

    def factory(*args, env=None, start=True, name=None, binary=None) -> Server:
        s = Server(tmp_path / (name or f"server{len(made)}"), args=args, env=env, binary=binary)
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


# -- gRPC (test_grpc_*.py) ----------------------------------------------------------------------------------------
#
# grpc, grpc_tools, grpc_health and grpc_reflection are imported lazily, inside these helpers and fixtures, so the
# REST tests still run where only pytest and requests are installed. The LogService stubs are generated at test
# time from proto/logpilot.proto into a temporary directory (never committed).

GRPC_CONNECT_TIMEOUT = 10.0
# Loopback only: never let an http_proxy variable of the developer's shell route the suite's gRPC traffic.
GRPC_CHANNEL_OPTIONS = (
    ("grpc.enable_http_proxy", 0),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", -1),
    ("grpc.enable_retries", 0),
    # every GrpcClient is its own HTTP/2 connection (grpc shares connections between channels by default)
    ("grpc.use_local_subchannel_pool", 1),
)

_HELP_TEXT: dict[tuple[str, float], str] = {}


def binary_help(binary) -> str:
    """`binary --help` (stdout + stderr), cached per file version."""
    path = Path(binary)
    try:
        key = (str(path), path.stat().st_mtime)
    except FileNotFoundError:
        return ""
    if key not in _HELP_TEXT:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
        out = subprocess.run([str(path), "--help"], capture_output=True, text=True, env=env, timeout=30,
                             stdin=subprocess.DEVNULL)
        _HELP_TEXT[key] = out.stdout + out.stderr
    return _HELP_TEXT[key]


def binary_supports(binary, flag: str) -> bool:
    """Whether the executable's --help lists this flag (a REST-only build has no --grpc-port)."""
    return flag in binary_help(binary)


def env_binary(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) if value else None


def require_grpc_build(binary=None) -> None:
    """Skips a gRPC test when the binary predates the gRPC front (its --help has no --grpc-port)."""
    binary = Path(binary) if binary else BIN
    if not binary.exists():
        pytest.fail(f"LogPilot binary not found at {binary} (set LOGPILOT_BIN)")
    if not binary_supports(binary, "--grpc-port"):
        pytest.skip(f"{binary} has no --grpc-port: not a gRPC build")


def grpc_target(server: Server) -> str:
    return f"127.0.0.1:{server.grpc_port}"


def port_accepts(port: int, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


class GrpcClient:
    """One HTTP/2 connection (grpc channel) to a server, with the LogService, Health and reflection stubs.

    `metadata` is sent with every call made through `call()`; the stubs themselves are plain (tests that need
    other metadata pass it explicitly).
    """

    def __init__(self, server: Server, lp, *, api_key: str | None = None, compression=None, options=(),
                 wait_ready: bool = True):
        import grpc
        from grpc_health.v1 import health_pb2_grpc

        self.server = server
        self.lp = lp
        self.channel = grpc.insecure_channel(grpc_target(server), options=list(GRPC_CHANNEL_OPTIONS) + list(options),
                                             compression=compression)
        if wait_ready:
            try:
                grpc.channel_ready_future(self.channel).result(timeout=GRPC_CONNECT_TIMEOUT)
            except grpc.FutureTimeoutError:
                self.channel.close()
                pytest.fail(f"no gRPC connection to {grpc_target(server)} within {GRPC_CONNECT_TIMEOUT}s")
        self.stub = lp.rpc.LogServiceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)
        self.metadata = (("x-api-key", api_key),) if api_key else None

    def close(self) -> None:
        self.channel.close()


@pytest.fixture(scope="session")
def lp(tmp_path_factory):
    """The LogService protobuf modules, generated now from proto/logpilot.proto: `lp.pb` (messages), `lp.rpc`
    (stubs)."""
    import importlib
    import importlib.resources
    import sys
    import types

    from grpc_tools import protoc

    out = tmp_path_factory.mktemp("grpc-stubs")
    proto_dir = REPO / "proto"
    well_known = importlib.resources.files("grpc_tools") / "_proto"
    rc = protoc.main(["grpc_tools.protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out}",
                      f"--grpc_python_out={out}", str(proto_dir / "logpilot.proto")])
    assert rc == 0, "grpc_tools.protoc failed on proto/logpilot.proto"
    sys.path.insert(0, str(out))
    try:
        pb = importlib.import_module("logpilot_pb2")
        rpc = importlib.import_module("logpilot_pb2_grpc")
    finally:
        sys.path.remove(str(out))
    return types.SimpleNamespace(pb=pb, rpc=rpc)


@pytest.fixture(scope="session")
def grpc_server(tmp_path_factory):
    """One gRPC-serving logpilot-all for the read-mostly gRPC tests (unique channel names isolate them)."""
    require_grpc_build()
    s = Server(tmp_path_factory.mktemp("shared-grpc-server"))
    s.start()
    yield s
    if s.running:
        try:
            s.stop()
        finally:
            s.kill()
        assert db_query(s.db_path, "PRAGMA integrity_check") == [("ok",)]


@pytest.fixture(scope="session")
def grpc_shared(grpc_server, lp):
    """A GrpcClient on the shared gRPC server, for the whole session."""
    client = GrpcClient(grpc_server, lp)
    yield client
    client.close()


@pytest.fixture
def grpc_connect(lp):
    """Factory: grpc_connect(server, api_key=..., compression=...) → GrpcClient, closed after the test."""
    made: list[GrpcClient] = []

    def factory(server: Server, **kw) -> GrpcClient:
        client = GrpcClient(server, lp, **kw)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture
def make_grpc_server(make_server):
    """make_server for gRPC tests: skips when the binary is not a gRPC build."""

    def factory(*args, binary=None, **kw) -> Server:
        require_grpc_build(binary)
        return make_server(*args, binary=binary, **kw)

    return factory


def rpc_error(fn, *args, **kw):
    """Calls fn, which must fail with grpc.RpcError; returns the error."""
    import grpc

    try:
        result = fn(*args, **kw)
    except grpc.RpcError as error:
        return error
    pytest.fail(f"expected the call to fail, it returned {result!r}")


def assert_rpc_error(error, code, *, contains: str | None = None):
    """The error has this status code (grpc.StatusCode) and its details name `contains`."""
    assert error.code() == code, f"expected {code}, got {error.code()}: {error.details()!r}"
    if contains is not None:
        assert contains in (error.details() or ""), f"details {error.details()!r} do not name {contains!r}"
    return error
