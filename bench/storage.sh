#!/usr/bin/env bash
# Storage benchmark (issue 11, item 5): a REFERENCE binary (the v1 row store) against a CANDIDATE binary (the
# block store) in one run, on the varied corpus of bench/wrk/corpus.lua. For each binary, on a fresh database:
# load N records over REST, wait for background compaction to settle, measure bytes per record, search latency,
# REST and gRPC ingest rates at batch 100 and 1000 and peak RSS; stop with SIGTERM (exit 0), restart, and check
# that every acknowledged record is stored. One table, both binaries side by side, ratio candidate/reference.
#
#   bench/storage.sh --reference /work/wt-v1/.build/release/logpilot-all --candidate .build/release/logpilot-all
#   bench/storage.sh --reference A --candidate B --quick          # 500 000 records, 5-second phases (smoke run)
#   bench/storage.sh --reference A --candidate B --records 2000000 --phase-seconds 10 --keep
#
# Everything runs on 127.0.0.1 and is bounded in time; every process started here is stopped on exit and the
# temporary directory (under ${LOGPILOT_BENCH_TMPDIR:-/var/tmp}) removed unless --keep. The table goes to stdout
# and bench/results/storage-<UTC>.md. Exit 0: every check passed; 1: a check failed; 2: usage or setup error.
# A missed issue target does not change the exit code. See bench/README.md, "Storage benchmark".
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
RESULTS_DIR="$BENCH_DIR/results"

REFERENCE=""
CANDIDATE=""
REFERENCE_ARGS=""
CANDIDATE_ARGS=""
RECORDS=10000000
PHASE_SECONDS=15
GRACE=10
POOL=64              # corpus.lua POOL for the ingest phases (0 = a fresh body per request)
CONNECTIONS=16       # wrk connections (load and REST phases) and h2load connections
WRK_THREADS=2
SETTLE_TIMEOUT=120   # seconds to wait for logpilot_compaction_pending_runs to reach 0 (twice)
LOAD_TIMEOUT=""      # default: 300 s + 1 s per 5000 records
SEARCH_REPEAT=5
KEEP=0
QUICK=0
RECORDS_SET=0
PHASE_SET=0
GRACE_SET=0

usage() {
    sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Options:
  --reference PATH          the v1 row-store logpilot-all (required)
  --candidate PATH          the block-store logpilot-all (required; may be the same file, to test the script)
  --records N               records loaded before the searches (default 10000000; rounded up to a multiple of 2000)
  --phase-seconds S         measured window of each ingest scenario (default 15)
  --grace S                 seconds given to requests in flight after each window (default 10)
  --quick                   500000 records, 5-second phases, 5-second grace (explicit options win)
  --pool N                  distinct request bodies per wrk thread in the ingest phases (default 64; 0 = every
                            body built anew: wrk then takes a large share of the 2 cores, see bench/README.md)
  --settle-timeout S        longest wait for compaction to settle (default 120)
  --load-timeout S          longest load (default 300 + records / 5000)
  --search-repeat N         runs per search query (default 5)
  --reference-args "ARGS"   extra server flags for the reference (word-split)
  --candidate-args "ARGS"   extra server flags for the candidate (word-split)
  --keep                    keep the temporary directory (databases, server logs, raw outputs)
EOF
}

die() { echo "storage.sh: error: $*" >&2; exit 2; }
log() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]] && (($1 > 0)); }

