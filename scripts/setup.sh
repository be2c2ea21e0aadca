#!/usr/bin/env bash
# Installs what LogPilot needs on a fresh Debian 12 machine: system libraries and tools from apt, and (with
# --python) a Python venv for the interop tests. Idempotent: does nothing that is already done.
set -euo pipefail

cd "$(dirname "$0")/.."

APT_PACKAGES=(pkg-config libsqlite3-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
  sqlite3 curl ca-certificates prometheus)
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
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
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
