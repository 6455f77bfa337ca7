#!/usr/bin/env bash
# labels: root criu
# timeout: 300
# A partition whose shell runs commands in a tight loop (dash vforks for
# each one) is checkpointed again and again: a freeze that catches a parent
# between vfork and exec must not fail the dump (CRIU cannot seize such a
# parent: "Unseizable non-zombie ... state D" after its 10 s timeout), and the
# last image restarts with the loop still counting.
. "$(dirname "$0")/lib/common.sh"
need_root
command -v criu >/dev/null || skip "no criu"
[ "$(readlink -f /bin/sh)" = "$(readlink -f /bin/dash 2>/dev/null)" ] ||
	echo "note: /bin/sh is not dash here; the loop may not vfork"
corral_setup
img=$CORRAL_ROOT/images
mkdir -p "$img"
# /run/corral is a tmpfs on most hosts: CRIU's images and a restart's
# extraction go there when it has room (util/workdir.h).
scratch=$CORRAL_ROOT/run/corral
mkdir -p "$scratch"
mount -t tmpfs -o size=512m,mode=0755 corral-test-run "$scratch"
TEARDOWN_LAST='umount -l "$scratch" 2>/dev/null'

mkwpar -n vf -c -s >/dev/null
echo 'i=0; while :; do /bin/true; i=$((i+1)); [ $((i % 50)) -eq 0 ] && echo $i > /tmp/loops; done' \
	>>"$CORRAL_ROOT/wpars/vf/etc/corral/services"
stopwpar vf >/dev/null
startwpar vf >/dev/null
loops() { read_whole "$CORRAL_ROOT/wpars/vf/tmp/loops"; }
for _ in $(seq 50); do [ "$(loops)" -gt 0 ] && break; sleep 0.1; done
[ "$(loops)" -gt 0 ] || fail "the loop does not run"

rounds=12
for i in $(seq $rounds); do
	out=$(chkptwpar -o "$img/vf.img" vf 2>&1) || fail "snapshot $i of $rounds failed: $out"
	[ "$(lswpar -c -q -a state vf)" = A ] || fail "vf is not Active after snapshot $i"
done
pass "$rounds snapshots of a vforking shell loop"

chkptwpar -k -o "$img/vf.img" vf >/dev/null || fail "chkptwpar -k"
# What a restart that died left on the tmpfs goes; what this one makes too.
true & dead=$!
wait "$dead"
mkdir -p "$scratch/corral-restart.$dead.left"
out=$(restartwpar -i "$img/vf.img" vf 2>&1) || fail "restartwpar: $out"
left=$(find "$scratch" -maxdepth 1 -name 'corral-restart.*')
[ -z "$left" ] || fail "restart scratch left on the tmpfs: $left"
a=$(loops)
sleep 0.5
b=$(loops)
[ "$b" -gt "$a" ] || fail "the loop does not go on after the restart ($a -> $b)"
pass "restarted, the loop goes on ($a -> $b)"
