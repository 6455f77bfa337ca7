#!/usr/bin/env bash
# The largest gap a TCP client sees while its server's partition is
# relocated, next to the downtime movewpar reports (issue #8). Runs the
# network relocation test (two hosts and a client on one LAN, the partition
# moved A -> B -> A with IPv4 and IPv6 echo conversations going on) and
# prints its measurements with their ratio.
# Usage: bench/relocate_gap.sh [BUILD_DIR]     (root; about a minute)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "relocate_gap: needs root" >&2; exit 1; }
out=$(CORRAL_BUILD_DIR=$build CORRAL_SOURCE_DIR=$src bash "$src/tests/integration/test_relocate_network.sh" 2>&1) || {
	echo "$out" >&2
	echo "relocate_gap: the relocation failed" >&2
	exit 1
}
echo "$out" | grep -E '^(A -> B|B -> A): ' | while IFS= read -r line; do
	down=$(echo "$line" | sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p')
	gap=$(echo "$line" | sed -n 's/.*largest gap \([0-9]*\) ms (IPv4).*/\1/p')
	printf '%s\n    gap / downtime = %s\n' "$line" "$(awk -v g="$gap" -v d="$down" 'BEGIN { if (d > 0) printf "%.2f", g / d; else print "?" }')"
done
echo "(the gap is the longest wait for an echo so far, so the second line's may be the first move's)"
