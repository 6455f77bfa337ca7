#!/usr/bin/env bash
# How long a fault waits while post-copy's background push runs (issue 16):
# a partition running tests/helpers/fault_probe (BENCH_MIB, 128 MiB; it reads
# one page every BENCH_PERIOD_MS, 250 ms, in a scattered order and times each
# read) moves A -> B post-copy over a veth shaped to BENCH_RATE (200mbit),
# once for each cap on what one push answer may take (CORRAL_PUSH_CAP):
# 4 MiB (criu lazy-pages' largest request: what the relay let through before
# it capped), 512 KiB (the default) and 64 KiB. BENCH_CAPS="... 4096" adds a
# cap of one page, where a fault waits behind one page per process at most:
# the push as good as disabled for faults (and the lazy window many times
# longer). criu lazy-pages starts its push requests at 64 KiB after each
# fault and grows them by 64 KiB a request, so a cap only matters when
# faults are some 100 ms apart or more: hence the period. Per round: the
# reads that faulted there (slower than 50 us) and their median, 90th, 99th
# percentile and largest wait, the lazy window, pages served on demand and
# pushed; the probe then checks every page. Usage, as root:
# bench/postcopy_faults.sh (CORRAL_BUILD_DIR defaults to ./build). Exits
# non-zero only when something fails.
#
# BENCH_CRIU_PRIO=PATH: a CRIU with scripts/criu-patches/0010, whose
# lazy-pages takes answers in any order, so that both relays serve faults
# ahead of the push. Each cap then runs BENCH_ROUNDS (3) times with each
# CRIU, alternated (the baseline is $CORRAL_CRIU or the criu on $PATH, in
# the order asked: "fifo"), both hosts' corralds restarted on each switch;
# a summary gives each side's medians over the rounds and prio / fifo.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/hosts.sh"
need_root
need_commands ip tc
bench_mib 128
rate=${BENCH_RATE:-200mbit}
period=${BENCH_PERIOD_MS:-250}
caps=${BENCH_CAPS:-4194304 524288 65536}
base_criu=${CORRAL_CRIU:-$(command -v criu)}
prio_criu=${BENCH_CRIU_PRIO:-}
if [ -n "$prio_criu" ]; then
	"$prio_criu" check --feature lazy_any_order >/dev/null 2>&1 ||
		fail "BENCH_CRIU_PRIO=$prio_criu lacks lazy_any_order (scripts/criu-patches/0010)"
	! "$base_criu" check --feature lazy_any_order >/dev/null 2>&1 ||
		fail "the baseline criu $base_criu has lazy_any_order too: set CORRAL_CRIU to one without 0010"
	bench_rounds 3
	caps=${BENCH_CAPS:-524288}
fi
probe=$CORRAL_BUILD_DIR/tests/helpers/fault_probe
[ -x "$probe" ] || fail "no $probe (build the tests' helpers)"

bench_setup /dev/shm
bench_hosts
bench_netns_hosts crpf 10.218
need_lazy_pages

# probe_round CAP: a fresh partition on A, moved to B post-copy with CAP.
probe_round() {
	local cap=$1 name=probe out pid root=$ra/wpars/probe
	on_a "$BIN/mkwpar" -n "$name" -c >/dev/null || fail "mkwpar failed"
	mkdir -p "$root/tmp/probe"
	install -m 0755 "$probe" "$root/root/fault_probe"
	echo "/root/fault_probe /tmp/probe $mib $period" >>"$root/etc/corral/services"
	on_a "$BIN/startwpar" "$name" >/dev/null || fail "startwpar failed"
	wait_file "$root/tmp/probe/ready" "the partition's fault_probe"
	sleep 0.5
	out=$(on_a env CORRAL_PUSH_CAP="$cap" "$BIN/movewpar" --mode post-copy "$name" b 2>&1) ||
		fail "post-copy with a push cap of $cap bytes: $out"
	sleep 0.5
	root=$rb/wpars/probe
	pid=$(pgrep -f '^/root/fault_probe /tmp/probe' | while read -r p; do
		grep -q "/$CORRAL_CGROUP_PARENT-b/" "/proc/$p/cgroup" && echo "$p"; done)
	[ -n "$pid" ] || fail "no fault_probe in B's partition after the move"
	rm -f "$root/tmp/probe/result"
	kill -USR1 "$pid"
	wait_file "$root/tmp/probe/result" "the probe's check"
	assert_eq PASS "$(head -1 "$root/tmp/probe/result")" "cap $cap: memory after the move"
	read -r r_n r_p50 r_p90 r_p99 r_max <"$root/tmp/probe/faults"
	r_lazy=$(ms_field "lazy window" "$out")
	r_demand=$(sed -n 's/.*pages \([0-9]*\) on demand.*/\1/p' <<<"$out")
	r_pushed=$(sed -n 's/.* on demand + \([0-9]*\) pushed.*/\1/p' <<<"$out")
	on_b "$BIN/stopwpar" -F "$name" >/dev/null
	on_b "$BIN/rmwpar" -F "$name" >/dev/null
}

