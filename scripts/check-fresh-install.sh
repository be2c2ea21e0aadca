#!/usr/bin/env bash
# check-fresh-install.sh: proves that the README's setup (scripts/setup.sh) plus a release build of all three
# executables works on a clean Debian 12 that has nothing but the Swift toolchain and its own dependencies. A green
# CI on a machine where someone once installed a package by hand proves nothing about a new user's machine; this does.
#
#   scripts/check-fresh-install.sh               # the committed HEAD of this repository
#   scripts/check-fresh-install.sh --repo DIR    # the committed HEAD of another clone or worktree
#   scripts/check-fresh-install.sh --keep        # keep the root afterwards (its path is printed)
#
# What it does:
#   1. once: makes a minimal Debian 12 (bookworm) root with mmdebstrap (installed with apt when missing) from this
#      machine's apt sources, with only BASE_PACKAGES below, and caches it as a tarball in $LOGPILOT_FRESH_INSTALL_CACHE
#      (default /var/tmp/logpilot-fresh-install; remade when BASE_PACKAGES change or after 30 days). Only that
#      bootstrap tarball is cached, never anything of the project's build.
#   2. unpacks a copy, binds the Swift toolchain, the Swift package mirror (/opt/swift-packages, reached through
#      /etc/gitconfig's insteadOf rules) and the local Python wheels read-only, copies this machine's network settings
#      (resolv.conf, apt.conf.d, CA certificates, pip and git config: not its packages), and git-clones the committed
#      HEAD into /src (uncommitted changes are not in it: that is the point).
#   3. runs there as root, chrooted and in a PID namespace of its own: `./scripts/setup.sh --python` (what
#      scripts/test.sh runs; scripts/run.sh runs the same without --python), then
#      `swift build -c release --product P` for logpilot-all, logpilot-rest and logpilot-grpc, then `P --help` of each
#      built binary (it must exit 0 and print its usage: the binary loads its shared libraries and runs).
#   4. unmounts everything and removes the root (trap), and prints one verdict line: "fresh-install check: PASS|FAIL".
# Exit 0 when every step passed, 1 when one failed, 2 when the check could not run (not root, no Swift, bad option).
# The full output of every step goes to a log under the cache directory (the last 10 are kept); a failing step's last
# lines and its compiler errors are printed.
# Needs: root, about 4 GiB under the cache directory, Debian's package mirror; takes 1-2 minutes once for the
# tarball, then about 10-15 minutes on 2 cores (a cold release build).
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
repo=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) [ $# -ge 2 ] || usage; repo=$2; shift 2 ;;
    --repo=*) repo=${1#--repo=}; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) usage ;;
    *) echo "check-fresh-install: unknown option '$1'" >&2; usage ;;
  esac
done

say() { echo "==> fresh-install: $*"; }
die() { echo "fresh-install check: CANNOT RUN: $*" >&2; exit 2; }

[ -n "$repo" ] || repo="$(dirname "$0")/.."
repo=$(git -C "$repo" rev-parse --show-toplevel 2>/dev/null) || die "'$repo' is not a git work tree"
head=$(git -C "$repo" rev-parse HEAD)
short=$(git -C "$repo" rev-parse --short HEAD)

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, bind mounts, chroot)"
swift_bin=$(command -v swift) || die "the Swift toolchain is not on PATH"
# The toolchain's root (.../usr/bin/swift -> ...), bound at the same path inside the root.
toolchain=$(cd "$(dirname "$(readlink -f "$swift_bin")")/../.." && pwd)
[ -x "$toolchain/usr/bin/swift" ] || die "cannot find the toolchain root of $swift_bin (looked at $toolchain)"
case "$toolchain" in /|/usr|/usr/local) die "the toolchain is installed into $toolchain, which cannot be bound into a root" ;; esac

cache=${LOGPILOT_FRESH_INSTALL_CACHE:-/var/tmp/logpilot-fresh-install}
mkdir -p "$cache/logs"
log="$cache/logs/$(date -u +%Y%m%dT%H%M%SZ)-$short.log"
: > "$log"
started=$(date +%s)

