#!/usr/bin/env bash
# LogPilot ingest benchmark: REST batch ingest (and, with --grpc, gRPC ingest) vs. a plain-SQLite ceiling.
#
#   bench/run.sh [--synchronous FULL|NORMAL] [--duration SECONDS] [--quick] [--no-build]
#                [--binary PATH] [--grace SECONDS] [--batches "100 1000"] [--connections "16 64"]
#                [--latency-connections N] [--no-timestamps] [--keep]
#                [--grpc | --only-grpc] [--grpc-batch N] [--grpc-connections N] [--grpc-streams N]
#                [--stream-client "c python"]
#
# See bench/README.md for what is measured and how to read the table.
# Everything runs on 127.0.0.1 and stops by itself; every server started here is
# stopped (SIGTERM, then SIGKILL) and every temporary directory removed on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
RESULTS_DIR="$BENCH_DIR/results"

SYNCHRONOUS=FULL
DURATION=20
GRACE=10
BUILD=1
BINARY=""
BATCHES="100 1000"
CONNECTIONS="16 64"
LATENCY_CONNECTIONS=16
WRK_THREADS=2
KEEP=0
QUICK=0
TIMESTAMPS=1
DURATION_SET=0
GRACE_SET=0
REST=1              # REST scenarios (wrk, loadgen.py)
GRPC=0              # gRPC scenarios (h2load SendLogs, StreamLogs client)
GRPC_BATCH=100      # records per SendLogs call
GRPC_CONNECTIONS=16 # h2load -c
H2LOAD_STREAMS=8    # h2load -m: concurrent calls per connection
GRPC_STREAMS=4      # concurrent StreamLogs streams (one connection each)
STREAM_CLIENTS=c    # StreamLogs load clients: c (grpc_stream_client.c), python (grpc_stream_client.py)

usage() {
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

Options:
  --synchronous FULL|NORMAL  SQLite synchronous mode for LogPilot and the ceiling (default FULL)
  --duration SECONDS         measured seconds per scenario (default 20)
  --quick                    5-second scenarios and a 5-second grace (smoke run)
  --no-build                 do not run `swift build -c release --product logpilot-all`
  --binary PATH              server binary (default .build/release/logpilot-all)
  --grace SECONDS            time given to in-flight requests after each window (default 10)
  --batches "LIST"           records per request (default "100 1000")
  --connections "LIST"       wrk connections (default "16 64")
  --latency-connections N    connections for the fixed-rate latency runs (default 16)
  --no-timestamps            send records without "timestamp" (default: each request carries
                             the time it is sent, like a log shipper flushing a batch)
  --keep                     keep the temporary directory (databases, server logs)
  --grpc                     also run the gRPC scenarios (after the REST ones, same session)
  --only-grpc                the ceiling and the gRPC scenarios only (no REST runs)
  --grpc-batch N             records per SendLogs call (default 100)
  --grpc-connections N       h2load connections for SendLogs, each with 8 concurrent calls (default 16)
  --grpc-streams N           concurrent StreamLogs streams, one connection each (default 4)
  --stream-client "LIST"     StreamLogs load clients: c (nghttp2, default), python (grpcio), or both
EOF
}

die() { echo "run.sh: error: $*" >&2; exit 2; }
log() { echo "==> $*" >&2; }

is_uint() { [[ $1 =~ ^[0-9]+$ ]] && (( $1 > 0 )); }

