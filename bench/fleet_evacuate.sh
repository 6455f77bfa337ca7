#!/usr/bin/env bash
# bench/fleet_evacuate.sh [BUILD_DIR]: an evacuation of 8 small checkpointable
# partitions on a real fleet (three hosts as network namespaces, a
# three-member etcd over TLS, a corrald per host), as root.
#   baseline 1: the same 8 moves one after another (--parallel 1);
#   baseline 2: a lone movewpar of one of them (its downtime);
#   measured:   the evacuation with --parallel 2.
# Prints the total time of each evacuation, the parallel one's longest
# downtime, and the ratios against the issue's goals (total <= 0.6x the
# sequential one; longest downtime <= 1.3x a lone move's); then the
# placement of 1,000 partitions over 100 hosts recorded in etcd
# (bench_fleet_plan, goal under 100 ms).
set -euo pipefail
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] && CORRAL_BUILD_DIR=$1
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/etcd.sh"
. "$BENCH_SRC/tests/integration/lib/fleet_hosts.sh"
[ "$(id -u)" -eq 0 ] || { echo "fleet_evacuate.sh: run as root" >&2; exit 1; }
need_commands criu etcd openssl ip nsenter
export PATH="$CORRAL_BUILD_DIR/cli:$PATH"
N=${BENCH_PARTITIONS:-8}

trap 'exit 130' INT TERM
load_note
fleet_test_up crb 219
for i in $(seq "$N"); do
	on a mkwpar -c -n "s$i" >/dev/null
	echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/ticks; sleep 0.1; done' \
		>>"$FTOP/a/wpars/s$i/etc/corral/services"
	on a startwpar "s$i" >/dev/null
done
sleep 3

lone=()
for _ in 1 2 3; do
	out=$(on a movewpar s1 b)
	lone+=("$(ms_field downtime "$out")")
	on b movewpar s1 a >/dev/null
done
lone_ms=$(median_ms "${lone[@]}")
sleep 3

# evac P: evacuate a with --parallel P; prints "TOTAL_US MAX_DOWNTIME_US"
evac() {
	local t0 t1 out
	t0=$(now_us)
	out=$(on b corral evacuate a --parallel "$1" --timeout 600)
	t1=$(now_us)
	local max
	max=$(awk '$5 == "done" && $7 == "ms" {if ($6 > m) m = $6} END {print m * 1000}' <<<"$out")
	on c corral restore a --parallel 2 --timeout 600 >/dev/null
	sleep 3
	echo "$((t1 - t0)) $max"
}
read -r seq_us seq_max <<<"$(evac 1)"
read -r par_us par_max <<<"$(evac 2)"

echo
echo "evacuation of $N small partitions (3 hosts, etcd over TLS):"
echo "  one after another (--parallel 1): $(ms "$seq_us") ms, longest downtime $(ms "$seq_max") ms"
echo "  --parallel 2:                    $(ms "$par_us") ms, longest downtime $(ms "$par_max") ms"
echo "  a lone movewpar:                 downtime $lone_ms ms (median of 3)"
echo "  total, parallel / sequential:    $(ratio "$par_us" "$seq_us")x"
echo "  longest downtime, parallel / lone move: $(ratio "$(ms "$par_max")" "$lone_ms")x"
goal "--parallel 2 total <= 0.6x sequential" "$(ratio "$par_us" "$seq_us")" "<=" 0.6
goal "longest parallel downtime <= 1.3x a lone move" "$(ratio "$(ms "$par_max")" "$lone_ms")" "<=" 1.3
echo
ETCD_TLS_DIR= ETCD_NETNS= ETCD_HOST= etcd_stop
ETCD_TLS_DIR= ETCD_NETNS= ETCD_HOST=127.0.0.1 etcd_start 1
"$CORRAL_BUILD_DIR/bench/bench_fleet_plan" "$ETCD_ENDPOINTS" 7
