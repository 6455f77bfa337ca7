#!/usr/bin/env bash
# labels: root criu
# timeout: 240
# wparexec -c with a daemonizing command (tests/helpers/daemon_counter: the
# parent forks a worker and exits, the worker counts in memory into a file
# and exits 0): the job goes on after the parent has exited, a snapshot and
# then chkptwpar -k take it with the parent's exit status already known, and
# restartwpar follows the restarted worker to its end and exits with the
# parent's status; the counter went on from its memory, nothing lost or
# repeated. The parent exits 3 here, so that neither the worker's 0 nor a
# status lost at the checkpoint passes for it.
. "$(dirname "$0")/lib/common.sh"
need_root
command -v criu >/dev/null || skip "no criu"
DAEMON=$CORRAL_BUILD_DIR/tests/helpers/daemon_counter
[ -x "$DAEMON" ] || fail "daemon_counter is not built"
corral_setup
img=$CORRAL_ROOT/images
mkdir -p "$img"
counts=$CORRAL_ROOT/counts
TICKS=150
PARENT_EXIT=3

last_count() { tail -n 1 "$counts" 2>/dev/null || echo 0; }
wait_count() { # wait_count N: until the worker has counted to N
	for _ in $(seq 150); do [ "$(last_count)" -ge "$1" ] && return 0; sleep 0.1; done
	fail "the worker did not count to $1 (at $(last_count)): $(cat "$CORRAL_ROOT/dmn.err" 2>/dev/null)"
}

wparexec -c -n dmn -- "$DAEMON" "$counts" $TICKS 100 $PARENT_EXIT >"$CORRAL_ROOT/dmn.out" 2>"$CORRAL_ROOT/dmn.err" </dev/null &
job=$!
wait_count 5
# Its parent has exited by now: the job lives on in its worker.
pgrep -x daemon_counter >/dev/null || fail "no daemon_counter worker"
[ "$(pgrep -x daemon_counter | wc -l)" -eq 1 ] || fail "the daemon's parent did not exit"
kill -0 $job 2>/dev/null || fail "wparexec -c ended when the daemon's parent exited: $(cat "$CORRAL_ROOT/dmn.err")"
assert_eq "A" "$(state_of dmn)" "state of the job after its command exited, its worker running"
pass "the worker runs on after its parent exited"

# A snapshot: it goes on.
out=$(timeout 60 chkptwpar -o "$img/snap.wpar" dmn) || fail "snapshot of the daemonized job failed: $out"
at=$(last_count)
wait_count $((at + 3))
kill -0 $job 2>/dev/null || fail "wparexec ended after a snapshot"
pass "snapshot taken at count $at; the worker goes on"

# chkptwpar -k: wparexec says the job was taken away.
out=$(timeout 60 chkptwpar -k -o "$img/dmn.wpar" dmn) || fail "chkptwpar -k of the daemonized job failed: $out"
rc=0
timeout 30 tail --pid=$job -f /dev/null || fail "wparexec did not end after chkptwpar -k"
wait $job || rc=$?
assert_eq 75 "$rc" "wparexec's status when chkptwpar -k took the job"
assert_eq "D" "$(state_of dmn)" "the checkpointed job stays defined"
stopped_at=$(last_count)
sleep 0.5
assert_eq "$stopped_at" "$(last_count)" "the worker does not run after chkptwpar -k"
[ "$stopped_at" -lt $TICKS ] || fail "the worker had finished before chkptwpar -k"
pass "chkptwpar -k took the job at count $stopped_at"

# restartwpar follows the worker to its end and exits with the parent's status.
rc=0
timeout 90 restartwpar -i "$img/dmn.wpar" dmn >"$CORRAL_ROOT/rs.out" 2>&1 || rc=$?
assert_eq $PARENT_EXIT "$rc" "restartwpar's status: the daemon parent's ($(tail -n 3 "$CORRAL_ROOT/rs.out"))"
assert_eq "$TICKS" "$(last_count)" "restartwpar returned before the worker's end"
assert_eq "$(seq $TICKS)" "$(cat "$counts")" "the counter went on from its memory (no reset, nothing lost or repeated)"
pgrep -x daemon_counter >/dev/null && fail "a daemon_counter outlived restartwpar"
[ -e "$CORRAL_ROOT/etc/wpars/dmn.spec" ] && fail "the job's partition outlived its worker"
pass "restartwpar followed the worker from count $stopped_at to $TICKS and exited $PARENT_EXIT"
echo "4 passed, 0 failed"
