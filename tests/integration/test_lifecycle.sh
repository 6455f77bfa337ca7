#!/usr/bin/env bash
# labels: root
# timeout: 180
# The AIX lifecycle on real partitions: mkwpar, lswpar, startwpar, stopwpar,
# rebootwpar, rmwpar; creation cost; bad input changes nothing.
. "$(dirname "$0")/lib/common.sh"
need_root
corral_setup

# mkwpar: small (its speed is bench/lifecycle.sh's to measure: a timed test
# fails on a loaded machine or under ASan).
out=$(mkwpar -n life1 -h lifehost)
assert_contains "$out" "Workload partition life1 created successfully." "mkwpar message"
kib=$(du -sk "$CORRAL_ROOT/wpars/life1" | cut -f1)
[ "$kib" -lt 1024 ] || fail "a new partition uses ${kib} KiB of private disk (must be under 1 MiB)"
pass "mkwpar: ${kib} KiB"
assert_eq "700" "$(stat -c %a "$CORRAL_ROOT/wpars")" "mode of the base directory parent"
[ -f "$CORRAL_ROOT/etc/wpars/life1.spec" ] || fail "no spec file"
assert_eq "lifehost" "$(cat "$CORRAL_ROOT/wpars/life1/etc/hostname")" "hostname file"
assert_eq "D" "$(state_of life1)" "state after mkwpar"
assert_contains "$(lswpar)" "life1" "lswpar lists it"

# startwpar: D -> A, a monitor named cor_life1 and an init.
startwpar life1 >/dev/null
assert_eq "A" "$(state_of life1)" "state after startwpar"
init=$(init_pid_of life1)
assert_contains "$(cat /proc/"$init"/cmdline | tr '\0' ' ')" "corral-init --system" "init command"
monitor_running life1 || fail "no monitor process cor_life1"
assert_eq "lifehost" "$(clogin life1 hostname)" "hostname inside"
assert_fails "starting an active partition" startwpar life1
err=$(startwpar life1 2>&1 >/dev/null || true)
assert_contains "$err" "already Active" "error for starting an active partition"
assert_fails "removing an active partition" rmwpar life1
assert_eq "A" "$(state_of life1)" "still active after refused rmwpar"
pass "startwpar"

# rebootwpar: a new init.
rebootwpar life1 >/dev/null
assert_eq "A" "$(state_of life1)" "state after rebootwpar"
[ "$(init_pid_of life1)" != "$init" ] || fail "rebootwpar kept the same init"
pass "rebootwpar"

# stopwpar: back to D, nothing left running, cgroup gone.
stopwpar life1 >/dev/null
assert_eq "D" "$(state_of life1)" "state after stopwpar"
monitor_running life1 && fail "monitor still running after stopwpar"
[ -d /sys/fs/cgroup/pids/"$CORRAL_CGROUP_PARENT"/life1 ] && fail "cgroup left after stopwpar"
assert_fails "stopping a stopped partition" stopwpar life1
pass "stopwpar"

# Bad input: one line, non-zero, nothing changed.
before=$(ls -R "$CORRAL_ROOT/etc" "$CORRAL_ROOT/wpars" | md5sum)
for bad in "-bad" "0zero" "has space" "semi;colon" "a/b" "abcdefghijklmnopqrstuvwxyz"; do
	err=$(mkwpar -n "$bad" 2>&1 >/dev/null) && fail "mkwpar accepted the name '$bad'"
	assert_eq 1 "$(echo "$err" | wc -l)" "one-line error for name '$bad'"
done
assert_fails "duplicate name" mkwpar -n life1
assert_contains "$(mkwpar -n life1 2>&1 || true)" "already exists" "duplicate name message"
mkwpar -Z -n x >/dev/null 2>&1 && fail "unknown flag accepted"
mkwpar -Z -n x >/dev/null 2>&1 || [ $? -eq 2 ] || fail "unknown flag must exit 2"
assert_fails "bad -R value" mkwpar -n rbad -R totalProcesses=lots
assert_fails "bad -R range" mkwpar -n rbad -R CPU=50%-10%,100%
assert_fails "missing base directory" mkwpar -n nodir -d /nonexistent/parent/nodir
assert_contains "$(mkwpar -n nodir -d /nonexistent/parent/nodir 2>&1 || true)" "/nonexistent/parent" "missing base directory message"
assert_eq "$before" "$(ls -R "$CORRAL_ROOT/etc" "$CORRAL_ROOT/wpars" | md5sum)" "nothing changed by bad input"
pass "bad input refused"

# A non-empty base directory is refused; -p reuses a preserved one.
rmwpar -p life1 >/dev/null
[ -d "$CORRAL_ROOT/wpars/life1/etc" ] || fail "rmwpar -p removed the file systems"
[ -f "$CORRAL_ROOT/etc/wpars/life1.spec" ] && fail "rmwpar -p kept the spec"
assert_fails "non-empty base directory" mkwpar -n life1
mkwpar -n life1 -p >/dev/null
startwpar life1 >/dev/null
assert_eq "A" "$(state_of life1)" "preserved partition starts"
rmwpar -s life1 >/dev/null
[ -e "$CORRAL_ROOT/wpars/life1" ] && fail "rmwpar left the base directory"
[ -e "$CORRAL_ROOT/etc/wpars/life1.spec" ] && fail "rmwpar left the spec"
pass "rmwpar -p, mkwpar -p, rmwpar -s"

# -s starts after creation; -o writes the spec; -w writes only.
mkwpar -n life2 -o "$CORRAL_ROOT/out.spec" -w >/dev/null
[ -f "$CORRAL_ROOT/out.spec" ] || fail "-o -w wrote no spec"
[ -e "$CORRAL_ROOT/etc/wpars/life2.spec" ] && fail "-w created the partition"
mkwpar -f "$CORRAL_ROOT/out.spec" -h fromflag -s >/dev/null
assert_eq "A" "$(state_of life2)" "mkwpar -s started it"
assert_eq "fromflag" "$(clogin life2 hostname)" "a flag overrides the spec file"
pass "mkwpar -s -f -o -w"

# Started with its standard descriptors closed (a cron job, a script's >&-):
# the monitor's report pipe must not take their place and be clobbered.
mkwpar -n life3 >/dev/null
startwpar life3 <&- >&- 2>&- || fail "startwpar with stdio closed exited $?"
assert_eq "A" "$(state_of life3)" "state after startwpar with stdio closed"
init=$(init_pid_of life3)
for fd in 0 1 2; do
	[ "$(readlink "/proc/$init/fd/$fd")" = /dev/null ] || fail "init's descriptor $fd is not /dev/null"
done
stopwpar -F life3 >/dev/null
pass "startwpar with its standard descriptors closed"
echo "1 passed, 0 failed"
