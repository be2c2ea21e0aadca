"""GET /api/logs (search with filters and cursor paging) and GET /api/channels."""

import urllib.parse
import uuid

import pytest

from conftest import assert_error, channel_name

BASE_MS = 1_717_200_000_000  # 2024-06-01T00:00:00Z


def query(params) -> str:
    """Percent-encodes a query string (space as %20, never '+': see test_plus_in_query_means_space)."""
    return urllib.parse.urlencode(params, doseq=True, quote_via=urllib.parse.quote)


def search(server, **params):
    r = server.get("/api/logs", params=query(params))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"logs", "nextCursor", "truncated", "scanned"}, body
    assert body["nextCursor"] is None or isinstance(body["nextCursor"], str)
    assert body["truncated"] in (None, "scan_limit", "timeout"), body
    assert isinstance(body["scanned"], int) and body["scanned"] >= 0, body
    return body


def ids(entries):
    return [e["id"] for e in entries]


@pytest.fixture(scope="module")
def corpus(server):
    """Two channels, one minute apart per record, levels cycling, a token in every message for isolation."""
    token = uuid.uuid4().hex
    a, b = channel_name("sa"), channel_name("sb")
    levels = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
    records = []
    for i in range(30):
        records.append({
            "channel": a if i % 3 else b,
            "level": levels[i % 6],
            "message": f"{token} item {i:02d} {'Needle' if i % 5 == 0 else 'hay'}",
            "timestamp": BASE_MS + i * 60_000,
        })
    body = server.post_batch(records)
    all_ids = list(range(body["firstId"], body["lastId"] + 1))
    for rec, i in zip(records, all_ids):
        rec["id"] = i
    return {"token": token, "a": a, "b": b, "records": records}


def expect(corpus, pred):
    """Ids of the matching corpus records, newest first."""
    return [r["id"] for r in reversed(corpus["records"]) if pred(r)]


def test_search_by_token_returns_everything_newest_first(server, corpus):
    body = search(server, q=corpus["token"])
    assert ids(body["logs"]) == expect(corpus, lambda r: True)
    assert body["nextCursor"] is None
    first = body["logs"][0]
    assert list(first) == ["channel", "level", "message", "id", "timestamp"]
    assert first["timestamp"] == "2024-06-01T00:29:00Z"


def test_search_by_channel(server, corpus):
    body = search(server, channel=corpus["a"])
    assert ids(body["logs"]) == expect(corpus, lambda r: r["channel"] == corpus["a"])
    assert all(e["channel"] == corpus["a"] for e in body["logs"])
    assert search(server, channel=channel_name("none")) == {"logs": [], "nextCursor": None, "truncated": None, "scanned": 0}


@pytest.mark.parametrize("params,levels", [
    ({"level": "WARN,ERROR"}, {"WARN", "ERROR"}),
    ({"level": ["WARN", "ERROR"]}, {"WARN", "ERROR"}),
    ({"level": ["warn", "error,fatal"]}, {"WARN", "ERROR", "FATAL"}),
    ({"level": "WARNING"}, {"WARN"}),
    ({"level": "trace"}, {"TRACE"}),
    ({"level": "TRACE,DEBUG,INFO,WARN,ERROR,FATAL"}, {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}),
    ({"level": "INFO,"}, {"INFO"}),
])
def test_search_by_level(server, corpus, params, levels):
    body = search(server, q=corpus["token"], **params)
    assert ids(body["logs"]) == expect(corpus, lambda r: r["level"] in levels)
    assert {e["level"] for e in body["logs"]} == levels


def test_unknown_level_is_400(server):
    assert_error(server.get("/api/logs", params={"level": "WARN,LOUD"}), 400, "VALIDATION_ERROR", "level")


