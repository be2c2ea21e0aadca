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
set +e
swift test --skip-build 2>&1 | tee .build/swift-test.log
swift_status=${PIPESTATUS[0]}
set -e
if [ "$swift_status" != 0 ]; then
  echo "swift test failed (exit $swift_status)" >&2
  exit "$swift_status"
fi

echo "==> swift build -c release (logpilot-all, logpilot-rest, logpilot-grpc)"
swift build -c release --product logpilot-all
swift build -c release --product logpilot-rest
swift build -c release --product logpilot-grpc

echo "==> interop tests (pytest, release binaries)"
set +e
LOGPILOT_BIN="$PWD/.build/release/logpilot-all" LOGPILOT_REST_BIN="$PWD/.build/release/logpilot-rest" \
  LOGPILOT_GRPC_BIN="$PWD/.build/release/logpilot-grpc" .venv/bin/python -m pytest -q Tests/interop -p no:cacheprovider 2>&1 | tee .build/pytest.log
pytest_status=${PIPESTATUS[0]}
set -e

# One summary line over both runners.
swift_passed=$(grep -Eo 'Test run with [0-9]+ tests? in [0-9]+ suites? passed' .build/swift-test.log | grep -Eo '[0-9]+' | head -1 || true)
pytest_passed=$(grep -Eo '[0-9]+ passed' .build/pytest.log | tail -1 | grep -Eo '[0-9]+' || true)
pytest_failed=$(grep -Eo '[0-9]+ failed' .build/pytest.log | tail -1 | grep -Eo '[0-9]+' || true)
echo "==> finished in $(( $(date +%s) - started )) s"
echo "tests: $(( ${swift_passed:-0} + ${pytest_passed:-0} )) passed, ${pytest_failed:-0} failed"
exit "$pytest_status"
