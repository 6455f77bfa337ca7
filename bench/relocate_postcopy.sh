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
# BENCH_CRIU_COMPARE="OLD NEW" (two criu binaries) compares instead: only
# post-copy moves, BENCH_ROUNDS (2) of each size with the source's dump by
# OLD, then by NEW, alternately; medians, NEW/OLD and the 1 GiB goal of each.
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
	# movewpar's own criu dumps on A (move_env: CORRAL_CRIU=... or nothing).
	if ! out=$(on_a env "${move_env[@]}" "$BIN/movewpar" -v --mode "$mode" "$name" b 2>&1); then
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

move_env=()
two_hosts "$na" "$nb" "$va" "$vb" "$net"
hosts_up "$net.1" "$net.2"

# compare_criu OLD NEW: post-copy moves with the source's dump by each criu,
# alternately, and their medians; then exit.
compare_criu() {
	local c i mib
	local -A cdown cgap clazy bin=([old]=$1 [new]=$2)
	bench_rounds 2
	if [ ! -x "${bin[old]}" ] || [ ! -x "${bin[new]}" ]; then
		fail "BENCH_CRIU_COMPARE: two executable criu binaries, please"
	fi
	echo "Post-copy with the source's CRIU dump by OLD=${bin[old]} and NEW=${bin[new]}, alternately, $rounds rounds per size"
	load_note
	for mib in $sizes; do
		for i in $(seq "$rounds"); do
			for c in old new; do
				move_env=(CORRAL_CRIU="${bin[$c]}")
				# Another criu makes A's cached host facts stale: probe them
				# now (corral check), not within the move, and let it settle.
				on_a env "${move_env[@]}" "$BIN/corral" check >/dev/null 2>&1 || true
				sleep 2
				move_round post-copy
				echo "    ($c, round $i, load $(cut -d' ' -f1 /proc/loadavg))"
				cdown[$mib,$c]+="${r_down:-} " cgap[$mib,$c]+="${r_gap:-} " clazy[$mib,$c]+="${r_lazy:-} "
			done
		done
	done
	echo
	printf '  %-9s %-4s %22s %22s %14s\n' "memory" "criu" "downtime (median, span)" "heartbeat (median)" "lazy window"
	for mib in $sizes; do
		for c in old new; do
			# shellcheck disable=SC2086 # one word per round
			printf '  %5s MiB %-4s %9s ms %11s %14s ms %11s ms\n' "$mib" "$c" "$(median_ms ${cdown[$mib,$c]})" \
				"($(span ${cdown[$mib,$c]}))" "$(median_ms ${cgap[$mib,$c]})" "$(median_ms ${clazy[$mib,$c]})"
		done
	done
	echo
	local first=${sizes%% *} last=${sizes##* }
	for mib in $sizes; do
		# shellcheck disable=SC2086
		printf '  %5s MiB: downtime new / old = %s\n' "$mib" \
			"$(ratio "$(median ${cdown[$mib,new]})" "$(median ${cdown[$mib,old]})")"
	done
	[ "$first" = "$last" ] && return
	for c in old new; do
		local r
		# shellcheck disable=SC2086
		r=$(ratio "$(median ${cdown[$last,$c]})" "$(median ${cdown[$first,$c]})")
		goal "$c: post-copy downtime at $last MiB <= 1.5x at $first MiB (${r}x)" "$r" "<=" 1.5
	done
}
if [ -n "${BENCH_CRIU_COMPARE:-}" ]; then
	# shellcheck disable=SC2086 # two paths
	compare_criu $BENCH_CRIU_COMPARE
	exit 0
fi

echo "Post-copy against stop-copy, half-random memory plus a 10 ms heartbeat, between two network namespaces, on tmpfs"
load_note
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
