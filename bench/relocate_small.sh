#!/usr/bin/env bash
# A move's fixed cost (issue 19): the pause a 10 ms heartbeat sees when a
# small partition (memhog with BENCH_SIZES' first size, 1 MiB, plus a shell
# loop that appends the wall clock to a file every 10 ms) moves a -> b -> a
# -> b with movewpar (its default mode), between two "hosts" as in
# bench/relocate.sh. Baseline in the same run: the same workload as a plain
# process tree in its own pid (and mount) namespace, `criu dump` then
# `criu restore -d` on this host, BENCH_ROUNDS (3) times; its pause is the
# largest heartbeat gap across dump and restore. Each further size of
# BENCH_SIZES ("1 64") is measured the same way (both sides), for the record.
# Goal: the median move pause at the first size <= 3x the median raw pause.
# Usage, as root: bench/relocate_small.sh   (CORRAL_BUILD_DIR defaults to
# ./build; BENCH_SIZES="1" for the goal alone; BENCH_MODE=post-copy or
# stop-copy passes --mode to movewpar (default: its auto); BENCH_VERBOSE=1 prints each
# move's timing lines; BENCH_PROFILE=DIR keeps, per size, both corralds' logs
# and movewpar's output (with CORRAL_DEBUG=1: every step, time-stamped),
# every CRIU log of the moves (hard links taken while CRIU runs: Corral
# removes its work directories) and a kernel trace of every fork, exec and
# exit on the machine with markers around each move, in DIR); BENCH_DIR puts
# the hosts' roots there instead of /dev/shm (a disk: the file systems'
# unpack then costs what it does on a real host; CORRAL_FS_PRECOPY=0 turns
# the pre-copy of the file systems off, for the before/after). Exits non-zero
# only when something fails.
BENCH_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$BENCH_SRC/bench/lib.sh"
. "$BENCH_SRC/tests/integration/lib/hosts.sh"
need_root
need_commands criu unshare nsenter ip setsid
sizes=${BENCH_SIZES:-1 64}
bench_rounds 3
need_memhog
raw_criu_options

bench_setup "${BENCH_DIR:-/dev/shm}"
raw_baseline_dir
bench_hosts
bench_netns_hosts crsb 10.218

# --- BENCH_PROFILE ------------------------------------------------------------
profile=${BENCH_PROFILE:-} trace='' tracefs='' keeper=''
if [ -n "$profile" ]; then
	mkdir -p "$profile"
	keep=$CORRAL_ROOT/profile
	tracefs=$(mktemp -d /tmp/corral-bench-tracefs.XXXXXX)
	# shellcheck disable=SC2016 # expanded by the trap, when it runs
	bench_cleanups+=('[ -z "$keeper" ] || kill "$keeper"; rmdir "$tracefs/instances/bench$$"; umount "$tracefs"; rmdir "$tracefs"')
	mount -t tracefs nodev "$tracefs" || fail "cannot mount tracefs"
	mkdir "$tracefs/instances/bench$$" || fail "no tracing instance"
	trace=$tracefs/instances/bench$$
	for e in sched_process_fork sched_process_exec sched_process_exit; do
		echo 1 >"$trace/events/sched/$e/enable"
	done
	echo 8192 >"$trace/buffer_size_kb"
fi

# mark TEXT: a marker in the kernel trace (BENCH_PROFILE).
mark() { [ -z "$trace" ] || echo "$*" >"$trace/trace_marker"; }

# keep_logs_start / keep_logs_stop: hard links to every CRIU log under the
# hosts' state and run directories while the moves run, in $keep.
keep_logs_start() {
	[ -n "$profile" ] || return 0
	rm -rf "$keep"
	mkdir -p "$keep"
	: >"$trace/trace"
	(while :; do
		find "$ra" "$rb" -path '*/wpars' -prune -o -name '*.log' -path '*corral*' -type f -print 2>/dev/null |
			while read -r f; do
				k=$keep/$(tr / _ <<<"${f#"$CORRAL_ROOT"/}")
				[ -e "$k" ] || ln "$f" "$k" 2>/dev/null || true
			done
		sleep 0.02
	done) &
	keeper=$!
}
keep_logs_stop() {
	[ -n "$profile" ] || return 0
	kill "$keeper"
	wait "$keeper" 2>/dev/null || true
	keeper=
	mkdir -p "$profile/$mib"
	cp -r "$keep/." "$profile/$mib/"
	cp "$CORRAL_ROOT"/[ab].log "$profile/$mib/"
	cp "$trace/trace" "$profile/$mib/kernel-trace"
}

