"""Load drivers, a ledger of every write attempt, samplers and the loss check used by test_reliability.py.

Every record a driver sends has the message `<key>-<i>`: `key` names one request (`r0.17` = REST client r0, its
18th batch) or one stream (`s0`), `i` its position in it. The ledger keeps what each attempt came back with, so that
`verify()` can hold the database against it record by record:

- acknowledged (201 / gRPC OK): every record at exactly the ids the client was given;
- refused by the server (an HTTP error status, a gRPC status the server sent): nothing stored;
- not sent (connection refused): nothing stored;
- unknown (the connection broke mid-request, a timeout): all of the batch or none of it;
- a stream: a prefix of it in stream order, at least `records_committed` of the last ack, at `last_id`.

Drivers are threads (bounded by a deadline and a stop event); REST uses http.client over one keep-alive connection
per client (cheaper than requests, so a few Python threads can offer several times the server's capacity), gRPC
one channel (one HTTP/2 connection) per client.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import block_store

from conftest import GRPC_CHANNEL_OPTIONS

# Outcomes of one attempt.
ACKED = "acked"
REFUSED = "refused"      # the server answered with an error: nothing may be stored
NOT_SENT = "not_sent"    # the connection was refused: nothing may be stored
UNKNOWN = "unknown"      # the connection broke mid-request: all or nothing may be stored
STREAM = "stream"

# Details of gRPC statuses that LogPilot itself sends (as opposed to grpcio's transport errors: "Socket closed",
# "failed to connect to all addresses", "GOAWAY received", ...). A status with one of these is a definite refusal.
SERVER_STATUS_MARKERS = ("shutting down", "write queue", "storage", "retry later", "too many", "not ready")


def report(test: str, figures: dict) -> None:
    """One machine-readable line per test (copied into docs/reliability.md)."""
    # own line: pytest -q prints the test's progress dot right before it
    print("\nRELIABILITY " + json.dumps({"test": test, **figures}, separators=(", ", ": ")), flush=True)


def percentile(values, p: float):
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[k]


def ms(seconds) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# -- the ledger ---------------------------------------------------------------------------------------------------


@dataclass
class Attempt:
    key: str
    records: int
    protocol: str            # rest | grpc | stream
    outcome: str
    status: object = None    # HTTP status, grpc.StatusCode name, or the exception's class name
    first_id: int | None = None
    last_id: int | None = None
    detail: str = ""
    retry_hint: str | None = None   # Retry-After / retry-after-seconds as sent
    headers: dict = field(default_factory=dict)
    sent_at: float = 0.0
    latency: float = 0.0
    # streams only
    committed: int = 0
    sent: int = 0


class Ledger:
    def __init__(self):
        self._lock = threading.Lock()
        self.attempts: list[Attempt] = []

    def add(self, attempt: Attempt) -> None:
        with self._lock:
            self.attempts.append(attempt)

    def snapshot(self) -> list[Attempt]:
        with self._lock:
            return list(self.attempts)

    def acked_records(self) -> int:
        total = 0
        for a in self.snapshot():
            if a.outcome == ACKED:
                total += a.records
            elif a.outcome == STREAM:
                total += a.committed
        return total

    def count(self, outcome: str, protocol: str | None = None) -> int:
        return sum(1 for a in self.snapshot() if a.outcome == outcome and (protocol is None or a.protocol == protocol))

    def statuses(self, protocol: str) -> dict:
        out: dict = {}
        for a in self.snapshot():
            if a.protocol == protocol:
                out[str(a.status)] = out.get(str(a.status), 0) + 1
        return out

    def max_acked_id(self) -> int:
        ids = [a.last_id for a in self.snapshot() if a.outcome in (ACKED, STREAM) and a.last_id]
        return max(ids, default=0)


# -- drivers ------------------------------------------------------------------------------------------------------


# Keys have a fixed width, so that a request body can be made once per client as a template and each batch is one
# bytes.replace() away (protobuf length prefixes stay valid): cheap enough for a few Python threads to offer several
# times what the server commits.
KEY_WIDTH = 24
PLACEHOLDER = b"#" * KEY_WIDTH


def make_key(name: str, n: int) -> str:
    key = f"{name}.{n}"
    assert len(key) <= KEY_WIDTH and "#" not in key, key
    return key.ljust(KEY_WIDTH, "_")


def rest_body(channel: str, key: str, n: int, pad: str = "") -> bytes:
    # ASCII-only channel/key/pad: nothing to escape.
    return ("[" + ",".join(f'{{"channel":"{channel}","message":"{key}-{i}{pad}"}}' for i in range(n)) + "]").encode()


def rest_template(channel: str, n: int, pad: str = "") -> bytes:
    return rest_body(channel, PLACEHOLDER.decode(), n, pad)


def grpc_template(lp, channel: str, n: int, pad: str = "") -> bytes:
    pb = lp.pb
    key = PLACEHOLDER.decode()
    return pb.SendLogsRequest(log_requests=[pb.LogRequest(channel=channel, message=f"{key}-{i}{pad}")
                                            for i in range(n)]).SerializeToString()


def fill_template(template: bytes, key: str) -> bytes:
    return template.replace(PLACEHOLDER, key.encode())


# A pad "random:N" gives every record its own N hex characters of noise ("<key>-<i>-<hex>"), built per request: the
# block store compresses repeated text to almost nothing, so only noise fills a disk the way real logs do.
RANDOM_PAD = "random:"


def random_pad_length(pad: str) -> int:
    return int(pad[len(RANDOM_PAD):]) if pad.startswith(RANDOM_PAD) else 0


def noise(n: int, records: int) -> list[str]:
    blob = os.urandom((n * records + 1) // 2).hex()
    return ["-" + blob[i * n:(i + 1) * n - 1] for i in range(records)]


def message_matches(message: str | None, key: str, index: int, pad: str) -> bool:
    if message is None:
        return False
    n = random_pad_length(pad)
    if n:
        return message.startswith(f"{key}-{index}-") and len(message) == len(f"{key}-{index}") + n
    return message == f"{key}-{index}{pad}"


class Driver(threading.Thread):
    """A write client: sends batches until `stop` is set or its deadline passes.

    `rate`: records per second this client offers (open loop: it keeps its schedule whatever the answers, as an
    impatient client that ignores Retry-After would); None = closed loop (next request as soon as the previous one is
    answered). `stop_on_failure`: end at the first connection failure (the server is going away)."""

    def __init__(self, name: str, ledger: Ledger, channel: str, *, batch: int, stop: threading.Event,
                 duration: float, rate: float | None = None, pad: str = "", stop_on_failure: bool = False):
        super().__init__(name=name, daemon=True)
        self.key_prefix = name
        self.ledger = ledger
        self.channel = channel
        self.batch = batch
        self.stop = stop
        self.deadline = time.monotonic() + duration
        self.rate = rate
        self.pad = pad
        self.stop_on_failure = stop_on_failure
        self.sent_batches = 0
        self.error: BaseException | None = None

    def run(self):
        try:
            self.setup()
            interval = self.batch / self.rate if self.rate else 0.0
            next_at = time.monotonic()
            n = 0
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                if interval:
                    now = time.monotonic()
                    if next_at > now:
                        if self.stop.wait(next_at - now):
                            break
                    # never build up a backlog of more than one second behind the schedule
                    next_at = max(next_at + interval, time.monotonic() - 1.0)
                key = make_key(self.key_prefix, n)
                n += 1
                attempt = self.send(key)
                self.ledger.add(attempt)
                self.sent_batches += 1
                if attempt.outcome in (NOT_SENT, UNKNOWN):
                    if self.stop_on_failure:
                        break
                    self.stop.wait(0.02)
        except BaseException as error:  # reported by the test (a driver must not die silently)
            self.error = error
        finally:
            self.teardown()

    def setup(self):
        pass

    def teardown(self):
        pass

    def send(self, key: str) -> Attempt:
        raise NotImplementedError


class RestDriver(Driver):
    """POST /api/logs/batch over one keep-alive connection (reconnects after a failure)."""

    def __init__(self, name, ledger, channel, *, port: int, timeout: float = 30.0, **kw):
        super().__init__(name, ledger, channel, **kw)
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.template = rest_template(channel, self.batch, self.pad)

    def teardown(self):
        if self.conn is not None:
            self.conn.close()

    def send(self, key):
        n = random_pad_length(self.pad)
        if n:
            pads = noise(n, self.batch)
            body = ("[" + ",".join(f'{{"channel":"{self.channel}","message":"{key}-{i}{pads[i]}"}}'
                                   for i in range(self.batch)) + "]").encode()
        else:
            body = fill_template(self.template, key)
        started = time.monotonic()
        attempt = Attempt(key=key, records=self.batch, protocol="rest", outcome=UNKNOWN, sent_at=started)
        if self.conn is None or self.conn.sock is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.connect()
            except OSError as error:
                self.conn.close()
                self.conn = None
                attempt.outcome, attempt.status, attempt.detail = NOT_SENT, type(error).__name__, str(error)
                attempt.latency = time.monotonic() - started
                return attempt
        try:
            self.conn.request("POST", "/api/logs/batch", body, {"Content-Type": "application/json"})
            response = self.conn.getresponse()
            text = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            self.conn = None
            attempt.status, attempt.detail = type(error).__name__, str(error)
            attempt.latency = time.monotonic() - started
            return attempt
        attempt.latency = time.monotonic() - started
        attempt.status = response.status
        attempt.headers = {k.lower(): v for k, v in response.getheaders()}
        if response.will_close:
            self.conn.close()
            self.conn = None
        if response.status == 201:
            doc = json.loads(text)
            attempt.outcome, attempt.first_id, attempt.last_id = ACKED, doc.get("firstId"), doc.get("lastId")
            attempt.detail = text.decode(errors="replace")
        else:
            attempt.outcome = REFUSED
            attempt.detail = text.decode(errors="replace")[:500]
            attempt.retry_hint = attempt.headers.get("retry-after")
        return attempt


def grpc_channel(port: int):
    import grpc

    return grpc.insecure_channel(f"127.0.0.1:{port}", options=list(GRPC_CHANNEL_OPTIONS))


def classify_rpc_error(error) -> tuple[str, str, str, str | None]:
    """(outcome, status name, details, retry hint) of a failed call."""
    import grpc

    code = error.code()
    details = error.details() or ""
    trailers = dict(error.trailing_metadata() or ())
    hint = trailers.get("retry-after-seconds")
    lowered = details.lower()
    if code == grpc.StatusCode.UNAVAILABLE and ("failed to connect" in lowered or "connection refused" in lowered):
        outcome = NOT_SENT
    elif any(marker in lowered for marker in SERVER_STATUS_MARKERS) or code in (
            grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INVALID_ARGUMENT):
        outcome = REFUSED
    else:
        outcome = UNKNOWN
    return outcome, code.name, details, hint


class GrpcDriver(Driver):
    """Unary SendLogs over its own HTTP/2 connection."""

    def __init__(self, name, ledger, channel, *, port: int, lp, timeout: float = 30.0, **kw):
        super().__init__(name, ledger, channel, **kw)
        self.port = port
        self.lp = lp
        self.timeout = timeout
        self.grpc_channel = None

    def setup(self):
        self.grpc_channel = grpc_channel(self.port)
        # SendLogs with the request already serialized (from the template)
        self.send_logs = self.grpc_channel.unary_unary(
            "/logpilot.LogService/SendLogs", request_serializer=None,
            response_deserializer=self.lp.pb.SendLogsResponse.FromString)
        self.template = grpc_template(self.lp, self.channel, self.batch, self.pad)

    def teardown(self):
        if self.grpc_channel is not None:
            self.grpc_channel.close()

    def send(self, key):
        import grpc

        n = random_pad_length(self.pad)
        if n:
            pads = noise(n, self.batch)
            pb = self.lp.pb
            request = pb.SendLogsRequest(log_requests=[pb.LogRequest(channel=self.channel, message=f"{key}-{i}{pads[i]}")
                                                       for i in range(self.batch)]).SerializeToString()
        else:
            request = fill_template(self.template, key)
        started = time.monotonic()
        attempt = Attempt(key=key, records=self.batch, protocol="grpc", outcome=UNKNOWN, sent_at=started)
        try:
            response = self.send_logs(request, timeout=self.timeout)
        except grpc.RpcError as error:
            attempt.latency = time.monotonic() - started
            attempt.outcome, attempt.status, attempt.detail, attempt.retry_hint = classify_rpc_error(error)
            return attempt
        attempt.latency = time.monotonic() - started
        attempt.status = "OK"
        attempt.outcome = ACKED
        attempt.first_id, attempt.last_id = response.first_id, response.last_id
        attempt.detail = f"accepted={response.accepted}"
        if response.accepted != self.batch:
            attempt.detail += " (accepted differs from the batch size)"
        return attempt


class StreamDriver(threading.Thread):
    """One StreamLogs call: sends `<name>-<i>` (at most `rate` messages/s) until stop/deadline, then half-closes and
    reads the final ack. The ledger gets one STREAM attempt: messages sent, records_committed and last_id of the last
    ack, and how the call ended."""

    def __init__(self, name, ledger, channel, *, port: int, lp, stop: threading.Event, duration: float,
                 rate: float = 20_000):
        super().__init__(name=name, daemon=True)
        self.ledger, self.channel, self.port, self.lp = ledger, channel, port, lp
        self.stop, self.duration, self.rate = stop, duration, rate
        self.sent = 0
        self.acks = 0
        self.committed = 0   # records_committed of the latest ack, while the call runs
        self.error: BaseException | None = None

    def requests(self):
        deadline = time.monotonic() + self.duration
        started = time.monotonic()
        i = 0
        while not self.stop.is_set() and time.monotonic() < deadline:
            ahead = i / self.rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(min(ahead, 0.05))
                continue
            self.sent = i + 1  # counted before the yield: grpc may send it before resuming the generator
            yield self.lp.pb.LogRequest(channel=self.channel, message=f"{self.name}-{i}")
            i += 1

    def run(self):
        import grpc

        attempt = Attempt(key=self.name, records=0, protocol="stream", outcome=STREAM, sent_at=time.monotonic())
        channel = grpc_channel(self.port)
        try:
            stub = self.lp.rpc.LogServiceStub(channel)
            call = stub.StreamLogs(self.requests(), timeout=self.duration + 30)
            try:
                for ack in call:
                    self.acks += 1
                    if ack.records_committed < attempt.committed or (attempt.last_id and ack.last_id < attempt.last_id):
                        attempt.detail += f" ack went backwards: {ack.records_committed}/{ack.last_id};"
                    attempt.committed, attempt.last_id = ack.records_committed, ack.last_id
                    self.committed = ack.records_committed
                attempt.status = "OK"
            except grpc.RpcError as error:
                _, attempt.status, details, _ = classify_rpc_error(error)
                attempt.detail += details
        except BaseException as error:
            self.error = error
        finally:
            attempt.sent = attempt.records = self.sent
            attempt.latency = time.monotonic() - attempt.sent_at
            self.ledger.add(attempt)
            channel.close()


def join_all(threads, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in threads if t.is_alive()]
    assert not alive, f"client threads did not stop within {timeout}s: {alive}"
    errors = [(t.name, t.error) for t in threads if getattr(t, "error", None) is not None]
    assert not errors, f"client threads failed: {errors}"


# -- verification -------------------------------------------------------------------------------------------------


def channel_rows(db_path, channel: str) -> dict[int, str]:
    return dict(block_store.query(db_path, "SELECT id, message FROM logs WHERE channel = ?", (channel,)))


def split_message(message: str, pad: str = "") -> tuple[str, int]:
    if random_pad_length(pad):
        message = message.rpartition("-")[0]
    elif pad and message.endswith(pad):
        message = message[: -len(pad)]
    key, _, index = message.rpartition("-")
    return key, int(index)


def verify(rows: dict[int, str], attempts: list[Attempt], pad: str = "") -> tuple[dict, list[str]]:
    """Holds the stored rows of one channel against the attempts. Returns (figures, problems)."""
    problems: list[str] = []
    by_key: dict[str, dict[int, int]] = {}   # key -> {index: id}
    duplicates = 0
    for row_id, message in rows.items():
        try:
            key, index = split_message(message, pad)
        except ValueError:
            problems.append(f"row {row_id} has a message no client sent: {message[:80]!r}")
            continue
        slots = by_key.setdefault(key, {})
        if index in slots:
            duplicates += 1
            if duplicates <= 5:
                problems.append(f"message {key}-{index} stored twice (ids {slots[index]} and {row_id})")
        slots[index] = row_id

    known = {a.key for a in attempts}
    phantom = [k for k in by_key if k not in known]
    if phantom:
        problems.append(f"rows of {len(phantom)} requests no client made, e.g. {phantom[:3]}")

    acked = found = lost = stored_unacked = refused_stored = partial = unknown = 0
    for a in attempts:
        stored = by_key.get(a.key, {})
        if a.outcome == ACKED:
            acked += a.records
            ok = 0
            if a.first_id is None or a.last_id is None or a.last_id - a.first_id + 1 != a.records:
                problems.append(f"{a.protocol} {a.key}: acknowledged {a.records} records with ids "
                                f"{a.first_id}..{a.last_id}")
            else:
                for i in range(a.records):
                    if message_matches(rows.get(a.first_id + i), a.key, i, pad):
                        ok += 1
            found += ok
            if ok != a.records:
                lost += a.records - ok
                if len(problems) < 20:
                    problems.append(f"LOST: {a.protocol} {a.key} acknowledged ids {a.first_id}..{a.last_id} "
                                    f"({a.status}), {ok} of {a.records} found there; stored elsewhere: "
                                    f"{len(stored)}")
        elif a.outcome in (REFUSED, NOT_SENT):
            if stored:
                refused_stored += len(stored)
                if len(problems) < 20:
                    problems.append(f"{a.protocol} {a.key} was refused ({a.status}: {a.detail[:120]}) but "
                                    f"{len(stored)} of its records are stored")
        elif a.outcome == UNKNOWN:
            unknown += 1
            if stored and len(stored) != a.records:
                partial += 1
                problems.append(f"{a.protocol} {a.key}: {len(stored)} of {a.records} records stored (a batch is "
                                f"all or nothing)")
            stored_unacked += len(stored)
        elif a.outcome == STREAM:
            acked += a.committed
            indexes = sorted(stored)
            if indexes != list(range(len(indexes))):
                problems.append(f"stream {a.key}: stored messages are not a prefix of the stream")
            if len(indexes) > a.sent:
                problems.append(f"stream {a.key}: {len(indexes)} stored, only {a.sent} sent")
            ok = sum(1 for i in range(a.committed) if i in stored)
            found += ok
            if ok != a.committed:
                lost += a.committed - ok
                problems.append(f"LOST: stream {a.key} acknowledged {a.committed} records, {ok} found")
            if a.committed and not message_matches(rows.get(a.last_id), a.key, a.committed - 1, pad):
                problems.append(f"stream {a.key}: last ack says id {a.last_id} holds record {a.committed - 1}, "
                                f"it holds {rows.get(a.last_id)!r}")
            ids = [stored[i] for i in indexes]
            if ids != sorted(ids):
                problems.append(f"stream {a.key}: ids do not follow stream order")
            stored_unacked += max(0, len(indexes) - a.committed)
            if "backwards" in a.detail:
                problems.append(f"stream {a.key}: {a.detail}")
    # every row is accounted for
    expected_rows = found + stored_unacked
    if len(rows) != expected_rows and not problems:
        problems.append(f"{len(rows)} rows stored, {expected_rows} accounted for")
    figures = {
        "records_acknowledged": acked,
        "records_found": found,
        "records_lost": lost,
        "records_stored_without_ack": stored_unacked,
        "refused_records_stored": refused_stored,
        "partial_batches": partial,
        "duplicates": duplicates,
        "rows": len(rows),
    }
    return figures, problems


def integrity(db_path) -> list:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def copy_database(db_path: Path, target_dir: Path) -> Path:
    """Copies the database with its -wal/-shm (the image a crash left behind) for checking it without the server."""
    target_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(db_path) + suffix)
        if source.exists():
            shutil.copy2(source, target_dir / (db_path.name + suffix))
    return target_dir / db_path.name


def recovered_image_check(copy: Path) -> tuple[list, int]:
    """integrity_check and max(id) of a copied crash image, opened read-write so SQLite recovers its WAL."""
    conn = sqlite3.connect(str(copy), timeout=10)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return check, block_store.query(copy, "SELECT max(id) FROM logs")[0][0]


# -- samplers -----------------------------------------------------------------------------------------------------


def proc_status_kib(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":", 1)
                out[name] = int(value.split()[0])
    return out


class RssSampler(threading.Thread):
    """Samples VmRSS/VmHWM of a process every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(name="rss", daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int, int]] = []   # (monotonic, VmRSS KiB, VmHWM KiB)
        self._halt = threading.Event()

    def run(self):
        while not self._halt.is_set():
            try:
                st = proc_status_kib(self.pid)
            except (FileNotFoundError, ProcessLookupError):
                return
            self.samples.append((time.monotonic(), st.get("VmRSS", 0), st.get("VmHWM", 0)))
            self._halt.wait(self.interval)

    def finish(self):
        self._halt.set()
        self.join(5)

    def peak_rss_mib(self, since: float | None = None) -> float:
        values = [rss for t, rss, _ in self.samples if since is None or t >= since]
        return round(max(values, default=0) / 1024, 1)

    def hwm_mib(self) -> float:
        return round(max((h for _, _, h in self.samples), default=0) / 1024, 1)


