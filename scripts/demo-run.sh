#!/usr/bin/env bash
# The main demo, on an already built tree. Usage: scripts/demo-run.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
corral=$build/cli/corral
echo "== corral check: what this host can do"
"$corral" check || true
