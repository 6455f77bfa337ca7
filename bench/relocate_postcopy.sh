#!/usr/bin/env bash
# Post-copy against stop-copy relocation (issue 16), in one run: partitions
# of BENCH_SIZES (64 512 1024) MiB of half-random memory (tests/helpers/
# memhog) plus a heartbeat service that appends the wall clock to a file
# every 10 ms, each moved between two "hosts" (network namespaces joined by
# a veth, as bench/relocate.sh) once with movewpar --mode stop-copy and once
# with --mode post-copy. For each: movewpar's downtime, the largest gap
# between two heartbeats (what a client of the partition sees), post-copy's
# lazy window (resume there to last page), and memhog's check of every page
# on the destination. Then a plain stream of the bytes the 512 MiB post-copy
# relayed (socat over the same veth, to /dev/null) for the lazy window goal.
# The goals: post-copy downtime at 512 MiB <= 0.15x stop-copy's; post-copy
# downtime at 1 GiB <= 1.5x its downtime at 64 MiB; lazy window at 512 MiB
# <= 3x the plain stream. Needs a CRIU whose lazy dump works here (corral
# check: lazy-pages ok; CORRAL_CRIU may name one).
# Usage, as root: bench/relocate_postcopy.sh   (CORRAL_BUILD_DIR defaults to
# ./build; BENCH_SIZES="64 512" for a shorter run). Exits non-zero only when
# something fails.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/hosts.sh"
need_root
need_commands ip socat
sizes=${BENCH_SIZES:-64 512 1024}
need_memhog

bench_setup /dev/shm
bench_hosts
bench_netns_hosts crpb 10.217
need_lazy_pages

# The largest gap, in microseconds, between two lines of heartbeat file $1
# (nanoseconds of the wall clock, one line every 10 ms).
largest_gap() {
	awk 'NF == 1 && $1 ~ /^[0-9]+$/ { if (prev) { d = $1 - prev; if (d > max) max = d } prev = $1 }
	     END { printf "%d", max / 1000 }' "$1"
}

# move_round MODE: a fresh partition on A, moved to B with --mode MODE.
move_round() {
	local mode=$1 name=hog out pid root=$ra/wpars/hog
	on_a "$BIN/mkwpar" -n "$name" -c >/dev/null || fail "mkwpar failed"
	memhog_service "$root" /tmp/memhog
	echo 'respawn: while :; do date +%s%N >> /tmp/heartbeat; sleep 0.01; done' >>"$root/etc/corral/services"
	on_a "$BIN/startwpar" "$name" >/dev/null || fail "startwpar failed"
	wait_file "$root/tmp/memhog/ready" "the partition's memhog"
	sleep 0.5
	if ! out=$(on_a "$BIN/movewpar" -v --mode "$mode" "$name" b 2>&1); then
		# A failed post-copy leaves the partition running here, whole:
		# report it (with the kept lazy-pages log) and go on.
		echo "  $mib MiB $mode FAILED: $out"
		tail -5 "$rb"/var/log/corral/*.lazy-pages.log 2>/dev/null | sed 's/^/    /'
		[ -z "${BENCH_KEEP_LOGS:-}" ] || cp -r "$ra/var/log/corral" "$BENCH_KEEP_LOGS/a.$mib" 2>/dev/null
		[ -z "${BENCH_KEEP_LOGS:-}" ] || cp -r "$rb/var/log/corral" "$BENCH_KEEP_LOGS/b.$mib" 2>/dev/null
		[ "$(CORRAL_ROOT=$ra state_of "$name")" = A ] || fail "not Active on A after the failed move"
		pid=$(partition_memhog "$CORRAL_CGROUP_PARENT-a") || fail "no memhog on A after the failed move"
		check_pages "$root/tmp/memhog" "$pid" "movewpar --mode $mode (failed)" "the failed move"
		on_a "$BIN/stopwpar" -F "$name" >/dev/null
		on_a "$BIN/rmwpar" -F "$name" >/dev/null
		r_down= r_lazy= r_pages= r_gap= r_restore=
		return
	fi
	sleep 0.5
	case "$out" in *"$mode"*) ;; *) fail "movewpar did not run $mode: $out" ;; esac
	echo "  $mib MiB $mode: $(grep -E '^(downtime|freeze)' <<<"$out" | tr '\n' ';' | sed 's/;$//; s/;/; /')"
	r_down=$(ms_field downtime "$out")
	r_lazy=$(ms_field "lazy window" "$out")
	r_pages=$(sed -n 's/.* pushed, \([0-9.]*\) MiB at .*/\1/p' <<<"$out")
	r_gap=$(largest_gap "$rb/wpars/hog/tmp/heartbeat")
	r_restore=$(ms_field restore "$out")
	pid=$(partition_memhog "$CORRAL_CGROUP_PARENT-b") || fail "no memhog in B's partition after the move"
	check_pages "$rb/wpars/hog/tmp/memhog" "$pid" "movewpar --mode $mode" "the move"
	on_b "$BIN/stopwpar" -F "$name" >/dev/null
	on_b "$BIN/rmwpar" -F "$name" >/dev/null
}