while (($#)); do
    case $1 in
        --reference) [[ $# -ge 2 ]] || die "--reference needs a path"; REFERENCE=$2; shift 2 ;;
        --candidate) [[ $# -ge 2 ]] || die "--candidate needs a path"; CANDIDATE=$2; shift 2 ;;
        --reference-args) [[ $# -ge 2 ]] || die "--reference-args needs a value"; REFERENCE_ARGS=$2; shift 2 ;;
        --candidate-args) [[ $# -ge 2 ]] || die "--candidate-args needs a value"; CANDIDATE_ARGS=$2; shift 2 ;;
        --records) [[ $# -ge 2 ]] || die "--records needs a value"; RECORDS=$2; RECORDS_SET=1; shift 2 ;;
        --phase-seconds) [[ $# -ge 2 ]] || die "--phase-seconds needs a value"; PHASE_SECONDS=$2; PHASE_SET=1; shift 2 ;;
        --grace) [[ $# -ge 2 ]] || die "--grace needs a value"; GRACE=$2; GRACE_SET=1; shift 2 ;;
        --pool) [[ $# -ge 2 ]] || die "--pool needs a value"; POOL=$2; shift 2 ;;
        --settle-timeout) [[ $# -ge 2 ]] || die "--settle-timeout needs a value"; SETTLE_TIMEOUT=$2; shift 2 ;;
        --load-timeout) [[ $# -ge 2 ]] || die "--load-timeout needs a value"; LOAD_TIMEOUT=$2; shift 2 ;;
        --search-repeat) [[ $# -ge 2 ]] || die "--search-repeat needs a value"; SEARCH_REPEAT=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
if ((QUICK)); then
    ((RECORDS_SET)) || RECORDS=500000
    ((PHASE_SET)) || PHASE_SECONDS=5
    ((GRACE_SET)) || GRACE=5
fi

[[ -n $REFERENCE ]] || { usage >&2; die "--reference PATH is required"; }
[[ -n $CANDIDATE ]] || { usage >&2; die "--candidate PATH is required"; }
for b in "$REFERENCE" "$CANDIDATE"; do
    [[ -x $b ]] || die "not an executable: $b"
    "$b" --help >/dev/null 2>&1 || die "'$b --help' failed"
done
REFERENCE=$(realpath "$REFERENCE")
CANDIDATE=$(realpath "$CANDIDATE")
is_uint "$RECORDS" || die "--records must be a positive integer"
is_uint "$PHASE_SECONDS" || die "--phase-seconds must be a positive integer"
is_uint "$GRACE" || die "--grace must be a positive integer"
[[ $POOL =~ ^[0-9]+$ ]] || die "--pool must be a non-negative integer"
is_uint "$SETTLE_TIMEOUT" || die "--settle-timeout must be a positive integer"
is_uint "$SEARCH_REPEAT" || die "--search-repeat must be a positive integer"
# The load stops exactly at N only when each wrk thread's share is a whole number of 1000-record batches.
LOAD_UNIT=$((WRK_THREADS * 1000))
if ((RECORDS % LOAD_UNIT)); then
    RECORDS=$(((RECORDS / LOAD_UNIT + 1) * LOAD_UNIT))
    log "records rounded up to $RECORDS (a multiple of $WRK_THREADS threads x 1000-record batches)"
fi
[[ -n $LOAD_TIMEOUT ]] || LOAD_TIMEOUT=$((300 + RECORDS / 5000))
is_uint "$LOAD_TIMEOUT" || die "--load-timeout must be a positive integer"

# ----------------------------------------------------------------- tools

check_tools() {
    local missing=() t
    for t in wrk curl python3 h2load sqlite3; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
    ((${#missing[@]})) || return 0
    local pkgs=() m
    for m in "${missing[@]}"; do
        case $m in h2load) pkgs+=(nghttp2-client) ;; *) pkgs+=("$m") ;; esac
    done
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing missing tools: ${pkgs[*]}"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" >/dev/null; then
            apt-get update >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" >/dev/null
        fi
    else
        die "missing: ${missing[*]} — install with: sudo apt-get install -y ${pkgs[*]}"
    fi
}
check_tools

# ----------------------------------------------------------------- cleanup

WORK=""
SERVER_PID=""
LOAD_PID=""

stop_pid() { # stop_pid PID SIGNAL GRACE-SECONDS: signal, wait, then KILL
    local pid=$1 sig=$2 wait_s=$3 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < wait_s * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n $LOAD_PID ]] && stop_pid "$LOAD_PID" INT 3
    [[ -n $SERVER_PID ]] && stop_pid "$SERVER_PID" TERM 30
    if [[ -n $WORK && -d $WORK ]]; then
        if ((KEEP)); then echo "storage.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "storage.sh: interrupted" >&2; exit 130' INT TERM

# ----------------------------------------------------------------- helpers

# kv KEY FILE: value of KEY=... on the last "RESULT " line of FILE ("" if absent)
kv() {
    awk -v k="$1" '/^RESULT /{line=$0} END{n=split(line,f," "); for(i=2;i<=n;i++){p=index(f[i],"="); if(substr(f[i],1,p-1)==k){print substr(f[i],p+1); exit}}}' "$2"
}
calc() { awk "BEGIN{ printf \"$1\", $2 }"; } # calc FORMAT EXPR
now_s() { date +%s.%N; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

free_ports() { # three free TCP ports on 127.0.0.1
    python3 - <<'EOF'
import socket
socks = []
for _ in range(3):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
}

cpu_ticks() { # utime+stime of PID in clock ticks ("" if gone)
    local stat
    { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 0
    stat=${stat##*) }
    local -a f
    read -r -a f <<<"$stat"
    echo $((f[11] + f[12]))
}
CLK_TCK=$(getconf CLK_TCK)

proc_status_kb() { # proc_status_kb PID FIELD -> kB ("" if gone)
    local k v rest
    while read -r k v rest; do
        if [[ $k == "$2:" ]]; then echo "$v"; return 0; fi
    done <"/proc/$1/status" 2>/dev/null || true
}

# CHILD_CPU := user+sys CPU seconds of this shell's reaped children so far (run in the main shell, not in $(...))
snap_children_cpu() {
    times >"$WORK/times.txt"
    CHILD_CPU=$(awk 'function sec(x,  m){m=x; sub(/m.*/,"",m); sub(/^[0-9]+m/,"",x); sub(/s$/,"",x); return m*60+x}
        NR==2{printf "%.2f", sec($1)+sec($2)}' "$WORK/times.txt")
}

file_size() { if [[ -e $1 ]]; then stat -c %s "$1"; else echo 0; fi; }

stored() { # records stored, by the sum of /api/channels counts ("" on error)
    curl -fsS --max-time 60 "http://127.0.0.1:$HTTP_PORT/api/channels" 2>/dev/null |
        python3 -c 'import json,sys; print(sum(c["count"] for c in json.load(sys.stdin)["channels"]))' 2>/dev/null || true
}

stored_stable() { # stored, once two reads 0.5 s apart agree (calls cut off by h2load may still be committing); at most 10 s
    local a b i
    a=$(stored)
    for ((i = 0; i < 20; i++)); do
        sleep 0.5
        b=$(stored)
        [[ -n $a && $a == "$b" ]] && break
        a=$b
    done
    echo "$b"
}

metric() { # metric NAME: sum of the samples of NAME on /metrics ("" if the family is absent)
    curl -fsS --max-time 10 "http://127.0.0.1:$MGMT_PORT/metrics" 2>/dev/null |
        awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $NF; seen = 1} END {if (seen) printf "%.17g\n", s}' || true
}

RES="" # results file of the current role: KEY<TAB>VALUE lines
put() { printf '%s\t%s\n' "$1" "$2" >>"$RES"; }
FAILURES=()
fail() { FAILURES+=("$ROLE: $*"); log "CHECK FAILED ($ROLE): $*"; }

# ----------------------------------------------------------------- server

# start_server DIR BINARY [ARGS...] -> SERVER_PID, HTTP_PORT, MGMT_PORT, GRPC_PORT; ready = /health/ready 200 and
# the gRPC port accepts a TCP connection
start_server() {
    local dir=$1 bin=$2 i rc
    shift 2
    read -r HTTP_PORT MGMT_PORT GRPC_PORT <<<"$(free_ports)"
    "$bin" --host 127.0.0.1 --http-port "$HTTP_PORT" --management-port "$MGMT_PORT" --grpc-port "$GRPC_PORT" \
        --sqlite-path "$dir/logpilot.db" --sqlite-synchronous FULL --retention-days 0 --log-level warning \
        "$@" >>"$dir/server.log" 2>&1 &
    SERVER_PID=$!
    for ((i = 0; i < 1200; i++)); do # 120 s (a restart on a large database may take a while)
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null && rc=0 || rc=$?
            SERVER_PID=""
            echo "server exited (code $rc) before it was ready; last log lines:" >&2
            tail -n 20 "$dir/server.log" >&2
            return 1
        fi
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$MGMT_PORT/health/ready" 2>/dev/null) == 200 ]] &&
            (exec 3<>"/dev/tcp/127.0.0.1/$GRPC_PORT") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "server not ready after 120 s; last log lines:" >&2
    tail -n 20 "$dir/server.log" >&2
    stop_pid "$SERVER_PID" TERM 10
    SERVER_PID=""
    return 1
}

# stop_server -> SERVER_EXIT (exit code, or "timeout" if it had to be killed after 60 s)
stop_server() {
    local i
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    SERVER_EXIT=timeout
    for ((i = 0; i < 600; i++)); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null && SERVER_EXIT=0 || SERVER_EXIT=$?
            SERVER_PID=""
            return 0
        fi
        sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# settle PREFIX: poll logpilot_compaction_pending_runs every 0.5 s until it reads 0 twice in a row or
# SETTLE_TIMEOUT passes. Puts PREFIX_settle_s (seconds to the first of the two zeros; "absent" when the server
# does not export the gauge, as the v1 row store does not) and PREFIX_settle_state.
settle() {
    local prefix=$1 t0 v zeros=0 first_zero="" elapsed
    t0=$(now_s)
    v=$(metric logpilot_compaction_pending_runs)
    if [[ -z $v ]]; then
        put "${prefix}_settle_s" absent
        put "${prefix}_settle_state" "no logpilot_compaction_pending_runs on /metrics"
        return 0
    fi
    while :; do
        elapsed=$(calc "%.1f" "$(now_s) - $t0")
        if [[ -n $v ]] && awk "BEGIN{exit !($v == 0)}"; then
            ((zeros == 0)) && first_zero=$elapsed
            zeros=$((zeros + 1))
            if ((zeros >= 2)); then
                put "${prefix}_settle_s" "$first_zero"
                put "${prefix}_settle_state" "settled"
                return 0
            fi
        else
            zeros=0
        fi
        if awk "BEGIN{exit !($elapsed >= $SETTLE_TIMEOUT)}"; then
            put "${prefix}_settle_s" "timeout"
            put "${prefix}_settle_state" "still ${v:-?} pending runs after ${SETTLE_TIMEOUT}s"
            log "  compaction did not settle within ${SETTLE_TIMEOUT}s (${v:-?} pending runs)"
            return 0
        fi
        sleep 0.5
        v=$(metric logpilot_compaction_pending_runs)
    done
}

# h2load_result RAW BATCH WINDOW: one RESULT line from `h2load -v` output; the same reading as bench/run.sh (see
# there): response headers without grpc-status = an OK call (LogPilot sends them only with the response, after
# the commit); a trailers-only answer carries grpc-status (8 = RESOURCE_EXHAUSTED); calls with no answer were cut
# off when h2load closed its connections at the end of -D.
h2load_result() {
    awk -v batch="$2" -v window="$3" '
        /^\[stream_id=[0-9]+\] :status: / { n_resp++; next }
        /^\[stream_id=[0-9]+\] grpc-status: / {
            st[$3 + 0]++; n_status++
            if ($3 + 0 != 0 && $3 + 0 != 8 && first_other == "") first_other = $1
            next
        }
        /^\[stream_id=[0-9]+\] grpc-message: / {
            m = $0; sub(/^[^ ]* grpc-message: /, "", m); gsub(/[ \t]+/, "_", m); msg[$1] = substr(m, 1, 160)
            next
        }
        /^\[stream_id=/ { next }
        /^requests: / { started = $4; done = $6; failed = $10; errored = $12; timeout = $14 }
        /^status codes: / { non2xx = $5 + $7 + $9 }
        END {
            if (started == "") exit 1
            ok = n_resp - n_status + st[0]; re = st[8] + 0; other = n_status - st[0] - re
            for (code in st) if (code != 0 && code != 8) { example = "grpc-status_" code; break }
            if (first_other != "" && (first_other in msg)) example = example ":" msg[first_other]
            printf "RESULT calls_started=%d calls_done=%d responses=%d grpc_ok=%d grpc_resource_exhausted=%d", started, done, n_resp, ok, re
            printf " grpc_other=%d no_status=%d http_non2xx=%d h2load_failed=%d h2load_errored=%d h2load_timeout=%d", other, started - n_resp, non2xx, failed, errored, timeout
            printf " acked_records=%d window_s=%g records_per_s=%.0f other_example=%s\n", ok * batch, window, ok * batch / window, (example == "" ? "-" : example)
        }' "$1"
}

# ----------------------------------------------------------------- one binary

# load_corpus ROLE_DIR: N records of the varied corpus (fresh bodies, POOL=0), batch 1000, wrk -c$CONNECTIONS.
# Each wrk thread stops sending once its share is acknowledged (corpus.lua RECORDS), but wrk itself runs on until
# -d: /api/channels is polled (every second), and wrk gets SIGINT 1 s after the count is reached (or at the
# timeout). The rate is acknowledged records / corpus.lua's active_s (first request to last acknowledgement).
load_corpus() {
    local dir=$1 out="$1/load.out" t0 deadline n="" ticks="" t stopped_by=count i=0
    log "$ROLE: loading $RECORDS records (wrk -t$WRK_THREADS -c$CONNECTIONS, batch 1000, varied corpus, fresh bodies)"
    LOAD_FROM_MS=$(now_ms)
    t0=$(now_s)
    local scpu0 scpu1
    scpu0=$(cpu_ticks "$SERVER_PID")
    BATCH=1000 RECORDS=$RECORDS THREADS=$WRK_THREADS POOL=0 wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${LOAD_TIMEOUT}s" \
        --timeout 60s -s "$BENCH_DIR/wrk/corpus.lua" "http://127.0.0.1:$HTTP_PORT" >"$out" 2>&1 &
    LOAD_PID=$!
    deadline=$(calc "%.0f" "$t0 + $LOAD_TIMEOUT")
    while kill -0 "$LOAD_PID" 2>/dev/null; do
        sleep 1
        t=$(cpu_ticks "$LOAD_PID")
        [[ -n $t ]] && ticks=$t
        n=$(stored)
        ((++i % 10 == 0)) && log "  ${n:-?} stored"
        if [[ -n $n ]] && ((n >= RECORDS)); then sleep 1; break; fi
        kill -0 "$SERVER_PID" 2>/dev/null || { stopped_by=server-died; break; }
        if awk "BEGIN{exit !($(now_s) > $deadline)}"; then stopped_by=timeout; break; fi
    done
    kill -0 "$LOAD_PID" 2>/dev/null && kill -INT "$LOAD_PID" 2>/dev/null
    wait "$LOAD_PID" 2>/dev/null || true
    LOAD_PID=""
    LOAD_TO_MS=$(now_ms)
    scpu1=$(cpu_ticks "$SERVER_PID")
    [[ -n $scpu1 ]] || scpu1=$scpu0
    local acked dur unanswered=0
    acked=$(kv acked_records "$out")
    dur=$(kv active_s "$out")
    if [[ -z $acked || -z $dur ]]; then
        fail "load: wrk printed no RESULT line (with active_s)"
        tail -n 20 "$out" >&2
        acked=0 dur=$(calc "%.1f" "$(now_s) - $t0")
    else
        unanswered=$(($(kv issued "$out") - $(kv acked_requests "$out") - $(kv status_429 "$out") - $(kv other "$out")))
    fi
    put load_acked "$acked"
    put load_seconds "$dur"
    put load_rate "$(calc "%.0f" "$acked / $dur")"
    put load_429 "$(kv status_429 "$out")"
    put load_other "$(kv other "$out")"
    put load_unanswered "$unanswered"
    put load_canaries "$(kv canaries "$out")"
    put load_client_cores "$(calc "%.2f" "${ticks:-0} / $CLK_TCK / $dur")"
    put load_server_cores "$(calc "%.2f" "($scpu1 - $scpu0) / $CLK_TCK / $dur")"
    ((acked > 0)) && put load_cpu_per_m "$(calc "%.1f" "($scpu1 - $scpu0) / $CLK_TCK / $acked * 1000000")"
    put load_stopped_by "$stopped_by"
    [[ $(kv other "$out") == 0 ]] || fail "load: $(kv other "$out") answers with an unexpected status (e.g. $(kv other_example "$out"))"
    ((unanswered == 0)) || fail "load: $unanswered requests got no answer (still in flight when wrk stopped, or socket errors)"
    case $stopped_by in
        count) ;;
        timeout) fail "load: only ${n:-?} of $RECORDS records stored after ${LOAD_TIMEOUT}s (--load-timeout)" ;;
        *) fail "load: the server died during the load" ;;
    esac
    log "$ROLE: loaded $acked records in ${dur}s ($(calc "%.0f" "$acked / $dur") records/s)"
}

# phase NAME KIND BATCH: one ingest scenario of PHASE_SECONDS (+ GRACE), after compaction settled.
#   KIND=rest: wrk corpus.lua, POOL bodies per thread, WINDOW=PHASE_SECONDS; rate = records acknowledged in the window
#   KIND=grpc: h2load SendLogs, -D PHASE_SECONDS; rate = OK calls x BATCH / window
# Count check: the stored count (/api/channels) grows by exactly the acknowledged records (REST), or by a whole
# number of calls between the OK calls and the OK + cut-off calls (gRPC, as bench/run.sh).
phase() {
    local dir=$1 name=$2 kind=$3 batch=$4 out="$1/$2.out" s0 s1 cpu0 cpu1 c0 c1 m
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        fail "$name: skipped, the server is not running"
        return 0
    fi
    settle "$name"
    s0=$(stored)
    cpu0=$(cpu_ticks "$SERVER_PID")
    snap_children_cpu
    c0=$CHILD_CPU
    if [[ $kind == rest ]]; then
        log "$ROLE: $name: wrk -t$WRK_THREADS -c$CONNECTIONS, batch $batch, POOL=$POOL, ${PHASE_SECONDS}s + ${GRACE}s grace"
        BATCH=$batch WINDOW=$PHASE_SECONDS THREADS=$WRK_THREADS POOL=$POOL SEED=$((batch + 11)) \
            wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$((PHASE_SECONDS + GRACE))s" --timeout 30s \
            -s "$BENCH_DIR/wrk/corpus.lua" "http://127.0.0.1:$HTTP_PORT" >"$out" 2>&1 &
    else
        # 16 x 8 calls x 100 records, or 16 x 1 call x 1000 records in flight (about what wrk -c16 keeps in flight at
        # batch 1000); -m8 at batch 1000 would keep 128 000 records against a 10 000-record queue and mostly measure
        # RESOURCE_EXHAUSTED answers.
        m=$((batch >= 800 ? 1 : 800 / batch))
        log "$ROLE: $name: h2load -c$CONNECTIONS -m$m -D $PHASE_SECONDS, SendLogs $batch corpus records/call"
        timeout $((PHASE_SECONDS + GRACE + 30)) h2load -v -t 1 -c "$CONNECTIONS" -m "$m" -D "$PHASE_SECONDS" \
            --data="$WORK/sendlogs-$batch.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
            "http://127.0.0.1:$GRPC_PORT/logpilot.LogService/SendLogs" >"$dir/$name.raw" 2>&1 &
    fi
    LOAD_PID=$!
    wait "$LOAD_PID" || true
    LOAD_PID=""
    snap_children_cpu
    c1=$CHILD_CPU
    cpu1=$(cpu_ticks "$SERVER_PID")
    [[ -n $cpu1 ]] || cpu1=$cpu0
    if [[ $kind == grpc ]]; then
        grep -v '^\[stream_id=' "$dir/$name.raw" >"$out" || true
        h2load_result "$dir/$name.raw" "$batch" "$PHASE_SECONDS" >>"$out" || true
        rm -f "$dir/$name.raw"
    fi
    s1=$(stored_stable)
    local acked rate delta check
    acked=$(kv acked_records "$out")
    rate=$(kv records_per_s "$out")
    if [[ -z $acked ]]; then
        fail "$name: the load generator printed no RESULT line"
        tail -n 20 "$out" >&2
        put "${name}_rate" ""
        put "${name}_check" "FAIL (no result)"
        return 0
    fi
    delta=$((${s1:-0} - ${s0:-0}))
    put "${name}_rate" "$rate"
    put "${name}_acked" "$acked"
    put "${name}_stored_delta" "$delta"
    put "${name}_server_cores" "$(calc "%.2f" "($cpu1 - $cpu0) / $CLK_TCK / $PHASE_SECONDS")"
    put "${name}_client_cores" "$(calc "%.2f" "($c1 - $c0) / $PHASE_SECONDS")"
    if ((acked > 0)); then put "${name}_cpu_per_m" "$(calc "%.1f" "($cpu1 - $cpu0) / $CLK_TCK / $acked * 1000000")"; fi
    if [[ $kind == rest ]]; then
        put "${name}_rejected" "$(kv status_429 "$out")×429"
        if [[ $delta == "$acked" ]]; then check="OK (+$delta)"; else check="MISMATCH (stored +$delta, acked $acked)"; fail "$name: stored +$delta, acknowledged $acked"; fi
        [[ $(kv other "$out") == 0 ]] || { check+=", $(kv other "$out")×other"; fail "$name: $(kv other "$out") unexpected answers (e.g. $(kv other_example "$out"))"; }
        local unanswered=$(($(kv issued "$out") - $(kv acked_requests "$out") - $(kv status_429 "$out") - $(kv other "$out")))
        ((unanswered <= 0)) || { check+=", $unanswered unanswered"; fail "$name: $unanswered requests without an answer within ${GRACE}s after the window"; }
    else
        local ok nost re ostat cut
        ok=$(kv grpc_ok "$out"); nost=$(kv no_status "$out"); re=$(kv grpc_resource_exhausted "$out"); ostat=$(kv grpc_other "$out")
        put "${name}_rejected" "${re}×RESOURCE_EXHAUSTED"
        if ((delta % batch == 0 && delta >= ok * batch && delta <= (ok + nost) * batch)); then
            cut=$((delta / batch - ok))
            check="OK (+$delta = $ok OK calls + $cut of $nost cut off)"
            put "${name}_cutoff_records" $((cut * batch))
        else
            check="MISMATCH (stored +$delta, $ok OK calls, $nost cut off)"
            fail "$name: stored +$delta is not $batch x (OK calls $ok .. OK + cut-off calls $((ok + nost)))"
        fi
        ((ostat == 0)) || { check+=", ${ostat}×other status"; fail "$name: $ostat calls with an unexpected grpc-status ($(kv other_example "$out"))"; }
        ((ok + re + ostat > 0)) || fail "$name: no response headers in h2load -v output"
        ((nost <= CONNECTIONS * m)) || fail "$name: $nost calls without an answer, more than the $((CONNECTIONS * m)) in flight at the window end"
        [[ $(kv http_non2xx "$out") == 0 ]] || fail "$name: $(kv http_non2xx "$out") non-2xx HTTP answers"
    fi
    put "${name}_check" "$check"
    log "$ROLE: $name: $rate records/s, check: $check"
}

run_role() { # run_role ROLE BINARY EXTRA-ARGS
    ROLE=$1
    local bin=$2 dir="$WORK/$1" db extra=()
    read -r -a extra <<<"$3"
    mkdir -p "$dir"
    RES="$dir/results.tsv"
    : >"$RES"
    db="$dir/logpilot.db"
    put binary "$bin"
    put binary_sha256 "$(sha256sum "$bin" | cut -c1-12)"
    put server_args "${3:--}"
    log "$ROLE: starting $bin ${3:-}"
    if ! start_server "$dir" "$bin" "${extra[@]}"; then
        fail "server did not become ready"
        return 0
    fi

    load_corpus "$dir"
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        stop_server
        fail "the server died during the load (exit $SERVER_EXIT); the rest of this binary's run is skipped"
        tail -n 20 "$dir/server.log" >&2
        return 0
    fi
    settle load
    # sizes right after the load (and the settle)
    local dbb walb n stored_load
    stored_load=$(stored)
    put stored_after_load "$stored_load"
    [[ $stored_load == "$(awk -F'\t' '$1=="load_acked"{print $2}' "$RES")" ]] ||
        fail "after the load: stored $stored_load, acknowledged $(awk -F'\t' '$1=="load_acked"{print $2}' "$RES")"
    dbb=$(file_size "$db")
    walb=$(file_size "$db-wal")
    n=${stored_load:-0}
    ((n > 0)) || n=1
    put db_bytes "$dbb"
    put wal_bytes "$walb"
    put bytes_per_record "$(calc "%.1f" "($dbb + $walb) / $n")"
    local mbytes
    mbytes=$(metric logpilot_storage_database_bytes)
    put metric_database_bytes "${mbytes:-absent}"
    [[ -n $mbytes ]] && put metric_bytes_per_record "$(calc "%.1f" "$mbytes / $n")"
    # live pages (page_count - freelist_count) x page_size, read through the WAL: the size after a checkpoint
    local live
    live=$(sqlite3 "file:$db?mode=ro" 'select (select page_count from pragma_page_count) - (select freelist_count from pragma_freelist_count), (select page_size from pragma_page_size);' 2>/dev/null | tr '|' ' ' || true)
    if [[ -n $live ]]; then
        # shellcheck disable=SC2086
        set -- $live
        put live_bytes $(($1 * $2))
        put live_bytes_per_record "$(calc "%.1f" "$1 * $2 / $n")"
    fi
    ls -l "$dir" >"$dir/files-after-load.txt" 2>&1 || true
    put vmhwm_after_load_kb "$(proc_status_kb "$SERVER_PID" VmHWM)"
    put vmrss_after_load_kb "$(proc_status_kb "$SERVER_PID" VmRSS)"

    # search latency; the level + time range query takes 60 s from the middle of the load
    local mid=$(((LOAD_FROM_MS + LOAD_TO_MS) / 2))
    log "$ROLE: search latency ($SEARCH_REPEAT runs per query)"
    timeout 1800 python3 "$BENCH_DIR/search_queries.py" latency --base "http://127.0.0.1:$HTTP_PORT" \
        --from-ms $((mid - 30000)) --to-ms $((mid + 30000)) --repeat "$SEARCH_REPEAT" >"$dir/latency.jsonl" 2>"$dir/latency.err" &
    LOAD_PID=$!
    if ! wait "$LOAD_PID"; then fail "search_queries.py failed: $(tail -n 3 "$dir/latency.err" | tr '\n' ' ')"; fi
    LOAD_PID=""

    phase "$dir" rest100 rest 100
    phase "$dir" rest1000 rest 1000
    phase "$dir" grpc100 grpc 100
    phase "$dir" grpc1000 grpc 1000

    local stored_end hwm
    stored_end=$(stored)
    put stored_end "$stored_end"
    hwm=$(proc_status_kb "$SERVER_PID" VmHWM)
    put vmhwm_end_kb "$hwm"
    put vmrss_end_kb "$(proc_status_kb "$SERVER_PID" VmRSS)"
    curl -fsS --max-time 10 "http://127.0.0.1:$MGMT_PORT/metrics" 2>/dev/null |
        grep -E '^logpilot_(compaction|storage|logs_stored_total|reads_truncated)' | grep -v '_bucket{' >"$dir/metrics-end.txt" || true

    log "$ROLE: SIGTERM"
    stop_server
    put exit_code "$SERVER_EXIT"
    [[ $SERVER_EXIT == 0 ]] || fail "exit code after SIGTERM: $SERVER_EXIT"
    put db_bytes_after_stop "$(file_size "$db")"
    put wal_bytes_after_stop "$(file_size "$db-wal")"

    # restart on the same database: every record counted before the stop must still be there
    log "$ROLE: restart to count the stored records"
    local stored_restart=""
    if start_server "$dir" "$bin" "${extra[@]}"; then
        stored_restart=$(stored)
        stop_server
        put exit_code_restart "$SERVER_EXIT"
        [[ $SERVER_EXIT == 0 ]] || fail "exit code after SIGTERM (restart): $SERVER_EXIT"
    else
        fail "server did not become ready again on its database"
    fi
    put stored_restart "${stored_restart:--}"
    local acked_total=0 k cut=0
    for k in load_acked rest100_acked rest1000_acked grpc100_acked grpc1000_acked; do
        acked_total=$((acked_total + $(awk -F'\t' -v k=$k '$1==k{v=$2} END{print v+0}' "$RES")))
    done
    for k in grpc100_cutoff_records grpc1000_cutoff_records; do
        cut=$((cut + $(awk -F'\t' -v k=$k '$1==k{v=$2} END{print v+0}' "$RES")))
    done
    put acked_total "$acked_total"
    local check
    if [[ $stored_restart == "$stored_end" && $stored_end == $((acked_total + cut)) ]]; then
        check="OK ($stored_restart = $acked_total acknowledged"
        ((cut > 0)) && check+=" + $cut of gRPC calls cut off at a window end"
        check+=")"
    else
        check="MISMATCH (after restart ${stored_restart:-?}, before stop ${stored_end:-?}, acknowledged $acked_total + $cut cut off)"
        fail "count: after restart ${stored_restart:-?}, before stop ${stored_end:-?}, acknowledged $acked_total (+ $cut of cut-off gRPC calls)"
    fi
    # the v1 schema can also be counted directly (the block store's tables are its own business)
    local rows
    rows=$(sqlite3 "file:$db?mode=ro" "select count(*) from logs" 2>/dev/null || true)
    if [[ -n $rows ]]; then
        put sqlite_logs_rows "$rows"
        if [[ $ROLE == reference && $rows != "$stored_restart" ]]; then
            check="MISMATCH (sqlite3 count(*) from logs = $rows)"
            fail "sqlite3 count(*) from logs = $rows, /api/channels = ${stored_restart:-?}"
        fi
    fi
    put count_check "$check"
    log "$ROLE: count check: $check"
    ((KEEP)) || rm -f "$db" "$db"-* "$db".*
}

# ----------------------------------------------------------------- main

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOADAVG_START%% *}" -v n="$(nproc)" 'BEGIN{exit !(l > n / 2)}'; then
    echo "storage.sh: WARNING: load average $LOADAVG_START on $(nproc) cores: something else is using the CPU, the numbers will be noisy" >&2
fi
TMP_BASE=${LOGPILOT_BENCH_TMPDIR:-/var/tmp}
mkdir -p "$TMP_BASE"
WORK=$(mktemp -d "$TMP_BASE/logpilot-storage.XXXXXX")
FS_TYPE=$(stat -f -c %T "$WORK")
if [[ $FS_TYPE == tmpfs || $FS_TYPE == ramfs ]]; then
    echo "storage.sh: WARNING: $WORK is on $FS_TYPE: fsync is free there, numbers mean little (set LOGPILOT_BENCH_TMPDIR)" >&2
fi
log "encoding the gRPC SendLogs payloads (varied corpus, one fixed batch per size)"
for b in 100 1000; do
    python3 "$BENCH_DIR/grpc_payload.py" sendlogs "$WORK/sendlogs-$b.bin" --batch "$b" --corpus --seed $((b + 7)) 2>>"$WORK/payload.log"
done

run_role reference "$REFERENCE" "$REFERENCE_ARGS"
run_role candidate "$CANDIDATE" "$CANDIDATE_ARGS"

# ----------------------------------------------------------------- report

mkdir -p "$RESULTS_DIR"
REPORT="$RESULTS_DIR/storage-$STAMP.md"
COMMIT=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo "no commit")
MACHINE="$(nproc) cores, $(uname -sr), SQLite $(sqlite3 --version | cut -d' ' -f1), data on $FS_TYPE ($TMP_BASE)"
python3 - "$WORK" "$STAMP" "$RECORDS" "$PHASE_SECONDS" "$GRACE" "$POOL" "$CONNECTIONS" "$QUICK" "$COMMIT" \
    "$MACHINE" "at the start $LOADAVG_START, at the end $(cut -d' ' -f1-3 /proc/loadavg)" "$SETTLE_TIMEOUT" "$(printf '%s\n' "${FAILURES[@]+"${FAILURES[@]}"}")" \
    >"$REPORT" <<'EOF'
import json, pathlib, sys

(work, stamp, records, phase_s, grace, pool, conns, quick, commit, machine, loadavg, settle_timeout,
 failures) = sys.argv[1:]
work = pathlib.Path(work)
records, quick = int(records), quick == "1"
failures = [f for f in failures.splitlines() if f.strip()]

def load(role):
    d = {}
    p = work / role / "results.tsv"
    if p.exists():
        for line in p.read_text().splitlines():
            k, _, v = line.partition("\t")
            d[k] = v
    lat = {}
    p = work / role / "latency.jsonl"
    if p.exists():
        for line in p.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                lat[r["query"]] = r
    return d, lat

ref, ref_lat = load("reference")
cand, cand_lat = load("candidate")

def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None

def fmt(v, digits=0):
    x = num(v)
    if x is None:
        return v if v not in (None, "") else "—"
    return f"{x:,.{digits}f}"

def ratio(a, b):
    a, b = num(a), num(b)
    if a is None or b is None or a == 0:
        return "—"
    return f"{b / a:.2f}"

def mib(kb):
    x = num(kb)
    return None if x is None else x / 1024

rows = []
def row(label, key=None, digits=0, rv=None, cv=None):
    r = ref.get(key) if key else rv
    c = cand.get(key) if key else cv
    rows.append(f"| {label} | {fmt(r, digits)} | {fmt(c, digits)} | {ratio(r, c)} |")

def settle_cell(d, k):
    v = d.get(k)
    if v == "absent":
        return "— (no gauge)"
    if v == "timeout":
        return f"> {settle_timeout} s (timeout)"
    return f"{num(v):.1f}" if num(v) is not None else "—"

row("records loaded (acknowledged)", "load_acked")
row("bytes per record after the load: db + WAL files", "bytes_per_record", 1)
row("bytes per record: `logpilot_storage_database_bytes`", "metric_bytes_per_record", 1)
row("bytes per record: live pages (page_count − freelist) × page_size", "live_bytes_per_record", 1)
row("load rate, records/s (REST batch 1000, c16, fresh bodies)", "load_rate")
rc, cc = settle_cell(ref, "load_settle_s"), settle_cell(cand, "load_settle_s")
rows.append(f"| compaction settle after the load, s | {rc} | {cc} | {ratio(ref.get('load_settle_s'), cand.get('load_settle_s'))} |")

def search_ms(lat, q, exhaustive=False):
    r = lat.get(q)
    if not r:
        return None
    if exhaustive:
        return r.get("exhaustive_ms", r["median_ms"])
    return r["median_ms"]

def search_note(lat, q):
    r = lat.get(q)
    if not r:
        return ""
    t = r.get("truncated")
    return f" ({t}, {r['scanned']:,} scanned)" if t else ""

queries = list(dict.fromkeys(list(ref_lat) + list(cand_lat)))
for q in queries:
    a, b = search_ms(ref_lat, q), search_ms(cand_lat, q)
    rows.append(f"| search: {q}, first page, median ms | {fmt(a, 1)}{search_note(ref_lat, q)} | {fmt(b, 1)}{search_note(cand_lat, q)} | {ratio(a, b)} |")
    if (ref_lat.get(q) or {}).get("truncated") or (cand_lat.get(q) or {}).get("truncated"):
        a, b = search_ms(ref_lat, q, True), search_ms(cand_lat, q, True)
        pages = lambda lat: f" ({lat[q].get('exhaustive_pages', 1)} pages)" if q in lat else ""
        rows.append(f"| search: {q}, complete answer (cursors followed), ms | {fmt(a, 1)}{pages(ref_lat)} | {fmt(b, 1)}{pages(cand_lat)} | {ratio(a, b)} |")

PHASES = [("rest100", "REST batch 100, c16"), ("rest1000", "REST batch 1000, c16"),
          ("grpc100", "gRPC SendLogs batch 100, h2load c16 m8"), ("grpc1000", "gRPC SendLogs batch 1000, h2load c16 m1")]
for key, label in PHASES:
    row(f"ingest {label}, records/s", f"{key}_rate")
row("server CPU s per 1M records: load", "load_cpu_per_m", 1)
for key, label in PHASES:
    row(f"server CPU s per 1M records: {label}", f"{key}_cpu_per_m", 1)
row("peak RSS after the load (VmHWM), MiB", rv=mib(ref.get("vmhwm_after_load_kb")), cv=mib(cand.get("vmhwm_after_load_kb")))
row("peak RSS over the whole run (VmHWM), MiB", rv=mib(ref.get("vmhwm_end_kb")), cv=mib(cand.get("vmhwm_end_kb")))
row("RSS at the end (VmRSS), MiB", rv=mib(ref.get("vmrss_end_kb")), cv=mib(cand.get("vmrss_end_kb")))
rows.append(f"| exit code on SIGTERM (run, restart) | {ref.get('exit_code', '—')}, {ref.get('exit_code_restart', '—')} "
            f"| {cand.get('exit_code', '—')}, {cand.get('exit_code_restart', '—')} | |")
rows.append(f"| stored = acknowledged (after a restart) | {ref.get('count_check', '—')} | {cand.get('count_check', '—')} | |")

# issue 11 targets, for the candidate
def verdict(ok, text):
    if ok is None:
        return f"— ({text})"
    return f"met ({text})" if ok else f"**missed** ({text})"

targets = []
b = num(cand.get("bytes_per_record"))
targets.append(("≤ 80 bytes per record (db + WAL after the load)", verdict(None if b is None else b <= 80, f"{b:.1f}" if b is not None else "no value")))
for key, label in [("load", "load (REST batch 1000)")] + PHASES:
    k = "load_rate" if key == "load" else f"{key}_rate"
    r, c = num(ref.get(k)), num(cand.get(k))
    ok = None if r in (None, 0) or c is None else c >= 1.5 * r
    targets.append((f"ingest ≥ 1.5 × reference: {label}", verdict(ok, f"{c / r:.2f}×" if ok is not None else "no value")))
q = "term that matches nothing"
m = search_ms(cand_lat, q, True)
scale = "" if records >= 10_000_000 else f"; measured at {records:,} records, the target is at 10M: indicative only"
targets.append(("term that matches nothing at 10M records ≤ 50 ms (complete answer)",
                verdict(None if m is None else m <= 50, (f"{m:.1f} ms" if m is not None else "no value") + scale)))
h = mib(cand.get("vmhwm_end_kb"))
targets.append(("peak RSS ≤ 96 MiB (whole run)", verdict(None if h is None else h <= 96, f"{h:.0f} MiB" if h is not None else "no value")))

print(f"# LogPilot storage benchmark — {stamp}\n")
print(f"- reference: `{ref.get('binary', '—')}` (sha256 {ref.get('binary_sha256', '—')}, extra args: {ref.get('server_args', '-')})")
print(f"- candidate: `{cand.get('binary', '—')}` (sha256 {cand.get('binary_sha256', '—')}, extra args: {cand.get('server_args', '-')})")
print(f"- harness: bench/storage.sh at {commit}; {machine}; load average {loadavg}")
print(f"- corpus: bench/wrk/corpus.lua (10 templates with random ids, IPs, hex trace ids, paths, numbers; 8 channels; "
      f"5 meta keys; ~260 bytes of JSON per record); server stamps the time; synchronous=FULL, retention off")
print(f"- load: {records:,} records, REST batch 1000, wrk -t2 -c{conns}, every body built anew; then compaction settles "
      f"(logpilot_compaction_pending_runs = 0 twice, polled every 0.5 s, at most {settle_timeout} s) before the sizes, "
      f"the searches and each ingest phase")
print(f"- ingest phases: {phase_s} s window + {grace} s grace each; REST: corpus.lua with POOL={pool} "
      f"({'a fresh body per request' if pool == '0' else pool + ' distinct bodies per wrk thread, posted round and round'}); "
      f"gRPC: h2load posts one pre-encoded SendLogsRequest of distinct corpus records (bench/corpus.py) in every call")
if quick:
    print("- **quick run**: too small and too short for conclusions")
print()
print("| measure | reference | candidate | candidate ÷ reference |")
print("|---|---:|---:|---:|")
print("\n".join(rows))
print("\nFor sizes, times, CPU and RSS a ratio below 1 favours the candidate; for rates, above 1. Server CPU s per 1M "
      "records (user + sys of the server process over the phase, per record acknowledged) moves less than the rates "
      "when something else takes CPU, but it moves too: run on an idle machine.\n")
print("## Issue 11 targets (candidate)\n")
print("| target | candidate |")
print("|---|---|")
for t, v in targets:
    print(f"| {t} | {v} |")

print("\n## Ingest details\n")
print("| scenario | binary | records/s | server cores | client cores | server CPU s / 1M records | refused | compaction settle before, s | count check |")
print("|---|---|---:|---:|---:|---:|---|---:|---|")
for key, label in PHASES:
    for name, d in (("reference", ref), ("candidate", cand)):
        print(f"| {label} | {name} | {fmt(d.get(key + '_rate'))} | {d.get(key + '_server_cores', '—')} | "
              f"{d.get(key + '_client_cores', '—')} | {d.get(key + '_cpu_per_m', '—')} | {d.get(key + '_rejected', '—')} | "
              f"{settle_cell(d, key + '_settle_s')} | {d.get(key + '_check', '—')} |")
for name, d in (("reference", ref), ("candidate", cand)):
    print(f"| load (batch 1000, fresh bodies) | {name} | {fmt(d.get('load_rate'))} | {d.get('load_server_cores', '—')} | {d.get('load_client_cores', '—')} | {d.get('load_cpu_per_m', '—')} | "
          f"{d.get('load_429', '—')}×429 | — | stored {fmt(d.get('stored_after_load'))} = acked {fmt(d.get('load_acked'))} |")

if failures:
    print("\n## Failures\n")
    for f in failures:
        print(f"- {f}")

print("\n<details><summary>raw results</summary>\n\n```")
for name in ("reference", "candidate"):
    p = work / name / "results.tsv"
    if p.exists():
        for line in p.read_text().splitlines():
            print(f"{name}: {line.replace(chr(9), ' = ')}")
    p = work / name / "latency.jsonl"
    if p.exists():
        for line in p.read_text().splitlines():
            print(f"{name}: search {line}")
    p = work / name / "metrics-end.txt"
    if p.exists():
        for line in p.read_text().splitlines():
            print(f"{name}: metric {line}")
print("```\n</details>")
EOF

echo
sed -n '/^| measure/,/^$/p' "$REPORT"
echo "Issue 11 targets (candidate):"
echo
sed -n '/^| target/,/^$/p' "$REPORT"
echo "Saved: ${REPORT#"$REPO_DIR"/}"
if ((${#FAILURES[@]})); then
    echo "FAILED:" >&2
    printf '  %s\n' "${FAILURES[@]}" >&2
    exit 1
fi
echo "All checks OK."
