#!/usr/bin/env bash
# What a broken page connection costs once it resumes (issue 16): a partition
# running memhog (BENCH_MIB, 128 MiB of half-random memory) moves A -> B
# post-copy over a veth shaped to BENCH_RATE (400mbit, so that the lazy phase
# lasts), BENCH_ROUNDS times (3) each way alternately: without a fault (the
# baseline) and with movewpar's page connection dropped once, 4 MiB into the
# transfer (CORRAL_TEST_FAULT=drop-page-connection: it connects again and
# both sides resend what the other had not received). Per kind: the
# downtime and the lazy window (median and span), and the ratio of the lazy
# windows, dropped / baseline. memhog checks every page after each move;
# movewpar must say the transfer resumed once. Usage, as root:
# bench/postcopy_resume.sh (CORRAL_BUILD_DIR defaults to ./build). Exits
# non-zero only when something fails.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/hosts.sh"
need_root
need_commands ip tc
bench_mib 128
bench_rounds 3
need_memhog
rate=${BENCH_RATE:-400mbit}

bench_setup /dev/shm
bench_hosts
bench_netns_hosts crpr 10.219
need_lazy_pages

# move_round FAULT: a fresh partition on A, moved to B post-copy with
# CORRAL_TEST_FAULT=FAULT ("" for none); r_down, r_lazy (us) of the move.
move_round() {
	local fault=$1 name=rs out pid
	memhog_partition "$name" "$ra/wpars/$name" on_a
	sleep 0.5
	out=$(on_a env CORRAL_TEST_FAULT="$fault" "$BIN/movewpar" --mode post-copy "$name" b 2>&1) ||
		fail "post-copy${fault:+ with $fault}: $out"
	if [ -n "$fault" ]; then
		assert_contains "$out" "resumed 1 time(s)" "$fault: movewpar's report"
	fi
	pid=$(partition_memhog "$CORRAL_CGROUP_PARENT-b") || fail "no memhog in B's partition after the move"
	check_pages "$rb/wpars/$name/tmp/memhog" "$pid" "${fault:-no fault}" "a post-copy move"
	r_down=$(ms_field "downtime" "$out")
	r_lazy=$(ms_field "lazy window" "$out")
	on_b "$BIN/stopwpar" -F "$name" >/dev/null
	on_b "$BIN/rmwpar" -F "$name" >/dev/null
}

echo "Post-copy with one broken page connection, resumed: $mib MiB, the veth shaped to $rate, $rounds rounds"
load_note
shaped_hosts "$rate"
base_down=() base_lazy=() drop_down=() drop_lazy=()
for i in $(seq "$rounds"); do
	move_round ""
	base_down+=("$r_down") base_lazy+=("$r_lazy")
	move_round drop-page-connection
	drop_down+=("$r_down") drop_lazy+=("$r_lazy")
	echo "  round $i: lazy window $(ms "${base_lazy[-1]}") ms without a fault, $(ms "$r_lazy") ms with a drop"
done
printf '  %-22s %12s %14s %14s %16s\n' "" "downtime" "(span)" "lazy window" "(span)"
printf '  %-22s %9s ms %14s %11s ms %16s\n' "no fault" "$(median_ms "${base_down[@]}")" "$(span "${base_down[@]}")" \
	"$(median_ms "${base_lazy[@]}")" "$(span "${base_lazy[@]}")"
printf '  %-22s %9s ms %14s %11s ms %16s\n' "connection dropped once" "$(median_ms "${drop_down[@]}")" \
	"$(span "${drop_down[@]}")" "$(median_ms "${drop_lazy[@]}")" "$(span "${drop_lazy[@]}")"
echo "  lazy window, dropped once / no fault: $(ratio "$(median "${drop_lazy[@]}")" "$(median "${base_lazy[@]}")")x"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
