#!/usr/bin/env bash
# Quick start: installs what is missing, builds the release logpilot-all and runs it on the embedded SQLite default
# (./data/logpilot.db, REST on :8080, management on :8081). Extra arguments go to logpilot-all (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "==> building logpilot-all (release; the first build takes several minutes)"
swift build -c release --product logpilot-all
exec .build/release/logpilot-all "$@"
