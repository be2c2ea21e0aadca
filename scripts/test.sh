#!/usr/bin/env bash
# Runs every test of LogPilot: Swift unit and in-process tests (swift test), then the interop tests that drive the
# real release binaries over loopback with Python clients. Installs what is missing first. Exit code 0 = all green.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
scripts/setup.sh --python

echo "==> swift build --build-tests"
swift build --build-tests

echo "==> swift test"
swift test --skip-build 2>&1 | tee .build/swift-test.log
swift_status=${PIPESTATUS[0]}
if [ "$swift_status" != 0 ]; then
  echo "swift test failed (exit $swift_status)" >&2
  exit "$swift_status"
fi

echo "==> swift build -c release (logpilot-all, logpilot-rest)"
swift build -c release --product logpilot-all
swift build -c release --product logpilot-rest

echo "==> interop tests (pytest, release binaries)"
LOGPILOT_BIN="$PWD/.build/release/logpilot-all" LOGPILOT_REST_BIN="$PWD/.build/release/logpilot-rest" \
  .venv/bin/python -m pytest -q Tests/interop -p no:cacheprovider

echo "==> all tests passed in $(( $(date +%s) - started )) s"
