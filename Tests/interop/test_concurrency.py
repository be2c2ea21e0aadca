"""Concurrent writers (id uniqueness and per-request contiguity) and overload (429 with retry headers)."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import HTTP_TIMEOUT, channel_name

THREADS, BATCHES, RECORDS = 8, 50, 100


@pytest.mark.time_limit(150)
def test_concurrent_writers(make_server):
    s = make_server()
    ch = channel_name("conc")
    start = threading.Barrier(THREADS)

    def writer(t):
        acks = []
        with requests.Session() as session:
            start.wait(timeout=30)
            for b in range(BATCHES):
                batch = [{"channel": ch, "message": f"t{t}-b{b}-r{i}", "meta": {"t": t, "b": b, "i": i}}
                         for i in range(RECORDS)]
                r = session.post(s.url("/api/logs/batch"), json=batch, timeout=HTTP_TIMEOUT)
                assert r.status_code == 201, r.text
                acks.append((t, b, r.json()))
        return acks

    with ThreadPoolExecutor(THREADS) as pool:
        results = [ack for acks in pool.map(writer, range(THREADS)) for ack in acks]

    assert len(results) == THREADS * BATCHES
    rows = s.db("SELECT id, message FROM logs WHERE channel = ? ORDER BY id", (ch,))
    assert len(rows) == THREADS * BATCHES * RECORDS
    assert s.db("SELECT count(*) FROM logs")[0][0] == len(rows)  # nothing else was written
    by_id = dict(rows)
    assert len(by_id) == len(rows)  # ids unique
    ranges = []
    for t, b, body in results:
        assert body["accepted"] == RECORDS
        first, last = body["firstId"], body["lastId"]
        assert last - first == RECORDS - 1
        # the acknowledged range holds exactly this request's records, in order
        assert [by_id.get(i) for i in range(first, last + 1)] == [f"t{t}-b{b}-r{i}" for i in range(RECORDS)]
        ranges.append((first, last))
    ranges.sort()
    assert all(a[1] < b[0] for a, b in zip(ranges, ranges[1:])), "acknowledged ranges overlap"
    # per thread, later requests got later ids (commit order follows request order on one connection)
    for t in range(THREADS):
        firsts = [body["firstId"] for tt, _, body in results if tt == t]
        assert firsts == sorted(firsts)
    # the channel summary agrees
    [summary] = [c for c in s.get("/api/channels").json()["channels"] if c["channel"] == ch]
    assert summary == {"channel": ch, "count": len(rows), "lastId": max(by_id)}


@pytest.mark.time_limit(120)
def test_concurrent_consumers_never_get_the_same_record_twice(make_server):
    """Several clients reading with one consumerId and autoCommit: each record is delivered once."""
    s = make_server()
    ch = channel_name("cc")
    body = s.post_batch([{"channel": ch, "message": str(i)} for i in range(2000)])
    expected = list(range(body["firstId"], body["lastId"] + 1))

    def reader(_):
        got = []
        with requests.Session() as session:
            for _ in range(200):
                r = session.get(s.url(f"/api/logs/{ch}"), params={"consumerId": "shared", "limit": 37},
                                timeout=HTTP_TIMEOUT)
                assert r.status_code == 200, r.text
                page = [e["id"] for e in r.json()]
                if not page:
                    break
                assert page == sorted(page)
                got += page
        return got

    with ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(reader, range(4)))
    delivered = [i for p in pages for i in p]
    assert sorted(delivered) == expected, "records lost or delivered twice"
    assert s.db("SELECT last_log_id FROM consumer_offsets WHERE consumer_id = 'shared'") == [(expected[-1],)]


@pytest.mark.time_limit(120)
@pytest.mark.parametrize("queue_flags", [[], ["--queue-max-bytes", "1024"]], ids=["records-bound", "bytes-bound"])
def test_overload_answers_429_and_keeps_acknowledged_records(make_server, queue_flags):
    """Best effort: a small queue under many concurrent 1000-record batches. Whatever the mix of 201 and 429,
    every acknowledged record is stored, no refused record is, and each 429 carries the retry headers."""
    s = make_server("--max-batch-records", "1000", "--queue-max-records", "1000", *queue_flags)
    ch = channel_name("load")
    threads, rounds = 12, 6
    outcomes = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def client(t):
        with requests.Session() as session:
            start.wait(timeout=30)
            for rnd in range(rounds):
                batch = [{"channel": ch, "message": f"t{t}-r{rnd}-{i}"} for i in range(1000)]
                r = session.post(s.url("/api/logs/batch"), json=batch, timeout=HTTP_TIMEOUT)
                with lock:
                    outcomes.append((t, rnd, r.status_code, r.headers, r.text))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(client, range(threads)))

    statuses = [o[2] for o in outcomes]
    assert set(statuses) <= {201, 429}, set(statuses)
    acked = 0
    stored = {m for (m,) in s.db("SELECT message FROM logs WHERE channel = ?", (ch,))}
    for t, rnd, status, headers, text in outcomes:
        if status == 201:
            acked += 1000
            assert f"t{t}-r{rnd}-0" in stored and f"t{t}-r{rnd}-999" in stored
        else:
            assert f"t{t}-r{rnd}-0" not in stored, "a refused batch was (partly) stored"
            body = json.loads(text)
            assert body["errorCode"] == "TOO_MANY_REQUESTS" and body["message"], body
            assert headers.get("Content-Type", "").startswith("application/json")
            retry = headers.get("Retry-After")
            assert retry is not None and retry.isdigit() and int(retry) >= 1, headers
            assert headers.get("X-Rate-Limit-Retry-After-Seconds") == retry, headers
    assert len(stored) == acked == s.db("SELECT count(*) FROM logs WHERE channel = ?", (ch,))[0][0]
    refused = statuses.count(429)
    print(f"overload: {statuses.count(201)} accepted, {refused} refused with 429")
    if refused:
        metrics = s.mget("/metrics").text
        assert 'reason="overloaded"' in metrics
    else:
        pytest.skip("the queue never filled on this machine: 429 not observed (invariants held)")


@pytest.mark.time_limit(120)
def test_reads_during_writes_see_whole_batches_and_consumers_miss_nothing(make_server):
    """While 3 clients write 100-record batches: every latest-read sees whole batches only (a batch is one
    transaction), and a consumer reading with autoCommit receives every record exactly once, in id order."""
    s = make_server()
    ch = channel_name("rw")
    writers_done = threading.Event()
    errors = []

    def writer(t):
        with requests.Session() as session:
            for b in range(40):
                r = session.post(s.url("/api/logs/batch"), timeout=HTTP_TIMEOUT,
                                 json=[{"channel": ch, "message": f"{t}-{b}-{i}"} for i in range(100)])
                if r.status_code != 201:
                    errors.append(r.text)

    def snapshot_reader():
        sizes = []
        with requests.Session() as session:
            while not writers_done.is_set():
                r = session.get(s.url(f"/api/logs/{ch}"), params={"limit": 10000}, timeout=HTTP_TIMEOUT)
                entries = r.json()
                sizes.append(len(entries))
                got = [e["id"] for e in entries]
                assert got == sorted(got, reverse=True)
        return sizes

    def consumer():
        delivered = []
        with requests.Session() as session:
            while True:
                done = writers_done.is_set()
                r = session.get(s.url(f"/api/logs/{ch}"), params={"consumerId": "live", "limit": 250},
                                timeout=HTTP_TIMEOUT)
                page = [e["id"] for e in r.json()]
                delivered += page
                if done and not page:
                    return delivered

    with ThreadPoolExecutor(5) as pool:
        snap = pool.submit(snapshot_reader)
        cons = pool.submit(consumer)
        writes = [pool.submit(writer, t) for t in range(3)]
        for w in writes:
            w.result()
        writers_done.set()
        sizes, delivered = snap.result(), cons.result()

    assert not errors, errors[:3]
    all_ids = [i for (i,) in s.db("SELECT id FROM logs WHERE channel = ? ORDER BY id", (ch,))]
    assert len(all_ids) == 12000
    assert all(size % 100 == 0 for size in sizes), f"a read saw part of a batch: {sorted(set(sizes))[:20]}"
    assert delivered == all_ids, "the consumer missed, repeated or reordered records"
