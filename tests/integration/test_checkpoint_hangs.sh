#!/usr/bin/env bash
# labels: root criu
# timeout: 420
# Checkpoints that used to hang or fail late, each bounded by `timeout 60`
# so a hang fails the test instead of hanging it:
#  (a) chkptwpar -F while a clogin session runs ends the session and completes;
#  (b) a partition holding a SIGSTOPped process checkpoints (snapshot, then
#      -k and restartwpar) and the process is still stopped (State T) after
#      the restart, and counts again on SIGCONT (CRIU stuck for good in
#      PTRACE_SEIZE of a stopped task held by the cgroup freezer);
#  (c) a vfork child that does not exec for minutes fails the checkpoint
#      within seconds, naming both pids (CRIU's "Unseizable non-zombie ...
#      state D" after its own timeout, or a hang);
#  (d) after every failure the partition is Active and thawed.
. "$(dirname "$0")/lib/common.sh"
need_root
command -v criu >/dev/null || skip "no criu"
corral_setup
img=$CORRAL_ROOT/images
mkdir -p "$img"
HOLD=$CORRAL_BUILD_DIR/tests/helpers/hold_tasks
[ -x "$HOLD" ] || fail "no $HOLD (build the test helpers)"

# freezer_state NAME: THAWED or FROZEN (v1 freezer.state; cgroup2 cgroup.freeze)
freezer_state() {
	local d=/sys/fs/cgroup/freezer/$CORRAL_CGROUP_PARENT/$1
	if [ -f "$d/freezer.state" ]; then cat "$d/freezer.state"; return; fi
	for d in /sys/fs/cgroup/unified/"$CORRAL_CGROUP_PARENT"/$1 /sys/fs/cgroup/"$CORRAL_CGROUP_PARENT"/$1; do
		[ -f "$d/cgroup.freeze" ] || continue
		[ "$(cat "$d/cgroup.freeze")" = 0 ] && echo THAWED || echo FROZEN
		return
	done
	echo "?"
}
# active_and_thawed NAME WHAT: the state a failed or finished checkpoint leaves
active_and_thawed() {
	assert_eq A "$(lswpar -c -q -a state "$1")" "$2: lswpar state"
	assert_eq THAWED "$(freezer_state "$1")" "$2: freezer state"
}
# host_pid NAME NSPID: the host pid of the task NSPID of NAME's pid namespace
host_pid() {
	local init p
	init=$(init_pid_of "$1")
	for p in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$(readlink /proc/$p/ns/pid 2>/dev/null)" = "$(readlink /proc/$init/ns/pid)" ] || continue
		[ "$(awk '/^NSpid:/ {print $NF}' /proc/$p/status 2>/dev/null)" = "$2" ] && { echo "$p"; return; }
	done
	echo 0
}
# hold_partition NAME ARGS...: a checkpointable partition running
# `hold_tasks ARGS...` as a service, started
hold_partition() {
	local name=$1 root=$CORRAL_ROOT/wpars/$1
	shift
	mkwpar -n "$name" -c -s >/dev/null
	install -m 0755 "$HOLD" "$root/root/hold_tasks"
	mkdir -p "$root/tmp/hold"
	echo "/root/hold_tasks $*" >>"$root/etc/corral/services"
	stopwpar "$name" >/dev/null
	startwpar "$name" >/dev/null
}
proc_state() { awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo gone; }
wait_file() { for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.1; done; fail "$2"; }
# timed WHAT CMD...: run CMD under `timeout 60`; its output in $out, status in
# $rc, seconds taken in $took; a timeout fails the test.
timed() {
	local what=$1 t0
	shift
	t0=$(date +%s%N)
	rc=0
	out=$(timeout 60 "$@" 2>&1) || rc=$?
	took=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$rc" -ne 124 ] || fail "$what: still running after 60 s: $out"
}

# (a) a clogin session open during chkptwpar -F
mkwpar -n hz -c -s >/dev/null
clogin hz sleep 90 </dev/null >/dev/null 2>&1 &
cl=$!
for _ in $(seq 50); do ls "$CORRAL_ROOT/var/lib/corral/hz/clogin/" 2>/dev/null | grep -q . && break; sleep 0.1; done
[ -n "$(ls "$CORRAL_ROOT/var/lib/corral/hz/clogin/" 2>/dev/null)" ] || fail "the clogin session did not start"
timed "chkptwpar -F with a clogin session" chkptwpar -F -o "$img/hz.wpar" hz
[ "$rc" -eq 0 ] || fail "chkptwpar -F with a clogin session: $out"
assert_contains "$out" "clogin session" "chkptwpar -F names the session it ended"
for _ in $(seq 50); do kill -0 "$cl" 2>/dev/null || break; sleep 0.1; done
kill -0 "$cl" 2>/dev/null && fail "the clogin session still runs after chkptwpar -F"
wait "$cl" 2>/dev/null || true
active_and_thawed hz "after chkptwpar -F"
# A session with a stopped process of its own, and -F again.
clogin hz sh -c 'sleep 90 & kill -STOP $!; sleep 90' </dev/null >/dev/null 2>&1 &
cl=$!
for _ in $(seq 50); do ls "$CORRAL_ROOT/var/lib/corral/hz/clogin/" 2>/dev/null | grep -q . && break; sleep 0.1; done
sleep 0.3
timed "chkptwpar -F with a session holding a stopped process" chkptwpar -F -o "$img/hz.wpar" hz
[ "$rc" -eq 0 ] || fail "chkptwpar -F with a session holding a stopped process: $out"
wait "$cl" 2>/dev/null || true
active_and_thawed hz "after chkptwpar -F (stopped process in the session)"
pass "chkptwpar -F ends clogin sessions and completes (${took} ms)"
# clogin killed at random moments of its start: its first child, already in
# some of the partition's cgroups, waited for good for a "go" that never came
# (about one kill in six), and stopwpar could not remove the cgroups.
for _ in $(seq 30); do
	clogin hz sleep 5 </dev/null >/dev/null 2>&1 &
	c=$!
	sleep "0.0$((RANDOM % 4))$((RANDOM % 10))"
	kill -9 "$c" 2>/dev/null || true
	wait "$c" 2>/dev/null || true
