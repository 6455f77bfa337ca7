#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test:
# unit and integration tests on the release build, then the sanitizer build
# (ASan + UBSan) over the unit tests and the integration tests that do not
# involve CRIU, then a short run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

echo "== release build"
bash scripts/build.sh release
ctest --test-dir build --output-on-failure --timeout 900

echo "== packager builds (Release, gcc and clang; built, not tested)"
bash scripts/build.sh release-gcc
bash scripts/build.sh release-clang

echo "== sanitizer build (ASan + UBSan)"
bash scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan --output-on-failure -LE criu --timeout 900

echo "== fuzz targets (smoke run)"
bash scripts/build.sh fuzz
bash scripts/fuzz-smoke.sh build-fuzz "${CORRAL_FUZZ_SECONDS:-20}"
