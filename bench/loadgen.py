#!/usr/bin/env python3
"""Fixed-rate (open-loop) load client for LogPilot's REST batch ingest.

wrk2 is not packaged in Debian, so this is the latency-at-a-given-rate half of
the benchmark.  Standard library only (asyncio, raw HTTP/1.1 keep-alive).

Requests are scheduled at fixed times t0 + i/rate, whatever the server does;
a request that cannot start on time (every connection busy) waits in a queue,
and its latency is measured from its *scheduled* time (no coordinated
omission, like wrk2).  The service time (from the actual send) is reported too.

After --duration seconds no more requests are scheduled; the queue and the
in-flight requests get --grace seconds to finish, so that every request sent
has a known outcome and the runner can compare the database row count with
the acknowledged records.

Prints one machine-readable line:
  RESULT target_rps=.. achieved_rps=.. records_per_s=.. sent=.. acked_requests=..
         acked_records=.. status_429=.. other=.. lost=.. unsent=.. p50_ms=.. p90_ms=..
         p99_ms=.. max_ms=.. service_p50_ms=.. service_p99_ms=.. duration_s=..
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from urllib.parse import urlsplit

CHANNELS = ["api", "auth", "billing", "db", "frontend", "payments", "search", "worker"]
LEVELS = ["INFO"] * 7 + ["DEBUG", "DEBUG", "ERROR"]
TEMPLATES = [
    "GET /api/v1/orders/{} completed status=200 bytes=5120 upstream=orders-svc",
    "user {} signed in via password from 10.0.3.17 session rotated mfa=totp",
    "invoice {} generated for customer account plan=pro-annual amount=1299.00",
    "slow query detected table=events rows_examined={} plan=index-scan",
    "render of page /dashboard took too long component=ChartPanel id={}",
    "payment intent {} captured provider=stripe-like currency=EUR retries=0",
    "search request {} q=error-budget shards=4 hits=137 took_ms=12",
    "job {} picked from queue=emails attempt=1 worker=w-3 visibility=30s",
]
PAD = "abcdefghijklmnopqrstuvwxyz" * 6
MESSAGE_LEN = 150
ACCEPTED_RE = re.compile(rb'"accepted"\s*:\s*(\d+)')


TS_MARK = "\x00TS\x00"  # placeholder for the per-request timestamp


def make_record(seq: int, timestamps: bool) -> dict:
    msg = TEMPLATES[seq % len(TEMPLATES)].format(seq)
    if len(msg) < MESSAGE_LEN:
        msg = msg + " " + PAD[: MESSAGE_LEN - len(msg) - 1]
    rec = {
        "channel": CHANNELS[seq % len(CHANNELS)],
        "level": LEVELS[seq % len(LEVELS)],
        "message": msg,
        "meta": {"host": f"web-{seq % 12:02d}", "req": f"{(seq * 2654435761) % 2**32:08x}",
                 "user": f"u{seq % 50000:05d}", "dc": "eu-1"},
    }
    if timestamps:
        rec["timestamp"] = TS_MARK
    return rec


def now_iso8601() -> bytes:
    """The current UTC time, always 24 bytes: 2026-11-23T10:00:00.123Z"""
    t = time.time()
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)).encode()


class Body:
    """A request whose records all get the time it is sent as their timestamp (like a shipper flushing a
    batch), so the ts index grows at its end as with the SQLite ceiling's ts = now."""

    def __init__(self, host: str, path: str, records: list[dict]) -> None:
        text = json.dumps(records, separators=(",", ":")).encode()
        self.parts = text.split(json.dumps(TS_MARK).encode()[1:-1])
        length = len(text) + (len(self.parts) - 1) * (24 - len(json.dumps(TS_MARK)[1:-1]))
        self.head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {length}\r\nConnection: keep-alive\r\n\r\n").encode()

    def render(self) -> bytes:
        if len(self.parts) == 1:
            return self.head + self.parts[0]
        return self.head + now_iso8601().join(self.parts)


def build_requests(host: str, path: str, batch: int, bodies: int, timestamps: bool) -> list[Body]:
    out = []
    seq = 500_000_000  # distinct from the wrk script's sequence numbers
    for _ in range(bodies):
        out.append(Body(host, path, [make_record(seq + i, timestamps) for i in range(batch)]))
        seq += batch
    return out


