#!/usr/bin/env bash
# Installs, builds everything (the router, tests, benchmarks, tools) and runs the whole test
# suite (unit, integration, the README walkthrough, benchmark smoke runs).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "test.sh: building every target (tests and benchmarks included; a fresh build takes several minutes)"
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 300
# The container image (podman; as root) and the Helm chart (offline): deploy/test-*.sh.
bash ../deploy/test-image.sh
bash ../deploy/test-chart.sh
