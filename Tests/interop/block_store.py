"""An independent reader of LogPilot's block store (schema 2), written from docs/block-format.md, so the interop
tests can check what is on disk without trusting the server's own decoder.

`open_store(path)` returns a read-only sqlite3 connection to the database in which a TEMP table `logs(id, ts,
channel, level, message, meta)` holds every stored record decoded from the blocks, the shape of the schema-1 row
table, so a test's SQL over `logs` reads the same on both schemas. Everything else (consumer_offsets, streams,
blocks, PRAGMAs) is the real database.
"""

from __future__ import annotations

import re
import sqlite3

import zstandard

MAGIC = b"LPB1"
COLUMNS = ("ids", "timestamps", "levels", "message lengths", "message bytes", "meta lengths", "meta bytes")


class BlockError(Exception):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(data):
            raise BlockError(f"varint runs past the end at byte {pos}")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise BlockError("varint longer than 10 bytes")


def _zigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _wrap64(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _varints(data: bytes, count: int) -> list[int]:
    values, pos = [], 0
    for _ in range(count):
        value, pos = _varint(data, pos)
        values.append(value)
    if pos != len(data):
        raise BlockError(f"{len(data) - pos} bytes after the last varint")
    return values


def decode_block(data: bytes) -> list[tuple[int, int, int, str, str | None]]:
    """The records of one block as (id, ts, level, message, meta)."""
    if data[:4] != MAGIC:
        raise BlockError(f"bad magic {data[:4]!r}")
    if data[4] != 1:
        raise BlockError(f"unknown version {data[4]}")
    count, pos = _varint(data, 5)
    ncolumns = data[pos]
    pos += 1
    if ncolumns != len(COLUMNS):
        raise BlockError(f"{ncolumns} columns")
    headers = []
    for expected_kind in range(1, len(COLUMNS) + 1):
        kind = data[pos]
        pos += 1
        if kind != expected_kind:
            raise BlockError(f"column {expected_kind} has kind {kind}")
        raw, pos = _varint(data, pos)
        compressed, pos = _varint(data, pos)
        headers.append((raw, compressed))
    columns = []
    dctx = zstandard.ZstdDecompressor()
    for (raw, compressed), name in zip(headers, COLUMNS):
        frame = data[pos:pos + compressed]
        pos += compressed
        column = dctx.decompress(frame, max_output_size=raw) if raw else dctx.decompress(frame, max_output_size=1)
        if len(column) != raw:
            raise BlockError(f"{name}: {len(column)} bytes, header says {raw}")
        columns.append(column)
    if pos != len(data):
        raise BlockError(f"{len(data) - pos} bytes after the last column")
    id_codes = _varints(columns[0], count)
    ts_codes = _varints(columns[1], count)
    ids, stamps = [], []
    for i in range(count):
        if i == 0:
            ids.append(_zigzag(id_codes[0]))
            stamps.append(_zigzag(ts_codes[0]))
        else:
            ids.append(_wrap64(ids[-1] + id_codes[i] + 1))
            stamps.append(_wrap64(stamps[-1] + _zigzag(ts_codes[i])))
    levels = list(columns[2])
    if len(levels) != count:
        raise BlockError("levels column length")
    message_lengths = _varints(columns[3], count)
    meta_lengths = _varints(columns[5], count)
    records, mpos, tpos = [], 0, 0
    for i in range(count):
        message = columns[4][mpos:mpos + message_lengths[i]].decode("utf-8")
        mpos += message_lengths[i]
        meta = None
        if meta_lengths[i]:
            meta = columns[6][tpos:tpos + meta_lengths[i] - 1].decode("utf-8")
            tpos += meta_lengths[i] - 1
        records.append((ids[i], stamps[i], levels[i], message, meta))
    if mpos != len(columns[4]) or tpos != len(columns[6]):
        raise BlockError("message or meta bytes left over")
    return records


def _is_block_store(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'blocks'").fetchone()[0] == 1


def open_store(path, *, materialize: bool = True) -> sqlite3.Connection:
    """A read-only connection; on a block store, with the TEMP table `logs` described above."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    if materialize and _is_block_store(conn):
        conn.execute("CREATE TEMP TABLE logs (id INTEGER PRIMARY KEY, ts INTEGER, channel TEXT, level INTEGER, "
                     "message TEXT, meta TEXT)")
        rows = conn.execute(
            "SELECT b.min_id, b.max_id, b.count, s.channel, d.data FROM blocks b "
            "JOIN streams s ON s.id = b.stream_id JOIN block_data d ON d.min_id = b.min_id").fetchall()
        for min_id, max_id, count, channel, data in rows:
            records = decode_block(data)
            if len(records) != count or records[0][0] != min_id or records[-1][0] != max_id:
                raise BlockError(f"block {min_id}: records do not match its metadata")
            conn.executemany("INSERT INTO temp.logs VALUES (?, ?, ?, ?, ?, ?)",
                             [(i, ts, channel, level, message, meta) for (i, ts, level, message, meta) in records])
    return conn


_LOGS = re.compile(r"\blogs\b")


def query(path, sql: str, params=()) -> list[tuple]:
    """One read-only query; decodes the blocks only when the query reads `logs`."""
    conn = open_store(path, materialize=bool(_LOGS.search(sql)))
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
