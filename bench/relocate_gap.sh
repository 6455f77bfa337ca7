#!/usr/bin/env bash
# The largest gap a TCP client sees while its server's partition is
# relocated, next to the downtime movewpar reports (issue #8). Runs the
# network relocation test (two hosts and a client on one LAN, the partition
# moved A -> B -> A with IPv4 and IPv6 echo conversations going on) and
# prints its measurements with their ratio.
# Usage: bench/relocate_gap.sh [BUILD_DIR]     (root; about a minute)
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 0 ] || CORRAL_BUILD_DIR=$1
. "$BENCH_SRC/bench/lib.sh"
need_root
out=$(CORRAL_SOURCE_DIR=$BENCH_SRC bash "$BENCH_SRC/tests/integration/test_relocate_network.sh" 2>&1) || {
	echo "$out" >&2
	fail "the relocation failed"
}
echo "$out" | grep -E '^(A -> B|B -> A): ' | while IFS= read -r line; do
	down=$(echo "$line" | sed -n 's/.*downtime \([0-9]*\) ms.*/\1/p')
	gap=$(echo "$line" | sed -n 's/.*largest gap \([0-9]*\) ms (IPv4).*/\1/p')
	printf '%s\n    gap / downtime = %s\n' "$line" "$(ratio "$gap" "$down")"
done
echo "(the gap is the longest wait for an echo so far, so the second line's may be the first move's)"
