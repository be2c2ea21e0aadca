#!/usr/bin/env bash
# Read-side benchmark: loads N records of the varied corpus (wrk/corpus.lua) into a release logpilot-all over REST,
# then measures search latency (a term that matches nothing, a rare term, a common term with limit 100, level + time
# range, a channel) and the ingest rate while searches run, against the ingest rate without them in the same run.
# Also reports the database's bytes per record.
#
#   bench/search.sh                       # 10 000 000 records, build first (~6 minutes on 2 cores)
#   bench/search.sh --no-build --records 2000000
#   bench/search.sh --binary PATH --keep  # another build; keep the temporary directory
#
# Everything runs on 127.0.0.1 and stops by itself; the table goes to stdout and bench/results/search-<UTC>.md.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
RECORDS=10000000
BUILD=1
KEEP=0
BINARY="$ROOT/.build/release/logpilot-all"
PHASE_SECONDS=15
CONNECTIONS=16
EXTRA_ARGS=()

usage() { sed -n '2,12p' "$0"; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --records) RECORDS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --binary) BINARY=$2; BUILD=0; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --phase-seconds) PHASE_SECONDS=$2; shift 2 ;;
    --) shift; EXTRA_ARGS=("$@"); break ;;
    -h|--help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
done

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "search.sh: needs $tool (apt-get install -y wrk curl python3)" >&2; exit 2; }
done
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && swift build -c release --product logpilot-all)
fi
[ -x "$BINARY" ] || { echo "search.sh: no binary at $BINARY" >&2; exit 2; }

