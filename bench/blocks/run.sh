#!/usr/bin/env bash
# Block format measurements on the varied corpus: builds bench/blocks (release, straight from the sources, no
# SwiftPM) and prints markdown tables. Usage: bench/blocks/run.sh [--quick] [--no-layouts]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
out="${TMPDIR:-/tmp}/logpilot-blocks-bench"
core="$root/Sources/LogPilotCore"
swiftc -O -wmo -swift-version 6 -module-name BlocksBench \
    -enable-upcoming-feature ExistentialAny \
    -enable-upcoming-feature MemberImportVisibility \
    -Xcc -fmodule-map-file="$root/Sources/CZstd/module.modulemap" \
    -Xcc -fmodule-map-file="$root/Sources/CSQLite/module.modulemap" \
    "$core"/Storage/Blocks/Format/*.swift "$core"/Model/LogLevel.swift "$core"/Model/LogRecord.swift "$core"/JSON/*.swift \
    "$here"/Corpus.swift "$here"/main.swift \
    -o "$out"
exec "$out" "$@"
