#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, integration, benchmark smoke runs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)" --timeout 300
# The container image (podman; as root) and the Helm chart (offline): deploy/test-*.sh.
bash ../deploy/test-image.sh
bash ../deploy/test-chart.sh