done
# clogin_left: pids named clogin in any cgroup of hz (sessions that did
# start end with their sleep 5, their clogin with them)
clogin_left() {
	local f p
	for f in /sys/fs/cgroup/*/"$CORRAL_CGROUP_PARENT"/hz/cgroup.procs /sys/fs/cgroup/"$CORRAL_CGROUP_PARENT"/hz/cgroup.procs; do
		[ -f "$f" ] || continue
		for p in $(cat "$f"); do [ "$(cat /proc/$p/comm 2>/dev/null)" = clogin ] && echo "$p"; done
	done | sort -u | tr '\n' ' '
}
for _ in $(seq 80); do [ -z "$(clogin_left)" ] && break; sleep 0.1; done
left=$(clogin_left)
[ -z "$left" ] || fail "killed clogins left processes waiting in the partition's cgroups: $left"
timed "chkptwpar after killed clogins" chkptwpar -o "$img/hz.wpar" hz
[ "$rc" -eq 0 ] || fail "chkptwpar after killed clogins: $out"
active_and_thawed hz "after killed clogins"
out=$(stopwpar hz 2>&1) || fail "stopwpar after killed clogins: $out"
pass "killed clogins leave nothing behind"

# (b) a SIGSTOPped process
hold_partition hs stopped /tmp/hold
root=$CORRAL_ROOT/wpars/hs
wait_file "$root/tmp/hold/stopped.pid" "the stopped process did not start"
nspid=$(cat "$root/tmp/hold/stopped.pid")
hp=$(host_pid hs "$nspid")
assert_eq T "$(proc_state "$hp")" "the helper's child before the checkpoint"
timed "snapshot of a partition with a stopped process" chkptwpar -o "$img/hs.wpar" hs
[ "$rc" -eq 0 ] || fail "snapshot of a partition with a stopped process: $out"
active_and_thawed hs "after the snapshot"
assert_eq T "$(proc_state "$hp")" "the stopped process after the snapshot"
pass "snapshot of a partition holding a stopped process (${took} ms)"
timed "chkptwpar -k of a partition with a stopped process" chkptwpar -k -o "$img/hs.wpar" hs
[ "$rc" -eq 0 ] || fail "chkptwpar -k of a partition with a stopped process: $out"
timed "restartwpar of a partition with a stopped process" restartwpar -i "$img/hs.wpar" hs
[ "$rc" -eq 0 ] || fail "restartwpar of a partition with a stopped process: $out"
hp=$(host_pid hs "$nspid")
[ "$hp" -gt 0 ] || fail "the stopped process (pid $nspid inside) is not restored"
assert_eq T "$(proc_state "$hp")" "the stopped process after the restart"
a=$(read_whole "$root/tmp/hold/count")
sleep 0.3
assert_eq "$a" "$(read_whole "$root/tmp/hold/count")" "a stopped process must not count"
kill -CONT "$hp"
sleep 0.3
b=$(read_whole "$root/tmp/hold/count")
[ "$b" -gt "$a" ] || fail "the process does not count on after SIGCONT ($a -> $b)"
pass "restarted with the process still stopped; SIGCONT resumes it ($a -> $b)"
stopwpar hs >/dev/null

# (c) a vfork child that waits 300 s before its exec
hold_partition hv vfork /tmp/hold 300
root=$CORRAL_ROOT/wpars/hv
wait_file "$root/tmp/hold/vfork.pid" "the vfork child did not start"
timed "chkptwpar with a vfork in flight" chkptwpar -o "$img/hv.wpar" hv
[ "$rc" -ne 0 ] || fail "chkptwpar with a vfork in flight succeeded: $out"
[ "$took" -lt 10000 ] || fail "chkptwpar with a vfork in flight took $took ms to fail: $out"
assert_contains "$out" "vfork child pid" "the error names the vfork pair"
assert_contains "$out" "to call exec" "the error says what it waited for"
active_and_thawed hv "(d) after a failed checkpoint"
pass "a vfork in flight fails the checkpoint in $took ms, Active and thawed"
timed "chkptwpar -k with a vfork in flight" chkptwpar -k -o "$img/hv.wpar" hv
[ "$rc" -ne 0 ] || fail "chkptwpar -k with a vfork in flight succeeded: $out"
active_and_thawed hv "(d) after a failed chkptwpar -k"
pass "a failed chkptwpar -k leaves it running"