HEARTBEAT='while :; do date +%s%N >> HB; sleep 0.01; done'

# gap_in FILE FROM TO: the largest gap, in microseconds, between two lines of
# heartbeat file FILE (nanoseconds of the wall clock) that ends after FROM
# and starts before TO (microseconds of the same clock).
gap_in() {
	awk -v a="$2" -v b="$3" 'NF == 1 && $1 ~ /^[0-9]+$/ {
		t = $1 / 1000
		if (prev && t >= a && prev <= b && t - prev > max) max = t - prev
		prev = t }
		END { printf "%d", max }' "$1"
}

# raw_round: the workload under unshare, criu dump, criu restore -d; appends
# to raw_gap, raw_dump, raw_restore.
raw_round() {
	local hb=$raw/run/heartbeat t0 t1 t2
	rm -rf "$raw/run" "$raw/pid" "$raw/img"
	mkdir -p "$raw/run" "$raw/img"
	# The loop is pid 1 there, a session leader with stdio opened inside
	# its mount namespace and no other descriptor (zdtm_lib.h's rules);
	# memhog trims the mounts.
	unshare --fork "${raw_ns[@]}" setsid bash -c "exec </dev/null >/dev/null 2>&1
		for fd in \$(ls /proc/\$\$/fd); do [ \$fd -le 2 ] || eval \"exec \$fd>&-\"; done
		'$memhog' '$raw/run' $mib --private-mounts &
		${HEARTBEAT//HB/$hb}" </dev/null >/dev/null 2>&1 &
	outer=$!
	wait_file "$raw/run/ready" "raw memhog"
	raw_pid=$(pgrep -P "$outer")
	[ -n "$raw_pid" ] || fail "unshare $outer started no workload"
	sleep 0.3
	t0=$(now_us)
	criu_raw dump "$raw/img" -t "$raw_pid"
	t1=$(now_us)
	criu_raw restore "$raw/img" -d --root / --pidfile "$raw/pid"
	t2=$(now_us)
	raw_dumped
	sleep 0.3
	raw_gap+=("$(gap_in "$hb" "$t0" "$t2")") raw_dump+=($((t1 - t0))) raw_restore+=($((t2 - t1)))
	pid=$(pgrep -f "^/.*memhog $raw/run" | head -1)
	[ -n "$pid" ] || fail "no restored memhog"
	check_pages "$raw/run" "$pid" "raw criu" "criu dump and restore"
	kill -9 "$(cat "$raw/pid")"
	rm -f "$raw/pid"
}

# corral_round: a fresh partition on a moved a -> b -> a -> b; appends each
# move's heartbeat gap and phases.
corral_round() {
	local name=small from=a to=b out t0 t1 root pid
	on_a "$BIN/mkwpar" -n "$name" -c >/dev/null || fail "mkwpar failed"
	root=$ra/wpars/$name
	memhog_service "$root" /tmp/memhog
	echo "respawn: ${HEARTBEAT//HB//tmp/heartbeat}" >>"$root/etc/corral/services"
	on_a "$BIN/startwpar" "$name" >/dev/null || fail "startwpar failed"
	wait_file "$root/tmp/memhog/ready" "the partition's memhog"
	sleep 0.5
	keep_logs_start
	for _ in 1 2 3; do
		mark "move $from -> $to begins"
		t0=$(now_us)
		out=$(on_host "$from" "$BIN/movewpar" -v ${BENCH_MODE:+--mode "$BENCH_MODE"} "$name" "$to" 2>&1) || fail "movewpar $from -> $to failed: $out"
		t1=$(now_us)
		mark "move $from -> $to ends"
		[ -z "$profile" ] || printf '%s\n' "$out" >>"$keep/movewpar.out"
		sleep 0.3
		root=$CORRAL_ROOT/$to/wpars/$name
		c_gap+=("$(gap_in "$root/tmp/heartbeat" "$t0" "$t1")")
		c_down+=("$(ms_field downtime "$out")") c_freeze+=("$(ms_field freeze "$out")")
		c_dump+=("$(ms_field dump "$out")") c_archive+=("$(ms_field archive "$out")")
		c_stream+=("$(ms_field stream "$out")") c_restore+=("$(ms_field restore "$out")")
		c_hand+=("$(ms_field hand-over "$out")") c_wall+=($((t1 - t0)))
		c_mode=$(grep -oE 'post-copy|stop-copy' <<<"$out" | sed -n 1p)
		[ -n "${c_down[-1]}" ] || fail "no downtime line from movewpar -v: $out"
		[ "$(CORRAL_ROOT=$CORRAL_ROOT/$to state_of "$name")" = A ] || fail "not Active on $to after the move"
		[ -z "${BENCH_VERBOSE:-}" ] || echo "    $from -> $to: $(tr '\n' ' ' <<<"$out")"
		local tmp=$from
		from=$to to=$tmp
	done
	pid=$(partition_memhog "$CORRAL_CGROUP_PARENT-$from") || fail "no memhog in the partition after the moves"
	check_pages "$CORRAL_ROOT/$from/wpars/$name/tmp/memhog" "$pid" "movewpar" "three moves"
	keep_logs_stop
	on_host "$from" "$BIN/stopwpar" -F "$name" >/dev/null
	on_host "$from" "$BIN/rmwpar" -F "$name" >/dev/null
}

echo "A small partition's move pause (heartbeat every 10 ms) against raw criu dump + restore -d, $rounds raw rounds;" \
	"$(raw_criu_note)"
load_note
two_hosts "$na" "$nb" "$va" "$vb" "$net"
hosts_up "$net.1" "$net.2"
declare -A r_gap r_dump r_restore m_gap m_down m_phases
for mib in $sizes; do
	raw_gap=() raw_dump=() raw_restore=()
	c_gap=() c_down=() c_freeze=() c_dump=() c_archive=() c_stream=() c_restore=() c_hand=() c_wall=()
	for _ in $(seq "$rounds"); do raw_round; done
	corral_round
	r_gap[$mib]=$(median "${raw_gap[@]}") r_dump[$mib]=$(median "${raw_dump[@]}")
	r_restore[$mib]=$(median "${raw_restore[@]}")
	m_gap[$mib]=$(median "${c_gap[@]}") m_down[$mib]=$(median "${c_down[@]}")
	m_phases[$mib]=$(printf 'freeze %s, dump %s, archive %s, stream %s, restore %s, hand-over %s ms' \
		"$(median_ms "${c_freeze[@]}")" "$(median_ms "${c_dump[@]}")" "$(median_ms "${c_archive[@]}")" \
		"$(median_ms "${c_stream[@]}")" "$(median_ms "${c_restore[@]}")" "$(median_ms "${c_hand[@]}")")
	echo "  $mib MiB: raw heartbeat gaps $(span "${raw_gap[@]}") ms; movewpar ($c_mode) gaps" \
		"$(printf '%s ' "${c_gap[@]}" | awk '{for (i = 1; i <= NF; i++) printf "%s%.1f", (i > 1 ? ", " : ""), $i / 1000}') ms," \
		"downtimes $(printf '%s ' "${c_down[@]}" | awk '{for (i = 1; i <= NF; i++) printf "%s%.0f", (i > 1 ? ", " : ""), $i / 1000}') ms"
done

echo
printf '  %-9s %14s %12s %12s %16s %12s %8s\n' memory "raw gap" "raw dump" "raw restore" "movewpar gap" downtime "gap/raw"
for mib in $sizes; do
	printf '  %5s MiB %11s ms %9s ms %9s ms %13s ms %9s ms %7sx\n' "$mib" "$(ms "${r_gap[$mib]}")" \
		"$(ms "${r_dump[$mib]}")" "$(ms "${r_restore[$mib]}")" "$(ms "${m_gap[$mib]}")" "$(ms "${m_down[$mib]}")" \
		"$(ratio "${m_gap[$mib]}" "${r_gap[$mib]}")"
	printf '            movewpar phases (medians): %s\n' "${m_phases[$mib]}"
done
first=${sizes%% *}
echo
goal "the pause of a $first MiB partition's move <= 3x raw criu's ($(ratio "${m_gap[$first]}" "${r_gap[$first]}")x)" \
	"$(ratio "${m_gap[$first]}" "${r_gap[$first]}")" "<=" 3