# use_criu PATH: both hosts' corralds, and movewpar, run PATH's criu from now
# on (their facts probed again before the move).
use_criu() {
	[ "${CORRAL_CRIU:-}" = "$1" ] && return
	export CORRAL_CRIU=$1
	corralds_down
	corralds_up "$net.1" "$net.2"
	on_a "$BIN/corral" check >/dev/null 2>&1 || true
	on_b "$BIN/corral" check >/dev/null 2>&1 || true
}

row() {
	printf '  %7s KiB %-5s %7s %6s ms %6s ms %6s ms %6s ms %9s ms %10s %10s\n' "$(($1 / 1024))" "$2" "$r_n" \
		"$(ms "$r_p50")" "$(ms "$r_p90")" "$(ms "$r_p99")" "$(ms "$r_max")" "$(ms "$r_lazy")" "$r_demand" "$r_pushed"
}

echo "Fault service while the background push runs: $mib MiB, a read every $period ms, the veth shaped to $rate"
load_note
shaped_hosts "$rate"
printf '  %-11s %-5s %7s %9s %9s %9s %9s %12s %10s %10s\n' "push cap" "order" "faults" "median" "p90" "p99" "max" \
	"lazy window" "on demand" "pushed"
declare -A got
for cap in $caps; do
	if [ -z "$prio_criu" ]; then
		probe_round "$cap"
		row "$cap" fifo
		continue
	fi
	for i in $(seq "$rounds"); do
		order="fifo prio"
		[ $((i % 2)) -eq 0 ] && order="prio fifo"
		for kind in $order; do
			crit=$prio_criu
			[ "$kind" = fifo ] && crit=$base_criu
			use_criu "$crit"
			probe_round "$cap"
			row "$cap" "$kind"
			got[$cap.$kind.p50]+=" $r_p50" got[$cap.$kind.p90]+=" $r_p90" got[$cap.$kind.p99]+=" $r_p99"
			got[$cap.$kind.max]+=" $r_max" got[$cap.$kind.lazy]+=" $r_lazy"
		done
	done
done
[ -n "$prio_criu" ] || exit 0
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Medians over $rounds rounds each (fifo: $base_criu; prio: $prio_criu), and prio / fifo:"
printf '  %-11s %-5s %9s %9s %9s %9s %12s\n' "push cap" "" "median" "p90" "p99" "max" "lazy window"
for cap in $caps; do
	for kind in fifo prio; do
		# shellcheck disable=SC2086 # the lists split on purpose
		printf '  %7s KiB %-5s %6s ms %6s ms %6s ms %6s ms %9s ms\n' "$((cap / 1024))" "$kind" \
			"$(median_ms ${got[$cap.$kind.p50]})" "$(median_ms ${got[$cap.$kind.p90]})" \
			"$(median_ms ${got[$cap.$kind.p99]})" "$(median_ms ${got[$cap.$kind.max]})" \
			"$(median_ms ${got[$cap.$kind.lazy]})"
	done
	r=()
	for m in p50 p90 p99 max lazy; do
		# shellcheck disable=SC2086
		r+=("$(ratio "$(median ${got[$cap.prio.$m]})" "$(median ${got[$cap.fifo.$m]})")")
	done
	printf '  %7s KiB %-5s %8sx %8sx %8sx %8sx %11sx\n' "$((cap / 1024))" ratio "${r[@]}"
done
