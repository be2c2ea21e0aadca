#!/usr/bin/env bash
# Builds the libFuzzer harness for the storage v2 block layer and runs it for a bounded time.
#
# Usage: fuzz/run-blocks.sh [seconds] [extra libFuzzer arguments or crash files...]
#   seconds  total fuzzing time (default 60)
#   Reproduce a crash: fuzz/run-blocks.sh 0 /path/to/crash-file
#   A run of a fixed size: fuzz/run-blocks.sh 3600 -runs=10000000
#
# The working corpus, crash artifacts and the binary live outside the repository, in
# $FUZZ_WORK_DIR (default: ${TMPDIR:-/tmp}/logpilot-block-fuzz); the corpus is seeded with real blocks and
# filters that the harness itself writes (BlockFuzzEntry.swift, `Seeds`).
set -euo pipefail

seconds="${1:-60}"
shift || true
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
core="$root/Sources/LogPilotCore"
work="${FUZZ_WORK_DIR:-${TMPDIR:-/tmp}/logpilot-block-fuzz}"
mkdir -p "$work/corpus" "$work/artifacts"

echo "building $work/block-fuzz" >&2
swiftc -sanitize=fuzzer,address -parse-as-library \
    -O -assert-config Debug -swift-version 6 -use-ld=lld \
    -enable-upcoming-feature ExistentialAny \
    -enable-upcoming-feature MemberImportVisibility \
    -enable-upcoming-feature InternalImportsByDefault \
    -module-name BlockFuzz \
    -Xcc -fmodule-map-file="$root/Sources/CZstd/module.modulemap" -lzstd \
    "$core"/Storage/Blocks/Format/*.swift "$core"/Model/LogLevel.swift "$core"/Model/LogRecord.swift "$core"/JSON/*.swift \
    "$here"/BlockFuzz/*.swift \
    -o "$work/block-fuzz"

BLOCK_FUZZ_WRITE_SEEDS="$work/corpus" "$work/block-fuzz"

if [ "$#" -gt 0 ] && [ -f "$1" ]; then
    # Reproduce: run the given inputs once each.
    exec "$work/block-fuzz" "$@"
fi
exec "$work/block-fuzz" \
    -max_total_time="$seconds" \
    -max_len=4096 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" \
    "$@" \
    "$work/corpus"