class Prober(threading.Thread):
    """Probes like a kubelet and a reader would, every `interval` s, each on a fresh connection: /health/live and
    /health/ready on the management port, GET /api/logs/{channel}?limit=10 on the REST port."""

    def __init__(self, http_port: int, management_port: int, channel: str, interval: float = 0.1,
                 timeout: float = 10.0, grpc_port: int | None = None):
        super().__init__(name="prober", daemon=True)
        self.http_port, self.management_port, self.channel = http_port, management_port, channel
        self.interval, self.timeout, self.grpc_port = interval, timeout, grpc_port
        self.results: dict[str, list[tuple[object, float]]] = {"live": [], "ready": [], "read": [], "grpc_health": []}
        self._halt = threading.Event()

    def _get(self, port, path):
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)
        try:
            conn.request("GET", path, headers={"Connection": "close"})
            response = conn.getresponse()
            body = response.read()
            status = response.status
            if status == 200 and path.startswith("/api/logs/"):
                json.loads(body)  # a real answer, not a truncated one
        except (OSError, http.client.HTTPException, ValueError) as error:
            status = type(error).__name__
        finally:
            conn.close()
        return status, time.monotonic() - started

    def _grpc_health(self, stub):
        import grpc
        from grpc_health.v1 import health_pb2

        started = time.monotonic()
        try:
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(
                stub.Check(health_pb2.HealthCheckRequest(), timeout=self.timeout).status)
        except grpc.RpcError as error:
            status = error.code().name
        return status, time.monotonic() - started

    def run(self):
        channel = stub = None
        if self.grpc_port:
            from grpc_health.v1 import health_pb2_grpc

            channel = grpc_channel(self.grpc_port)
            stub = health_pb2_grpc.HealthStub(channel)
        try:
            while not self._halt.is_set():
                self.results["live"].append(self._get(self.management_port, "/health/live"))
                self.results["ready"].append(self._get(self.management_port, "/health/ready"))
                self.results["read"].append(self._get(self.http_port, f"/api/logs/{self.channel}?limit=10"))
                if stub is not None:
                    self.results["grpc_health"].append(self._grpc_health(stub))
                self._halt.wait(self.interval)
        finally:
            if channel is not None:
                channel.close()

    def finish(self):
        self._halt.set()
        self.join(self.timeout * 3 + 5)

    def summary(self, name: str) -> dict:
        results = self.results[name]
        latencies = [lat for _, lat in results]
        statuses: dict = {}
        for status, _ in results:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        return {"n": len(results), "statuses": statuses, "p50_ms": ms(percentile(latencies, 50)),
                "p99_ms": ms(percentile(latencies, 99)), "max_ms": ms(max(latencies, default=None))}