while (($#)); do
    case $1 in
        --synchronous) [[ $# -ge 2 ]] || die "--synchronous needs a value"; SYNCHRONOUS=${2^^}; shift 2 ;;
        --duration) [[ $# -ge 2 ]] || die "--duration needs a value"; DURATION=$2; DURATION_SET=1; shift 2 ;;
        --grace) [[ $# -ge 2 ]] || die "--grace needs a value"; GRACE=$2; GRACE_SET=1; shift 2 ;;
        --quick) ((DURATION_SET)) || DURATION=5; ((GRACE_SET)) || GRACE=5; QUICK=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --binary) [[ $# -ge 2 ]] || die "--binary needs a value"; BINARY=$2; shift 2 ;;
        --batches) [[ $# -ge 2 ]] || die "--batches needs a value"; BATCHES=$2; shift 2 ;;
        --connections) [[ $# -ge 2 ]] || die "--connections needs a value"; CONNECTIONS=$2; shift 2 ;;
        --latency-connections) [[ $# -ge 2 ]] || die "--latency-connections needs a value"; LATENCY_CONNECTIONS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --no-timestamps) TIMESTAMPS=0; shift ;;
        --grpc) GRPC=1; shift ;;
        --only-grpc) GRPC=1; REST=0; shift ;;
        --grpc-batch) [[ $# -ge 2 ]] || die "--grpc-batch needs a value"; GRPC_BATCH=$2; shift 2 ;;
        --grpc-connections) [[ $# -ge 2 ]] || die "--grpc-connections needs a value"; GRPC_CONNECTIONS=$2; shift 2 ;;
        --grpc-streams) [[ $# -ge 2 ]] || die "--grpc-streams needs a value"; GRPC_STREAMS=$2; shift 2 ;;
        --stream-client) [[ $# -ge 2 ]] || die "--stream-client needs a value"; STREAM_CLIENTS=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

[[ $SYNCHRONOUS == FULL || $SYNCHRONOUS == NORMAL ]] || die "--synchronous must be FULL or NORMAL"
is_uint "$DURATION" || die "--duration must be a positive integer (seconds)"
is_uint "$GRACE" || die "--grace must be a positive integer (seconds)"
is_uint "$LATENCY_CONNECTIONS" || die "--latency-connections must be a positive integer"
for b in $BATCHES; do is_uint "$b" || die "bad batch size: $b"; done
for c in $CONNECTIONS; do
    is_uint "$c" || die "bad connection count: $c"
    ((c >= WRK_THREADS)) || die "connections ($c) must be >= wrk threads ($WRK_THREADS)"
done
is_uint "$GRPC_BATCH" || die "--grpc-batch must be a positive integer"
is_uint "$GRPC_CONNECTIONS" || die "--grpc-connections must be a positive integer"
is_uint "$GRPC_STREAMS" || die "--grpc-streams must be a positive integer"
((GRPC_STREAMS <= 256)) || die "--grpc-streams must be at most 256"
[[ -n ${STREAM_CLIENTS// /} ]] || die "--stream-client needs at least one of: c python"
for sc in $STREAM_CLIENTS; do
    [[ $sc == c || $sc == python ]] || die "--stream-client: unknown client '$sc' (c or python)"
done
GRPC_PYTHON=python3 # interpreter for grpc_stream_client.py (needs grpcio)
[[ -x $REPO_DIR/.venv/bin/python ]] && GRPC_PYTHON=$REPO_DIR/.venv/bin/python

# ----------------------------------------------------------------- cleanup

WORK=""
SERVER_PID=""
SAMPLER_PID=""
LOAD_PID=""

stop_pid() { # stop_pid PID [grace-seconds]: TERM, wait, then KILL
    local pid=$1 wait_s=${2:-10} i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < wait_s * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    [[ -n $LOAD_PID ]] && stop_pid "$LOAD_PID" 2
    [[ -n $SAMPLER_PID ]] && kill "$SAMPLER_PID" 2>/dev/null
    [[ -n $SERVER_PID ]] && stop_pid "$SERVER_PID" 10
    if [[ -n $WORK && -d $WORK ]]; then
        if ((KEEP)); then echo "run.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

# ------------------------------------------------------------------- tools

check_tools() {
    local missing=() t
    for t in wrk gcc sqlite3 python3 curl; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [[ -x /usr/bin/time ]] || missing+=(time)
    if ! echo '#include <sqlite3.h>' | gcc -E - >/dev/null 2>&1; then missing+=(libsqlite3-dev); fi
    if ((GRPC)); then
        command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
        if [[ " $STREAM_CLIENTS " == *" c "* ]] && ! echo '#include <nghttp2/nghttp2.h>' | gcc -E - >/dev/null 2>&1; then
            missing+=(libnghttp2-dev)
        fi
    fi
    if ((${#missing[@]})); then
        local pkgs=() m
        for m in "${missing[@]}"; do
            case $m in
                python3) pkgs+=(python3) ;;
                *) pkgs+=("$m") ;;
            esac
        done
        # always ask for the whole set; apt skips what is there
        pkgs+=(wrk gcc sqlite3 libsqlite3-dev)
        ((GRPC)) && pkgs+=(nghttp2-client libnghttp2-dev)
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
            log "installing missing tools: ${missing[*]}"
            if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" >/dev/null; then
                apt-get update >/dev/null
                DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" >/dev/null
            fi
        else
            die "missing: ${missing[*]} — install with: sudo apt-get install -y ${pkgs[*]} time curl python3"
        fi
    fi
    check_grpcio
}

# grpc_stream_client.py needs grpcio: install the version Tests/interop pins into the repo's .venv
check_grpcio() {
    ((GRPC)) && [[ " $STREAM_CLIENTS " == *" python "* ]] || return 0
    "$GRPC_PYTHON" -c 'import grpc' 2>/dev/null && return 0
    local pin
    pin=$(grep -E '^grpcio==' "$REPO_DIR/Tests/interop/requirements.txt" 2>/dev/null || true)
    [[ -n $pin ]] || pin=grpcio
    if [[ -x $REPO_DIR/.venv/bin/pip ]]; then
        log "installing $pin into .venv (for grpc_stream_client.py)"
        "$REPO_DIR/.venv/bin/pip" install -q "$pin" >&2 || die "pip install $pin failed"
        "$GRPC_PYTHON" -c 'import grpc' || die "grpcio still not importable by $GRPC_PYTHON"
    else
        die "grpc_stream_client.py needs grpcio — install with: python3 -m venv .venv && .venv/bin/pip install '$pin'"
    fi
}

# ----------------------------------------------------------------- helpers

# kv KEY FILE: value of KEY=... on the last "RESULT " line of FILE ("" if absent)
kv() {
    awk -v k="$1" '/^RESULT /{line=$0} END{n=split(line,f," "); for(i=2;i<=n;i++){p=index(f[i],"="); if(substr(f[i],1,p-1)==k){print substr(f[i],p+1); exit}}}' "$2"
}

calc() { awk "BEGIN{ printf \"$1\", $2 }"; } # calc FORMAT EXPR

free_ports() { # prints three free TCP ports on 127.0.0.1
    python3 - <<'EOF'
import socket
socks = []
for _ in range(3):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
EOF
}

cpu_ticks() { # utime+stime of PID in clock ticks
    local stat rest
    stat=$(<"/proc/$1/stat")
    rest=${stat##*) } # drop "pid (comm) " — comm may contain spaces
    # rest starts at field 3 (state); utime/stime are fields 14/15 -> indices 11/12
    local -a f
    read -r -a f <<<"$rest"
    echo $((f[11] + f[12]))
}

is_running() { # alive and not a zombie
    local stat
    { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

proc_status_kb() { # proc_status_kb PID FIELD -> kB value ("" if gone)
    local k v rest
    while read -r k v rest; do
        if [[ $k == "$2:" ]]; then echo "$v"; return 0; fi
    done <"/proc/$1/status" 2>/dev/null || true
}

start_rss_sampler() { # start_rss_sampler PID OUTFILE: VmRSS (kB) every 0.25 s
    local pid=$1 out=$2
    (
        set +e
        while kill -0 "$pid" 2>/dev/null; do
            while read -r k v rest; do
                [[ $k == VmRSS: ]] && echo "$v"
            done <"/proc/$pid/status" 2>/dev/null
            sleep 0.25
        done
    ) >"$out" &
    SAMPLER_PID=$!
}

stop_rss_sampler() {
    [[ -n $SAMPLER_PID ]] && { kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; }
    SAMPLER_PID=""
}

slug() { local s=${1//[^A-Za-z0-9=._-]/_}; echo "${s//__/_}"; }

# CHILD_CPU := user+sys CPU seconds of this shell's reaped children so far.
# Must run in the main shell (not in $(...)): a subshell has no children yet.
snap_children_cpu() {
    times >"$WORK/times.txt"
    CHILD_CPU=$(awk 'function sec(x,  m){m=x; sub(/m.*/,"",m); sub(/^[0-9]+m/,"",x); sub(/s$/,"",x); return m*60+x}
        NR==2{printf "%.2f", sec($1)+sec($2)}' "$WORK/times.txt")
}

max_of_file() { awk 'BEGIN{m=0} $1>m{m=$1} END{print m}' "$1"; }

CLK_TCK=$(getconf CLK_TCK)

# ------------------------------------------------------------ server runs

FAILURES=()
ROWS=()   # markdown table rows
DETAILS=() # raw result lines

# start_server DIR [grpc] -> sets SERVER_PID, HTTP_PORT, MGMT_PORT, GRPC_PORT
#   with "grpc", ready also means the gRPC port accepts connections
start_server() {
    local dir=$1 want_grpc=${2:-} ports i
    ports=$(free_ports)
    read -r HTTP_PORT MGMT_PORT GRPC_PORT <<<"$ports"
    "$BINARY" --host 127.0.0.1 --http-port "$HTTP_PORT" --management-port "$MGMT_PORT" \
        --grpc-port "$GRPC_PORT" \
        --sqlite-path "$dir/logpilot.db" --sqlite-synchronous "$SYNCHRONOUS" \
        >"$dir/server.log" 2>&1 &
    SERVER_PID=$!
    for ((i = 0; i < 600; i++)); do # 60 s
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null && rc=0 || rc=$?
            SERVER_PID=""
            echo "server exited (code $rc) before it was ready; last log lines:" >&2
            tail -n 20 "$dir/server.log" >&2
            return 1
        fi
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$MGMT_PORT/health/ready" 2>/dev/null) == 200 ]]; then
            [[ -z $want_grpc ]] && return 0
            # connect and close at once: the server just sees a connection without a preface
            (exec 3<>"/dev/tcp/127.0.0.1/$GRPC_PORT") 2>/dev/null && return 0
        fi
        sleep 0.1
    done
    echo "server not ready after 60 s (GET http://127.0.0.1:$MGMT_PORT/health/ready${want_grpc:+, TCP connect to gRPC port $GRPC_PORT}); last log lines:" >&2
    tail -n 20 "$dir/server.log" >&2
    stop_pid "$SERVER_PID" 5
    SERVER_PID=""
    return 1
}

# stop_server DIR -> sets SERVER_EXIT ("timeout" if it had to be killed)
stop_server() {
    local dir=$1 i
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    SERVER_EXIT=timeout
    for ((i = 0; i < 600; i++)); do # 60 s to commit and exit
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

save_failure_log() { # save_failure_log NAME DIR
    mkdir -p "$RESULTS_DIR"
    local logfile
    logfile="$RESULTS_DIR/$STAMP-$(slug "$1").server.log"
    tail -n 200 "$2/server.log" >"$logfile" 2>/dev/null || true
    echo "    server log tail saved to ${logfile#"$REPO_DIR"/}" >&2
}

# h2load_result RAW BATCH: one RESULT line from h2load's output. h2load only knows the HTTP :status
# (200 for gRPC errors too). With -v it prints the response HEADERS frame of every call as
# "[stream_id=N] name: value" lines (not the trailers). LogPilot sends the response headers lazily, just
# before the response message, i.e. after SendLogs committed the batch; a call that fails before that
# is a trailers-only response: one HEADERS frame that carries grpc-status, which h2load does print.
# So: response headers without grpc-status = OK call (batch committed); grpc-status N = failed call.
h2load_result() {
    awk -v batch="$2" -v window="$DURATION" '
        function ms(x) { # "12.3us" / "4.5ms" / "1.2s" -> milliseconds
            if (x ~ /us$/) { sub(/us$/, "", x); return x / 1000 }
            if (x ~ /ms$/) { sub(/ms$/, "", x); return x + 0 }
            if (x ~ /s$/) { sub(/s$/, "", x); return x * 1000 }
            return x + 0
        }
        /^\[stream_id=[0-9]+\] :status: / { n_resp++; next }
        /^\[stream_id=[0-9]+\] grpc-status: / {
            st[$3 + 0]++; n_status++
            if ($3 + 0 != 0 && $3 + 0 != 8 && first_other == "") first_other = $1 # its grpc-message may come later
            next
        }
        /^\[stream_id=[0-9]+\] grpc-message: / {
            m = $0; sub(/^[^ ]* grpc-message: /, "", m); gsub(/[ \t]+/, "_", m); msg[$1] = substr(m, 1, 160)
            next
        }
        /^\[stream_id=[0-9]+\] retry-after-seconds: / { retry_after = $3; next }
        /^\[stream_id=/ { next }
        /^finished in / { fin = $3; sub(/s,?$/, "", fin) }
        /^requests: / { started = $4; done = $6; failed = $10; errored = $12; timeout = $14 }
        /^status codes: / { non2xx = $5 + $7 + $9 }
        /^time for request: / { rq_min = ms($4); rq_max = ms($5); rq_mean = ms($6) }
        END {
            if (started == "") exit 1
            ok = n_resp - n_status + st[0]; re = st[8] + 0; other = n_status - st[0] - re
            for (code in st) if (code != 0 && code != 8) { example = "grpc-status_" code; break }
            if (first_other != "" && (first_other in msg)) example = example ":" msg[first_other]
            printf "RESULT calls_started=%d calls_done=%d responses=%d grpc_ok=%d grpc_resource_exhausted=%d", started, done, n_resp, ok, re
            printf " grpc_other=%d no_status=%d http_non2xx=%d h2load_failed=%d h2load_errored=%d h2load_timeout=%d", other, started - n_resp, non2xx, failed, errored, timeout
            printf " acked_records=%d window_s=%g records_per_s=%.0f finished_s=%s", ok * batch, window, ok * batch / window, fin
            printf " call_mean_ms=%.2f call_min_ms=%.2f call_max_ms=%.2f retry_after_s=%s other_example=%s\n", rq_mean, rq_min, rq_max, (retry_after == "" ? "-" : retry_after), (example == "" ? "-" : example)
        }' "$1"
}

# run_scenario KIND NAME BATCH CONNS [RATE|CLIENT]
#   KIND=wrk: saturating closed-loop REST run; KIND=rate: fixed-rate loadgen REST run
#   KIND=h2load: saturating unary SendLogs run (BATCH records per call, CONNS connections × H2LOAD_STREAMS calls)
#   KIND=stream: StreamLogs run, CONNS streams, CLIENT = c | python (BATCH is 0)
# sets RESULT_LOGS_PER_S, RESULT_RSS_MIB, RESULT_OK (1 when every check passed) for the caller
run_scenario() {
    local kind=$1 name=$2 batch=$3 conns=$4 rate=${5:-}
    local dir out cpu0 cpu1 hwm rss_peak
    dir="$WORK/$(slug "$name")"
    mkdir -p "$dir"
    out="$dir/load.out"
    RESULT_LOGS_PER_S=0
    RESULT_RSS_MIB=""
    RESULT_OK=0
    local want_grpc=""
    [[ $kind == h2load || $kind == stream ]] && want_grpc=grpc
    log "$name: starting server"
    if ! start_server "$dir" $want_grpc; then
        FAILURES+=("$name: server did not become ready")
        save_failure_log "$name" "$dir"
        ROWS+=("| $name | — | — | — | — | — | — | — | — | — | **FAIL** (not ready) |")
        return 0
    fi
    cpu0=$(cpu_ticks "$SERVER_PID")
    start_rss_sampler "$SERVER_PID" "$dir/rss.samples"
    local client0 client1
    snap_children_cpu
    client0=$CHILD_CPU

    case $kind in
        wrk)
            log "$name: wrk -t$WRK_THREADS -c$conns, batch $batch, ${DURATION}s + ${GRACE}s grace"
            BATCH=$batch WINDOW=$DURATION TIMESTAMPS=$TIMESTAMPS wrk -t"$WRK_THREADS" -c"$conns" -d"$((DURATION + GRACE))s" --timeout 30s \
                -s "$BENCH_DIR/wrk/batch.lua" "http://127.0.0.1:$HTTP_PORT" >"$out" 2>&1 &
            ;;
        rate)
            log "$name: loadgen $rate req/s, $conns connections, batch $batch, ${DURATION}s"
            local ts_flag=()
            ((TIMESTAMPS)) || ts_flag=(--no-timestamps)
            python3 "$BENCH_DIR/loadgen.py" --url "http://127.0.0.1:$HTTP_PORT/api/logs/batch" --rate "$rate" \
                --connections "$conns" --duration "$DURATION" --grace "$GRACE" --batch "$batch" "${ts_flag[@]}" >"$out" 2>&1 &
            ;;
        h2load)
            # -D: calls are started for DURATION seconds; then h2load closes its connections, and the calls
            # still in flight (at most conns × H2LOAD_STREAMS) have no known outcome (see the count check)
            log "$name: h2load -c$conns -m$H2LOAD_STREAMS -D $DURATION, SendLogs $batch records/call"
            h2load -v -t 1 -c "$conns" -m "$H2LOAD_STREAMS" -D "$DURATION" --data="$WORK/sendlogs-$batch.bin" \
                -H 'content-type: application/grpc' -H 'te: trailers' \
                "http://127.0.0.1:$GRPC_PORT/logpilot.LogService/SendLogs" >"$dir/h2load.raw" 2>&1 &
            ;;
        stream)
            if [[ $rate == python ]]; then
                log "$name: grpc_stream_client.py (grpcio), $conns streams, ${DURATION}s + ${GRACE}s grace"
                "$GRPC_PYTHON" "$BENCH_DIR/grpc_stream_client.py" --target "127.0.0.1:$GRPC_PORT" --streams "$conns" \
                    --duration "$DURATION" --grace "$GRACE" >"$out" 2>&1 &
            else
                log "$name: grpc_stream_client (C, nghttp2), $conns streams, ${DURATION}s + ${GRACE}s grace"
                "$WORK/grpc_stream_client" --port "$GRPC_PORT" --messages "$WORK/stream-messages.bin" \
                    --streams "$conns" --duration "$DURATION" --grace "$GRACE" >"$out" 2>&1 &
            fi
            ;;
    esac
    LOAD_PID=$!
    local load_rc=0
    wait "$LOAD_PID" || load_rc=$?
    LOAD_PID=""
    snap_children_cpu # the load generator is the only child reaped in between
    client1=$CHILD_CPU
    if [[ $kind == h2load ]]; then
        # keep h2load's summary (not the per-header lines) and add the RESULT line
        grep -v '^\[stream_id=' "$dir/h2load.raw" >"$out" || true
        h2load_result "$dir/h2load.raw" "$batch" >>"$out" || true
    fi

    local alive=1
    is_running "$SERVER_PID" || alive=0
    if ((alive)); then
        cpu1=$(cpu_ticks "$SERVER_PID")
        hwm=$(proc_status_kb "$SERVER_PID" VmHWM)
    else
        cpu1=$cpu0
        hwm=0
    fi
    stop_rss_sampler
    rss_peak=$(max_of_file "$dir/rss.samples")
    [[ -n $hwm ]] || hwm=0
    ((hwm >= rss_peak)) || hwm=$rss_peak # RSS may still grow after VmHWM was read
    stop_server "$dir"

    local count
    count=$(sqlite3 "$dir/logpilot.db" 'select count(*) from logs' 2>"$dir/sqlite.err") || count="error"

    local acked lost s429 other p50 p99 logs_s window
    acked=$(kv acked_records "$out")
    lost=$(kv lost "$out")
    s429=$(kv status_429 "$out")
    other=$(kv other "$out")
    p50=$(kv p50_ms "$out")
    p99=$(kv p99_ms "$out")
    if [[ -z $acked ]]; then
        echo "    load generator printed no RESULT line (exit $load_rc):" >&2
        tail -n 20 "$out" >&2
        FAILURES+=("$name: load generator failed (exit $load_rc)")
        ROWS+=("| $name | — | — | — | — | — | — | — | — | — | **FAIL** (load generator) |")
        save_failure_log "$name" "$dir"
        return 0
    fi
    logs_s=$(kv records_per_s "$out")
    if [[ $kind == rate ]]; then
        window=$(kv duration_s "$out")
    else
        window=$DURATION
    fi
    [[ $kind == h2load ]] && { p50="—"; p99="—"; } # h2load reports no percentiles (mean/max: raw results)
    RESULT_LOGS_PER_S=$logs_s

    local cpu_s cpu_per_m cores rss_mib ratio ratio_same ceil_same client_cores
    cpu_s=$(calc "%.2f" "($cpu1 - $cpu0) / $CLK_TCK")
    client_cores=$(calc "%.2f" "($client1 - $client0) / $window")
    if ((acked > 0)); then cpu_per_m=$(calc "%.1f" "$cpu_s / $acked * 1000000"); else cpu_per_m="—"; fi
    cores=$(calc "%.2f" "$cpu_s / $window")
    rss_mib=$(calc "%.0f" "$hwm / 1024")
    RESULT_RSS_MIB=$rss_mib
    ratio=$(calc "%.2f" "$logs_s / $CEIL_1000")
    ceil_same=${CEIL_BY_BATCH[$batch]:-}
    if [[ -n $ceil_same ]]; then ratio_same=$(calc "%.2f" "$logs_s / $ceil_same"); else ratio_same="—"; fi

    local check problems=()
    case $kind in
        wrk | rate)
            if [[ $count == "$acked" ]]; then
                check="OK ($count rows)"
            else
                check="MISMATCH (db $count vs acked $acked"
                [[ ${lost:-0} != 0 ]] && check+=", $lost requests without answer"
                check+=")"
                problems+=("count mismatch: db=$count acked=$acked lost=${lost:-0}")
            fi
            [[ ${other:-0} == 0 ]] || problems+=("$other responses with unexpected status (e.g. $(kv other_example "$out"))")
            if [[ ${lost:-0} != 0 ]]; then
                local errs
                if [[ $kind == wrk ]]; then
                    errs="socket errors: connect $(kv err_connect "$out"), read $(kv err_read "$out"), write $(kv err_write "$out")"
                else
                    errs="first error: $(kv other_example "$out")"
                fi
                problems+=("$lost requests got no answer within ${GRACE}s after the window ($errs; raise --grace if they were only slow)")
            fi
            ((${s429:-0} > 0)) && check+=", $s429×429"
            ((${other:-0} > 0)) && check+=", $other×other"
            if [[ ${lost:-0} != 0 && $count == "$acked" ]]; then check+=", $lost unanswered"; fi
            ;;
        h2load)
            # Every call answered with a response message stored its whole batch; calls cut off at the end of
            # the window (no response headers yet) may or may not have been committed. So: rows is a multiple of the batch,
            # and OK calls × batch <= rows <= (OK + cut-off calls) × batch (<= started calls × batch).
            local ok re ostat nost started inflight_max committed_calls
            ok=$(kv grpc_ok "$out")
            re=$(kv grpc_resource_exhausted "$out")
            ostat=$(kv grpc_other "$out")
            nost=$(kv no_status "$out")
            started=$(kv calls_started "$out")
            inflight_max=$((conns * H2LOAD_STREAMS))
            if [[ $count =~ ^[0-9]+$ ]] && ((count % batch == 0 && count >= ok * batch && count <= (ok + nost) * batch)); then
                committed_calls=$((count / batch - ok))
                check="OK ($count rows = $batch × ($ok OK calls + $committed_calls of $nost cut off at the window end))"
            else
                check="MISMATCH (db $count vs $ok OK calls × $batch, $nost calls cut off, $started started)"
                problems+=("count check: db=$count is not a multiple of $batch between ok×$batch=$((ok * batch)) and (ok+cut off)×$batch=$(((ok + nost) * batch))")
            fi
            if ((re > 0)); then check+=", $re×RESOURCE_EXHAUSTED"; fi
            if ((ostat > 0)); then
                check+=", $ostat×other gRPC status"
                problems+=("$ostat calls with an unexpected grpc-status (e.g. $(kv other_example "$out"))")
            fi
            ((ok + re + ostat > 0)) || problems+=("no response headers seen in h2load -v output (h2load exit $load_rc)")
            ((nost <= inflight_max)) || problems+=("$nost calls without an answer, more than the $inflight_max that can be in flight when the window ends (h2load: $(kv h2load_errored "$out") errored, $(kv h2load_timeout "$out") timeout)")
            [[ $(kv http_non2xx "$out") == 0 ]] || problems+=("$(kv http_non2xx "$out") answers with a non-2xx HTTP :status")
            ;;
        stream)
            local failed unanswered sent
            failed=$(kv failed_streams "$out")
            unanswered=$(kv unanswered "$out")
            sent=$(kv sent_records "$out")
            if [[ $count == "$acked" ]]; then
                check="OK ($count rows)"
            else
                check="MISMATCH (db $count vs acked $acked)"
                problems+=("count mismatch: db=$count acked (final acks)=$acked")
            fi
            ((failed == 0)) || problems+=("$failed streams did not end with OK (first: $(kv first_error "$out"))")
            ((unanswered == 0)) || problems+=("$unanswered streams got no final status within ${GRACE}s after the window (raise --grace if they were only slow)")
            if ((failed == 0 && unanswered == 0 && sent != acked)); then
                problems+=("the streams ended OK but the final acks ($acked) differ from the records sent ($sent)")
            fi
            if ((failed + unanswered > 0)); then check+=", $((failed + unanswered)) of $conns streams not OK"; fi
            ;;
    esac
    ((alive)) || problems+=("server died during the run")
    [[ $SERVER_EXIT == 0 ]] || problems+=("server exit code after SIGTERM: $SERVER_EXIT")
    if ((${#problems[@]})); then
        FAILURES+=("$name: $(IFS=';'; echo "${problems[*]}")")
        check="**FAIL** $check"
        save_failure_log "$name" "$dir"
    else
        RESULT_OK=1
    fi

    local label=$name
    if [[ $kind == rate ]]; then
        label="$name ($rate req/s)"
        ratio="—" # offered load is half the max by construction
        ratio_same="—"
    fi
    ROWS+=("| $label | $(calc "%.0f" "$logs_s") | $p50 | $p99 | $rss_mib | $cpu_per_m | $cores | $client_cores | $ratio | $ratio_same | $check |")
    DETAILS+=("$name: $(grep '^RESULT ' "$out" || true) server_cpu_s=$cpu_s client_cpu_s=$(calc "%.2f" "$client1 - $client0") vmhwm_kb=$hwm vmrss_peak_kb=$rss_peak db_count=$count server_exit=$SERVER_EXIT")
    echo "    $name: $(calc "%.0f" "$logs_s") logs/s, p50 ${p50} ms, p99 ${p99} ms, RSS ${rss_mib} MiB, CPU ${cpu_s}s, check: $check" >&2
}

# ------------------------------------------------------------------- main

check_tools

if [[ -z $BINARY ]]; then BINARY="$REPO_DIR/.build/release/logpilot-all"; fi
if ((BUILD)); then
    log "building: swift build -c release --product logpilot-all"
    (cd "$REPO_DIR" && swift build -c release --product logpilot-all)
fi
[[ -x $BINARY ]] || die "server binary not found: $BINARY (build it, or pass --binary PATH)"
"$BINARY" --help >/dev/null 2>&1 || die "'$BINARY --help' failed"
case $BINARY in
    */debug/*) echo "run.sh: WARNING: $BINARY is a debug build; use its numbers to check the plumbing only" >&2 ;;
esac

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
TMP_BASE=${LOGPILOT_BENCH_TMPDIR:-/var/tmp}
WORK=$(mktemp -d "$TMP_BASE/logpilot-bench.XXXXXX")
FS_TYPE=$(stat -f -c %T "$WORK")
if [[ $FS_TYPE == tmpfs || $FS_TYPE == ramfs ]]; then
    echo "run.sh: WARNING: $WORK is on $FS_TYPE: fsync is free there, numbers mean little (set LOGPILOT_BENCH_TMPDIR)" >&2
fi

log "building the SQLite ceiling"
gcc -O2 -Wall -Wextra -o "$WORK/sqlite-ceiling" "$BENCH_DIR/sqlite-ceiling.c" -lsqlite3
if ((GRPC)); then
    log "encoding the gRPC payloads"
    python3 "$BENCH_DIR/grpc_payload.py" sendlogs "$WORK/sendlogs-$GRPC_BATCH.bin" --batch "$GRPC_BATCH"
    if [[ " $STREAM_CLIENTS " == *" c "* ]]; then
        python3 "$BENCH_DIR/grpc_payload.py" stream "$WORK/stream-messages.bin" --count 1000
        log "building the StreamLogs client"
        gcc -O2 -Wall -Wextra -o "$WORK/grpc_stream_client" "$BENCH_DIR/grpc_stream_client.c" -lnghttp2
    fi
fi

declare -A CEIL_BY_BATCH=()
CEIL_1000=""
run_ceiling() { # run_ceiling ROWS_PER_TXN
    local txn=$1 dir="$WORK/ceiling-$1" out
    mkdir -p "$dir"
    out="$dir/ceiling.out"
    log "SQLite ceiling: $txn rows/txn, synchronous=$SYNCHRONOUS, ${DURATION}s"
    /usr/bin/time -f "TIME maxrss_kb=%M user_s=%U sys_s=%S wall_s=%e" -o "$dir/time.out" \
        "$WORK/sqlite-ceiling" "$dir/ceiling.db" "${DURATION}s" "$txn" "$SYNCHRONOUS" >"$out"
    local rows rps p50 p99 rss user sys cpu_s
    rows=$(kv rows "$out")
    rps=$(kv rows_per_s "$out")
    p50=$(kv txn_p50_ms "$out")
    p99=$(kv txn_p99_ms "$out")
    read -r rss user sys < <(sed -n 's/^TIME maxrss_kb=\([0-9]*\) user_s=\([0-9.]*\) sys_s=\([0-9.]*\).*/\1 \2 \3/p' "$dir/time.out")
    cpu_s=$(calc "%.2f" "$user + $sys")
    CEIL_BY_BATCH[$txn]=$rps
    [[ $txn == 1000 ]] && CEIL_1000=$rps
    local count
    count=$(sqlite3 "$dir/ceiling.db" 'select count(*) from logs')
    [[ $count == "$rows" ]] || FAILURES+=("ceiling $txn: db has $count rows, program reported $rows")
    ROWS+=("| SQLite ceiling, $txn rows/txn (commit-to-commit latency) | $(calc "%.0f" "$rps") | $p50 | $p99 | $(calc "%.0f" "$rss / 1024") | $(calc "%.1f" "$cpu_s / $rows * 1000000") | $(calc "%.2f" "$cpu_s / $DURATION") | — | @RATIO_${txn}@ | — | OK ($count rows) |")
    DETAILS+=("ceiling-$txn: $(grep '^RESULT ' "$out") $(cat "$dir/time.out")")
    rm -f "$dir"/ceiling.db*
    echo "    ceiling $txn rows/txn: $(calc "%.0f" "$rps") rows/s, txn p50 $p50 ms, p99 $p99 ms" >&2
}

CEILING_TXNS=1000
add_ceiling_txn() { [[ " $CEILING_TXNS " == *" $1 "* ]] || CEILING_TXNS+=" $1"; }
if ((REST)); then
    for b in $BATCHES; do add_ceiling_txn "$b"; done
fi
if ((GRPC)); then add_ceiling_txn "$GRPC_BATCH"; fi
for t in $CEILING_TXNS; do run_ceiling "$t"; done
# fill in the ceiling rows' own ratio to the 1000-rows/txn ceiling
for i in "${!ROWS[@]}"; do
    for t in $CEILING_TXNS; do
        ROWS[i]=${ROWS[i]/@RATIO_${t}@/$(calc "%.2f" "${CEIL_BY_BATCH[$t]} / $CEIL_1000")}
    done
done

declare -A MAX_BY_BATCH=()
declare -A REST_SAT=() # REST saturation run name -> logs/s
if ((REST)); then
    for b in $BATCHES; do
        MAX_BY_BATCH[$b]=0
        for c in $CONNECTIONS; do
            run_scenario wrk "batch=$b c=$c" "$b" "$c"
            REST_SAT["batch=$b c=$c"]=$RESULT_LOGS_PER_S
            if awk "BEGIN{exit !($RESULT_LOGS_PER_S > ${MAX_BY_BATCH[$b]})}"; then MAX_BY_BATCH[$b]=$RESULT_LOGS_PER_S; fi
        done
    done

    for b in $BATCHES; do
        max=${MAX_BY_BATCH[$b]}
        if awk "BEGIN{exit !($max > 0)}"; then
            rate=$(calc "%.1f" "$max / 2 / $b")
            run_scenario rate "batch=$b c=$LATENCY_CONNECTIONS @50% max" "$b" "$LATENCY_CONNECTIONS" "$rate"
        else
            log "batch=$b: no measured max rate, skipping the latency run"
        fi
    done
fi

# The issue's targets for gRPC ingest: >= REST ingest, >= 0.85 x the ceiling (1000 rows/txn), peak RSS <= 96 MiB.
# REST reference: the REST saturation run with the same batch and connections as SendLogs, else the best one
# with the same batch size, else the best one. The best REST saturation run is shown as well.
REST_REF_NAME=""
REST_REF_LOGS=0
REST_BEST_NAME=""
REST_BEST_LOGS=0
for n in "${!REST_SAT[@]}"; do
    if awk "BEGIN{exit !(${REST_SAT[$n]} > $REST_BEST_LOGS)}"; then REST_BEST_NAME=$n; REST_BEST_LOGS=${REST_SAT[$n]}; fi
done
if [[ -n ${REST_SAT["batch=$GRPC_BATCH c=$GRPC_CONNECTIONS"]:-} ]]; then
    REST_REF_NAME="batch=$GRPC_BATCH c=$GRPC_CONNECTIONS"
    REST_REF_LOGS=${REST_SAT[$REST_REF_NAME]}
else
    for pass in same-batch any; do
        for n in "${!REST_SAT[@]}"; do
            [[ $pass == same-batch && $n != "batch=$GRPC_BATCH "* ]] && continue
            if awk "BEGIN{exit !(${REST_SAT[$n]} > $REST_REF_LOGS)}"; then REST_REF_NAME=$n; REST_REF_LOGS=${REST_SAT[$n]}; fi
        done
        [[ -n $REST_REF_NAME ]] && break
    done
fi
TARGET_ROWS=()
verdict() { # verdict AWK-CONDITION TEXT
    if awk "BEGIN{exit !($1)}"; then echo "met ($2)"; else echo "**missed** ($2)"; fi
}
add_target() { # add_target NAME: from the RESULT_* of the run just made
    local v_rest v_best v_ceil v_rss note=""
    if [[ -n $REST_REF_NAME ]] && awk "BEGIN{exit !($REST_REF_LOGS > 0)}"; then
        v_rest=$(verdict "$RESULT_LOGS_PER_S >= $REST_REF_LOGS" "$(calc "%.2f" "$RESULT_LOGS_PER_S / $REST_REF_LOGS")×")
        v_best=$(verdict "$RESULT_LOGS_PER_S >= $REST_BEST_LOGS" "$(calc "%.2f" "$RESULT_LOGS_PER_S / $REST_BEST_LOGS")×")
    else
        v_rest="n/a (no REST run)"
        v_best="n/a"
    fi
    v_ceil=$(verdict "$RESULT_LOGS_PER_S >= 0.85 * $CEIL_1000" "$(calc "%.2f" "$RESULT_LOGS_PER_S / $CEIL_1000")×")
    if [[ -n $RESULT_RSS_MIB ]]; then v_rss=$(verdict "$RESULT_RSS_MIB <= 96" "$RESULT_RSS_MIB MiB"); else v_rss="—"; fi
    ((RESULT_OK)) || note=" (**failed its checks**)"
    TARGET_ROWS+=("| $1$note | $(calc "%.0f" "$RESULT_LOGS_PER_S") | $v_rest | $v_best | $v_ceil | $v_rss |")
}

if ((GRPC)); then
    name="grpc SendLogs batch=$GRPC_BATCH c=$GRPC_CONNECTIONS"
    run_scenario h2load "$name" "$GRPC_BATCH" "$GRPC_CONNECTIONS"
    add_target "$name"
    for sc in $STREAM_CLIENTS; do
        name="grpc StreamLogs streams=$GRPC_STREAMS"
        [[ $sc == python ]] && name+=" (grpcio client)"
        run_scenario stream "$name" 0 "$GRPC_STREAMS" "$sc"
        add_target "$name"
    done
fi

# ------------------------------------------------------------------ report

mkdir -p "$RESULTS_DIR"
REPORT="$RESULTS_DIR/$STAMP.md"
COMMIT=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo "no commit")
DIRTY=$(git -C "$REPO_DIR" status --porcelain 2>/dev/null | head -c1 | wc -c)
((DIRTY)) && COMMIT+=" (+ uncommitted changes)"
{
    echo "# LogPilot ingest benchmark — $STAMP"
    echo
    echo "- commit: $COMMIT; binary: \`${BINARY#"$REPO_DIR"/}\`"
    echo "- records: 150-byte message, ~60-byte meta, 8 channels, $( ((TIMESTAMPS)) && echo 'timestamp = send time' || echo 'no timestamp (server time)')$( ((GRPC)) && echo '; gRPC: timestamp 0 (server time)'); ceiling: ts = now"
    echo "- synchronous=$SYNCHRONOUS, journal_mode=WAL; ${DURATION}s per scenario (+${GRACE}s grace for in-flight requests); wrk -t$WRK_THREADS --timeout 30s"
    if ((GRPC)); then
        echo "- gRPC (h2c): SendLogs with \`h2load -v -t1 -c$GRPC_CONNECTIONS -m$H2LOAD_STREAMS -D $DURATION\`, one pre-encoded $GRPC_BATCH-record body; StreamLogs: $GRPC_STREAMS streams, one connection each, client: $(for sc in $STREAM_CLIENTS; do [[ $sc == c ]] && printf 'grpc_stream_client.c (nghttp2) ' || printf 'grpc_stream_client.py (grpcio) '; done | sed 's/ $//')"
    fi
    echo "- machine: $(nproc) cores, $(uname -sr), SQLite $(sqlite3 --version | cut -d' ' -f1), data on $FS_TYPE ($TMP_BASE); load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    ((QUICK)) && echo "- **quick run**: too short for conclusions"
    echo
    echo "| scenario | logs/s | p50 ms | p99 ms | peak RSS MiB | CPU s / 1M logs | cores used | client cores | ratio to ceiling (1000/txn) | ratio to ceiling (same txn size) | count check |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Ratios are what to compare between runs (the load generator shares the 2 cores); see bench/README.md."
    echo "LogPilot rows: p50/p99 are request latencies (saturating wrk runs: closed-loop, mostly queueing; '@50% max' rows: open-loop fixed rate, measured from the scheduled send time)."
    echo "Ceiling rows: p50/p99 are commit-to-commit transaction times. CPU for LogPilot is the server process only; 'client cores' is the load generator's CPU over the window."
    if ((GRPC)); then
        echo "gRPC SendLogs: logs/s = calls answered with a response message × $GRPC_BATCH / window (h2load -v prints each call's response headers; LogPilot sends them only with the response, after the commit, and errors as trailers-only responses carrying grpc-status); no percentiles from h2load (mean/max call time: raw results). Calls cut off when h2load stops at the window end have no known outcome: the check is rows % $GRPC_BATCH == 0 and OK calls × $GRPC_BATCH <= rows <= (OK + cut-off calls) × $GRPC_BATCH. h2load ignores retry-after: a RESOURCE_EXHAUSTED call is followed at once by the next."
        echo "gRPC StreamLogs: logs/s = records acknowledged (cumulative acks) inside the window / window; p50/p99 = ack latency (record handed to the client's HTTP/2 stack -> first ack covering it); the check compares the rows with the sum of the final acks. The load comes from grpc_stream_client.c (nghttp2); the grpcio client (--stream-client python, rows marked 'grpcio client') cannot saturate the server: it needs about a client core for a few thousand records/s (bench/README.md, gRPC caveats)."
    fi
    if ((${#TARGET_ROWS[@]})); then
        echo
        echo "## Issue targets (gRPC)"
        echo
        echo "| gRPC scenario | logs/s | >= REST ingest ($( [[ -n $REST_REF_NAME ]] && echo "REST $REST_REF_NAME: $(calc "%.0f" "$REST_REF_LOGS") logs/s" || echo "no REST run")) | >= best REST row ($( [[ -n $REST_BEST_NAME ]] && echo "$REST_BEST_NAME: $(calc "%.0f" "$REST_BEST_LOGS") logs/s" || echo "no REST run")) | >= 0.85 × ceiling (1000/txn: $(calc "%.0f" "$CEIL_1000") rows/s) | peak RSS <= 96 MiB |"
        echo "|---|---:|---|---|---|---|"
        printf '%s\n' "${TARGET_ROWS[@]}"
    fi
    if ((${#FAILURES[@]})); then
        echo
        echo "## Failures"
        printf -- '- %s\n' "${FAILURES[@]}"
    fi
    echo
    echo "<details><summary>raw results</summary>"
    echo
    echo '```'
    printf '%s\n' "${DETAILS[@]}"
    echo '```'
    echo "</details>"
} >"$REPORT"

echo
sed -n '/^| scenario/,/^$/p' "$REPORT"
if ((${#TARGET_ROWS[@]})); then
    sed -n '/^| gRPC scenario/,/^$/p' "$REPORT"
    echo
fi
echo "Saved: ${REPORT#"$REPO_DIR"/}"
if ((${#FAILURES[@]})); then
    echo "FAILED:" >&2
    printf '  %s\n' "${FAILURES[@]}" >&2
    exit 1
fi
echo "All count checks OK."
