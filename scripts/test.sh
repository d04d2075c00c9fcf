#!/usr/bin/env bash
# Installs, builds everything (the router, tests, benchmarks, tools) and runs the whole test
# suite (unit, integration, the README walkthrough, benchmark smoke runs).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test.sh: building every target (tests and benchmarks included; a fresh build takes several minutes)"
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 300 2>&1 | tee ctest.log
# The container image (podman; as root) and the Helm chart (offline): deploy/test-*.sh.
bash ../deploy/test-image.sh
bash ../deploy/test-chart.sh

# Fuzzing: every libFuzzer target of fuzz/ for a short fixed time (clang, build-fuzz/); fails on
# any finding. FUZZ_CI_SECONDS sets the time per target.
cd .. && bash scripts/fuzz.sh ci

# The suite's closing line once more, after the image, chart and fuzzing checks passed.
echo "test.sh: image, chart and fuzzing checks passed"
grep -E '^[0-9]+% tests passed' build/ctest.log
