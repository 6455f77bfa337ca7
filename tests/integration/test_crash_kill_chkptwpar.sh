#!/usr/bin/env bash
# labels: root criu slow
# timeout: 600
# Crash safety of chkptwpar (issue 14, item 7): killed with SIGKILL at a
# random moment of its run, 20 times, then run again: the partition is left
# Active, thawed, with no CRIU holding its tasks, and the next chkptwpar
# writes an image that verifies; the partition's init never dies (it did of
# SIGTRAP when the guardian killed a CRIU holding it mid-dump). The guardian
# (ckpt/guardian.c) recovers the partition in a few seconds after chkptwpar
# is killed (it lets a running CRIU finish, up to 30 s), holding its lock:
# each round waits for that lock before the next chkptwpar (whose own wait
# for it is 10 s).
. "$(dirname "$0")/lib/common.sh"
need_root
command -v criu >/dev/null && criu check >/dev/null 2>&1 || skip "no working CRIU here"
corral_setup
. "$(dirname "$0")/lib/crash.sh"

IMG=$CORRAL_ROOT/ck.wpar
mkwpar -c -n cck >/dev/null
running cck
span=$(measure chkptwpar -o "$IMG" cck)
for i in $(seq "$ROUNDS"); do
	round="chkptwpar round $i"
	kill_during "$span" chkptwpar -o "$IMG" cck
	flock -w 60 "$CORRAL_ROOT/run/corral/cck.lock" true || fail "$round: cck stays locked"
	out=$(chkptwpar -o "$IMG" cck 2>&1) || fail "$round: chkptwpar again: $out"
	clean_active cck
	corral image verify "$IMG" >/dev/null 2>&1 || fail "$round: the image does not verify"
	untraced cck || fail "$round: a CRIU still holds a task of cck"
done
pass "chkptwpar killed $ROUNDS times: always Active, thawed, and checkpointed by the next one (${span} ms a run)"
