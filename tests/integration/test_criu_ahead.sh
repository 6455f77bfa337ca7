#!/usr/bin/env bash
# labels: root criu net
# timeout: 300
# The dump's `criu swrk` starts before the freeze (criu/criu.h:
# cr_criu_dump_ahead), for a snapshot and for a move (post-copy and
# stop-copy): with CORRAL_DEBUG the worker names its swrk and when it started
# (/proc/PID/stat, ms since boot) before the "FROZEN" mark, whose time comes
# after it, and the go follows the mark. The restore's swrk starts ahead too
# (cr_criu_restore_ahead): at PrepareArrival, before the source freezes (a
# post-copy move: the destination's corrald logs it), and for restartwpar. A snapshot or move that fails right
# before its freeze (fault fail-freeze) leaves the partition Active and its
# worker and swrk gone. CORRAL_CRIU_AHEAD=0 starts criu in the window.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/hosts.sh"
need_root
for c in ip criu; do command -v "$c" >/dev/null || skip "no $c"; done
bin=$CORRAL_BUILD_DIR/cli

hosts_names ah
pa= pb=
teardown() {
	set +e
	hosts_partitions_remove "$ra" "$cga"
	hosts_partitions_remove "$rb" "$cgb"
	hosts_cgroups_remove "$cga" "$cgb"
	for p in $pa $pb; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	two_hosts_del "$na" "$nb"
	rm -rf "$work"
}
trap teardown EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.out "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -25 "$f" >&2; }; done
	exit 1
}

two_hosts "$na" "$nb" "$va" "$vb" "10.213.$x"
two_hosts_trust "$ra" "$rb" "10.213.$x" || fail "host keys and trust"
# Not through on_a/on_b: $! must be corrald's own pid (a function runs in a subshell).
nsenter --net=/run/netns/"$na" env CORRAL_ROOT="$ra" CORRAL_CGROUP_PARENT="$cga" CORRAL_DEBUG=1 "$bin/corrald" \
	--foreground --listen "10.213.$x.1" 2>>"$work/a.log" >/dev/null &
pa=$!
nsenter --net=/run/netns/"$nb" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" CORRAL_DEBUG=1 "$bin/corrald" \
	--foreground --listen "10.213.$x.2" 2>>"$work/b.log" >/dev/null &
pb=$!
corrald_ready "$ra" "$pa"
corrald_ready "$rb" "$pb"

on_a "$bin/mkwpar" -c -n aw >/dev/null || fail "mkwpar"
echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/ticks; sleep 0.1; done' >>"$ra/wpars/aw/etc/corral/services"
on_a "$bin/startwpar" aw >/dev/null || fail "startwpar"
sleep 1

# ahead_checked OUT WHAT: the swrk line before FROZEN, its start no later
# than the freeze, the go after FROZEN; prints "WORKER SWRK".
ahead_checked() {
	awk -v what="$2" '
		/criu dump of pid .*started ahead of its request/ && !w {for (i = 1; i <= NF; i++) if ($i == "worker") w = $(i + 1); sub(",", "", w)}
		/criu dump of pid .*: criu swrk [0-9]+ started at [0-9]+ ms since boot/ && !s {
			for (i = 1; i <= NF; i++) { if ($i == "swrk") s = $(i + 1); if ($i == "at" && $(i + 2) == "ms") t = $(i + 1) } }
		/ FROZEN at [0-9]+ ms since boot/ {f = $(NF - 3); if (!s) {print what ": FROZEN before any swrk was ready" > "/dev/stderr"; exit 1}}
		/: go to criu swrk / {if (!f) {print what ": the go before FROZEN" > "/dev/stderr"; exit 1} g = 1}
		END {if (!s || !f || !g) {print what ": no swrk, FROZEN or go line" > "/dev/stderr"; exit 1}
		     if (t > f) {print what ": swrk started at " t " ms, after the freeze at " f " ms" > "/dev/stderr"; exit 1}
		     print w, s, t, f}' "$1" || fail "$2: criu was not started ahead"
}
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" | cut -c1)" = Z ]; }

# A snapshot.
on_a env CORRAL_DEBUG=1 "$bin/chkptwpar" -o "$work/snap.wpar" aw >"$work/snap.out" 2>&1 || fail "chkptwpar"
read -r w s t f <<<"$(ahead_checked "$work/snap.out" snapshot)"
assert_eq A "$(sed -n 's/^state=//p' "$ra/var/lib/corral/aw/state")" "Active after the snapshot"
pass "snapshot: criu swrk $s started at $t ms, before the freeze at $f ms"

# aborted_clean OUT WHAT: the run in OUT started a worker and swrk ahead,
# struck the fault, and left neither running.
aborted_clean() {
	grep -q "could not be frozen (test fault fail-freeze)" "$1" || fail "$2: the fault did not strike"
	w=$(sed -n 's/.*criu dump of pid [0-9]*: worker \([0-9]*\),.*started ahead.*/\1/p' "$1")
	s=$(sed -n 's/.*criu dump of pid [0-9]*: criu swrk \([0-9]*\) started at.*/\1/p' "$1")
	[ -n "$w" ] && [ -n "$s" ] || fail "$2 started no worker and swrk ahead"
	gone "$w" || fail "worker $w outlived $2"
	gone "$s" || fail "criu swrk $s outlived $2"
	assert_eq A "$(sed -n 's/^state=//p' "$ra/var/lib/corral/aw/state")" "Active here after $2"
}