# The Swift toolchain's own dependencies on Debian 12 (swift.org's install page), plus what any machine with Python
# has: the same list as ../shared/tools/fresh-machine. Nothing of LogPilot's own needs is here: setup.sh must install
# those. Tests/interop/test_setup_drift.py reads this list (commands from these packages need no install step).
BASE_PACKAGES=ca-certificates,git,gcc,g++,libc6-dev,libstdc++-12-dev,binutils,binutils-gold,libcurl4-openssl-dev,libedit2,libxml2,libicu72,libncurses6,libpython3.11,libsqlite3-0,libz3-4,tzdata,uuid-dev,python3,python3-venv,python3-pip,procps,sudo
SUITE=bookworm
BASE_MAX_AGE_DAYS=30

# --- 1. the bootstrap tarball (cached) ---------------------------------------------------------------------------------
key=$(printf '%s %s %s\n' "$SUITE" "$(dpkg --print-architecture)" "$BASE_PACKAGES" | sha256sum | cut -c1-12)
base="$cache/$SUITE-swift-base-$key.tar"
exec 9>"$cache/.lock"
flock 9  # one bootstrap at a time; runs after it share the tarball
if [ -s "$base" ] && [ -n "$(find "$base" -mtime +"$BASE_MAX_AGE_DAYS" 2>/dev/null)" ]; then
  say "the cached Debian root is older than $BASE_MAX_AGE_DAYS days: making it again"
  rm -f "$base"
fi
if [ ! -s "$base" ]; then
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    say "installing mmdebstrap (apt)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap; } >>"$log" 2>&1 \
      || die "could not install mmdebstrap (log: $log)"
  fi
  sources=/etc/apt/sources.list.d/debian.sources
  [ -f "$sources" ] || sources=/etc/apt/sources.list
  say "making a minimal Debian 12 root with mmdebstrap (once; cached as $base)"
  t=$(date +%s)
  rm -f "$base.partial"
  mmdebstrap --quiet --format=tar --variant=apt --include="$BASE_PACKAGES" "$SUITE" "$base.partial" "$sources" \
    >>"$log" 2>&1 || { rm -f "$base.partial"; tail -20 "$log" >&2; die "mmdebstrap failed (log: $log)"; }
  mv "$base.partial" "$base"
  find "$cache" -maxdepth 1 -name "$SUITE-swift-base-*.tar" ! -name "$(basename "$base")" -delete
  say "root tarball made in $(( $(date +%s) - t )) s"
else
  say "using the cached Debian 12 root $base"
fi
flock -u 9; exec 9>&-

