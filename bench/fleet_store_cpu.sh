#!/usr/bin/env bash
# bench/fleet_store_cpu.sh [BUILD_DIR [BASE_BUILD_DIR]]: the CPU the
# fleet's store spends (three etcd members over TLS, utime+stime from
# /proc) while a fleet of three hosts idles (20 s) and during an evacuation
# of 4 small partitions with its restore, with the corralds (their agents:
# runner and manager) of BUILD_DIR against those of BASE_BUILD_DIR, in one
# fleet and one store, alternately (new, base, base, new). As root.
# Without BASE_BUILD_DIR it measures BUILD_DIR alone.
set -euo pipefail
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 1 ] && CORRAL_BUILD_DIR=$1
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/etcd.sh"
. "$BENCH_SRC/tests/integration/lib/fleet_hosts.sh"
[ "$(id -u)" -eq 0 ] || { echo "fleet_store_cpu.sh: run as root" >&2; exit 1; }
need_commands criu etcd openssl ip nsenter
NEW=$CORRAL_BUILD_DIR BASE=${2:-}
IDLE_S=${BENCH_IDLE_S:-20}

trap 'exit 130' INT TERM
load_note
fleet_test_up crs 224
for i in 1 2 3 4; do
	on a mkwpar -c -n "q$i" >/dev/null
	echo 'respawn: while true; do sleep 0.1; done' >>"$FTOP/a/wpars/q$i/etc/corral/services"
	on a startwpar "q$i" >/dev/null
done

# store_cpu: the etcd members' CPU so far, in ms
store_cpu() {
	local pid ticks=0 t
	for pid in $(ip netns pids "${FP}l"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = etcd ] || continue
		t=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		ticks=$((ticks + t))
	done
	echo $((ticks * 1000 / $(getconf CLK_TCK)))
}
# corralds_from DIR: every host's corrald (and agent) from build DIR
corralds_from() {
	local h
	for h in a b c; do fleet_corrald_stop "$h"; done
	CORRAL_BUILD_DIR=$1
	for h in a b c; do fleet_corrald "$h"; done
	sleep 4 # leases granted, a leader elected, trust in step
}
declare -A idle busy loads
runs=()
measure() {
	local label=$1 dir=$2 c0 c1 c2 k
	corralds_from "$dir"
	c0=$(store_cpu)
	sleep "$IDLE_S"
	c1=$(store_cpu)
	on b corral evacuate a --parallel 2 --timeout 300 >/dev/null || echo "evacuation ($label) did not end done" >&2
	on c corral restore a --parallel 2 --timeout 300 >/dev/null || echo "restore ($label) did not end done" >&2
	c2=$(store_cpu)
	k=$label-$((${#runs[@]} + 1))
	runs+=("$k")
	idle[$k]=$(((c1 - c0) * 10 / IDLE_S)) busy[$k]=$((c2 - c1)) loads[$k]=$(cut -d' ' -f1 /proc/loadavg)
}
if [ -n "$BASE" ]; then
	measure new "$NEW"
	measure base "$BASE"
	measure base "$BASE"
	measure new "$NEW"
else
	measure new "$NEW"
fi

echo
echo "etcd CPU (three members over TLS), ms; idle per 10 s, and one evacuation of 4 with its restore:"
printf '  %-7s %5s %12s %14s\n' run load idle_per_10s evac+restore
for k in "${runs[@]}"; do printf '  %-7s %5s %12s %14s\n' "$k" "${loads[$k]}" "${idle[$k]}" "${busy[$k]}"; done
if [ -n "$BASE" ]; then
	ni=0 bi=0 nb=0 bb=0
	for k in "${runs[@]}"; do
		case ${k%-*} in
		new) ni=$((ni + ${idle[$k]})) nb=$((nb + ${busy[$k]})) ;;
		base) bi=$((bi + ${idle[$k]})) bb=$((bb + ${busy[$k]})) ;;
		esac
	done
	echo "  idle, new / base:         $(ratio "$ni" "$bi")x"
	echo "  evac+restore, new / base: $(ratio "$nb" "$bb")x"
fi