# A snapshot that fails before its freeze: its worker and swrk end with it.
if on_a env CORRAL_DEBUG=1 CORRAL_TEST_FAULT=fail-freeze "$bin/chkptwpar" -o "$work/x.wpar" aw >"$work/abort.out" 2>&1; then
	fail "a snapshot with fail-freeze succeeded"
fi
aborted_clean "$work/abort.out" "the aborted snapshot"
pass "an aborted snapshot leaves no worker or criu swrk, the partition Active"

# Without it: criu starts in the window, as before.
on_a env CORRAL_DEBUG=1 CORRAL_CRIU_AHEAD=0 "$bin/chkptwpar" -o "$work/snap0.wpar" aw >"$work/snap0.out" 2>&1 ||
	fail "chkptwpar with CORRAL_CRIU_AHEAD=0"
! grep -q "started ahead" "$work/snap0.out" || fail "CORRAL_CRIU_AHEAD=0 started criu ahead"
pass "CORRAL_CRIU_AHEAD=0: criu starts in the window"

# A move that fails before its freeze stays Active here, nothing left.
if on_a env CORRAL_DEBUG=1 CORRAL_TEST_FAULT=fail-freeze "$bin/movewpar" aw b >"$work/mabort.out" 2>&1; then
	fail "a move with fail-freeze succeeded"
fi
aborted_clean "$work/mabort.out" "the aborted move"
# b removes what PrepareArrival made once the connection ends.
for _ in $(seq 1 100); do [ -e "$rb/etc/wpars/aw.spec" ] || break; sleep 0.1; done
[ ! -e "$rb/etc/wpars/aw.spec" ] || fail "the aborted move left aw defined on b"
# Nor a process of it there: the restore's worker and swrk, started ahead in
# its cgroup, end with the prepared arrival.
for _ in $(seq 1 100); do
	procs=$(cat /sys/fs/cgroup/pids/"$cgb"/*/cgroup.procs 2>/dev/null || true)
	[ -z "$procs" ] && break
	sleep 0.1
done
[ -z "$procs" ] || fail "the aborted move left processes on b: $(ps -o pid=,args= -p "$(echo $procs | tr ' ' ,)")"
pass "an aborted move leaves no worker or criu swrk, the partition Active here"

# Moves: post-copy a -> b, stop-copy b -> a.
on_a env CORRAL_DEBUG=1 "$bin/movewpar" --mode post-copy aw b >"$work/move1.out" 2>&1 || fail "movewpar --mode post-copy"
read -r w s t f <<<"$(ahead_checked "$work/move1.out" "post-copy move")"
assert_eq A "$(sed -n 's/^state=//p' "$rb/var/lib/corral/aw/state")" "Active on b"
pass "post-copy move: criu swrk $s started at $t ms, before the freeze at $f ms"

# Its restore on b (PrepareArrival): swrk started before a froze, the go
# after (the monitor's debug lines go to the partition's log).
awk -v f="$f" '
	/criu restore from .*: criu swrk [0-9]+ started at [0-9]+ ms since boot/ {
		for (i = 1; i <= NF; i++) if ($i == "at" && $(i + 2) == "ms") t = $(i + 1); s = 1 }
	/criu restore from .*: go to criu swrk / {if (s) g = 1}
	/criu starts now/ {late = 1}
	END {if (!s || !g || late) {print "no restore swrk started ahead and given the go" > "/dev/stderr"; exit 1}
	     if (t > f) {print "the restore swrk started at " t " ms, after the freeze at " f " ms" > "/dev/stderr"; exit 1}}' \
	"$rb/var/lib/corral/aw/log" || fail "the post-copy move's restore did not start criu ahead"
pass "post-copy move: the restore's criu swrk started on b before the freeze on a"
on_b env CORRAL_DEBUG=1 "$bin/movewpar" --mode stop-copy aw a >"$work/move2.out" 2>&1 || fail "movewpar --mode stop-copy"
read -r w s t f <<<"$(ahead_checked "$work/move2.out" "stop-copy move")"
assert_eq A "$(sed -n 's/^state=//p' "$ra/var/lib/corral/aw/state")" "Active on a again"
t1=$(read_whole "$ra/wpars/aw/tmp/ticks"); sleep 0.5; t2=$(read_whole "$ra/wpars/aw/tmp/ticks")
[ "$t2" -gt "$t1" ] || fail "the partition does not run after its moves"
pass "stop-copy move: criu swrk $s started at $t ms, before the freeze at $f ms; the partition runs"

# restartwpar: the restore's swrk starts while the monitor starts.
on_a "$bin/chkptwpar" -k -o "$work/k.wpar" aw >/dev/null 2>&1 || fail "chkptwpar -k"
on_a env CORRAL_DEBUG=1 "$bin/restartwpar" -i "$work/k.wpar" aw >"$work/restart.out" 2>&1 || fail "restartwpar"
grep -q "criu restore from .*: criu swrk [0-9]* started at" "$ra/var/lib/corral/aw/log" || fail "restartwpar started no criu swrk ahead"
grep -q "criu restore from .*: go to criu swrk" "$ra/var/lib/corral/aw/log" || fail "restartwpar's restore had no go"
assert_eq A "$(sed -n 's/^state=//p' "$ra/var/lib/corral/aw/state")" "Active after restartwpar"
pass "restartwpar: the restore's criu swrk started ahead"