class Stats:
    def __init__(self) -> None:
        self.sent = 0
        self.acked_requests = 0
        self.acked_records = 0
        self.status_429 = 0
        self.other = 0
        self.lost = 0  # sent, but no complete response (error / timeout / cut off)
        self.other_example = ""
        self.latency: list[float] = []   # from scheduled time, seconds
        self.service: list[float] = []   # from actual send, seconds
        self.last_done = 0.0


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:  # no framing: body runs to connection close
        body = await reader.read()
        headers["connection"] = "close"
    return status, headers, body


async def worker(host: str, port: int, requests: list[Body], index: int, batch: int,
                 queue: asyncio.Queue, stats: Stats, timeout: float) -> None:
    reader = writer = None
    i = index
    while True:
        scheduled = await queue.get()
        if scheduled is None:
            break
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            req = requests[i % len(requests)].render()
            i += 1
            sent_at = time.monotonic()
            stats.sent += 1
            writer.write(req)
            await writer.drain()
            status, headers, body = await asyncio.wait_for(read_response(reader), timeout)
            done = time.monotonic()
            stats.latency.append(done - scheduled)
            stats.service.append(done - sent_at)
            stats.last_done = done
            if status == 201:
                m = ACCEPTED_RE.search(body)
                stats.acked_requests += 1
                stats.acked_records += int(m.group(1)) if m else batch
            elif status == 429:
                stats.status_429 += 1
            else:
                stats.other += 1
                if not stats.other_example:
                    stats.other_example = f"{status}:" + re.sub(r"\s+", "_", body[:160].decode("utf-8", "replace"))
            if headers.get("connection", "").lower() == "close":
                writer.close()
                writer = None
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - any transport problem loses this request
            stats.lost += 1
            if not stats.other_example:
                stats.other_example = "error:" + type(e).__name__
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100.0 * len(s)))] * 1000.0


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="e.g. http://127.0.0.1:8080/api/logs/batch")
    ap.add_argument("--rate", type=float, required=True, help="requests per second")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of scheduled sending")
    ap.add_argument("--grace", type=float, default=10.0, help="seconds to let queued/in-flight requests finish")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--bodies", type=int, default=16)
    ap.add_argument("--timeout", type=float, default=30.0, help="per-response timeout, seconds")
    ap.add_argument("--no-timestamps", action="store_true")
    a = ap.parse_args()

    u = urlsplit(a.url)
    host, port, path = u.hostname or "127.0.0.1", u.port or 80, u.path or "/api/logs/batch"
    requests = build_requests(f"{host}:{port}", path, a.batch, a.bodies, not a.no_timestamps)
    print(f"loadgen: rate={a.rate:g} req/s batch={a.batch} connections={a.connections} "
          f"duration={a.duration:g}s body_bytes~{len(requests[0].render())}", file=sys.stderr)

    stats = Stats()
    queue: asyncio.Queue = asyncio.Queue()
    workers = [asyncio.create_task(worker(host, port, requests, i, a.batch, queue, stats, a.timeout))
               for i in range(a.connections)]

    interval = 1.0 / a.rate
    t0 = time.monotonic() + 0.05
    end = t0 + a.duration
    n = 0
    while True:
        now = time.monotonic()
        while n * interval + t0 <= now and n * interval + t0 < end:
            queue.put_nowait(t0 + n * interval)
            n += 1
        nxt = t0 + n * interval
        if nxt >= end:
            break
        await asyncio.sleep(max(0.0, nxt - time.monotonic()))
    scheduled = n
    for _ in workers:
        queue.put_nowait(None)
    _, pending = await asyncio.wait(workers, timeout=max(0.0, end + a.grace - time.monotonic()))
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    # in flight when cancelled: sent but not answered
    answered = stats.acked_requests + stats.status_429 + stats.other
    stats.lost = stats.sent - answered
    unsent = scheduled - stats.sent

    elapsed = max(stats.last_done, end) - t0 if stats.last_done else a.duration
    print("RESULT target_rps=%g scheduled=%d achieved_rps=%.1f records_per_s=%.0f sent=%d acked_requests=%d"
          " acked_records=%d status_429=%d other=%d lost=%d unsent=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f"
          " max_ms=%.2f service_p50_ms=%.2f service_p99_ms=%.2f duration_s=%.2f other_example=%s" % (
              a.rate, scheduled, answered / elapsed, stats.acked_records / elapsed, stats.sent,
              stats.acked_requests, stats.acked_records, stats.status_429, stats.other, stats.lost, unsent,
              pct(stats.latency, 50), pct(stats.latency, 90), pct(stats.latency, 99), pct(stats.latency, 100),
              pct(stats.service, 50), pct(stats.service, 99), elapsed, stats.other_example or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
