#!/usr/bin/env bash
# Installs the Debian 12 packages tunnel-router builds, tests and benchmarks with.
# `install-deps.sh run`: only what building and running the router needs (scripts/run.sh);
# without an argument: everything the tests use too (servers, browser, fuzzing compiler).
# Skips apt entirely when everything is already present, so repeated runs are quick.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libcaf-dev libnghttp2-dev libssl-dev libsimdjson-dev libboost-dev libsqlite3-dev
  libpq-dev libhttp-parser-dev libgtest-dev libgmock-dev libbenchmark-dev
  curl jq
)
if [ "${1:-test}" != run ]; then
  packages+=(
    postgresql nghttp2-client nghttp2-proxy nghttp2-server openssl sqlite3 procps python3
    chromium
    clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes (scripts/fuzz.sh)
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The console's browser tests run on Node.js and npm; a machine may bring its own (not from apt).
if [ "${1:-test}" != run ] && ! { command -v node && command -v npm; } >/dev/null; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
