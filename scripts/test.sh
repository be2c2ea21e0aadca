#!/usr/bin/env bash
# Runs every test of LogPilot: Swift unit and in-process tests (swift test), then the interop tests that drive the
# real release binaries over loopback with Python clients, then (in CI) the fresh-install check of setup.sh on a clean
# Debian 12 root (scripts/check-fresh-install.sh). Installs what is missing first. Exit code 0 = all green.
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

# The fresh-install check (scripts/check-fresh-install.sh, about 10-15 min on 2 cores): setup.sh and a release build of
# the three executables in a clean Debian 12 root, so that a package once installed by hand on this machine cannot hide
# a missing install step. It runs in CI (CI=true, as .ci/run is run there) or with LOGPILOT_FRESH_INSTALL_CHECK=1;
# LOGPILOT_FRESH_INSTALL_CHECK=0 turns it off. It needs root (mmdebstrap, bind mounts, chroot): skipped with a notice
# otherwise, and inside a chroot (the fresh root of ../shared/tools/fresh-machine or of the check itself: the run
# outside is the check). It runs last and whatever the tests said, so that one CI run reports both.
fresh_status=""
fresh_wanted=${LOGPILOT_FRESH_INSTALL_CHECK:-$([ "${CI:-}" = true ] && echo 1 || echo 0)}
if [ "$fresh_wanted" != 1 ]; then
  echo "==> fresh-install check: skipped (it runs in CI, or with LOGPILOT_FRESH_INSTALL_CHECK=1)"
elif [ "$(id -u)" != 0 ]; then
  echo "==> fresh-install check: skipped, it needs root (mmdebstrap, bind mounts, chroot)"
elif [ -n "${LOGPILOT_IN_FRESH_ROOT:-}" ] || ! grep -qE '^[0-9]+ [0-9]+ [0-9]+:[0-9]+ [^ ]+ / ' /proc/self/mountinfo 2>/dev/null; then
  echo "==> fresh-install check: skipped inside a chroot (this is a fresh root already)"
else
  echo "==> fresh-install check (scripts/check-fresh-install.sh)"
  fresh_status=0
  scripts/check-fresh-install.sh || fresh_status=$?
fi

# One summary line over both runners.
swift_passed=$(grep -Eo 'Test run with [0-9]+ tests? in [0-9]+ suites? passed' .build/swift-test.log | grep -Eo '[0-9]+' | head -1 || true)
pytest_passed=$(grep -Eo '[0-9]+ passed' .build/pytest.log | tail -1 | grep -Eo '[0-9]+' || true)
pytest_failed=$(grep -Eo '[0-9]+ failed' .build/pytest.log | tail -1 | grep -Eo '[0-9]+' || true)
# The fresh-install check counts as one test when it ran.
fresh_passed=0 fresh_failed=0
if [ "$fresh_status" = 0 ]; then fresh_passed=1; elif [ -n "$fresh_status" ]; then fresh_failed=1; fi
echo "==> finished in $(( $(date +%s) - started )) s"
echo "tests: $(( ${swift_passed:-0} + ${pytest_passed:-0} + fresh_passed )) passed, $(( ${pytest_failed:-0} + fresh_failed )) failed"
if [ "$pytest_status" != 0 ]; then exit "$pytest_status"; fi
[ "$fresh_failed" = 0 ] || exit 1
