#!/usr/bin/env bash
# Builds the libFuzzer harness for the JSON layer and runs it for a bounded time.
#
# Usage: fuzz/run.sh [seconds] [extra libFuzzer arguments or crash files...]
#   seconds  total fuzzing time (default 60)
#   Reproduce a crash: fuzz/run.sh 0 /path/to/crash-file
#
# The working corpus, crash artifacts and the binary live outside the repository, in
# $FUZZ_WORK_DIR (default: ${TMPDIR:-/tmp}/logpilot-json-fuzz), seeded from fuzz/seeds.
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
work="${FUZZ_WORK_DIR:-${TMPDIR:-/tmp}/logpilot-json-fuzz}"
mkdir -p "$work/corpus" "$work/artifacts"
cp -n "$here"/seeds/* "$work/corpus/" 2>/dev/null || true

echo "building $work/json-fuzz" >&2
swiftc -sanitize=fuzzer,address -parse-as-library \
    -O -assert-config Debug -swift-version 6 -use-ld=lld \
    -enable-upcoming-feature ExistentialAny \
    -enable-upcoming-feature MemberImportVisibility \
    -enable-upcoming-feature InternalImportsByDefault \
    -module-name JSONFuzz \
    "$root"/Sources/LogPilotCore/JSON/*.swift "$here"/JSONFuzz/*.swift \
    -o "$work/json-fuzz"

if [ "$#" -gt 0 ] && [ -f "$1" ]; then
    # Reproduce: run the given inputs once each.
    exec "$work/json-fuzz" "$@"
fi
exec "$work/json-fuzz" \
    -max_total_time="$seconds" \
    -dict="$here/json.dict" \
    -max_len=4096 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" \
    "$@" \
    "$work/corpus"
