#!/usr/bin/env bash
# labels: root
# timeout: 120
# Resource controls are applied and observed from inside.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup
[ -d /sys/fs/cgroup/pids ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip "no pids controller"

mkwpar -n lim1 -R totalProcesses=12 memoryLimit=64M -s >/dev/null
assert_eq "A" "$(state_of lim1)" "started with limits"
# A shell that forks 30 background sleepers: some forks must fail.
out=$(clogin lim1 sh -c 'n=0; for i in $(seq 30); do sleep 5 2>/dev/null & n=$((n+1)); done 2>&1; wait 2>/dev/null; echo done' 2>&1 || true)
assert_contains "$out" "fork" "fork past totalProcesses refused"
pass "totalProcesses refuses the fork past the limit"

# Touching 200 MiB under a 64 MiB limit: the process is killed.
if clogin lim1 sh -c 'head -c 200000000 /dev/zero | tail -c 1 >/dev/null' 2>/dev/null; then
	# tail may stream; force memory residency with a shell variable instead.
	clogin lim1 sh -c 'x=$(head -c 150000000 /dev/zero | tr "\0" a); echo ${#x}' >/dev/null 2>&1 &&
		fail "a process used 150 MB under a 64 MiB memory limit"
fi
pass "memory limit enforced"
assert_eq "A" "$(state_of lim1)" "the partition survives its limits"
echo "1 passed, 0 failed"
