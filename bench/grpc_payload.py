#!/usr/bin/env python3
"""Pre-encoded gRPC payloads for the gRPC benchmark scenarios (standard library only).

Protobuf is encoded by hand (varint keys + length-delimited fields), so no generated stubs and no protoc
are needed.  The field numbers are those of proto/logpilot.proto:

  LogRequest      {1 channel, 2 level, 3 message, 4 meta map<string,string>, 5 storage, 6 timestamp (epoch ms)}
  SendLogsRequest {1 repeated LogRequest log_requests}
  StreamLogsAck   {1 records_committed, 2 last_id}   (decoded by decode_ack)

The records have the shape of the REST runs (bench/loadgen.py, bench/wrk/batch.lua): a ~150-byte message,
~60 bytes of meta (4 keys; as JSON {"host":..,"req":..,"user":..,"dc":..} it is ~60 bytes), one of 8
channels, mostly INFO.  `timestamp` is 0 (absent on the wire): the server stamps its receive time, so the
logs_ts index grows at its end, as with the REST runs (timestamp = send time) and the ceiling (ts = now).

  grpc_payload.py sendlogs FILE [--batch 100] [--corpus [--seed N]]
      one gRPC request body for SendLogs: 5-byte prefix (flag 0, big-endian uint32 length) + a
      SendLogsRequest with BATCH records; for h2load --data=FILE
  grpc_payload.py stream FILE [--count 1000] [--corpus [--seed N]]
      COUNT length-prefixed LogRequest messages back to back: the message stream that
      bench/grpc_stream_client.c sends round and round

With --corpus the records come from the varied corpus of bench/wrk/corpus.lua instead (bench/corpus.py: ten
templates with random ids, IPs, hex trace ids, paths and numbers; 8 channels; 5 meta keys), every record of the
file distinct; bench/storage.sh uses it. h2load still posts the same file in every call, so over a run the same
BATCH records repeat.
"""
from __future__ import annotations

import argparse
import struct
import sys

# The same records as the REST load generator (same channels, levels, messages), so the two fronts are compared on
# the same data.
from loadgen import CHANNELS, LEVELS, MESSAGE_LEN, PAD, TEMPLATES  # noqa: E402
SEQ_BASE = 700_000_000  # distinct from the REST load generators' sequence numbers


def varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64  # int64 two's complement, as protobuf does
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3 | 0) + varint(value) if value else b""  # proto3: 0 is not sent


def record_fields(seq: int) -> tuple[str, str, str, dict[str, str]]:
    msg = TEMPLATES[seq % len(TEMPLATES)].format(seq)
    if len(msg) < MESSAGE_LEN:
        msg = msg + " " + PAD[: MESSAGE_LEN - len(msg) - 1]
    meta = {"host": f"web-{seq % 12:02d}", "req": f"{(seq * 2654435761) % 2**32:08x}",
            "user": f"u{seq % 50000:05d}", "dc": "eu-1"}
    return CHANNELS[seq % len(CHANNELS)], LEVELS[seq % len(LEVELS)], msg, meta


def encode_log_request(channel: str, level: str, message: str, meta: dict[str, str], timestamp_ms: int = 0) -> bytes:
    """One serialized LogRequest from its fields."""
    out = field_bytes(1, channel.encode()) + field_bytes(2, level.encode()) + field_bytes(3, message.encode())
    for k, v in meta.items():
        out += field_bytes(4, field_bytes(1, k.encode()) + field_bytes(2, v.encode()))
    return out + field_varint(6, timestamp_ms)


def log_request(seq: int, timestamp_ms: int = 0) -> bytes:
    """One serialized LogRequest (the REST runs' record shape)."""
    return encode_log_request(*record_fields(seq), timestamp_ms)


def corpus_log_requests(count: int, seed: int = 1) -> list[bytes]:
    """`count` serialized LogRequests of the varied corpus (bench/corpus.py, the templates of wrk/corpus.lua)."""
    from corpus import Corpus  # noqa: E402  (bench/ is on sys.path when this file is run)
    c = Corpus(seed)
    out = []
    for _ in range(count):
        r = c.record()
        out.append(encode_log_request(r["channel"], r["level"], r["message"], r["meta"]))
    return out


def grpc_frame(message: bytes) -> bytes:
    """gRPC length-prefixed message: compressed flag 0, big-endian uint32 length, the bytes."""
    return struct.pack(">BI", 0, len(message)) + message


def send_logs_request(batch: int, seq: int = SEQ_BASE) -> bytes:
    """One serialized SendLogsRequest with `batch` records."""
    return b"".join(field_bytes(1, log_request(seq + i)) for i in range(batch))


def stream_messages(count: int, seq: int = SEQ_BASE) -> list[bytes]:
    """`count` serialized LogRequests (not framed) for a StreamLogs client."""
    return [log_request(seq + i) for i in range(count)]


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def decode_ack(data: bytes) -> tuple[int, int]:
    """StreamLogsAck -> (records_committed, last_id); unknown fields are skipped."""
    committed = last_id = 0
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
            if number == 1:
                committed = value
            elif number == 2:
                last_id = value
        elif wire == 2:
            n, pos = _read_varint(data, pos)
            pos += n
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
    return committed, last_id


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    s = sub.add_parser("sendlogs", help="one framed SendLogsRequest (h2load --data)")
    s.add_argument("file")
    s.add_argument("--batch", type=int, default=100)
    t = sub.add_parser("stream", help="framed LogRequests back to back (grpc_stream_client.c --messages)")
    t.add_argument("file")
    t.add_argument("--count", type=int, default=1000)
    for p in (s, t):
        p.add_argument("--corpus", action="store_true", help="records of the varied corpus (bench/corpus.py)")
        p.add_argument("--seed", type=int, default=1, help="random seed for --corpus (default 1)")
    a = ap.parse_args()
    if a.what == "sendlogs":
        if a.corpus:
            data = grpc_frame(b"".join(field_bytes(1, m) for m in corpus_log_requests(a.batch, a.seed)))
        else:
            data = grpc_frame(send_logs_request(a.batch))
        detail = f"SendLogsRequest with {a.batch} {'corpus ' if a.corpus else ''}records"
    else:
        msgs = corpus_log_requests(a.count, a.seed) if a.corpus else stream_messages(a.count)
        data = b"".join(grpc_frame(m) for m in msgs)
        detail = f"{a.count} LogRequests, {len(data) // a.count} bytes each on average"
    with open(a.file, "wb") as f:
        f.write(data)
    print(f"grpc_payload: {a.file}: {len(data)} bytes, {detail}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
