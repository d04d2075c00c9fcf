#!/usr/bin/env bash
# Installs, builds the router binary alone and starts it on its embedded default (SQLite,
# loopback listeners). The tests and benchmarks are built by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh run
if [ -x build/tunnel-router ]; then
  echo "run.sh: bringing build/tunnel-router up to date (seconds unless sources changed)"
else
  echo "run.sh: building build/tunnel-router, the router alone (a fresh build takes about 2 min on 2 idle cores)"
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" >/dev/null
started=$(date +%s)
cmake --build build --target tunnel-router -j "$(nproc)"
echo "run.sh: built in $(( $(date +%s) - started )) s; starting: build/tunnel-router serve $*"
exec build/tunnel-router serve "$@"
