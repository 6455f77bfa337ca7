#!/usr/bin/env bash
# labels: root
# timeout: 120
# Application partitions: exit status, isolation of pids, cleanup, stopwpar.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

wparexec -n app1 -- sh -c 'exit 7' && fail "exit status lost" || assert_eq 7 $? "exit status of the command"
wparexec -n app1 -- true || fail "true did not exit 0"
assert_eq "2" "$(wparexec -n app1 -- sh -c 'echo $$')" "the command is the first process after the partition's init"
assert_eq "apphost" "$(wparexec -n app2 -h apphost -- hostname)" "hostname of an application partition"
wparexec -n app3 -- sh -c 'kill -9 $$' && fail "killed command reported success" || assert_eq 137 $? "status of a killed command"
[ -z "$(ls "$CORRAL_ROOT/etc/wpars")" ] || fail "an application partition outlived its command"
pass "exit statuses and cleanup"

# Shares the global file systems.
f=$(mktemp /tmp/corral-app.XXXXXX)
wparexec -n app4 -- sh -c "echo hello > $f"
assert_eq "hello" "$(cat "$f")" "an application partition writes the global file systems"
rm -f "$f"

# Listed as type A while it runs; stopwpar ends it.
wparexec -n app5 -- sleep 60 &
pid=$!
for _ in $(seq 50); do [ "$(state_of app5)" = A ] && break; sleep 0.1; done
assert_eq "A" "$(state_of app5)" "state while running"
assert_contains "$(lswpar app5 2>/dev/null || cat "$CORRAL_ROOT/etc/wpars/app5.spec")" "app5" "listed"
assert_fails "a second partition with the same name" wparexec -n app5 -- true
stopwpar app5 >/dev/null
wait $pid && fail "stopped command reported success" || assert_eq 143 $? "status after stopwpar"
[ -e "$CORRAL_ROOT/etc/wpars/app5.spec" ] && fail "stopped application partition left its spec"
pass "stopwpar ends an application partition"
assert_fails "bad flag" wparexec -Q -- true
wparexec -n 'bad name' -- true >/dev/null 2>&1 && fail "bad name accepted"
echo "1 passed, 0 failed"
