#!/usr/bin/env bash
# Build, for tests only, a CRIU like the installed one but without
# scripts/criu-patches/0009 (tmpfs-plain-tar): a host not yet upgraded.
# 0012 changes what 0009 added (the plain tar in CRIU's process): left out too.
# Usage: scripts/criu-without-0009.sh DIR  -> DIR/criu-4.1.1/criu/criu
# Needs the tarball scripts/deps.sh fetched (its cache); about a minute.
set -euo pipefail
dir=${1:?usage: $0 DIR}
CRIU_VERSION=4.1.1
cache=${CORRAL_CRIU_CACHE:-/var/cache/corral/criu}
tarball=$cache/criu_${CRIU_VERSION}.orig.tar.xz
patches=$(cd "$(dirname "$0")" && pwd)/criu-patches
[ -f "$tarball" ] || { echo "no $tarball: run scripts/deps.sh first" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
if [ ! -x "criu-$CRIU_VERSION/criu/criu" ]; then
	rm -rf "criu-$CRIU_VERSION"
	tar xf "$tarball"
	for p in "$patches"/*.patch; do
		case $(basename "$p") in 0009-* | 0012-*) continue ;; esac
		patch -d "criu-$CRIU_VERSION" -p1 --quiet <"$p"
	done
	make -C "criu-$CRIU_VERSION" -j"$(nproc)" criu >build.log 2>&1 ||
		{ echo "CRIU build failed, see $dir/build.log" >&2; exit 1; }
fi
echo "$dir/criu-$CRIU_VERSION/criu/criu"