# plain_stream MIB: microseconds to send MIB MiB over the veth with socat.
plain_stream() {
	local t0 recv
	nsenter --net=/run/netns/"$nb" socat -u TCP-LISTEN:"$port",bind="$net.2",reuseaddr - >/dev/null &
	recv=$!
	for _ in $(seq 100); do
		ip netns exec "$nb" ss -Hltn "sport = :$port" | grep -q . && break
		sleep 0.05
	done
	t0=$(now_us)
	head -c "$(($1 * 1048576))" /dev/zero | nsenter --net=/run/netns/"$na" socat -u - "TCP:$net.2:$port" ||
		fail "plain stream failed"
	wait "$recv"
	echo $(($(now_us) - t0))
}

echo "Post-copy against stop-copy, half-random memory plus a 10 ms heartbeat, between two network namespaces, on tmpfs"
load_note
two_hosts "$na" "$nb" "$va" "$vb" "$net"
hosts_up "$net.1" "$net.2"
declare -A down gap lazyw restore pages
for mib in $sizes; do
	for mode in stop-copy post-copy; do
		move_round "$mode"
		down[$mib,$mode]=$r_down gap[$mib,$mode]=$r_gap lazyw[$mib,$mode]=$r_lazy
		restore[$mib,$mode]=$r_restore pages[$mib,$mode]=$r_pages
	done
done

echo
printf '  %-9s %-10s %10s %12s %12s %12s %10s\n' "memory" "mode" "downtime" "heartbeat" "restore" "lazy window" "pages"
for mib in $sizes; do
	for mode in stop-copy post-copy; do
		[ -n "${down[$mib,$mode]}" ] || { printf '  %5s MiB %-10s failed (see above)\n' "$mib" "$mode"; continue; }
		printf '  %5s MiB %-10s %7s ms %9s ms %9s ms %9s ms %6s MiB\n' "$mib" "$mode" "$(ms "${down[$mib,$mode]}")" \
			"$(ms "${gap[$mib,$mode]}")" "$(ms "${restore[$mib,$mode]}")" \
			"$([ -n "${lazyw[$mib,$mode]}" ] && ms "${lazyw[$mib,$mode]}" || echo -)" "${pages[$mib,$mode]:--}"
	done
done
echo
for mib in $sizes; do
	printf '  %5s MiB: post-copy downtime / stop-copy downtime = %s, heartbeat gap ratio = %s\n' "$mib" \
		"$(ratio "${down[$mib,post-copy]}" "${down[$mib,stop-copy]}")" \
		"$(ratio "${gap[$mib,post-copy]}" "${gap[$mib,stop-copy]}")"
done
first=${sizes%% *} last=${sizes##* }
if [ -n "${down[512,post-copy]:-}" ]; then
	plain_mib=$(awk -v m="${pages[512,post-copy]}" 'BEGIN {printf "%d", m + 0.5}')
	plain=$(plain_stream "$plain_mib")
	printf '  plain stream of %s MiB (socat over the veth): %s ms; lazy window at 512 MiB / plain = %s\n' \
		"$plain_mib" "$(ms "$plain")" "$(ratio "${lazyw[512,post-copy]}" "$plain")"
	echo
	goal "post-copy downtime at 512 MiB <= 0.15x stop-copy's ($(ratio "${down[512,post-copy]}" "${down[512,stop-copy]}")x)" \
		"$(ratio "${down[512,post-copy]}" "${down[512,stop-copy]}")" "<=" 0.15
	goal "lazy window at 512 MiB <= 3x a plain stream of its bytes ($(ratio "${lazyw[512,post-copy]}" "$plain")x)" \
		"$(ratio "${lazyw[512,post-copy]}" "$plain")" "<=" 3
fi
[ "$first" = "$last" ] ||
	goal "post-copy downtime at $last MiB <= 1.5x at $first MiB ($(ratio "${down[$last,post-copy]}" "${down[$first,post-copy]}")x)" \
		"$(ratio "${down[$last,post-copy]}" "${down[$first,post-copy]}")" "<=" 1.5