class ProberProcess:
    """The Prober in its own Python process, as a kubelet is: its latencies are the server's (and the machine's), not
    those of the load generator's threads fighting over this interpreter's GIL. Runs for `duration` seconds."""

    def __init__(self, http_port: int, management_port: int, channel: str, duration: float,
                 grpc_port: int | None = None, interval: float = 0.1):
        import sys

        args = {"http_port": http_port, "management_port": management_port, "channel": channel,
                "duration": duration, "grpc_port": grpc_port, "interval": interval}
        self.duration = duration
        self.proc = subprocess.Popen([sys.executable, __file__, "probe", json.dumps(args)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                     cwd=str(Path(__file__).parent))
        self.results: dict | None = None

    def finish(self) -> dict:
        if self.results is None:
            try:
                out, err = self.proc.communicate(timeout=self.duration + 60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, err = self.proc.communicate()
            assert self.proc.returncode == 0, f"prober failed ({self.proc.returncode}): {err[-2000:]}"
            self.results = json.loads(out.strip().splitlines()[-1])
        return self.results

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def summary(self, name: str) -> dict:
        prober = Prober.__new__(Prober)
        prober.results = {k: [tuple(x) for x in v] for k, v in self.finish().items()}
        return Prober.summary(prober, name)


def _probe_main(args: dict) -> None:
    prober = Prober(args["http_port"], args["management_port"], args["channel"], interval=args["interval"],
                    grpc_port=args["grpc_port"])
    prober.start()
    time.sleep(args["duration"])
    prober.finish()
    print(json.dumps(prober.results))


# -- a small tmpfs ------------------------------------------------------------------------------------------------


def mount_tmpfs(path: Path, size: str) -> str | None:
    """Mounts a tmpfs of `size` at `path`; returns None, or why it could not (the test skips with that reason)."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root (the full-disk test runs as root in CI)"
    path.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                              capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"mount -t tmpfs failed: {error}"
    if done.returncode != 0:
        return f"mount -t tmpfs is not permitted here: {(done.stderr or done.stdout).strip()}"
    return None


def remount_tmpfs(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True, capture_output=True, timeout=20)


def unmount(path: Path) -> None:
    done = subprocess.run(["umount", str(path)], capture_output=True, text=True, timeout=20)
    if done.returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=20)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(path: Path, nbytes: int) -> None:
    """A file of real (allocated) bytes."""
    chunk = b"\xa5" * (1 << 20)
    with open(path, "wb") as f:
        left = nbytes
        while left > 0:
            f.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)



if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "probe":
        _probe_main(json.loads(sys.argv[2]))
    else:
        sys.exit("usage: reliability_support.py probe '{json args}'")
