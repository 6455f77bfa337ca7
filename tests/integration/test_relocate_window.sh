#!/usr/bin/env bash
# labels: root criu net slow
# timeout: 300
# One frozen window at a time per host (relocate/frozen_window.h), with the
# slot (relocate/move_slot.h, the default): two partitions of host A
# relocated to B at the same moment by two movewpar -v. Each logs, in wall
# time, when it froze and when its Restore there answered ("pages": running
# there): the move's whole downtime, which the slot keeps to one move of
# this host at a time. The two must not overlap at all (the window ends
# after "pages" is logged, the next freeze is logged after it begins), the
# second says it waited when it asked for the window during the first's,
# and both end Active on B, their counters going on (moved live). Then the
# destination's restore window: two moves frozen at once on A are restored
# on B one after the other. And the window's boost (util/prio.h): the first
# pair's movers (CORRAL_DEBUG) and B's connections and restores boosted their
# threads for the window, and nothing that outlives it kept the boost: the
# moved partitions' tasks and monitors on B run at the nice value they had.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/hosts.sh"
need_root
for c in ip criu; do command -v "$c" >/dev/null || skip "no $c"; done
bin=$CORRAL_BUILD_DIR/cli

hosts_names w
pb=
teardown() {
	set +e
	for h in a b; do
		hosts_partitions_remove "$work/$h" "corral-test-$$-$h"
		hosts_cgroups_remove "corral-test-$$-$h"
	done
	[ -z "$pb" ] || { kill "$pb" 2>/dev/null; wait "$pb" 2>/dev/null; }
	two_hosts_del "$na" "$nb"
	rm -rf "$work"
}
trap teardown EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/*.out "$work"/b.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
	exit 1
}

two_hosts "$na" "$nb" "$va" "$vb" "10.212.$x"
two_hosts_trust "$ra" "$rb" "10.212.$x" || fail "host keys and trust"
nsenter --net=/run/netns/"$nb" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" CORRAL_DEBUG=1 "$bin/corrald" \
	--foreground --listen "10.212.$x.2" 2>>"$work/b.log" >/dev/null &
pb=$!
corrald_ready "$rb" "$pb"

for n in w1 w2; do
	on_a "$bin/mkwpar" -c -n "$n" >/dev/null || fail "mkwpar $n"
	echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/ticks; sleep 0.1; done' \
		>>"$ra/wpars/$n/etc/corral/services"
	on_a "$bin/startwpar" "$n" >/dev/null || fail "startwpar $n"
done
sleep 2
t1=$(read_whole "$ra/wpars/w1/tmp/ticks")

# move_both P Q: movewpar -v of P and Q to b at the same moment, logs in $work/P.out
move_both() {
	local p1 p2
	on_a env CORRAL_DEBUG="${MOVE_DEBUG:-}" "$bin/movewpar" -v "$1" b >"$work/$1.out" 2>&1 &
	p1=$!
	on_a env CORRAL_DEBUG="${MOVE_DEBUG:-}" "$bin/movewpar" -v "$2" b >"$work/$2.out" 2>&1 &
	p2=$!
	wait "$p1" || fail "movewpar $1"
	wait "$p2" || fail "movewpar $2"
}
MOVE_DEBUG=1 move_both w1 w2
grep -v '^\[[0-9.]* [0-9]*\] ' "$work/w1.out" # without its debug lines
grep -v '^\[[0-9.]* [0-9]*\] ' "$work/w2.out"

# window N: "FROZE_MS RUNNING_MS WAITED_MS ASKED_MS" from N's log, wall times
# of its phases "freezing", "pages" (its Restore answered) and "waiting"
window() {
	awk 'function wall(  v) {v = $NF; gsub(/\)/, "", v); return int(v * 1000)}
		/^phase waiting at/ {q = wall()} /^phase freezing at/ {f = wall()} /^phase pages at/ {e = wall()}
		/^waited [0-9.]+ ms for this host/ {w = $2}
		END {if (q == "" || f == "" || e == "") exit 1; printf "%.0f %.0f %d %.0f\n", f, e, w + 0, q}' "$work/$1.out" ||
		fail "no freeze, restore or waiting time in $1's log"
}
read -r f1 e1 w1 q1 <<<"$(window w1)"
read -r f2 e2 w2 q2 <<<"$(window w2)"
echo "w1 frozen $f1-$e1 (waited $w1 ms), w2 frozen $f2-$e2 (waited $w2 ms), wall ms"
if [ "$f1" -le "$f2" ]; then
	[ "$f2" -ge "$e1" ] || fail "w2 froze at $f2 while w1 was frozen until its restore there ($f1-$e1)"
	# asked for the window while w1 held it: must have waited
	[ "$q2" -ge "$e1" ] || [ "$w2" -gt 0 ] || fail "w2 froze after w1 without waiting for it"
else
	[ "$f1" -ge "$e2" ] || fail "w1 froze at $f1 while w2 was frozen until its restore there ($f2-$e2)"
	[ "$q1" -ge "$e2" ] || [ "$w1" -gt 0 ] || fail "w1 froze after w2 without waiting for it"
fi
pass "two moves of one host at once: one frozen (until restored there) after the other, the second waited"

for n in w1 w2; do
	assert_eq A "$(sed -n 's/^state=//p' "$rb/var/lib/corral/$n/state")" "$n Active on b"
	[ ! -e "$ra/etc/wpars/$n.spec" ] || fail "$n still defined on a"
done
sleep 0.5
t2=$(read_whole "$rb/wpars/w1/tmp/ticks")
[ "$t2" -gt "$t1" ] || fail "w1's counter restarted ($t1 -> $t2): not moved live"
pass "both moved live, Active on b"

# The window's boost: on a, each move's freezing thread and the one that
# sends its state; on b, the connection that received an image and
# restored it; nothing of it left on what runs after the window.
for n in w1 w2; do
	[ "$(grep -c 'boosted for the window' "$work/$n.out")" -ge 2 ] ||
		fail "$n's move did not boost its freezing and sending threads for the window"
done
[ "$(grep -c 'boosted for the window' "$work/b.log")" -ge 2 ] ||
	fail "b's connections did not boost the two arrivals for their windows"
for n in w1 w2; do nice_kept "$rb" "$n"; done
pass "the windows were boosted on both hosts, and what runs after them is not"

# The destination's restore window (relocate/frozen_window.h): with A's
# frozen window out of the way (its lock a directory, which cannot be
# opened: a move then goes on without it), two moves freeze at once and
# reach B together. B's corrald runs with the fault point
# hold-restore-window (an arrival holds the window 1 s longer), so the two
# Restores certainly meet there: B must make the second wait for the
# first's thaw (most of that second) and say so in its log. Before, pairs
# were tried until two Restores met by chance (up to four; on a loaded
# machine none did, once).
rm -f "$ra/run/corral/frozen-window.lock"
mkdir -p "$ra/run/corral/frozen-window.lock"
kill "$pb"
wait "$pb" 2>/dev/null || true
nsenter --net=/run/netns/"$nb" env CORRAL_ROOT="$rb" CORRAL_CGROUP_PARENT="$cgb" CORRAL_TEST_FAULT=hold-restore-window \
	"$bin/corrald" --foreground --listen "10.212.$x.2" 2>>"$work/b.log" >/dev/null &
pb=$!
corrald_ready "$rb" "$pb"
for n in w3 w4; do
	on_a "$bin/mkwpar" -c -n "$n" >/dev/null || fail "mkwpar $n"
	echo 'respawn: while true; do sleep 0.1; done' >>"$ra/wpars/$n/etc/corral/services"
	on_a "$bin/startwpar" "$n" >/dev/null || fail "startwpar $n"
done
sleep 1
move_both w3 w4
for n in w3 w4; do
	assert_eq A "$(sed -n 's/^state=//p' "$rb/var/lib/corral/$n/state")" "$n Active on b"
done
waited=$(sed -n "s/.*\(w3\|w4\): waited \([0-9]*\) ms for this host's restore window.*/\2/p" "$work/b.log")
[ -n "$waited" ] || fail "b held its restore window 1 s for one of two moves frozen at once, yet the other never waited"
[ "$waited" -ge 500 ] || fail "the second Restore waited only $waited ms while b held the window 1 s"
echo "b: the second Restore waited $waited ms for the first's window"
pass "two moves frozen at once on a whose Restores met: b restored them one after the other, both Active there"
