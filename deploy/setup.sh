#!/usr/bin/env bash
# deploy/setup.sh [--asan | --deps-only] -- install the build dependencies (Debian 12) and build
# gridnet.
#
#   bash deploy/setup.sh             # build/      (CMake's default build type from CMakeLists.txt)
#   bash deploy/setup.sh --asan      # build-asan/ (-DGN_SANITIZE=ON: AddressSanitizer + UBSan)
#   bash deploy/setup.sh --deps-only # packages only, no build
#
# The browser test of the pages (tests/t_pages.sh) needs Debian's chromium, a font with Chinese
# glyphs for its screenshots (fonts-wqy-microhei), node with npm (nodejs npm, unless a node is
# already installed) and playwright-core from tests/browser/package-lock.json (npm ci; skipped
# with a message when the npm registry cannot be reached: t_pages then says what is missing).
#
# build/ also gets bin/gn-drive, the batch driver of deploy/month.sh and deploy/replay.sh: from
# the main build once the top-level CMakeLists.txt has add_subdirectory(deploy), until then from
# deploy/CMakeLists.txt on its own against build/ (in build/deploy-standalone/).
#
# Idempotent: packages are installed only when one is missing; cmake rebuilds only what changed.
# apt and build output go to log files; their tail is shown when a step fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

build=build
cmake_args=(-DGN_SANITIZE=OFF)
deps_only=
case "${1:-}" in
  "") ;;
  --asan) build="build-asan"; cmake_args=(-DGN_SANITIZE=ON) ;;
  --deps-only) deps_only=1 ;;
  -h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "setup.sh: unknown option '$1' (use --asan or --deps-only)" >&2; exit 2 ;;
esac

# Build and test dependencies. jq is used by the integration tests (tests/*.sh) to read JSON;
# curl and xmllint (libxml2-utils) by tests/t_http.sh to talk to the HTTP front and check its XML;
# iproute2 (ip) by the fault scenario village_netns (a network namespace and a veth pair).
packages=(build-essential cmake pkg-config libzmq3-dev libczmq-dev liblmdb-dev lmdb-utils
          libprotobuf-c-dev protobuf-c-compiler libssl-dev libjansson-dev libcmocka-dev
          libmicrohttpd-dev libxml2-dev libxml2-utils curl jq iproute2
          openssl                     # the HTTPS front's test certificate (tests/t_https.sh)
          clang libclang-rt-14-dev    # clang: the fuzz targets
          chromium fonts-wqy-microhei)   # the pages' browser test (tests/t_pages.sh)
# node and npm for the browser test, from Debian unless a node (say, a newer one) is installed.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

logdir=${TMPDIR:-/tmp}
run_logged() {  # run_logged LOGFILE CMD... : run quietly; on failure show the log's tail
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    echo "setup: failed: $*" >&2
    echo "---- last lines of $log ----" >&2
    tail -n 60 "$log" >&2
    exit 1
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "setup: installing ${missing[*]} (log: $logdir/gridnet-apt.log)"
  run_logged "$logdir/gridnet-apt-update.log" "${sudo[@]}" apt-get update
  run_logged "$logdir/gridnet-apt.log" "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "setup: build dependencies present"
fi

# playwright-core for the browser test, at the version the lock file pins.
if [ -f tests/browser/node_modules/playwright-core/package.json ] &&
   [ "$(cd tests/browser && node -p "require('./node_modules/playwright-core/package.json').version" 2>/dev/null)" = \
     "$(cd tests/browser && node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version" 2>/dev/null)" ]; then
  echo "setup: browser test packages present (tests/browser/node_modules)"
elif npm ci --prefix tests/browser --no-audit --no-fund >"$logdir/gridnet-npm.log" 2>&1; then
  echo "setup: browser test packages installed (npm ci --prefix tests/browser)"
else
  echo "setup: could not install the browser test's packages (offline? see $logdir/gridnet-npm.log);" \
       "tests/t_pages.sh will fail until 'npm ci --prefix tests/browser' works" >&2
fi

[ -z "$deps_only" ] || exit 0

mkdir -p "$build"
echo "setup: configuring $build/ ${cmake_args[*]:-}"
run_logged "$build/setup-configure.log" cmake -S . -B "$build" "${cmake_args[@]}"
echo "setup: building $build/ with $(nproc) jobs (log: $build/setup-build.log)"
run_logged "$build/setup-build.log" cmake --build "$build" -j"$(nproc)"
echo "setup: done: binaries in $build/bin/"
