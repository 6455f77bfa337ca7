#!/usr/bin/env bash
# labels: root criu net etcd slow
# timeout: 600
# Cancelling an evacuation on a real fleet (three hosts as network
# namespaces, a three-member etcd over TLS, a corrald per host): host a
# runs five checkpointable partitions; `corral evacuate a --parallel 1` is
# cancelled from another host once its first move is done. The cancel
# exits 0 once the moves in flight ended; no move starts after it (where
# every partition is stays so); the moves not begun are "cancelled" in
# the table; the evacuating command ends with an error naming who
# cancelled; a is partly-evacuated (no placements). Bad uses of --cancel
# are refused with one line and change nothing. `corral restore a --skip`
# opens a to placements again and moves nothing; a restore cancelled
# while its first move back runs leaves a partly-evacuated; `corral restore a`
# then still brings back what is away.
set -euo pipefail
. "$CORRAL_SOURCE_DIR/tests/integration/lib/common.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/etcd.sh"
. "$CORRAL_SOURCE_DIR/tests/integration/lib/fleet_hosts.sh"
fleet_test_up crk 221

parts="k1 k2 k3 k4 k5"
for p in $parts; do
	on a mkwpar -c -n "$p" >/dev/null || fail "mkwpar $p"
	echo 'respawn: i=0; while true; do i=$((i+1)); echo $i > /tmp/ticks; sleep 0.1; done' \
		>>"$FTOP/a/wpars/$p/etc/corral/services"
	on a startwpar "$p" >/dev/null || fail "startwpar $p"
done
sleep 3 # every agent has published its partitions
where_all() { for p in $parts; do printf '%s:%s ' "$p" "$(fleet_where "$p")"; done; }

rc=0; out=$(on b corral evacuate --cancel a 2>&1) || rc=$?
assert_eq 1 "$rc" "cancel with no evacuation: $out"
grep -q "no evacuation to cancel" <<<"$out" || fail "cancel with no evacuation: $out"
for bad in "--cancel" "--cancel a --parallel 2" "--cancel a --to b" "--cancel a --dry-run"; do
	rc=0; out=$(on b corral evacuate $bad 2>&1) || rc=$?
	assert_eq 2 "$rc" "evacuate $bad is a usage error: $out"
done
on a corral hosts | grep -Eq '^a +online' || fail "a changed by refused cancels"
pass "--cancel with no evacuation, or with other options, is refused and changes nothing"

on b corral evacuate a --parallel 1 --timeout 300 >"$FTOP/evac.out" 2>&1 &
evacuator=$!
for _ in $(seq 300); do grep -q "done, downtime" "$FTOP/evac.out" && break; sleep 0.1; done
grep -q "done, downtime" "$FTOP/evac.out" || fail "no move of the evacuation ended: $(cat "$FTOP/evac.out")"
out=$(on c corral evacuate --cancel a --timeout 120 2>&1) || fail "evacuate --cancel a: $out"
echo "$out"
at_cancel=$(where_all)
echo "after the cancel: $at_cancel"
grep -q "^Cancelling the evacuation of a: no move starts any more" <<<"$out" || fail "cancel's first line: $out"
grep -q "evacuation of a: cancelled" <<<"$out" || fail "cancel did not follow to the end: $out"
grep -Eq '^k[1-5] +a +[bc-] +live +cancelled +not started: the evacuation was cancelled' <<<"$out" ||
	fail "no move shown cancelled in the table: $out"
rc=0; wait "$evacuator" || rc=$?
assert_eq 1 "$rc" "the evacuating command ends with an error: $(cat "$FTOP/evac.out")"
grep -q "was cancelled by c" "$FTOP/evac.out" || fail "the evacuating command does not say who cancelled: $(cat "$FTOP/evac.out")"
moved=0
for p in $parts; do [ "$(fleet_where "$p")" = a ] || moved=$((moved + 1)); done
{ [ "$moved" -ge 1 ] && [ "$moved" -le 3 ]; } || fail "$moved of 5 moved before the cancel took: $at_cancel"
sleep 3
assert_eq "$at_cancel" "$(where_all)" "no move after the cancel"
for p in $parts; do
	w=$(fleet_where "$p")
	assert_eq A "$(sed -n 's/^state=//p' "$FTOP/$w/var/lib/corral/$p/state")" "$p Active on $w"
done
on b corral hosts | grep -Eq '^a +partly-evacuated' || fail "a not partly-evacuated: $(on b corral hosts)"
grep -q "left a, which is partly-evacuated" <<<"$out" || fail "cancel does not say what left: $out"
pass "evacuate --cancel: $moved moved, the rest cancelled; no move after it; a partly-evacuated"

rc=0; out=$(on b corral evacuate --cancel a 2>&1) || rc=$?
assert_eq 1 "$rc" "cancel of a cancelled evacuation: $out"
grep -q "has ended (cancelled)" <<<"$out" || fail "second cancel: $out"
for p in $parts; do w=$(fleet_where "$p"); [ "$w" != a ] && break; done
out=$(on a corral evacuate "$w" --dry-run) || fail "dry run of $w: $out"
grep -Eq "^$p +[a-z]+ +a " <<<"$out" && fail "a partly-evacuated host takes placements: $out"
pass "a cancel repeated after the end is refused; a partly-evacuated host takes no placements"

rc=0; out=$(on b corral restore a --skip --parallel 2 2>&1) || rc=$?
assert_eq 2 "$rc" "restore --skip with --parallel is a usage error: $out"
out=$(on b corral restore a --skip) || fail "restore --skip: $out"
echo "$out"
grep -q "^a takes placements again; $moved partitions\? evacuated from it stay" <<<"$out" || fail "restore --skip: $out"
on b corral hosts | grep -Eq '^a +online' || fail "a not online after restore --skip: $(on b corral hosts)"
assert_eq "$at_cancel" "$(where_all)" "nothing moved by restore --skip"
pass "restore --skip: a takes placements again, what left stays where it runs"

# a restore cancelled while its first move back runs: the other stays away
on c corral restore a --parallel 1 --timeout 300 >"$FTOP/restore.out" 2>&1 &
restorer=$!
for _ in $(seq 300); do grep -q ": running" "$FTOP/restore.out" && break; sleep 0.1; done
out=$(on b corral restore --cancel a --timeout 120 2>&1) || fail "restore --cancel a: $out"
echo "$out"
rc=0; wait "$restorer" || rc=$?
assert_eq 1 "$rc" "the restoring command ends with an error: $(cat "$FTOP/restore.out")"
grep -q "restore of a: cancelled" <<<"$out" || fail "restore --cancel did not follow to the end: $out"
back=0
for p in $parts; do [ "$(fleet_where "$p")" = a ] && back=$((back + 1)); done
if [ "$back" -lt 5 ]; then
	on b corral hosts | grep -Eq '^a +partly-evacuated' || fail "a not partly-evacuated after a cancelled restore"
else # the second move back was in flight: it finished
	on b corral hosts | grep -Eq '^a +online' || fail "a not online, everything back: $(on b corral hosts)"
	grep -q "nothing is away: it is online" <<<"$out" || fail "restore --cancel's last line: $out"
fi
pass "restore --cancel: $((back - 3)) of 2 came back before it took; a says what is true"

out=$(on c corral restore a --timeout 300 2>&1) || fail "restore a: $out"
for p in $parts; do assert_eq a "$(fleet_where "$p")" "$p back on a"; done
on a corral hosts | grep -Eq '^a +online' || fail "a not online after restore"
pass "corral restore after a cancel brings back what left"