WORK=$(mktemp -d "${LOGPILOT_BENCH_TMPDIR:-/var/tmp}/logpilot-search.XXXX")
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  if [ "$KEEP" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
log() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP_PORT=$(free_port); MGMT_PORT=$(free_port); GRPC_PORT=$(free_port)
BASE="http://127.0.0.1:$HTTP_PORT"
"$BINARY" --host 127.0.0.1 --http-port "$HTTP_PORT" --management-port "$MGMT_PORT" --grpc-port "$GRPC_PORT" \
  --sqlite-path "$WORK/logpilot.db" --retention-days 0 --log-level warning "${EXTRA_ARGS[@]}" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$MGMT_PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$MGMT_PORT/health/ready" >/dev/null || { tail -20 "$WORK/server.log"; exit 1; }

stored() { curl -fsS "$BASE/api/channels" | python3 -c 'import json,sys; print(sum(c["count"] for c in json.load(sys.stdin)["channels"]))'; }
peak_rss_kib() { awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status"; }
now_ms() { python3 -c 'import time; print(int(time.time()*1000))'; }

# -- load ---------------------------------------------------------------------------------------------------------
log "loading $RECORDS records (wrk -t2 -c$CONNECTIONS, batch 1000, varied corpus)"
load_started=$(date +%s.%N)
load_from_ms=$(now_ms)
BATCH=1000 RECORDS="$RECORDS" THREADS=2 wrk -t2 -c"$CONNECTIONS" -d3600s --timeout 60s -s "$BENCH_DIR/wrk/corpus.lua" "$BASE" \
  >"$WORK/load.out" 2>&1 &
WRK_PID=$!
while kill -0 "$WRK_PID" 2>/dev/null; do
  sleep 2
  n=$(stored)
  log "  $n stored"
  [ "$n" -ge "$RECORDS" ] && break
done
kill -INT "$WRK_PID" 2>/dev/null || true
wait "$WRK_PID" 2>/dev/null || true
load_seconds=$(python3 -c "import time; print(round(time.time() - $load_started, 1))")
load_to_ms=$(now_ms)
total=$(stored)
load_rate=$(python3 -c "print(round($total / $load_seconds))")
db_bytes=$(du -cb "$WORK"/logpilot.db* | tail -1 | cut -f1)
log "loaded $total records in ${load_seconds}s ($load_rate/s); database $db_bytes bytes"

# A 60-second window in the middle of the load, for the level + time range query.
mid_ms=$(( (load_from_ms + load_to_ms) / 2 ))
from_ms=$(( mid_ms - 30000 )); to_ms=$(( mid_ms + 30000 ))

# -- search latency ---------------------------------------------------------------------------------------------------
log "search latency (5 runs each)"
python3 "$BENCH_DIR/search_queries.py" latency --base "$BASE" --from-ms "$from_ms" --to-ms "$to_ms" >"$WORK/latency.jsonl"

# -- ingest with and without searches -------------------------------------------------------------------------------
ingest_phase() {  # name: prints records/s over PHASE_SECONDS
  BATCH=1000 WINDOW="$PHASE_SECONDS" THREADS=2 wrk -t2 -c"$CONNECTIONS" -d"$((PHASE_SECONDS + 10))s" --timeout 30s \
    -s "$BENCH_DIR/wrk/corpus.lua" "$BASE" >"$WORK/ingest-$1.out" 2>&1
  sed -n 's/.*records_per_s=\([0-9]*\).*/\1/p' "$WORK/ingest-$1.out"
}
log "ingest alone (${PHASE_SECONDS}s)"
alone=$(ingest_phase alone)
log "ingest while 2 clients search (${PHASE_SECONDS}s)"
loop_pids=()
for c in 1 2; do
  python3 "$BENCH_DIR/search_queries.py" loop --base "$BASE" --seconds "$PHASE_SECONDS" --from-ms "$from_ms" --to-ms "$to_ms" \
    >"$WORK/loop-$c.json" &
  loop_pids+=($!)
done
searching=$(ingest_phase searching)
wait "${loop_pids[@]}"
rss_mib=$(( $(peak_rss_kib) / 1024 ))
metrics=$(curl -fsS "http://127.0.0.1:$MGMT_PORT/metrics" | grep '^logpilot_reads_truncated_total' | tr '\n' ' ')

# -- report ---------------------------------------------------------------------------------------------------------
mkdir -p "$BENCH_DIR/results"
report="$BENCH_DIR/results/search-$(date -u +%Y%m%dT%H%M%SZ).md"
python3 - "$WORK" "$total" "$load_seconds" "$load_rate" "$db_bytes" "$alone" "$searching" "$rss_mib" "$metrics" \
  "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo -)" "$BINARY" >"$report" <<'EOF'
import json, pathlib, sys
work, total, load_s, load_rate, db_bytes, alone, searching, rss, metrics, commit, binary = sys.argv[1:]
work = pathlib.Path(work)
rows = [json.loads(line) for line in (work / "latency.jsonl").read_text().splitlines()]
loops = [json.loads((work / f"loop-{c}.json").read_text()) for c in (1, 2)]
print(f"# Search benchmark ({commit}, {binary})\n")
print(f"- {int(total):,} records of the varied corpus (bench/wrk/corpus.lua) loaded over REST in {load_s} s "
      f"({int(load_rate):,} records/s, batch 1000, 16 connections)")
print(f"- database (file + WAL): {int(db_bytes):,} bytes = {int(db_bytes) / int(total):.0f} bytes per record")
print(f"- peak RSS of the server over the run: {rss} MiB")
print(f"- {metrics.strip()}\n")
print("| query | first page, median ms (min–max) | returned | truncated | scanned | exhaustive answer |")
print("|---|---:|---:|---|---:|---|")
for r in rows:
    ex = (f"{r['exhaustive_ms']:.0f} ms, {r['exhaustive_pages']} pages, {r['exhaustive_found']} found"
          if "exhaustive_ms" in r else "—")
    print(f"| {r['query']} | {r['median_ms']} ({r['min_ms']}–{r['max_ms']}) | {r['returned']} | {r['truncated'] or '—'} "
          f"| {r['scanned']:,} | {ex} |")
a, s = int(alone or 0), int(searching or 0)
done = sum(l["searches"] for l in loops)
print(f"\n| ingest (batch 1000, 16 connections) | records/s | ratio |\n|---|---:|---:|")
print(f"| alone | {a:,} | 1.00 |")
print(f"| while 2 clients search round-robin ({done} searches, p50 {loops[0]['p50_ms']} ms, p99 {loops[0]['p99_ms']} ms) "
      f"| {s:,} | {s / a if a else 0:.2f} |")
EOF
cat "$report"
log "report: $report"
