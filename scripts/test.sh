#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, integration, benchmark smoke runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 300

# Fuzzing: every libFuzzer target of fuzz/ for a short fixed time (clang, build-fuzz/); fails on
# any finding. FUZZ_CI_SECONDS sets the time per target.
cd .. && bash scripts/fuzz.sh ci
