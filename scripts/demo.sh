#!/usr/bin/env bash
# The demo command: installs what is missing, builds, and runs the main demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh release
exec bash scripts/demo-run.sh build
