#!/usr/bin/env bash
# Installs, builds and starts the router on its embedded default (SQLite, loopback listeners).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
exec build/tunnel-router serve "$@"
