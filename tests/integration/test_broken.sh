#!/usr/bin/env bash
# labels: root
# timeout: 120
# Failures are truthful: a start that fails leaves B with the reason; a lost
# monitor shows B; stopwpar -F clears B; services start and stop with init.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

mkwpar -n br1 -M directory=/data vfs=bind dev=/nonexistent/source >/dev/null
err=$(startwpar br1 2>&1 >/dev/null) && fail "a start with a missing bind source succeeded"
assert_contains "$err" "/nonexistent/source" "the start error names the cause"
assert_eq "B" "$(state_of br1)" "state after a failed start"
assert_contains "$(cat "$CORRAL_ROOT/var/lib/corral/br1/log")" "start failed" "reason kept in the log"
assert_fails "starting a Broken partition" startwpar br1
stopwpar -F br1 >/dev/null
assert_eq "D" "$(state_of br1)" "stopwpar -F clears Broken"
pass "failed start -> B -> stopwpar -F -> D"

mkwpar -n br2 >/dev/null
printf 'respawn: while true; do echo tick >> /tmp/ticks; sleep 0.2; done\n' >> "$CORRAL_ROOT/wpars/br2/etc/corral/services"
startwpar br2 >/dev/null
sleep 1
[ -s "$CORRAL_ROOT/wpars/br2/tmp/ticks" ] || fail "the service from /etc/corral/services did not start"
pass "init starts the partition's services"
pkill -9 -x cor_br2
sleep 0.3
assert_eq "br2:B" "$(lswpar -c -q -a name,state br2)" "lswpar shows Broken once the monitor is gone"
assert_contains "$(lswpar -L br2)" "monitor" "lswpar -L gives the reason"
stopwpar -F br2 >/dev/null
assert_eq "D" "$(state_of br2)" "stopwpar -F after a lost monitor"
sleep 0.5
n1=$(wc -l < "$CORRAL_ROOT/wpars/br2/tmp/ticks"); sleep 0.6; n2=$(wc -l < "$CORRAL_ROOT/wpars/br2/tmp/ticks")
assert_eq "$n1" "$n2" "no service left running after stopwpar -F"
pass "lost monitor, stopwpar -F kills what is left"
echo "1 passed, 0 failed"