@pytest.mark.parametrize("frm,to,lo,hi", [
    (BASE_MS + 5 * 60_000, BASE_MS + 10 * 60_000, 5, 10),  # epoch ms; from inclusive, to exclusive
    ("2024-06-01T00:05:00Z", "2024-06-01T00:10:00Z", 5, 10),
    ("2024-06-01T00:05:00", "2024-06-01T00:10:00", 5, 10),  # no offset = UTC
    ("2024-06-01T02:05:00+02:00", "2024-05-31T19:10:00-05:00", 5, 10),
    ("2024-06-01T00:04:59.999Z", "2024-06-01T00:10:00.001Z", 5, 11),
    ("2024-06-01T00:05:00.000001Z", None, 6, 30),
    (None, "2024-06-01T00:00:00.000001Z", 0, 1),
    (BASE_MS + 29 * 60_000, None, 29, 30),
])
def test_search_by_time_range(server, corpus, frm, to, lo, hi):
    params = {"q": corpus["token"]}
    if frm is not None:
        params["from"] = frm
    if to is not None:
        params["to"] = to
    body = search(server, **params)
    assert ids(body["logs"]) == [corpus["records"][i]["id"] for i in range(hi - 1, lo - 1, -1)]


@pytest.mark.parametrize("name", ["from", "to"])
@pytest.mark.parametrize("value", ["yesterday", "2024-06-01T25:00:00Z", "12.5"])
def test_bad_time_parameter_is_400(server, name, value):
    assert_error(server.get("/api/logs", params={name: value}), 400, "BAD_REQUEST", name)


def test_search_text_is_case_sensitive_substring(server, corpus):
    token = corpus["token"]
    body = search(server, q=f"{token} item 1")
    assert ids(body["logs"]) == expect(corpus, lambda r: r["message"].startswith(f"{token} item 1"))
    assert len(body["logs"]) == 10
    assert ids(search(server, q="Needle", channel=corpus["b"])["logs"]) == expect(
        corpus, lambda r: "Needle" in r["message"] and r["channel"] == corpus["b"])
    assert search(server, q=token.upper())["logs"] == []  # token is lowercase hex: upper-case must not match
    # q with regex/LIKE metacharacters is literal
    assert search(server, q=f"{token}%")["logs"] == []
    assert search(server, q=f"{token}_item")["logs"] == []


def test_combined_filters(server, corpus):
    body = search(server, q="Needle", channel=corpus["a"], level="INFO,ERROR,TRACE",
                  **{"from": BASE_MS + 60_000, "to": "2024-06-01T00:29:00Z"})
    want = expect(corpus, lambda r: "Needle" in r["message"] and r["channel"] == corpus["a"]
                  and r["level"] in ("INFO", "ERROR", "TRACE") and 1 <= corpus["records"].index(r) < 29)
    assert want, "the corpus must exercise this filter"
    assert ids(body["logs"]) == want


def test_cursor_paging_walks_every_record_once(server, corpus):
    token = corpus["token"]
    everything = expect(corpus, lambda r: True)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": token, "limit": 7}
        if cursor is not None:
            params["cursor"] = cursor
        body = search(server, **params)
        pages += 1
        seen += ids(body["logs"])
        cursor = body["nextCursor"]
        if cursor is None:
            break
        assert len(body["logs"]) == 7
        assert cursor == str(body["logs"][-1]["id"])
        assert pages < 10
    assert seen == everything
    assert pages == 5  # 7 + 7 + 7 + 7 + 2


def test_cursor_paging_with_filters_and_exact_multiple(server, corpus):
    want = expect(corpus, lambda r: r["channel"] == corpus["a"])  # 20 records
    assert len(want) == 20
    seen, cursor = [], None
    for _ in range(6):
        params = {"channel": corpus["a"], "limit": 10}
        if cursor:
            params["cursor"] = cursor
        body = search(server, **params)
        seen += ids(body["logs"])
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == want
    assert cursor is None


def test_default_limit_is_100(server):
    ch = channel_name()
    body = server.post_batch([{"channel": ch, "message": f"x{i}"} for i in range(130)])
    page = search(server, channel=ch)
    assert ids(page["logs"]) == list(range(body["lastId"], body["lastId"] - 100, -1))
    assert page["nextCursor"] == str(body["lastId"] - 99)
    rest = search(server, channel=ch, cursor=page["nextCursor"])
    assert ids(rest["logs"]) == list(range(body["lastId"] - 100, body["firstId"] - 1, -1))
    assert rest["nextCursor"] is None


@pytest.mark.parametrize("params,status,code,field", [
    ({"limit": "10001"}, 400, "VALIDATION_ERROR", "limit"),
    ({"limit": "x"}, 400, "BAD_REQUEST", "limit"),
    ({"cursor": "abc"}, 400, "VALIDATION_ERROR", "cursor"),
    ({"cursor": "-5"}, 400, "VALIDATION_ERROR", "cursor"),
    ({"channel": "a b"}, 400, "VALIDATION_ERROR", "channel"),
])
def test_search_parameter_errors(server, params, status, code, field):
    assert_error(server.get("/api/logs", params=query(params)), status, code, field)


