#!/usr/bin/env bash
# Installs the Debian 12 packages tunnel-router builds, tests and benchmarks with.
# Skips apt entirely when everything is already present, so repeated runs are quick.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ninja-build
  libcaf-dev libnghttp2-dev libssl-dev libsimdjson-dev libboost-dev libsqlite3-dev
  libhttp-parser-dev libgtest-dev libgmock-dev libbenchmark-dev
  nghttp2-client nghttp2-proxy nghttp2-server curl openssl sqlite3 procps jq python3
  clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes (scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
