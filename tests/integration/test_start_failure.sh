#!/usr/bin/env bash
# labels: root
# timeout: 180
# A partition whose init dies at once does not start (issue 14, item 8):
# startwpar exits 1 saying how the init ended (exit status, signal, the
# kernel's out-of-memory kills), lswpar shows it Broken with that reason, and
# nothing of it is left running. An init that ends later, with no stop asked
# for, leaves the partition Defined with the reason too.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

reason_of() { lswpar -L "$1" | sed -n 's/^Broken reason: *//p'; }
nothing_left() {
	! monitor_running "$1" || fail "$2: a monitor cor_$1 still runs"
	local cg
	cg=$(ls -d /sys/fs/cgroup/*/"$CORRAL_CGROUP_PARENT/$1" /sys/fs/cgroup/"$CORRAL_CGROUP_PARENT/$1" 2>/dev/null || true)
	[ -z "$cg" ] || fail "$2: cgroups left: $cg"
}

# An init that exits at once (here one that cannot do its work: exit 3).
mkwpar -n sf1 >/dev/null
printf '#!/bin/sh\nexit 3\n' >"$CORRAL_ROOT/broken-init"
chmod 755 "$CORRAL_ROOT/broken-init"
rc=0
out=$(CORRAL_INIT=$CORRAL_ROOT/broken-init startwpar sf1 2>&1) || rc=$?
assert_eq 1 "$rc" "exit code of startwpar whose init exits at once (output: $out)"
assert_contains "$out" "exit status 3" "startwpar says how the init ended"
case "$out" in *"is active"*) fail "startwpar says the partition is active: $out" ;; esac
assert_eq "B" "$(lswpar -c -q -a state sf1)" "lswpar state after the failed start"
assert_contains "$(reason_of sf1)" "exit status 3" "lswpar -L gives the reason"
nothing_left sf1 "after the failed start"
# Cleared, it starts with the real init.
stopwpar -F sf1 >/dev/null
startwpar sf1 >/dev/null || fail "sf1 does not start with a working init"
assert_eq "A" "$(lswpar -c -q -a state sf1)" "state with a working init"
assert_eq "" "$(reason_of sf1)" "no reason left once it runs"
pass "an init that exits at once: startwpar fails with its exit status, lswpar shows B and why"

# An init killed by the kernel for want of memory as it starts. mkwpar
# refuses limits this small: the spec is written by hand.
mkwpar -n sf2 >/dev/null
printf '\nresources:\n\tmemoryLimit = "4K"\n' >>"$CORRAL_ROOT/etc/wpars/sf2.spec"
rc=0
out=$(startwpar sf2 2>&1) || rc=$?
assert_eq 1 "$rc" "exit code of startwpar whose init is killed at once (output: $out)"
case "$out" in
*"ended as it started"*)
	assert_contains "$out" "signal 9" "startwpar says the init was killed"
	assert_contains "$out" "memory" "startwpar names the lack of memory"
	assert_eq "B" "$(lswpar -c -q -a state sf2)" "lswpar state after the out-of-memory start"
	assert_contains "$(reason_of sf2)" "memory" "lswpar -L gives the out-of-memory reason"
	nothing_left sf2 "after the out-of-memory start"
	pass "an init killed for want of memory: startwpar fails and says so"
	;;
*memoryLimit*)
	# The spec reader refuses such a limit already: it cannot start either.
	assert_eq "D" "$(lswpar -c -q -a state sf2 2>/dev/null || echo D)" "state after a refused limit"
	pass "a memoryLimit too small to run anything is refused before the start"
	;;
*) fail "startwpar with memoryLimit=4K: $out" ;;
esac

# An init that ends on its own later (a service asks it to end): Defined,
# with the reason, and it starts again.
stopwpar sf1 >/dev/null
echo "sh -c 'sleep 1; kill -TERM 1'" >>"$CORRAL_ROOT/wpars/sf1/etc/corral/services"
startwpar sf1 >/dev/null || fail "sf1 does not start with the ending service"
for _ in $(seq 200); do
	[ "$(lswpar -c -q -a state sf1)" = D ] && break
	sleep 0.1
done
assert_eq "D" "$(lswpar -c -q -a state sf1)" "state once the init ended on its own"
assert_contains "$(reason_of sf1)" "no stop asked for" "lswpar -L says the init ended by itself"
assert_contains "$(reason_of sf1)" "exit status 0" "lswpar -L says how"
nothing_left sf1 "after the init ended"
sed -i '/kill -TERM 1/d' "$CORRAL_ROOT/wpars/sf1/etc/corral/services"
startwpar sf1 >/dev/null || fail "sf1 does not start again"
assert_eq "" "$(reason_of sf1)" "no reason once it runs again"
stopwpar sf1 >/dev/null
assert_eq "" "$(reason_of sf1)" "no reason after an asked-for stop"
pass "an init that ends on its own: Defined, and lswpar says why"