def test_plus_in_query_means_space(server):
    ch = channel_name()
    token = uuid.uuid4().hex
    body = server.post_one({"channel": ch, "message": f"{token} hello world"})
    r = server.get(f"/api/logs?q={token}+hello+world")
    assert r.status_code == 200, r.text
    assert ids(r.json()["logs"]) == [body["firstId"]]


def test_plus_encoded_as_2b_is_a_plus(server):
    ch = channel_name()
    token = uuid.uuid4().hex
    body = server.post_one({"channel": ch, "message": f"{token} a+b"})
    r = server.get(f"/api/logs?q={token}%20a%2Bb")
    assert r.status_code == 200 and ids(r.json()["logs"]) == [body["firstId"]]


def test_empty_parameters_mean_absent(server, corpus):
    """The documented form `?channel=&level=WARN,ERROR&from=&to=&q=&limit=&cursor=`: empty values are no filter."""
    token = corpus["token"]
    r = server.get(f"/api/logs?level=&from=&to=&q={token}&limit=&cursor=")
    assert r.status_code == 200, r.text
    assert ids(r.json()["logs"]) == expect(corpus, lambda rec: True)
    r = server.get(f"/api/logs?level=WARN,ERROR&from=&to=&q={token}&limit=&cursor=")
    assert r.status_code == 200, r.text
    assert ids(r.json()["logs"]) == expect(corpus, lambda rec: rec["level"] in ("WARN", "ERROR"))


def test_empty_channel_parameter_means_all_channels(server, corpus):
    r = server.get(f"/api/logs?channel=&level=WARN,ERROR&from=&to=&q={corpus['token']}&limit=&cursor=")
    assert r.status_code == 200, r.text
    assert ids(r.json()["logs"]) == expect(corpus, lambda rec: rec["level"] in ("WARN", "ERROR"))


def test_search_limit_zero(server, corpus):
    assert search(server, q=corpus["token"], limit=0) == {"logs": [], "nextCursor": None, "truncated": None, "scanned": 0}


# -- channels -----------------------------------------------------------------------------------------------------


def test_channels_listing(server):
    prefix = channel_name("list")
    names = [f"{prefix}-b", f"{prefix}-a", f"{prefix}-c/é", f"{prefix}-A"]
    last = {}
    for n, name in enumerate(names):
        body = server.post_batch([{"channel": name, "message": str(i)} for i in range(n + 1)])
        last[name] = body["lastId"]
    server.post_one({"channel": names[0], "message": "again"})
    last[names[0]] = server.read(names[0], limit=1)[0]["id"]
    r = server.get("/api/channels")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert list(body) == ["channels"]
    listed = body["channels"]
    assert all(list(c) == ["channel", "count", "lastId"] for c in listed)
    names_listed = [c["channel"] for c in listed]
    assert names_listed == sorted(names_listed)  # by name (code point order = UTF-8 byte order)
    assert len(set(names_listed)) == len(names_listed)
    mine = [c for c in listed if c["channel"].startswith(prefix)]
    assert mine == [
        {"channel": f"{prefix}-A", "count": 4, "lastId": last[f"{prefix}-A"]},
        {"channel": f"{prefix}-a", "count": 2, "lastId": last[f"{prefix}-a"]},
        {"channel": f"{prefix}-b", "count": 2, "lastId": last[f"{prefix}-b"]},
        {"channel": f"{prefix}-c/é", "count": 3, "lastId": last[f"{prefix}-c/é"]},
    ]
    # counts agree with the logs table for every channel
    db_counts = dict(server.db("SELECT channel, count(*) FROM logs GROUP BY channel"))
    db_last = dict(server.db("SELECT channel, max(id) FROM logs GROUP BY channel"))
    assert {c["channel"]: c["count"] for c in listed} == db_counts
    assert {c["channel"]: c["lastId"] for c in listed} == db_last


def test_channels_on_an_empty_server(make_server):
    s = make_server()
    r = s.get("/api/channels")
    assert r.status_code == 200 and r.json() == {"channels": []}


