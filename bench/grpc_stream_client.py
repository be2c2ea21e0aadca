#!/usr/bin/env python3
"""StreamLogs load client (grpcio): N concurrent streams, each sending LogRequests as fast as it can.

  grpc_stream_client.py --target 127.0.0.1:50051 [--streams 4] [--duration 20] [--grace 10]

Each stream has its own channel (its own HTTP/2 connection, like N independent log shippers).  A
stream sends pre-serialized LogRequests (bench/grpc_payload.py; the same records as the SendLogs
body, server-stamped time) for --duration seconds, then half-closes and reads acks until the server
ends the call (it commits the rest and sends a final cumulative ack, then OK).  Acks are read
concurrently all along; the server's acks are cumulative (`records_committed`).

grpcio's per-message cost is high (every message is its own write operation through the GIL), so
this client may not saturate the server: compare its `client cores` and logs/s with the C client
(bench/grpc_stream_client.c, which bench/run.sh uses by default).

Ack latency: every 64th record's send time (when the message is handed to grpcio) is kept; when an
ack covers it, now - send time is one sample (record-weighted).  p50/p99/max over those samples.

Prints one machine-readable line (same keys as grpc_stream_client.c):
  RESULT streams=.. ok_streams=.. failed_streams=.. unanswered=.. sent_records=.. acked_records=..
         window_records=.. window_s=.. records_per_s=.. acks=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
         duration_s=.. first_error=..
acked_records is the sum of the streams' final acks (what the database must hold); window_records
only counts acks that arrived inside the window, and records_per_s = window_records / window_s.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grpc_payload import decode_ack, stream_messages  # noqa: E402

try:
    import grpc
except ImportError:  # pragma: no cover - reported to the runner
    print("grpc_stream_client.py: the grpcio package is missing (pip install -r Tests/interop/requirements.txt)",
          file=sys.stderr)
    sys.exit(3)

METHOD = "/logpilot.LogService/StreamLogs"
SAMPLE_EVERY = 64


class Stream(threading.Thread):
    def __init__(self, index: int, target: str, messages: list[bytes], start: float, deadline: float,
                 timeout: float) -> None:
        super().__init__(name=f"stream-{index}", daemon=True)
        self.target = target
        self.messages = messages
        self.start_at = start
        self.deadline = deadline
        self.timeout = timeout
        self.sent = 0
        self.samples: list[tuple[int, float]] = []  # (record index, time handed to grpcio)
        self.latencies: list[float] = []
        self.acks = 0
        self.committed = 0         # last (cumulative) ack
        self.window_committed = 0  # last ack that arrived inside the window
        self.code = ""             # "" = no final status (unanswered)
        self.details = ""

    def requests(self):
        msgs, n, deadline = self.messages, len(self.messages), self.deadline
        i = 0
        while True:
            if i % SAMPLE_EVERY == 0:
                now = time.monotonic()
                if now >= deadline:
                    break
                self.samples.append((i, now))
            yield msgs[i % n]
            i += 1
            self.sent = i

    def run(self) -> None:
        channel = grpc.insecure_channel(self.target, options=[
            ("grpc.use_local_subchannel_pool", 1),  # one connection per stream
            ("grpc.max_receive_message_length", 1 << 20),
        ])
        try:
            grpc.channel_ready_future(channel).result(timeout=10)
            time.sleep(max(0.0, self.start_at - time.monotonic()))  # all streams start together
            # no (de)serializers: requests are bytes already, acks are decoded by hand
            call = channel.stream_stream(METHOD)(self.requests(), timeout=self.timeout)
            next_sample = 0
            for raw in call:
                now = time.monotonic()
                committed, _ = decode_ack(raw)
                self.acks += 1
                self.committed = committed
                if now < self.deadline:
                    self.window_committed = committed
                samples = self.samples
                while next_sample < len(samples) and samples[next_sample][0] < committed:
                    self.latencies.append(now - samples[next_sample][1])
                    next_sample += 1
            self.code = "OK"
        except grpc.RpcError as e:
            code = e.code()
            self.code = code.name if code is not None else "UNKNOWN"
            self.details = (e.details() or "").replace(" ", "_")[:160]
            if self.code == "DEADLINE_EXCEEDED":
                self.code = ""  # no answer within the grace period
        except grpc.FutureTimeoutError:
            self.code = "UNAVAILABLE"
            self.details = "could_not_connect_within_10s"
        finally:
            channel.close()


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(p / 100.0 * len(s)))] * 1000.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="host:port of the gRPC listener (h2c)")
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--duration", type=float, default=20.0, help="seconds of sending (the window)")
    ap.add_argument("--grace", type=float, default=10.0, help="seconds after the window for the final acks")
    ap.add_argument("--records", type=int, default=1000, help="distinct pre-encoded records, sent round and round")
    a = ap.parse_args()

    messages = stream_messages(a.records)
    start = time.monotonic() + 1.0  # connect first, then all streams start together
    deadline = start + a.duration
    streams = [Stream(i, a.target, messages, start, deadline, timeout=a.duration + a.grace + 0.5)
               for i in range(a.streams)]
    for s in streams:
        s.start()
    for s in streams:
        s.join(timeout=max(0.0, deadline + a.grace + 5 - time.monotonic()))
    end = time.monotonic()

    ok = [s for s in streams if s.code == "OK"]
    unanswered = [s for s in streams if s.code == "" or s.is_alive()]
    failed = [s for s in streams if s not in ok and s not in unanswered]
    first_error = "-"
    for s in failed + unanswered:
        first_error = f"{s.code or 'no_status'}:{s.details or '-'}"
        break
    lat = [x for s in streams for x in s.latencies]
    window_records = sum(s.window_committed for s in streams)
    for i, s in enumerate(streams):
        print(f"grpc_stream_client: stream {i}: sent {s.sent}, acked {s.committed} ({s.acks} acks), "
              f"status {s.code or 'none'} {s.details}", file=sys.stderr)
    print("RESULT streams=%d ok_streams=%d failed_streams=%d unanswered=%d sent_records=%d acked_records=%d"
          " window_records=%d window_s=%g records_per_s=%.0f acks=%d p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f"
          " max_ms=%.2f duration_s=%.2f client=python-grpcio first_error=%s" % (
              len(streams), len(ok), len(failed), len(unanswered), sum(s.sent for s in streams),
              sum(s.committed for s in streams), window_records, a.duration, window_records / a.duration,
              sum(s.acks for s in streams), pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100),
              end - start, first_error))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main()
    os._exit(code)  # do not wait for grpcio's threads of a stream that never ended
