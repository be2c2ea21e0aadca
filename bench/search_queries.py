#!/usr/bin/env python3
"""Search latency against a running LogPilot loaded by wrk/corpus.lua (standard library only).

  search_queries.py latency --base http://127.0.0.1:8080 --from-ms A --to-ms B [--repeat 5]
      Runs each query `repeat` times, prints one JSON line per query: first-page latency (median, min, max), records
      returned, `truncated`, `scanned`, and for queries whose first page is truncated the time and page count to
      follow the cursors to the end (the cost of an exhaustive answer under the work bound).
  search_queries.py loop --base URL --seconds S --from-ms A --to-ms B
      Issues the queries round-robin for S seconds (following no cursor) and prints a JSON summary: searches done
      and their latencies. Used while an ingest load runs.
"""

import argparse
import json
import statistics
import sys
import time
import urllib.parse
import urllib.request


def queries(from_ms: int, to_ms: int) -> list[tuple[str, dict]]:
    return [
        ("term that matches nothing", {"q": "zqxjkvbw-no-such-term", "limit": 100}),
        ("rare term (canary, 1 in 1M)", {"q": "canary", "limit": 100}),
        ("common term, limit 100 (1 in 10)", {"q": "timed out", "limit": 100}),
        ("level + time range (ERROR, 60 s)", {"level": "ERROR", "from": from_ms, "to": to_ms, "limit": 100}),
        ("channel, newest 100", {"channel": "payments", "limit": 100}),
        ("channel + rare term", {"channel": "payments", "q": "canary", "limit": 100}),
    ]


def get(base: str, params: dict) -> tuple[float, dict]:
    url = base + "/api/logs?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = json.loads(response.read())
    return time.perf_counter() - started, body


def latency(args) -> None:
    for name, params in queries(args.from_ms, args.to_ms):
        times, first = [], None
        for _ in range(args.repeat):
            seconds, body = get(args.base, params)
            times.append(seconds)
            first = first or body
        result = {
            "query": name, "params": params,
            "median_ms": round(statistics.median(times) * 1000, 1),
            "min_ms": round(min(times) * 1000, 1), "max_ms": round(max(times) * 1000, 1),
            "returned": len(first["logs"]), "truncated": first.get("truncated"), "scanned": first.get("scanned"),
        }
        if first.get("truncated"):
            # Follow the cursors until the answer is complete (or limit pages).
            pages, found, cursor, started = 0, 0, first.get("nextCursor"), time.perf_counter()
            found += len(first["logs"])
            while cursor and pages < 10_000 and found < params["limit"]:
                _, body = get(args.base, params | {"cursor": cursor})
                pages += 1
                found += len(body["logs"])
                cursor = body.get("nextCursor")
            result["exhaustive_ms"] = round((time.perf_counter() - started) * 1000 + result["median_ms"], 1)
            result["exhaustive_pages"] = pages + 1
            result["exhaustive_found"] = found
        print(json.dumps(result), flush=True)


def loop(args) -> None:
    plan = queries(args.from_ms, args.to_ms)
    deadline = time.monotonic() + args.seconds
    times, i = [], 0
    while time.monotonic() < deadline:
        seconds, _ = get(args.base, plan[i % len(plan)][1])
        times.append(seconds)
        i += 1
    times.sort()
    print(json.dumps({
        "searches": len(times), "per_s": round(len(times) / args.seconds, 1),
        "p50_ms": round(times[len(times) // 2] * 1000, 1) if times else None,
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 1) if times else None,
    }), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["latency", "loop"])
    parser.add_argument("--base", required=True)
    parser.add_argument("--from-ms", type=int, required=True)
    parser.add_argument("--to-ms", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    latency(args) if args.mode == "latency" else loop(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
