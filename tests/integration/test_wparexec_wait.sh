#!/usr/bin/env bash
# labels: root
# timeout: 120
# An application partition lives as long as its command AND every process
# the command started (AIX wparexec): wparexec returns when the last one has
# ended, with the command's own exit status. A signal to wparexec (the
# terminal's ^C, a kill) and stopwpar still end all of it at once.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

now_ms() { local t=$EPOCHREALTIME; echo $(( ${t/[.,]/} / 1000 )); }
# procs_of NAME: the pids in NAME's cgroup (nothing once the cgroup is gone)
procs_of() {
	cat /sys/fs/cgroup/pids/"$CORRAL_CGROUP_PARENT/$1"/cgroup.procs 2>/dev/null ||
		cat /sys/fs/cgroup/"$CORRAL_CGROUP_PARENT/$1"/cgroup.procs 2>/dev/null || true
}
wait_for() { # wait_for WHAT CMD...: until CMD succeeds, 10 s at most
	local what=$1
	shift
	for _ in $(seq 100); do "$@" && return 0; sleep 0.1; done
	fail "$what"
}
gone() { ! pgrep -f "$1" >/dev/null; }
# running_alone PATTERN: a process runs PATTERN and the sh that started it has exited
running_alone() { pgrep -fx "$1" >/dev/null && ! pgrep -f "^sh -c .*$1" >/dev/null; }

# The command exits 4 at once; what it left in the background runs to its end.
done_file=$CORRAL_ROOT/bg-done
t0=$(now_ms)
rc=0
timeout 30 wparexec -n bg -- sh -c "(sleep 2; echo done > $done_file) & exit 4" || rc=$?
elapsed=$(($(now_ms) - t0))
assert_eq 4 "$rc" "wparexec's status is the command's, not its background process's"
[ "$elapsed" -ge 1800 ] || fail "wparexec returned after $elapsed ms, before the command's background process ended"
assert_eq "done" "$(cat "$done_file" 2>/dev/null)" "the background process ran to its end"
[ -e "$CORRAL_ROOT/etc/wpars/bg.spec" ] && fail "the partition outlived its processes"
pass "wparexec waited $elapsed ms for the command's background process and exited 4"

# An orphaned grandchild (what a daemonizing command leaves) keeps it alive too.
rm -f "$done_file"
rc=0
timeout 30 wparexec -n bg2 -- sh -c "sh -c '(sleep 1; echo deep > $done_file) &' ; exit 0" || rc=$?
assert_eq 0 "$rc" "status of a command whose grandchild outlives it"
assert_eq "deep" "$(cat "$done_file" 2>/dev/null)" "the orphaned grandchild ran to its end"
pass "an orphaned grandchild ran to its end"

# A signal to wparexec ends the whole partition, background processes too,
# even after the command itself has exited.
for sig in INT TERM; do
	marker="sleep 47.$RANDOM"
	wparexec -n "sig$sig" -- sh -c "$marker & exit 0" </dev/null &
	pid=$!
	wait_for "the background process of sig$sig did not start alone" running_alone "$marker"
	kill -0 $pid 2>/dev/null || fail "wparexec $sig ended with its command, before the command's background process"
	assert_eq "A" "$(state_of "sig$sig")" "state while only the background process runs"
	kill -"$sig" $pid
	rc=0
	timeout 30 tail --pid=$pid -f /dev/null || fail "wparexec did not end on SIG$sig"
	wait $pid || rc=$?
	assert_eq $((128 + $(kill -l "$sig"))) "$rc" "wparexec's status after SIG$sig"
	wait_for "SIG$sig to wparexec left its background process running" gone "$marker"
	assert_eq "" "$(procs_of "sig$sig")" "processes left in the cgroup after SIG$sig"
	[ -e "$CORRAL_ROOT/etc/wpars/sig$sig.spec" ] && fail "the partition outlived SIG$sig"
	pass "SIG$sig to wparexec ended the whole partition"
done

# stopwpar of an application partition ends every process of it.
m1="sleep 53.$RANDOM" m2="sleep 54.$RANDOM"
wparexec -n stp -- sh -c "$m1 & $m2 & exit 3" </dev/null >/dev/null &
pid=$!
wait_for "the background processes of stp did not start" running_alone "$m2"
pgrep -fx "$m1" >/dev/null || fail "the first background process of stp is not running"
assert_eq "A" "$(state_of stp)" "state while the background processes run"
timeout 30 stopwpar stp >/dev/null || fail "stopwpar of an application partition failed"
rc=0
timeout 30 tail --pid=$pid -f /dev/null || fail "wparexec did not end after stopwpar"
wait $pid || rc=$?
assert_eq 143 "$rc" "wparexec's status after stopwpar"
gone "$m1" && gone "$m2" || fail "stopwpar left a background process running"
assert_eq "" "$(procs_of stp)" "processes left in the cgroup after stopwpar"
[ -e "$CORRAL_ROOT/etc/wpars/stp.spec" ] && fail "the stopped application partition left its spec"
pass "stopwpar ended the application partition and its background processes"
echo "5 passed, 0 failed"
