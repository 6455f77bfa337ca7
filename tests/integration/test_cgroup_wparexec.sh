#!/bin/bash
# labels: root slow
# timeout: 240
# Resource controls end to end through wparexec: memoryLimit OOM-kills a
# command that touches more, CPU hardmax and totalProcesses show in the
# partition's groups while it runs, and no group is left afterwards.
set -u
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: cgroup tests need root"
	exit 77
fi
BIN=$CORRAL_BUILD_DIR/cli
HOG=$CORRAL_BUILD_DIR/tests/helpers/cgroup_hog
export CORRAL_ROOT=$(mktemp -d /tmp/corral-cgexec.XXXXXX)
export CORRAL_CGROUP_PARENT=corral-it-$$
CG=/sys/fs/cgroup
cleanup() {
	for d in "$CG"/*/"$CORRAL_CGROUP_PARENT" "$CG/$CORRAL_CGROUP_PARENT"; do
		[ -d "$d" ] || continue
		for g in "$d"/*/; do [ -d "$g" ] && rmdir "$g" 2>/dev/null; done
		rmdir "$d" 2>/dev/null
	done
	rm -rf "$CORRAL_ROOT"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Where a controller's group of partition $1 is, on v2 or v1.
group_dir() {
	if [ -e "$CG/cgroup.controllers" ]; then
		echo "$CG/$CORRAL_CGROUP_PARENT/$1"
	else
		echo "$CG/$2/$CORRAL_CGROUP_PARENT/$1"
	fi
}

# 1. A 32 MiB limit and a command touching 64 MiB: the OOM killer ends it
#    (exit 137, SIGKILL); with 128 MiB it finishes.
"$BIN"/wparexec -n hog -R memoryLimit=32M -- "$HOG" 64 >"$CORRAL_ROOT/hog.out" 2>&1 &
hog=$!
"$BIN"/wparexec -n roomy -R memoryLimit=128M -- "$HOG" 64 >"$CORRAL_ROOT/roomy.out" 2>&1 &
roomy=$!

# 2. While a command runs, its groups carry the controls.
"$BIN"/wparexec -n ctl -R CPU=0%-50%,50% totalProcesses=7 -- sleep 4 \
	>"$CORRAL_ROOT/ctl.out" 2>&1 &
ctl=$!
cpu=$(group_dir ctl cpu)
pids=$(group_dir ctl pids)
for _ in $(seq 50); do
	[ -e "$pids/pids.max" ] && [ "$(cat "$pids/pids.max")" = 7 ] && break
	kill -0 $ctl 2>/dev/null || fail "wparexec ended early: $(cat "$CORRAL_ROOT/ctl.out")"
	sleep 0.1
done
[ "$(cat "$pids/pids.max" 2>/dev/null)" = 7 ] || fail "pids.max of the running partition is not 7"
quota=$(( $(nproc) * 50000 ))
if [ -e "$cpu/cpu.max" ]; then
	[ "$(cat "$cpu/cpu.max")" = "$quota 100000" ] || fail "cpu.max is $(cat "$cpu/cpu.max")"
else
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = "$quota" ] ||
		fail "cpu.cfs_quota_us is $(cat "$cpu/cpu.cfs_quota_us"), not $quota"
fi

wait $hog
rc=$?
if [ "$(wc -l </proc/swaps)" -gt 1 ]; then
	echo "note: swap is on, so the 32 MiB hog pages out instead of being killed"
else
	[ $rc = 137 ] || fail "the hog under 32 MiB ended with $rc, not 137: $(cat "$CORRAL_ROOT/hog.out")"
	grep -q done "$CORRAL_ROOT/hog.out" && fail "the hog finished under a 32 MiB limit"
fi
wait $roomy || fail "the hog under 128 MiB failed: $(cat "$CORRAL_ROOT/roomy.out")"
grep -q done "$CORRAL_ROOT/roomy.out" || fail "the hog under 128 MiB did not finish"
wait $ctl || fail "wparexec sleep failed: $(cat "$CORRAL_ROOT/ctl.out")"

# 3. Nothing is left: every partition group is gone.
left=$(ls -d "$CG"/*/"$CORRAL_CGROUP_PARENT"/*/ "$CG/$CORRAL_CGROUP_PARENT"/*/ 2>/dev/null)
[ -z "$left" ] || fail "groups left behind: $left"
echo "PASS"
