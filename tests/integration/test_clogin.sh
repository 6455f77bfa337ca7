#!/usr/bin/env bash
# labels: root
# timeout: 120
# clogin runs commands inside, as root or another user, and records sessions.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

mkwpar -n cl1 -h clhost -s >/dev/null
assert_eq "clhost" "$(clogin cl1 hostname)" "command inside"
clogin cl1 sh -c 'exit 5' && fail "status lost" || assert_eq 5 $? "exit status of the command"
assert_eq "nobody" "$(clogin cl1 -l nobody id -un)" "clogin -l user"
assert_contains "$(echo 'echo $((6*7))' | clogin cl1)" "42" "login shell reads commands"
pass "commands, status, users"

clogin cl1 sleep 5 &
pid=$!
for _ in $(seq 50); do ls "$CORRAL_ROOT/var/lib/corral/cl1/clogin/" 2>/dev/null | grep -q . && break; sleep 0.1; done
rec=$(ls "$CORRAL_ROOT/var/lib/corral/cl1/clogin/")
[ -n "$rec" ] || fail "a running clogin session is not recorded"
assert_contains "$(cat "$CORRAL_ROOT/var/lib/corral/cl1/clogin/$rec")" "user=root" "session record"
cgroup_procs=$(cat /sys/fs/cgroup/pids/"$CORRAL_CGROUP_PARENT"/cl1/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup/"$CORRAL_CGROUP_PARENT"/cl1/cgroup.procs)
assert_contains "$cgroup_procs" "$rec" "the session is in the partition's cgroup"
wait $pid
[ -z "$(ls "$CORRAL_ROOT/var/lib/corral/cl1/clogin/")" ] || fail "an ended session is still recorded"
pass "sessions recorded while they run"

stopwpar cl1 >/dev/null
assert_fails "clogin into a stopped partition" clogin cl1 true
assert_contains "$(clogin cl1 true 2>&1 || true)" "not active" "message for a stopped partition"
assert_fails "clogin into an unknown partition" clogin nosuch true
echo "1 passed, 0 failed"
