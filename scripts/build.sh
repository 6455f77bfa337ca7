#!/usr/bin/env bash
# Configure and build Corral.
# Usage: scripts/build.sh [release|asan|fuzz|release-gcc|release-clang]
# release -> build/, asan -> build-asan/ (ASan + UBSan), fuzz -> build-fuzz/ (clang, libFuzzer);
# release-gcc -> build-release-gcc/ and release-clang -> build-release-clang/: a packager's
# Release build (-O3) with each compiler, built and not tested (their warnings differ from
# RelWithDebInfo's: -O3 inlines more and gcc then sees more, -Werror makes it fail).
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
jobs=$(nproc)
case "$kind" in
release) cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	 cmake --build build -j"$jobs" >/dev/null ;;
asan)    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCORRAL_SANITIZE=ON >/dev/null
	 cmake --build build-asan -j"$jobs" >/dev/null ;;
fuzz)    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCORRAL_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
	 cmake --build build-fuzz -j"$jobs" >/dev/null ;;
release-gcc|release-clang)
	 cc=${kind#release-}
	 CC=$cc cmake -S . -B build-release-"$cc" -DCMAKE_BUILD_TYPE=Release >/dev/null
	 cmake --build build-release-"$cc" -j"$jobs" >/dev/null ;;
*) echo "build.sh: unknown build kind '$kind' (release, asan, fuzz, release-gcc, release-clang)" >&2; exit 2 ;;
esac