def test_search_unicode_text_and_channel(server):
    ch = "検索-" + channel_name() + "-ü"
    token = uuid.uuid4().hex
    body = server.post_batch([{"channel": ch, "message": f"{token} Grüße aus 東京 🎌"},
                              {"channel": ch, "message": f"{token} plain"}])
    got = search(server, channel=ch, q="東京 🎌")
    assert ids(got["logs"]) == [body["firstId"]]
    assert got["logs"][0]["message"] == f"{token} Grüße aus 東京 🎌" and got["logs"][0]["channel"] == ch
    assert ids(search(server, q=f"{token} Grüße")["logs"]) == [body["firstId"]]
    assert search(server, q=f"{token} grüße")["logs"] == []


# -- the bound on work per read -----------------------------------------------------------------------------------


def truncated_reads(server) -> dict[str, float]:
    counts = {}
    for line in server.mget("/metrics").text.splitlines():
        if line.startswith("logpilot_reads_truncated_total{"):
            reason = line.split('reason="', 1)[1].split('"', 1)[0]
            counts[reason] = float(line.rsplit(" ", 1)[1])
    return counts


def test_a_search_stops_at_its_scan_bound_and_resumes(make_server):
    """With --max-read-scan-records 5000, a search over 23 000 records answers in pages of what it found plus a cursor;
    following the cursors finds exactly what an unbounded search would, in order, once each. (Batches of 5 000: one
    block each, all holding matches, so no filter prunes.)"""
    s = make_server("--max-read-scan-records", "5000")
    assert truncated_reads(s) == {"scan_limit": 0.0, "timeout": 0.0}  # zero series from the start
    ch = channel_name("scan")
    for start in range(0, 23_000, 5_000):
        batch = [{"channel": ch, "message": f"record {i}" + (" needle" if i % 997 == 0 else "")}
                 for i in range(start, min(start + 5_000, 23_000))]
        r = s.post("/api/logs/batch", json=batch)
        assert r.status_code == 201, r.text
    expected = [i + 1 for i in range(23_000) if i % 997 == 0][::-1]
    found, cursor, pages = [], None, []
    while True:
        params = {"q": "needle", "limit": 1000} | ({"cursor": cursor} if cursor else {})
        page = search(s, **params)
        pages.append(page)
        found += ids(page["logs"])
        cursor = page["nextCursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "the cursor does not advance"
    assert found == expected
    # Every page but the last stopped at the bound: it examined 5 000 records, plus at most the block it was in.
    assert [p["truncated"] for p in pages[:-1]] == ["scan_limit"] * (len(pages) - 1) and pages[-1]["truncated"] is None
    assert len(pages) >= 3
    assert all(p["scanned"] <= 5000 + 5000 for p in pages)
    assert truncated_reads(s)["scan_limit"] == len(pages) - 1


def test_a_search_stops_at_its_deadline_and_resumes(make_server):
    """--read-timeout-ms 1: each read opens the blocks it needs to move its cursor (one here), then answers with a
    timeout cursor; following them reaches the oldest record."""
    s = make_server("--read-timeout-ms", "1")
    ch = channel_name("deadline")
    for start in range(0, 60_000, 10_000):
        r = s.post("/api/logs/batch", json=[{"channel": ch, "message": f"m {i} " + "x" * 200}
                                            for i in range(start, start + 10_000)])
        assert r.status_code == 201, r.text
    # Longer than any run of x: its trigrams are in every block, so no filter prunes, and nothing matches.
    term = "x" * 201
    cursor, truncations = None, []
    for _ in range(100):
        page = search(s, q=term, **({"cursor": cursor} if cursor else {}))
        assert page["logs"] == []
        truncations.append(page["truncated"])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert cursor is None, "never reached the oldest record"
    assert truncations == ["timeout"] * (len(truncations) - 1) + [None]
    assert len(truncations) >= 3  # six blocks of 10 000 records
    assert truncated_reads(s)["timeout"] == len(truncations) - 1


def test_read_bound_settings_are_validated(make_server):
    from conftest import run_binary

    r = run_binary(["--max-read-scan-records", "10"])
    assert r.returncode != 0 and "max-read-scan-records" in r.stderr
    r = run_binary(["--read-timeout-ms", "0"])
    assert r.returncode != 0 and "read-timeout-ms" in r.stderr
