#!/usr/bin/env bash
# labels: root criu
# timeout: 240
# wparexec -c: an application job that counts in memory is checkpointed as a
# snapshot (it goes on, wparexec still gets its exit status), then with
# chkptwpar -k (wparexec says so and how to restart it) and restarted with
# restartwpar, which relays its output, shows it continuing from its memory
# and exits with the job's own status. A job without -c and a corrupted image
# are refused with clear errors.
. "$(dirname "$0")/lib/common.sh"
need_root
command -v criu >/dev/null || skip "no criu"
corral_setup
img=$CORRAL_ROOT/images
mkdir -p "$img"
progress=$CORRAL_ROOT/progress

# count N EXIT: count to N in memory, one line a tick, then exit with EXIT.
count_job() {
	echo "i=0; while [ \$i -lt $1 ]; do i=\$((i+1)); echo \"count \$i\"; echo \$i > $progress; sleep 0.1; done; exit $2"
}
wait_progress() { # wait_progress N: until the job has counted to N
	for _ in $(seq 100); do [ "$(cat "$progress" 2>/dev/null || echo 0)" -ge "$1" ] && return 0; sleep 0.1; done
	fail "the job did not count to $1: $(tail -n 3 "$CORRAL_ROOT"/*.err 2>/dev/null)"
}
start_job() { # start_job NAME N EXIT: a counting job in the background ($job_pid), output in NAME.out/.err
	rm -f "$progress"
	wparexec -c -n "$1" -- sh -c "$(count_job "$2" "$3")" >"$CORRAL_ROOT/$1.out" 2>"$CORRAL_ROOT/$1.err" </dev/null &
	job_pid=$!
}
wait_state() { # wait_state NAME LETTER
	for _ in $(seq 100); do [ "$(state_of "$1")" = "$2" ] && return 0; sleep 0.1; done
	fail "$1 did not become $2 (is $(state_of "$1"))"
}

# Without -c: refused, with the way to do it.
wparexec -n plainjob -- sleep 60 &
plain_pid=$!
wait_state plainjob A
err=$(chkptwpar -o "$img/plain.wpar" plainjob 2>&1) && fail "checkpoint of a wparexec job without -c succeeded"
assert_contains "$err" "wparexec -c" "the refusal says how to make a job checkpointable"
assert_eq 1 "$(echo "$err" | grep -c .)" "one-line refusal"
[ -e "$img/plain.wpar" ] && fail "a refused checkpoint wrote an image"
assert_eq "A" "$(state_of plainjob)" "a refused checkpoint leaves the job running"
stopwpar plainjob >/dev/null
wait $plain_pid 2>/dev/null || true
pass "chkptwpar refuses a job run without -c: $err"

# A snapshot: the job goes on and wparexec gets its exit status.
start_job snapjob 30 5
wait_progress 5
out=$(chkptwpar -o "$img/snap.wpar" snapjob)
assert_contains "$out" "is active" "chkptwpar reports a snapshot"
assert_eq "A" "$(state_of snapjob)" "state after a snapshot"
rc=0
wait $job_pid || rc=$?
assert_eq 5 "$rc" "wparexec's exit status after a snapshot"
assert_eq 30 "$(grep -c '^count ' "$CORRAL_ROOT/snapjob.out")" "every line of the job's output reached wparexec's stdout"
assert_eq "count 30" "$(tail -n 1 "$CORRAL_ROOT/snapjob.out")" "the job's last line"
[ -e "$CORRAL_ROOT/etc/wpars/snapjob.spec" ] && fail "the job's partition outlived its command"
pass "snapshot: the job went on, its output and exit status reached wparexec"

# The snapshot restarts on its own: restartwpar relays and returns 5.
rc=0
restartwpar -i "$img/snap.wpar" snapjob >"$CORRAL_ROOT/snaprs.out" 2>&1 || rc=$?
assert_eq 5 "$rc" "restartwpar's exit status for the restarted snapshot ($(tail -n 3 "$CORRAL_ROOT/snaprs.out"))"
first=$(grep -m1 '^count ' "$CORRAL_ROOT/snaprs.out" | cut -d' ' -f2)
[ "${first:-0}" -gt 1 ] || fail "the restarted snapshot began again from 1: $(cat "$CORRAL_ROOT/snaprs.out")"
assert_eq "count 30" "$(grep '^count ' "$CORRAL_ROOT/snaprs.out" | tail -n 1)" "the restarted snapshot's last line"
pass "the snapshot restarted from count $first and ended with its status"

# chkptwpar -k: wparexec says where the job went; restartwpar brings it back.
start_job kjob 60 7
wait_progress 10
out=$(chkptwpar -k -o "$img/kjob.wpar" kjob)
assert_contains "$out" "is stopped" "chkptwpar -k reports the end"
rc=0
wait $job_pid || rc=$?
assert_eq 75 "$rc" "wparexec's exit status when chkptwpar -k took the job"
assert_contains "$(cat "$CORRAL_ROOT/kjob.err")" "restartwpar -i" "wparexec says how to restart the job"
assert_eq "D" "$(state_of kjob)" "the checkpointed job stays defined"
stopped_at=$(cat "$progress")
sleep 0.5
assert_eq "$stopped_at" "$(cat "$progress")" "the job does not run after chkptwpar -k"
# The freeze may fall between a line and its progress: the output is the reference.
last=$(grep '^count ' "$CORRAL_ROOT/kjob.out" | tail -n 1 | cut -d' ' -f2)
assert_eq "$last" "$(grep -c '^count ' "$CORRAL_ROOT/kjob.out")" "wparexec relayed every line up to the checkpoint"
pass "chkptwpar -k: wparexec ended with: $(cat "$CORRAL_ROOT/kjob.err")"

# A corrupted image is refused and nothing runs.
cp "$img/kjob.wpar" "$img/bad.wpar"
size=$(stat -c %s "$img/bad.wpar")
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$img/bad.wpar" | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 255)))" | dd of="$img/bad.wpar" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s "$img/kjob.wpar" "$img/bad.wpar" && fail "the image was not corrupted"
rc=0
err=$(restartwpar -i "$img/bad.wpar" kjob 2>&1 >/dev/null) || rc=$?
assert_eq 1 "$rc" "restartwpar's status for a corrupted image"
assert_eq 1 "$(echo "$err" | grep -c .)" "one-line error for a corrupted image"
assert_eq "D" "$(state_of kjob)" "state after a refused restart"
assert_eq "$stopped_at" "$(cat "$progress")" "nothing ran from a corrupted image"
pass "corrupted image refused: $err"

# Restart: from its memory, in the foreground, with the job's own status.
rc=0
restartwpar -i "$img/kjob.wpar" kjob >"$CORRAL_ROOT/krs.out" 2>&1 || rc=$?
assert_eq 7 "$rc" "restartwpar exits with the job's exit status ($(tail -n 3 "$CORRAL_ROOT/krs.out"))"
assert_eq "count $((last + 1))" "$(grep -m1 '^count ' "$CORRAL_ROOT/krs.out")" "the job continued from its memory"
assert_eq "count 60" "$(grep '^count ' "$CORRAL_ROOT/krs.out" | tail -n 1)" "restartwpar relayed the job's output to its end"
assert_eq $((60 - last)) "$(grep -c '^count ' "$CORRAL_ROOT/krs.out")" "no line lost or repeated"
[ -e "$CORRAL_ROOT/etc/wpars/kjob.spec" ] && fail "the job's partition outlived its command"
pass "restartwpar: the job went on from count $last to 60 and exited 7"
echo "6 passed, 0 failed"
