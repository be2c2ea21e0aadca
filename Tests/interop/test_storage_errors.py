"""Storage failures seen from a client: a full database (507), a database locked by another process (503), and
recovery without a restart. Nothing acknowledged may be lost on the way."""
import os
import sqlite3
import time

from conftest import assert_error, channel_name



def incompressible(n: int) -> str:
    """Random hex, different in every record: blocks compress it no smaller than its entropy, as real logs."""
    return os.urandom(n // 2).hex()



def wait_for(predicate, timeout=15.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def test_full_database_is_507_then_recovers_through_retention(make_server):
    # A hard cap of 256 KiB on the database, and size retention that brings it back under 128 KiB every second.
    s = make_server("--sqlite-max-bytes", "262144", "--retention-max-bytes", "131072",
                    "--retention-interval-seconds", "3", "--retention-days", "0")
    ch = channel_name("full")
    acknowledged = 0
    full = None
    for i in range(200):
        r = s.post("/api/logs/batch", json=[{"channel": ch, "message": f"{i}-{j} {incompressible(1000)}"} for j in range(20)])
        if r.status_code == 201:
            acknowledged += r.json()["accepted"]
            continue
        full = r
        break
    assert full is not None, "the capped database never filled up"
    body = assert_error(full, 507, "INSUFFICIENT_STORAGE")
    assert "SQLITE_FULL" in body["message"], body
    # Readiness reports the failure with SQLite's reason (retention runs only every 3 s, so it has not freed space yet).
    ready = s.mget("/health/ready")
    assert ready.status_code == 503, ready.text
    assert "SQLITE_FULL" in ready.text, ready.text
    # Nothing of the refused batch was stored; everything acknowledged was (retention may have deleted the oldest).
    stored_ids = [row[0] for row in s.db("SELECT id FROM logs WHERE channel = ? ORDER BY id", (ch,))]
    assert len(stored_ids) <= acknowledged
    # Retention frees space; writes succeed again and readiness comes back, without a restart.
    assert wait_for(lambda: s.post("/api/logs", json={"channel": ch, "message": "after"}).status_code == 201), \
        "writes did not recover after retention freed space"
    assert wait_for(lambda: s.mget("/health/ready").status_code == 200), s.mget("/health/ready").text


def test_locked_database_is_503_with_retry_hint_then_recovers(make_server):
    s = make_server("--sqlite-busy-timeout-ms", "200")
    ch = channel_name("locked")
    first = s.post_one({"channel": ch, "message": "before"})
    # Another process (an operator's sqlite3 shell, say) takes the write lock.
    intruder = sqlite3.connect(str(s.db_path), timeout=5, isolation_level=None)
    try:
        intruder.execute("BEGIN IMMEDIATE")
        r = s.post("/api/logs", json={"channel": ch, "message": "blocked"})
        body = assert_error(r, 503, "SERVICE_UNAVAILABLE")
        assert "SQLITE_BUSY" in body["message"], body
        assert r.headers.get("Retry-After"), r.headers
        assert wait_for(lambda: s.mget("/health/ready").status_code == 503, timeout=5)
    finally:
        intruder.execute("ROLLBACK")
        intruder.close()
    # The writer's probe notices the lock is gone; readiness and writes recover by themselves.
    assert wait_for(lambda: s.mget("/health/ready").status_code == 200), s.mget("/health/ready").text
    after = s.post_one({"channel": ch, "message": "after"})
    assert after["firstId"] > first["firstId"]
    messages = [row[0] for row in s.db("SELECT message FROM logs WHERE channel = ? ORDER BY id", (ch,))]
    assert messages == ["before", "after"]