# --- 2. a fresh copy of it, with the toolchain bound in and a clean clone --------------------------------------------
root=$(mktemp -d "$cache/root.XXXXXX")
mounts=()
mounted_below() {  # prints the mount points at or under $root still mounted in this namespace
  local _id _parent _dev _from point _rest
  while read -r _id _parent _dev _from point _rest; do
    case "$point" in "$root" | "$root"/*) echo "$point" ;; esac
  done </proc/self/mountinfo
}
cleanup() {
  local status=$?
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then
    echo "fresh-install: kept the root $root (unmounted; remove it with rm -rf)"
  elif [ -n "$(mounted_below)" ]; then
    # Never rm -rf through a bind mount (it would reach the host's /dev or the toolchain).
    echo "fresh-install: NOT removing $root: still mounted below it: $(mounted_below | tr '\n' ' ')" >&2
  else
    rm -rf --one-file-system "$root"
  fi
  rm -f "$root".step*.log
  find "$cache/logs" -name '*.log' -type f | sort | head -n -10 | xargs -r rm -f
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tar -xf "$base" -C "$root"
bind() {  # bind SRC [ro]: SRC at the same path inside the root
  [ -e "$1" ] || return 0
  mkdir -p "$root$1"
  mount --bind "$1" "$root$1"
  mounts+=("$root$1")
  if [ "${2:-}" = ro ]; then mount -o remount,bind,ro "$root$1"; fi
  return 0
}
mkdir -p "$root/proc"
bind /sys; bind /dev; bind /dev/pts
bind "$toolchain" ro; bind /opt/swift-packages ro; bind /opt/wheels ro
# This machine's network settings for apt, pip and git (mirrors, certificates), not its packages.
cp -f /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
cp -f /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt" 2>/dev/null || true
cp -f /etc/pip.conf "$root/etc/pip.conf" 2>/dev/null || true
mkdir -p "$root/root/.config"; cp -a /root/.config/pip "$root/root/.config/" 2>/dev/null || true
cp -f /etc/gitconfig "$root/etc/gitconfig" 2>/dev/null || true
cp -f /etc/gitignore "$root/etc/gitignore" 2>/dev/null || true

# Committed work only: a clone, checked out at the repository's HEAD (also when that is a worktree's own branch).
{ git clone -q --no-checkout "$repo" "$root/src" && git -C "$root/src" fetch -q "$repo" HEAD \
    && git -C "$root/src" checkout -q --detach FETCH_HEAD; } >>"$log" 2>&1 || die "git clone of $repo failed (log: $log)"
[ "$(git -C "$root/src" rev-parse HEAD)" = "$head" ] || die "the clone is not at $head"
say "clean clone of $short ($(git -C "$repo" log -1 --format=%s "$head" | cut -c1-60)) in a fresh Debian 12 root"
dirty=$(git -C "$repo" status --porcelain --untracked-files=no 2>/dev/null | wc -l)
[ "$dirty" = 0 ] || say "($dirty uncommitted change(s) in $repo are not in it)"

# --- 3. the steps, each chrooted in its own PID namespace ------------------------------------------------------------
in_root() {  # in_root COMMAND...: runs COMMAND in /src of the root with a minimal environment
  unshare --pid --fork --kill-child --mount-proc="$root/proc" chroot "$root" /usr/bin/env -i \
    HOME=/root TERM=dumb LANG=C.UTF-8 LOGPILOT_IN_FRESH_ROOT=1 \
    PATH="$toolchain/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    PIP_CERT="${PIP_CERT:-}" PIP_FIND_LINKS="${PIP_FIND_LINKS:-}" PIP_DEFAULT_TIMEOUT="${PIP_DEFAULT_TIMEOUT:-}" \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    bash -c 'cd /src && "$@"' in-root "$@"
}
failed=""
step_count=0
step() {  # step NAME COMMAND...: one progress line, the output to the log; on failure its last lines and errors
  local name=$1 t status=0 out
  shift
  step_count=$((step_count + 1))
  say "[$step_count] $name"
  t=$(date +%s)
  out="$root.step$step_count.log"
  printf '\n==> [%s] %s\n' "$step_count" "$name" >>"$log"
  set +e
  in_root "$@" 2>&1 | tee "$out" >>"$log"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" != 0 ]; then
    echo "    FAILED (exit $status) after $(( $(date +%s) - t )) s; the last lines of its output:"
    tail -n 25 "$out" | sed 's/^/    | /'
    if grep -q 'error:' "$out"; then
      echo "    its errors:"
      grep 'error:' "$out" | sort -u | head -n 10 | sed 's/^/    ! /'
    fi
    failed="$name (exit $status)"
  else
    echo "    ok in $(( $(date +%s) - t )) s"
  fi
  rm -f "$out"
  [ "$status" = 0 ]
}

products=(logpilot-all logpilot-rest logpilot-grpc)
run_steps() {
  step "./scripts/setup.sh --python" ./scripts/setup.sh --python || return 1
  local p
  for p in "${products[@]}"; do
    step "swift build -c release --product $p" swift build -c release --product "$p" || return 1
  done
  for p in "${products[@]}"; do
    step "$p --help" bash -c '
      bin=.build/release/$1
      [ -x "$bin" ] || { echo "$bin was not built"; exit 1; }
      "$bin" --help > /tmp/help.txt 2>&1 || { cat /tmp/help.txt; echo "error: $bin --help failed"; exit 1; }
      grep -q "USAGE:" /tmp/help.txt || { cat /tmp/help.txt; echo "error: $bin --help printed no usage"; exit 1; }
      grep "USAGE:" /tmp/help.txt' check "$p" || return 1
  done
}
run_steps || true

elapsed=$(( $(date +%s) - started ))
say "full log: $log"
if [ -z "$failed" ]; then
  echo "fresh-install check: PASS ($short: setup.sh + release builds of ${products[*]} on a clean Debian 12 in ${elapsed} s)"
  exit 0
fi
echo "fresh-install check: FAIL ($short: $failed, after ${elapsed} s; log: $log)"
exit 1
